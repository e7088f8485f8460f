package dev.tessera.testsupport;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A throwaway PostgreSQL cluster for tests: {@code initdb} in a temporary directory, then {@code
 * postgres} listening on a Unix domain socket in that directory only (no TCP port, so parallel runs
 * cannot collide), trust authentication for the one superuser {@code tessera}. {@link #close} stops
 * the server and deletes the directory.
 *
 * <p>The programs come from the tool list ({@code initdb}, {@code postgres}: Debian's {@code
 * postgresql}, which installs them under {@code /usr/lib/postgresql/VERSION/bin}, off {@code
 * PATH}). PostgreSQL refuses to run as root, so as root both run as the unprivileged user {@code
 * nobody} through {@code runuser}, and the directory is handed to that user. A machine without them
 * skips the test with the reason ({@link #requireInstalled}), or fails it in CI.
 */
public final class PostgresCluster implements AutoCloseable {
  private static final String RUN_AS = "nobody";

  /** The port only names the socket file ({@code .s.PGSQL.PORT}); nothing listens on TCP. */
  private static final int PORT = 5432;

  private final Path dir;
  private final Process server;

  private PostgresCluster(Path dir, Process server) {
    this.dir = dir;
    this.server = server;
  }

  /**
   * Skips (or in CI fails) the calling test unless initdb and postgres (and runuser as root) are
   * installed.
   */
  public static void requireInstalled() {
    Tools.listed("initdb");
    Tools.listed("postgres");
    boolean root = Requirements.isRoot();
    if (root) {
      Tools.listed("runuser");
    }
    Requirements.require(
        binary("initdb").isPresent() && binary("postgres").isPresent(),
        "needs initdb and postgres (Debian package postgresql); .ci/run installs the tool list");
    Requirements.require(
        !root || Tools.installed("runuser").isPresent(),
        "needs runuser (Debian package util-linux)");
  }

  /** initdb, start, and wait until the server accepts connections. */
  public static PostgresCluster start() throws IOException, InterruptedException {
    requireInstalled();
    Path dir = Files.createTempDirectory(Path.of("/tmp"), "tessera-pg");
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    boolean root = Requirements.isRoot();
    if (root) {
      run(List.of("chown", RUN_AS, dir.toString()));
    }
    Path data = dir.resolve("data");
    run(
        command(
            root,
            binary("initdb").orElseThrow().toString(),
            "-D",
            data.toString(),
            "-U",
            "tessera",
            "--auth=trust",
            "--no-sync",
            "-E",
            "UTF8",
            "--locale=C"));
    List<String> cmd =
        command(
            root,
            binary("postgres").orElseThrow().toString(),
            "-D",
            data.toString(),
            "-k",
            dir.toString(),
            "-p",
            Integer.toString(PORT),
            "-c",
            "listen_addresses=",
            "-c",
            "fsync=off",
            "-c",
            "max_connections=200");
    Process p =
        Tools.process(cmd)
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("server.log").toFile())
            .start();
    PostgresCluster c = new PostgresCluster(dir, p);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!c.ready()) {
      if (!p.isAlive() || System.nanoTime() > deadline) {
        String log =
            Files.exists(dir.resolve("server.log"))
                ? Files.readString(dir.resolve("server.log"))
                : "";
        c.close();
        throw new IOException(
            "postgres did not become ready"
                + (p.isAlive() ? " within 60 s" : " (exited)")
                + ":\n"
                + log);
      }
      Thread.sleep(50);
    }
    return c;
  }

  /** The URL of database {@code db} ({@code postgresql://tessera@/DB?host=DIR&port=5432}). */
  public String url(String db) {
    return "postgresql://tessera@/" + db + "?host=" + dir + "&port=" + PORT;
  }

  /**
   * The URL of database {@code postgres} for the registry ({@code
   * postgresql://tessera@/postgres?host=DIR&port=5432}).
   */
  public String url() {
    return "postgresql://tessera@/postgres?host=" + dir + "&port=" + PORT;
  }

  /** The directory holding the socket. */
  public Path socketDir() {
    return dir;
  }

  /** The server's process, for tests that kill the database under a running server. */
  public Process process() {
    return server;
  }

  private boolean ready() throws IOException {
    Path pid = dir.resolve("data").resolve("postmaster.pid");
    if (!Files.exists(dir.resolve(".s.PGSQL." + PORT)) || !Files.exists(pid)) {
      return false;
    }
    List<String> lines;
    try {
      lines = Files.readAllLines(pid);
    } catch (IOException e) {
      return false; // being written
    }
    return lines.size() >= 8
        && lines.get(7).strip().equals("ready"); // the postmaster's status line
  }

  @Override
  public void close() throws IOException, InterruptedException {
    // The postmaster and its backends run under runuser when the tests run as root, so every
    // process of the tree is stopped and waited for before the directory goes: a backend still
    // writing its WAL would otherwise refill the directory while it is being deleted.
    List<ProcessHandle> tree = new ArrayList<>(server.toHandle().descendants().toList());
    tree.add(server.toHandle());
    tree.forEach(ProcessHandle::destroy); // SIGTERM: the postmaster's smart shutdown
    if (!awaitExit(tree, 20)) {
      tree.forEach(ProcessHandle::destroyForcibly);
      awaitExit(tree, 10);
    }
    for (int attempt = 0; ; attempt++) {
      try (Stream<Path> s = Files.walk(dir)) {
        for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
        return;
      } catch (java.nio.file.DirectoryNotEmptyException | java.nio.file.NoSuchFileException e) {
        if (attempt == 4) {
          throw e;
        }
        Thread.sleep(200); // a process outside the tree (none expected) still writing: try again
      }
    }
  }

  private static boolean awaitExit(List<ProcessHandle> processes, int seconds)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    for (ProcessHandle p : processes) {
      long left = deadline - System.nanoTime();
      try {
        p.onExit().get(Math.max(0, left), TimeUnit.NANOSECONDS);
      } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
        return false;
      }
    }
    return true;
  }

  private static List<String> command(boolean root, String... argv) {
    List<String> cmd = new ArrayList<>();
    if (root) {
      cmd.addAll(List.of(Tools.installed("runuser").orElseThrow().toString(), "-u", RUN_AS, "--"));
    }
    cmd.addAll(List.of(argv));
    return cmd;
  }

  private static void run(List<String> cmd) throws IOException, InterruptedException {
    Process p = Tools.process(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (p.waitFor() != 0) {
      throw new IOException(String.join(" ", cmd) + " failed:\n" + out);
    }
  }

  /** {@code program} on PATH, else in the newest /usr/lib/postgresql/VERSION/bin. */
  static Optional<Path> binary(String program) {
    Optional<Path> onPath = Tools.installed(program);
    if (onPath.isPresent()) {
      return onPath;
    }
    Path root = Path.of("/usr/lib/postgresql");
    if (!Files.isDirectory(root)) {
      return Optional.empty();
    }
    List<Path> found = new ArrayList<>();
    try (DirectoryStream<Path> versions = Files.newDirectoryStream(root)) {
      for (Path v : versions) {
        Path p = v.resolve("bin").resolve(program);
        if (Files.isExecutable(p)) {
          found.add(p);
        }
      }
    } catch (IOException e) {
      return Optional.empty();
    }
    found.sort(Comparator.comparing((Path p) -> versionOf(p)));
    return found.isEmpty() ? Optional.empty() : Optional.of(found.getLast());
  }

  private static int versionOf(Path bin) {
    try {
      return Integer.parseInt(bin.getParent().getParent().getFileName().toString());
    } catch (NumberFormatException e) {
      return 0;
    }
  }
}
