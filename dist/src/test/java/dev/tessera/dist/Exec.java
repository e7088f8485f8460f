package dev.tessera.dist;

import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/** Runs the programs these tests need, and skips (or, with TESSERA_REQUIRE_ALL=1, fails) without them. */
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

  /** Runs {@code cmd} in {@code dir} with exactly {@code env}; stdout and stderr are read from files. */
  static Result run(List<String> cmd, Map<String, String> env, Path dir, Duration timeout) throws IOException, InterruptedException {
    Path out = Files.createTempFile("exec", ".out");
    Path err = Files.createTempFile("exec", ".err");
    try {
      ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile())
          .redirectOutput(out.toFile()).redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
      pb.environment().clear();
      pb.environment().putAll(env);
      Process p = pb.start();
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        fail(String.join(" ", cmd) + " did not finish within " + timeout);
      }
      return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
    } finally {
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }

  /** The path of {@code program} on this machine's PATH, or the test is skipped (failed in CI) saying so. */
  static Path require(String program) {
    for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
      Path p = Path.of(dir, program);
      if (Files.isExecutable(p)) {
        return p;
      }
    }
    unavailable(program + " is not installed");
    return null;
  }

  /** Skips the test with {@code why}, or fails it when TESSERA_REQUIRE_ALL=1 (CI). */
  static void unavailable(String why) {
    if ("1".equals(System.getenv("TESSERA_REQUIRE_ALL"))) {
      fail(why + " (TESSERA_REQUIRE_ALL=1: nothing may skip)");
    }
    Assumptions.abort(why);
  }

  static boolean root() {
    return "root".equals(System.getProperty("user.name"));
  }
}
