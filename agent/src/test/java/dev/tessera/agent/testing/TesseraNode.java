package dev.tessera.agent.testing;

import dev.tessera.agent.crypto.WgKey;
import dev.tessera.agent.uapi.UapiServer;
import dev.tessera.testsupport.ChildJvm;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A Tessera agent running as a child JVM inside a lab namespace ({@code ip netns exec NS java
 * ...}): a JVM thread cannot reliably switch network namespace, a child process started inside one
 * can. The child runs {@code dev.tessera.agent.AgentMain} from the test's own class path.
 */
public final class TesseraNode {
  public final NetnsLab lab;
  public final String ns;
  public final String iface;
  public final Process process;
  public final Path log;

  /** {@code ADDR:PORT} of the agent's Prometheus endpoint inside {@link #ns}, or null when off. */
  public final String metricsListen;

  private TesseraNode(
      NetnsLab lab, String ns, String iface, Process process, Path log, String metricsListen) {
    this.lab = lab;
    this.ns = ns;
    this.iface = iface;
    this.process = process;
    this.log = log;
    this.metricsListen = metricsListen;
  }

  /** Writes {@code config} to a file and starts the agent; waits until its UAPI socket answers. */
  public static TesseraNode start(
      NetnsLab lab, String ns, String iface, String config, Path filter, String... jvmProps)
      throws IOException {
    return startWithMetrics(lab, ns, iface, config, filter, null, jvmProps);
  }

  /**
   * As {@link #start}, with {@code --metrics-listen metricsListen} (an {@code ADDR:PORT} inside
   * {@code ns}; null: off); {@link #scrape} reads the endpoint.
   */
  public static TesseraNode startWithMetrics(
      NetnsLab lab,
      String ns,
      String iface,
      String config,
      Path filter,
      String metricsListen,
      String... jvmProps)
      throws IOException {
    Path conf = lab.dir.resolve(iface + ".conf");
    Files.writeString(conf, config);
    List<String> args = new ArrayList<>(List.of("--config", conf.toString(), "--interface", iface));
    if (filter != null) {
      args.add("--filter");
      args.add(filter.toString());
    }
    return launch(lab, ns, iface, args, metricsListen, jvmProps);
  }

  /**
   * Starts an agent that joins a control plane ({@code AgentMain --state-dir DIR ...}, as {@code
   * tessera-agent up --server URL --auth-key KEY}) with no config file; waits until its UAPI socket
   * answers. {@code args} are the enrollment options ({@code --server}, {@code --auth-key}, ...).
   */
  public static TesseraNode join(
      NetnsLab lab, String ns, String iface, Path stateDir, String... args) throws IOException {
    List<String> all =
        new ArrayList<>(List.of("--state-dir", stateDir.toString(), "--interface", iface));
    all.addAll(List.of(args));
    return launch(lab, ns, iface, all, null);
  }

  /** The command line of an agent child JVM running {@code AgentMain} with {@code mainArgs}. */
  public static List<String> command(List<String> mainArgs, String... jvmProps) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("--enable-native-access=ALL-UNNAMED");
    cmd.add("-XX:+UseParallelGC");
    cmd.add("-Xmx256m");
    cmd.addAll(List.of(jvmProps));
    cmd.add("-cp");
    cmd.add(ChildJvm.classPath());
    cmd.add("dev.tessera.agent.AgentMain");
    cmd.addAll(mainArgs);
    return cmd;
  }

  private static TesseraNode launch(
      NetnsLab lab,
      String ns,
      String iface,
      List<String> mainArgs,
      String metricsListen,
      String... jvmProps)
      throws IOException {
    Path log = lab.dir.resolve(iface + ".agent.log");
    List<String> cmd = new ArrayList<>(mainArgs);
    if (metricsListen != null) {
      cmd.add("--metrics-listen");
      cmd.add(metricsListen);
    }
    Process p = lab.spawn(ns, log, command(cmd, jvmProps).toArray(String[]::new));
    lab.dumpOnClose("agent " + iface, log);
    TesseraNode n = new TesseraNode(lab, ns, iface, p, log, metricsListen);
    try {
      NetnsLab.waitFor(
          "Tessera agent " + iface + " to come up",
          30_000,
          () -> !p.isAlive() || (n.answers() && n.metricsAnswer()));
    } catch (AssertionError e) {
      throw new IOException(e.getMessage() + "; log:\n" + n.logText());
    }
    if (!p.isAlive()) {
      throw new IOException("agent exited with " + p.exitValue() + "; log:\n" + n.logText());
    }
    return n;
  }

  private boolean answers() {
    try {
      return UapiServer.query(NetnsLab.uapiSocket(iface), "get=1\n\n").contains("errno=0");
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * Whether the metrics endpoint answers (true when the agent runs without one). The agent opens it
   * just after its UAPI socket, so an agent is up when both answer.
   */
  private boolean metricsAnswer() {
    if (metricsListen == null) {
      return true;
    }
    try {
      scrape();
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  public String logText() {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  /** UAPI get=1 as key=value lines. */
  public String uapiGet() throws IOException {
    return UapiServer.query(NetnsLab.uapiSocket(iface), "get=1\n\n");
  }

  /** Tessera status (filter mode, drop counters) as a map. */
  public Map<String, String> status() throws IOException {
    Map<String, String> m = new LinkedHashMap<>();
    for (String line : UapiServer.query(NetnsLab.uapiSocket(iface), "tessera=1\n\n").split("\n")) {
      int eq = line.indexOf('=');
      if (eq > 0) {
        m.put(line.substring(0, eq), line.substring(eq + 1));
      }
    }
    return m;
  }

  /** The agent's {@code /metrics}, fetched with curl inside its namespace. */
  public Scrape scrape() throws IOException {
    if (metricsListen == null) {
      throw new IllegalStateException("agent " + iface + " was started without --metrics-listen");
    }
    return Scrape.take(lab, ns, "http://" + metricsListen + "/metrics");
  }

  public long counter(String key) throws IOException {
    return Long.parseLong(status().getOrDefault(key, "0"));
  }

  public void forceRekey() throws IOException {
    String r = UapiServer.query(NetnsLab.uapiSocket(iface), "tessera-rekey=1\n\n");
    if (!r.contains("errno=0")) {
      throw new IOException("rekey failed: " + r);
    }
  }

  /** SIGTERM and wait; returns the exit code. */
  public int stop() {
    process.destroy();
    try {
      if (!process.waitFor(15, java.util.concurrent.TimeUnit.SECONDS)) {
        lab.stop(process);
        return -1;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    lab.stop(process);
    return process.exitValue();
  }

  /** A {@code [Peer]} section to append to a {@link #config}. */
  public static String peer(String publicB64, String allowed, String endpoint) {
    return "\n[Peer]\nPublicKey = "
        + publicB64
        + "\nAllowedIPs = "
        + allowed
        + "\n"
        + (endpoint == null ? "" : "Endpoint = " + endpoint + "\n");
  }

  /**
   * Adds {@code lines} (e.g. {@code "Table = off"}) to the [Interface] section of a {@link
   * #config}.
   */
  public static String withInterfaceLines(String config, String... lines) {
    int at = config.indexOf("\n[Peer]");
    return config.substring(0, at) + "\n" + String.join("\n", lines) + config.substring(at);
  }

  /** SIGKILL, as a crash: the agent cleans nothing up. */
  public void kill() {
    process.destroyForcibly();
    try {
      process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    lab.stop(process);
  }

  /**
   * The usual node A: tunnel address {@code TUN_A/24}, port 51820, one peer B at {@code TUN_B/32}
   * reached at {@code UNDER_B:51821} (see {@link WgGo#peerOfA}).
   */
  public static String configA(WgKey a, WgKey b) {
    return config(
        a.toBase64(),
        NetnsLab.TUN_A + "/24",
        51820,
        b.publicKey().toBase64(),
        NetnsLab.TUN_B + "/32",
        NetnsLab.UNDER_B + ":51821",
        0);
  }

  /** A wg-quick config for this lab. */
  public static String config(
      String privateKeyB64,
      String address,
      int listenPort,
      String peerPublicB64,
      String peerAllowed,
      String peerEndpoint,
      int keepalive) {
    StringBuilder sb = new StringBuilder();
    sb.append("[Interface]\nPrivateKey = ")
        .append(privateKeyB64)
        .append("\nAddress = ")
        .append(address)
        .append("\nListenPort = ")
        .append(listenPort)
        .append("\nMTU = 1420\n\n[Peer]\nPublicKey = ")
        .append(peerPublicB64)
        .append("\nAllowedIPs = ")
        .append(peerAllowed)
        .append('\n');
    if (peerEndpoint != null) {
      sb.append("Endpoint = ").append(peerEndpoint).append('\n');
    }
    if (keepalive > 0) {
      sb.append("PersistentKeepalive = ").append(keepalive).append('\n');
    }
    return sb.toString();
  }
}
