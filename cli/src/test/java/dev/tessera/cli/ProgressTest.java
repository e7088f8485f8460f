package dev.tessera.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.testsupport.ChildJvm;
import dev.tessera.testsupport.RequiresTools;
import dev.tessera.testsupport.Tools;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code matrix}, {@code compile} and {@code diff} over 1,200 nodes show progress on standard error
 * when it is a terminal (run under {@code script}, which gives the command a pseudo-terminal) and
 * print none when it is a pipe. Runs policyc in a child JVM on this test's class path.
 */
class ProgressTest {
  @TempDir static Path tmp;
  static Path policy;
  static Path policy2;
  static Path inventory;

  @BeforeAll
  static void tailnet() throws IOException {
    StringBuilder inv = new StringBuilder("users:\n");
    for (int u = 0; u < 100; u++) {
      inv.append("  - {login: u").append(u).append("@x.io, role: member}\n");
    }
    inv.append("nodes:\n");
    for (int i = 0; i < 1200; i++) {
      String ips = "[100.64." + (i / 250) + "." + (1 + i % 250) + "]";
      inv.append(
          i % 4 == 0
              ? "  - {name: srv-" + i + ", tags: [tag:srv], ips: " + ips + "}\n"
              : "  - {name: dev-" + i + ", user: u" + (i % 100) + "@x.io, ips: " + ips + "}\n");
    }
    inventory = Files.writeString(tmp.resolve("inventory.yaml"), inv);
    String p =
        "{\"tagOwners\": {\"tag:srv\": [\"u1@x.io\"]}, \"acls\": [{\"action\": \"accept\", \"src\": [\"autogroup:member\"],"
            + " \"dst\": [\"tag:srv:443\"]}]}";
    policy = Files.writeString(tmp.resolve("policy.hujson"), p);
    policy2 = Files.writeString(tmp.resolve("policy2.hujson"), p.replace("443", "443,8443"));
  }

  static List<String> args(String command) {
    return switch (command) {
      case "matrix" ->
          List.of(
              "matrix",
              policy.toString(),
              "--inventory",
              inventory.toString(),
              "--format",
              "csv",
              "-o",
              tmp.resolve("m.csv").toString());
      case "compile" ->
          List.of(
              "compile",
              policy.toString(),
              "--inventory",
              inventory.toString(),
              "--out",
              tmp.resolve("out").toString());
      default ->
          List.of(
              "diff", policy.toString(), policy2.toString(), "--inventory", inventory.toString());
    };
  }

  static List<String> policyc(List<String> args) {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                ChildJvm.classPath(),
                PolicyC.class.getName()));
    cmd.addAll(args);
    return cmd;
  }

  @ParameterizedTest(name = "{0} on a terminal")
  @ValueSource(strings = {"matrix", "compile", "diff"})
  @RequiresTools("script")
  void progressOnATerminal(String command) throws Exception {
    // script runs the command on a pseudo-terminal and copies what it writes (both streams) to our
    // stdout
    String line =
        String.join(" ", policyc(args(command)).stream().map(ProgressTest::quote).toList());
    String out = run(List.of("script", "-qec", line, "/dev/null"));
    assertThat(out)
        .as(out)
        .contains(command.equals("diff") ? "diff: " : command + ": ")
        .containsPattern(
            command.equals("compile")
                ? "compile: 1,200 nodes, \\d+\\.\\d s"
                : command + ": [\\d,]+/1,200 destinations");
  }

  @ParameterizedTest(name = "{0} on a pipe")
  @ValueSource(strings = {"matrix", "compile", "diff"})
  void quietOnAPipe(String command) throws Exception {
    Path err = tmp.resolve(command + ".err");
    ProcessBuilder pb =
        Tools.process(policyc(args(command)))
            .redirectError(err.toFile())
            .redirectOutput(ProcessBuilder.Redirect.DISCARD);
    Process p = pb.start();
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    String text = Files.readString(err, StandardCharsets.UTF_8);
    assertThat(text).doesNotContain("\r").doesNotContain("/1,200").doesNotContain(" nodes, ");
  }

  private static String run(List<String> cmd) throws IOException, InterruptedException {
    Path out = tmp.resolve("out-" + System.nanoTime());
    Process p = Tools.process(cmd).redirectOutput(out.toFile()).redirectErrorStream(true).start();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("timed out: " + cmd);
    }
    return Files.readString(out, StandardCharsets.UTF_8);
  }

  private static String quote(String s) {
    return "'" + s.replace("'", "'\\''") + "'";
  }
}
