package dev.tessera.dist;

import static org.assertj.core.api.Assertions.fail;

import dev.tessera.testsupport.Requirements;
import dev.tessera.testsupport.Tools;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs the programs these tests need, through test-support's tool list: every program must be on
 * {@code .ci/tools}; the project's own launchers are started through {@code bash} (they are what is
 * under test, not a tool).
 */
final class Exec {
  private Exec() {}

  record Result(int code, String out, String err) {
    String lastLine() {
      String[] lines = out.stripTrailing().split("\n");
      return lines[lines.length - 1];
    }

    @Override
    public String toString() {
      return "exit " + code + "\n--- stdout\n" + out + "--- stderr\n" + err;
    }
  }

  /**
   * Runs {@code cmd} in {@code dir} with exactly {@code env}; stdout and stderr are read from
   * files.
   */
  static Result run(List<String> cmd, Map<String, String> env, Path dir, Duration timeout)
      throws IOException, InterruptedException {
    Path out = Files.createTempFile("exec", ".out");
    Path err = Files.createTempFile("exec", ".err");
    try {
      ProcessBuilder pb =
          Tools.process(cmd)
              .directory(dir.toFile())
              .redirectOutput(out.toFile())
              .redirectError(err.toFile())
              .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
      pb.environment().clear();
      pb.environment().putAll(env);
      Process p = pb.start();
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        fail(String.join(" ", cmd) + " did not finish within " + timeout);
      }
      return new Result(
          p.exitValue(),
          Files.readString(out, StandardCharsets.UTF_8),
          Files.readString(err, StandardCharsets.UTF_8));
    } finally {
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }

  /**
   * The installed {@code program} (it must be on the tool list); the test skips, or fails in CI,
   * without it.
   */
  static Path require(String program) {
    Requirements.require(Tools.missing(program).isEmpty(), Tools.missing(program).orElse(""));
    return Tools.installed(program).orElseThrow();
  }

  /** Skips the test with {@code why}, or fails it when TESSERA_REQUIRE_ALL=1 (CI). */
  static void unavailable(String why) {
    Requirements.require(false, why);
  }
}
