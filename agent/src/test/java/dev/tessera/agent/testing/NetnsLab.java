package dev.tessera.agent.testing;

import dev.tessera.testsupport.Tools;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Two network namespaces joined by one veth pair, for integration tests that need a real underlay.
 * Addresses are only in ranges reserved for tests (198.18.0.0/15, RFC 2544, for the underlay;
 * 10.213.0.0/24 for the tunnel); nothing routes out of the namespaces.
 *
 * <p>Names carry a random suffix so concurrent runs and leftovers of a killed run never collide;
 * tunnel interface names must also be unique across namespaces, because {@code wg}'s UAPI sockets
 * live in /var/run/wireguard, which is not namespaced. {@link #close} kills every process the lab
 * started, deletes the namespaces (which deletes their interfaces) and removes UAPI sockets.
 */
public final class NetnsLab implements AutoCloseable {
  public static final String UNDER_A = "198.18.51.1";
  public static final String UNDER_B = "198.18.51.2";
  public static final String TUN_A = "10.213.0.1";
  public static final String TUN_B = "10.213.0.2";

  public final String id;
  public final String nsA;
  public final String nsB;
  private final List<Process> processes = new ArrayList<>();
  private final List<String> ifaces = new ArrayList<>();

  /** Namespaces beyond A and B made by {@link #namespace}; deleted by {@link #close}. */
  private final List<String> extra = new ArrayList<>();

  /** Daemon logs printed by {@link #close}, so a failed run shows what the daemons said. */
  private final java.util.Map<String, Path> logs = new java.util.LinkedHashMap<>();

  private volatile boolean createdEtcNetns;
  public final Path dir;

  public NetnsLab() throws IOException {
    id = Integer.toString(ThreadLocalRandom.current().nextInt(0x10000, 0xfffff), 36);
    nsA = "tsr-" + id + "-a";
    nsB = "tsr-" + id + "-b";
    dir = Files.createTempDirectory("tsr-lab-" + id);
    try {
      run("ip", "netns", "add", nsA);
      run("ip", "netns", "add", nsB);
      run(
          "ip", "link", "add", "veth0", "netns", nsA, "type", "veth", "peer", "name", "veth0",
          "netns", nsB);
      in(nsA, "ip", "addr", "add", UNDER_A + "/24", "dev", "veth0");
      in(nsB, "ip", "addr", "add", UNDER_B + "/24", "dev", "veth0");
      for (String ns : List.of(nsA, nsB)) {
        in(ns, "ip", "link", "set", "lo", "up");
        in(ns, "ip", "link", "set", "veth0", "up");
      }
    } catch (IOException | RuntimeException e) {
      close();
      throw e;
    }
  }

  /**
   * Gives {@code ns} its own /etc/hosts: {@code ip netns exec} bind-mounts /etc/netns/NS/hosts over
   * /etc/hosts for the commands it runs. Rewrite it with this method (in place: a bind mount
   * follows the inode, so replacing the file by rename would not be seen). Removed by {@link
   * #close}.
   */
  public Path hostsFile(String ns, String content) throws IOException {
    Path d = Path.of("/etc/netns", ns);
    if (!Files.exists(d.getParent())) {
      createdEtcNetns = true;
    }
    Files.createDirectories(d);
    Path f = d.resolve("hosts");
    Files.writeString(f, "127.0.0.1 localhost\n" + content);
    return f;
  }

  /**
   * One more namespace for this lab (loopback up, nothing else), named {@code tsr-ID-role}; deleted
   * by {@link #close}.
   */
  public String namespace(String role) throws IOException {
    String ns = "tsr-" + id + "-" + role;
    run("ip", "netns", "add", ns);
    synchronized (extra) {
      extra.add(ns);
    }
    in(ns, "ip", "link", "set", "lo", "up");
    return ns;
  }

  /** A tunnel interface name unique to this lab (max 15 chars). */
  public String iface(String role) {
    String n = "t" + id + role;
    ifaces.add(n);
    return n;
  }

  /** Prints {@code log} under {@code label} when the lab closes (once per label). */
  public void dumpOnClose(String label, Path log) {
    synchronized (logs) {
      logs.putIfAbsent(label, log);
    }
  }

  /** Runs a command in the root namespace; throws with its output on failure. */
  public static String run(String... cmd) throws IOException {
    Result r = exec(30, cmd);
    if (r.exit != 0) {
      throw new IOException(String.join(" ", cmd) + " exited " + r.exit + ": " + r.output);
    }
    return r.output;
  }

  /** Runs a command inside {@code ns}; throws with its output on failure. */
  public String in(String ns, String... cmd) throws IOException {
    return run(nsCmd(ns, cmd));
  }

  /** Runs a command inside {@code ns} and returns exit code and output without throwing. */
  public Result tryIn(String ns, int timeoutSeconds, String... cmd) throws IOException {
    return exec(timeoutSeconds, nsCmd(ns, cmd));
  }

  public record Result(int exit, String output) {}

  static String[] nsCmd(String ns, String... cmd) {
    String[] full = new String[cmd.length + 4];
    full[0] = "ip";
    full[1] = "netns";
    full[2] = "exec";
    full[3] = ns;
    System.arraycopy(cmd, 0, full, 4, cmd.length);
    return full;
  }

  public static Result exec(int timeoutSeconds, String... cmd) throws IOException {
    Process p = Tools.process(cmd).redirectErrorStream(true).start();
    try {
      if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        p.waitFor(5, TimeUnit.SECONDS);
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Result(-1, "timed out after " + timeoutSeconds + " s: " + out);
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
    return new Result(
        p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
  }

  /**
   * Starts a long-running process inside {@code ns}, output to {@code log}; killed by {@link
   * #close}.
   */
  public Process spawn(String ns, Path log, String... cmd) throws IOException {
    Process p =
        Tools.process(nsCmd(ns, cmd))
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .start();
    synchronized (processes) {
      processes.add(p);
    }
    return p;
  }

  /** Stops one process started by {@link #spawn}: SIGTERM, then SIGKILL after 5 s. */
  public void stop(Process p) {
    if (p == null) {
      return;
    }
    p.descendants().forEach(ProcessHandle::destroy);
    p.destroy();
    try {
      if (!p.waitFor(5, TimeUnit.SECONDS)) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        p.waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    synchronized (processes) {
      processes.remove(p);
    }
  }

  public static void waitFor(String what, int timeoutMs, java.util.function.BooleanSupplier cond) {
    long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
    while (!cond.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after " + timeoutMs + " ms waiting for " + what);
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted waiting for " + what);
      }
    }
  }

  public static Path uapiSocket(String iface) {
    return Path.of("/var/run/wireguard", iface + ".sock");
  }

  @Override
  public void close() {
    synchronized (logs) {
      logs.forEach(
          (label, log) -> {
            try {
              System.err.println("---- " + label + " log ----\n" + Files.readString(log));
            } catch (IOException e) {
              System.err.println("---- " + label + ": no log (" + e.getMessage() + ")");
            }
          });
    }
    List<Process> ps;
    synchronized (processes) {
      ps = new ArrayList<>(processes);
    }
    for (Process p : ps) {
      stop(p);
    }
    List<String> all = new ArrayList<>(List.of(nsA, nsB));
    synchronized (extra) {
      all.addAll(extra);
    }
    for (String ns : all) {
      try {
        exec(15, "ip", "netns", "del", ns);
        Path etc = Path.of("/etc/netns", ns);
        if (Files.exists(etc.resolve("hosts"))) {
          Files.delete(etc.resolve("hosts"));
          Files.deleteIfExists(etc);
          if (createdEtcNetns) {
            try (var left = Files.list(etc.getParent())) {
              if (left.findAny().isEmpty()) {
                Files.deleteIfExists(etc.getParent()); // /etc/netns itself: hostsFile created it
              }
            }
          }
        }
      } catch (IOException e) {
        System.err.println("cleanup: " + e);
      }
    }
    for (String i : ifaces) {
      try {
        Files.deleteIfExists(uapiSocket(i));
        Files.deleteIfExists(Path.of("/var/run/tessera", i + ".pid"));
        Files.deleteIfExists(
            Path.of("/var/run/tessera", i + ".rules")); // an agent killed on purpose
      } catch (IOException e) {
        System.err.println("cleanup: " + e);
      }
    }
    // Logs, configs and keys of this lab; -Dtessera.it.keep=true keeps them for debugging.
    if (!Boolean.getBoolean("tessera.it.keep")) {
      try (var files = Files.walk(dir)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      } catch (IOException e) {
        System.err.println("cleanup: " + e);
      }
    }
  }
}
