package dev.tessera.dist;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.spi.ToolProvider;

/**
 * The release archive the build made (system property {@code tessera.archive}), unpacked once per
 * test run, and a Java 25 runtime without a compiler made with jlink, standing in for a JRE.
 */
final class Archive {
  private Archive() {}

  static final String VERSION = System.getProperty("tessera.version");
  static final Path FILE = Path.of(System.getProperty("tessera.archive", "target/missing.tar.gz"));

  /** The JDK these tests run on: a Java 25. */
  static final Path JDK = Path.of(System.getProperty("java.home"));

  private static Path unpacked;
  private static Path jre;

  /** The archive unpacked into a fresh directory (its top directory stripped). */
  static synchronized Path home() throws IOException, InterruptedException {
    if (unpacked == null) {
      assertThat(FILE).as("built by the package phase").isRegularFile();
      Exec.require("tar");
      Path dir = Files.createTempDirectory("tessera-dist");
      Exec.Result r =
          Exec.run(
              List.of("tar", "-xzf", FILE.toString(), "-C", dir.toString(), "--strip-components=1"),
              Map.of("PATH", "/usr/bin:/bin"),
              dir,
              Duration.ofMinutes(2));
      assertThat(r.code()).as(r.toString()).isZero();
      unpacked = dir;
    }
    return unpacked;
  }

  /** The runtime modules of a JRE (no compiler, no tools), linked in-process by the JDK's jlink. */
  static synchronized Path jre() throws IOException {
    if (jre == null) {
      Optional<ToolProvider> jlink = ToolProvider.findFirst("jlink");
      if (jlink.isEmpty()) {
        Exec.unavailable("the JDK at " + JDK + " has no jlink");
      }
      Path dir = Files.createTempDirectory("tessera-jre").resolve("jre");
      StringWriter log = new StringWriter();
      PrintWriter w = new PrintWriter(log);
      int rc =
          jlink
              .get()
              .run(
                  w,
                  w,
                  "--add-modules",
                  "java.se,jdk.unsupported,jdk.zipfs,jdk.net,jdk.charsets,jdk.crypto.cryptoki,jdk.management",
                  // With its default class-data archive, as the Temurin JRE ships (dynamic archives
                  // build on it).
                  "--generate-cds-archive",
                  "--strip-debug",
                  "--no-header-files",
                  "--no-man-pages",
                  "--output",
                  dir.toString());
      w.flush();
      assertThat(rc).as(log.toString()).isZero();
      assertThat(dir.resolve("bin/java")).isExecutable();
      assertThat(dir.resolve("bin/javac")).as("a runtime, not a JDK").doesNotExist();
      jre = dir;
    }
    return jre;
  }

  /**
   * A machine's environment without Java 25 on PATH or in JAVA_HOME: the launchers must find it
   * themselves.
   */
  static Map<String, String> plainEnv(Path home) {
    return Map.of(
        "PATH", "/usr/local/bin:/usr/bin:/bin", "HOME", home.toString(), "LANG", "C.UTF-8");
  }
}
