package dev.tessera.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The conformance data: ground truth no one on this project wrote (Tailscale's captured compiler
 * output, as recorded by headscale, and real policy files with Tailscale's verdicts). It is never
 * copied into the project; it is looked for, in order, at {@code -Dtessera.conformance.dir}, {@code
 * $TESSERA_CONFORMANCE_DIR}, and {@code ../shared/conformance} beside the project root.
 *
 * <p>The headscale archive is unpacked once under the project's {@code target/conformance} and
 * reused while the archive is unchanged. Suites report their pass rates with {@link #recordRate},
 * which {@code bin/test} prints in its summary.
 */
public final class Conformance {
  static final String ARCHIVE = "headscale-testdata.tar.xz";

  private Conformance() {}

  /** The conformance directory, if present. */
  public static Optional<Path> root() {
    for (String c : candidates()) {
      Path p = Path.of(c).toAbsolutePath().normalize();
      if (Files.isRegularFile(p.resolve(ARCHIVE)) || Files.isDirectory(p.resolve("acl_results"))) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }

  private static java.util.List<String> candidates() {
    java.util.List<String> c = new java.util.ArrayList<>();
    String prop = System.getProperty("tessera.conformance.dir");
    if (prop != null && !prop.isBlank()) {
      c.add(prop);
    }
    String env = System.getenv("TESSERA_CONFORMANCE_DIR");
    if (env != null && !env.isBlank()) {
      c.add(env);
    }
    c.add(ProjectRoot.get().resolve("../shared/conformance").toString());
    return c;
  }

  /** Why the data cannot be used here, or empty when it can. */
  public static Optional<String> unavailable() {
    if (root().isPresent()) {
      return Optional.empty();
    }
    return Optional.of(
        "conformance data not found at ../shared/conformance beside the project root"
            + " (or -Dtessera.conformance.dir / TESSERA_CONFORMANCE_DIR)");
  }

  private static Path requireRoot() {
    Requirements.require(root().isPresent(), unavailable().orElse(""));
    return root().orElseThrow();
  }

  /** Real policy files with Tailscale's verdicts ({@code wild/}). */
  public static Path wild() {
    Path w = requireRoot().resolve("wild");
    Requirements.require(
        Files.isRegularFile(w.resolve("expected.tsv")), "no wild/expected.tsv in " + w.getParent());
    return w;
  }

  /** The captures converted to policy + inventory + expected filters ({@code tailscale/}). */
  public static Path tailscale() {
    Path t = requireRoot().resolve("tailscale");
    Requirements.require(Files.isDirectory(t), "no tailscale/ in " + t.getParent());
    return t;
  }

  /**
   * headscale's testdata directory ({@code acl_results/}, {@code grant_results/}, ...), unpacked
   * from the archive on first use.
   */
  public static Path headscale() {
    Path root = requireRoot();
    if (Files.isDirectory(root.resolve("acl_results"))) {
      return root; // already an unpacked testdata directory
    }
    Path archive = root.resolve(ARCHIVE);
    Path into = ProjectRoot.get().resolve("target/conformance");
    Path data = into.resolve("headscale-testdata");
    try {
      Files.createDirectories(into);
      try (FileChannel ch =
              FileChannel.open(
                  into.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
          FileLock ignored = ch.lock()) {
        Path marker = into.resolve(".unpacked");
        String stamp = Files.size(archive) + " " + Files.getLastModifiedTime(archive).toMillis();
        if (Files.isRegularFile(marker)
            && Files.readString(marker).equals(stamp)
            && Files.isDirectory(data)) {
          return data;
        }
        Requirements.require(
            Tools.available("tar") && Tools.available("xz"),
            Tools.missing("tar", "xz").orElse("needs tar and xz"));
        Process p =
            Tools.process("tar", "-xJf", archive.toString(), "-C", into.toString())
                .redirectErrorStream(true)
                .start();
        if (!p.waitFor(10, TimeUnit.MINUTES)) {
          p.destroyForcibly();
          throw new IllegalStateException("unpacking " + archive + " timed out");
        }
        String out = new String(p.getInputStream().readAllBytes());
        if (p.exitValue() != 0) {
          throw new IllegalStateException(
              "tar -xJf " + archive + " exited " + p.exitValue() + ": " + out);
        }
        Files.writeString(marker, stamp);
        return data;
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while unpacking " + archive, e);
    }
  }

  /**
   * Records a suite's pass rate ({@code name passed/total}) for the summary {@code bin/test}
   * prints; one file per name under {@code target/conformance-rates}.
   */
  public static void recordRate(String name, int passed, int total) {
    Path dir = ProjectRoot.get().resolve("target/conformance-rates");
    try {
      Files.createDirectories(dir);
      Files.writeString(
          dir.resolve(name.replaceAll("[^A-Za-z0-9_.-]", "_")),
          name + " " + passed + "/" + total + "\n");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
