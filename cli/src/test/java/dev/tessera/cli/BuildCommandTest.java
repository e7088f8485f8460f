package dev.tessera.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BuildCommandTest {
  static final Path EXAMPLES = Path.of(System.getProperty("user.dir")).resolveSibling("examples");

  record Run(int code, String out, String err) {}

  static Run policyc(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = PolicyC.run(new PrintWriter(out), new PrintWriter(err), args);
    return new Run(code, out.toString(), err.toString());
  }

  @Test
  void acmeBuildsWritesFiltersAndPassesItsTests(@TempDir Path dir) throws Exception {
    Run r =
        policyc(
            "build",
            EXAMPLES.resolve("acme/policy.hujson").toString(),
            "--inventory",
            EXAMPLES.resolve("acme/inventory.yaml").toString(),
            "--out",
            dir.resolve("out").toString(),
            "--junit",
            dir.resolve("junit.xml").toString());
    assertThat(r.code()).as(r.out() + r.err()).isZero();
    assertThat(r.out())
        .containsPattern("(?m)^check +ok .*11 acls, 2 grants, 6 tests.*45 nodes")
        .containsPattern("(?m)^compile +ok +45 nodes")
        .containsPattern("(?m)^test +ok +6 tests, 16 assertions: 16 passed, 0 failed")
        .containsPattern("(?m)^build +ok$");
    assertThat(Files.readString(dir.resolve("out/index.json"))).contains("\"exit-1\"");
    assertThat(Files.readString(dir.resolve("junit.xml"))).contains("<testsuite", "failures=\"0\"");
  }

  @Test
  void failedAssertionsFailTheBuildWithTheirPositions() {
    Run r =
        policyc(
            "build",
            EXAMPLES.resolve("failing/policy.hujson").toString(),
            "--inventory",
            EXAMPLES.resolve("failing/inventory.yaml").toString());
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.out())
        .contains(
            "policy.hujson:61:15: FAIL bob@example.com -> tag:db:5432: expected DENIED, got ALLOWED")
        .containsPattern("(?m)^test +FAILED")
        .containsPattern("(?m)^build +FAILED$");
  }

  @Test
  void policyErrorsStopAtCheckAndUnreadableInputIsAUsageError(@TempDir Path dir) throws Exception {
    Path bad = dir.resolve("bad.hujson");
    Files.writeString(
        bad,
        "{\"acls\": [{\"action\": \"accept\", \"src\": [\"group:nope\"], \"dst\": [\"*:22\"]}]}");
    Run r =
        policyc(
            "build",
            bad.toString(),
            "--inventory",
            EXAMPLES.resolve("acme/inventory.yaml").toString());
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).contains("bad.hujson:1:", "group:nope");
    assertThat(r.out()).containsPattern("(?m)^check +FAILED").doesNotContain("compile");

    Run missing =
        policyc(
            "build",
            dir.resolve("nope.hujson").toString(),
            "--inventory",
            EXAMPLES.resolve("acme/inventory.yaml").toString());
    assertThat(missing.code()).isEqualTo(2);
    assertThat(missing.err()).contains("no such file");
  }
}
