package dev.tessera.cli;

import static dev.tessera.cli.BuildCommandTest.EXAMPLES;
import static dev.tessera.cli.BuildCommandTest.policyc;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code policyc compile}: what is written, and the exit code for each kind of bad input. */
class CompileCommandTest {
  static final String POLICY = EXAMPLES.resolve("acme/policy.hujson").toString();
  static final String INVENTORY = EXAMPLES.resolve("acme/inventory.yaml").toString();

  @Test
  void writesOneFilePerNodeAndAnIndex(@TempDir Path dir) throws Exception {
    BuildCommandTest.Run r =
        policyc("compile", POLICY, "--inventory", INVENTORY, "--out", dir.toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).startsWith("compiled 45 nodes to " + dir + " (tessera)");
    assertThat(Files.readString(dir.resolve("index.json"))).contains("\"exit-1\"");
  }

  @Test
  void aMissingInventoryIsAUsageErrorAndWritesNothing(@TempDir Path dir) {
    BuildCommandTest.Run r =
        policyc(
            "compile",
            POLICY,
            "--inventory",
            dir.resolve("nope.yaml").toString(),
            "--out",
            dir.resolve("out").toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("nope.yaml", "no such file");
    assertThat(dir.resolve("out")).doesNotExist();
  }

  @Test
  void inventoryErrorsAreLocatedAndWriteNothing(@TempDir Path dir) throws Exception {
    Path inv = dir.resolve("inv.yaml");
    Files.writeString(
        inv,
        """
        users:
          - login: alice@acme.com
        nodes:
          - name: a
            user: bob@acme.com
            ips: [100.64.0.1]
        """);
    BuildCommandTest.Run r =
        policyc(
            "compile",
            POLICY,
            "--inventory",
            inv.toString(),
            "--out",
            dir.resolve("out").toString());
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).contains("inv.yaml:5:", "bob@acme.com", "nothing written");
    assertThat(dir.resolve("out")).doesNotExist();
  }
}
