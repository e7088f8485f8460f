package dev.tessera.cli;

import dev.tessera.agent.Agent;
import dev.tessera.agent.AgentOptions;
import dev.tessera.agent.config.AgentConfig;
import dev.tessera.agent.config.ConfigParser;
import dev.tessera.agent.config.ConfigProblem;
import dev.tessera.agent.uapi.UapiServer;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code tessera-agent}: runs the userspace WireGuard agent.
 *
 * <ul>
 *   <li>{@code up --config wg0.conf [--filter FILE] [--interface NAME]}: foreground; the interface
 *       is named after the config file as with wg-quick; SIGTERM/SIGINT (or {@code down}) stop it.
 *   <li>{@code up --server URL --auth-key KEY [--hostname H] [--advertise-routes P,...]
 *       [--advertise-exit-node] [--accept-routes] [--exit-node NAME|IP] [--state-dir DIR]}: joins
 *       the tailnet of a control plane ({@code policyc serve} with a registry) and runs with no
 *       config file; later {@code up [--state-dir DIR]} rejoins from the state directory without a
 *       key, with the route settings kept there unless given again ({@code
 *       dev.tessera.agent.enroll}).
 *   <li>{@code logout [--state-dir DIR]}: deletes the node on the server, stops its agent and
 *       forgets the local state.
 *   <li>{@code down IFACE}: stops the agent of that interface (pid file, SIGTERM, waits).
 *   <li>{@code show [IFACE]}: {@code wg show}-like status plus the enforcer's drop counters, read
 *       over the UAPI socket (stock {@code wg show} works too).
 * </ul>
 *
 * Exit codes: 0 ok, 1 runtime failure, 2 usage or config error.
 */
@Command(
    name = "tessera-agent",
    mixinStandardHelpOptions = true,
    description =
        "Userspace WireGuard agent that enforces a Tessera compiled filter on every decrypted packet.",
    subcommands = {
      TesseraAgent.Up.class,
      TesseraAgent.Down.class,
      TesseraAgent.Show.class,
      TesseraAgent.Logout.class,
      CommandLine.HelpCommand.class
    })
public final class TesseraAgent implements Callable<Integer> {
  /** The agent's exit codes, as its help and man page print them. */
  static final Map<String, String> EXIT_CODES =
      Map.of(
          "0", "ok (up: stopped by SIGTERM, SIGINT or down)",
          "1",
              "runtime failure: the interface could not be brought up, no agent running, the agent or the server cannot be reached",
          "2",
              "usage error, a config file or state directory that cannot be read or has errors, or an auth key or node the server refuses (unknown, used, expired, revoked, tag not owned): retrying unchanged cannot help, so systemd does not restart on it",
          "3", "internal error, a bug (TESSERA_DEBUG=1 shows the trace)");

  @Option(
      names = "--uapi-dir",
      hidden = true,
      description = "UAPI socket directory (default /var/run/wireguard)")
  Path uapiDir = UapiServer.DEFAULT_DIR;

  @Option(
      names = "--run-dir",
      hidden = true,
      description = "pid file directory (default /var/run/tessera)")
  Path runDir = AgentOptions.DEFAULT_RUN_DIR;

  /** The command tree, with the help, exit codes and error handling policyc has too. */
  public static CommandLine commandLine() {
    return PolicyC.configure(
        new CommandLine(new TesseraAgent()), new java.util.TreeMap<>(EXIT_CODES));
  }

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().usage(System.err);
    return 2;
  }

  /** Operational messages of {@code up}: SLF4J (dated, levelled lines on stderr by default). */
  static void log(String msg) {
    LOG.accept(msg);
  }

  private static final java.util.function.Consumer<String> LOG =
      dev.tessera.agent.AgentLog.consumer();

  @Command(
      name = "up",
      description = {
        "Bring up the interface (runs in the foreground): from a wg-quick style config, or by joining a tailnet.",
        "With --server and --auth-key the agent makes its WireGuard key (kept 0600 in --state-dir, never",
        "sent), enrolls at the control plane (`policyc serve` with a registry), gets its name and",
        "addresses, and takes its filter and peers from the signed bundles it pulls. Later runs with",
        "the same --state-dir re-use key, name and addresses and need no auth key. Without",
        "--server-key the server's key is fetched once and pinned (see docs/control-plane.md)."
      })
  static final class Up implements Callable<Integer> {
    @CommandLine.ParentCommand TesseraAgent parent;

    @Option(
        names = {"-c", "--config"},
        paramLabel = "FILE",
        description = "wg-quick style config (wg0.conf); not with --server")
    Path config;

    @Option(
        names = {"-f", "--filter"},
        paramLabel = "FILE",
        description = "compiled filter to enforce (overrides [Tessera] FilterFile)")
    Path filter;

    @Option(
        names = {"-i", "--interface"},
        paramLabel = "NAME",
        description =
            "interface name (default: config file name without .conf; when joining: the enrolled one, else "
                + dev.tessera.agent.enroll.Enroller.DEFAULT_IFACE
                + ")")
    String iface;

    @Option(
        names = "--metrics-listen",
        paramLabel = "ADDR:PORT",
        description = "serve Prometheus metrics at http://ADDR:PORT/metrics (default: off)")
    String metricsListen;

    @Option(
        names = "--flow-log",
        paramLabel = "FILE",
        description =
            "write a JSON line per new flow, accepted or denied, to FILE (rolled at 16 MiB, 5 old"
                + " files kept; overrides [Tessera] FlowLog; default: off)")
    Path flowLog;

    @Option(
        names = "--server",
        split = ",",
        paramLabel = "URL",
        description =
            "control plane to join: http(s)://HOST:PORT or HOST:PORT; several (repeated or"
                + " comma-separated) for the servers of one control plane, tried in order")
    List<String> servers = new ArrayList<>();

    @Option(
        names = "--auth-key",
        paramLabel = "KEY",
        description =
            "auth key from `policyc authkey create` (or file:PATH to read it from a file); only needed to enroll")
    String authKey;

    @Option(
        names = "--hostname",
        paramLabel = "NAME",
        description = "name to ask for (default: this machine's host name)")
    String hostname;

    @Option(
        names = "--advertise-routes",
        split = ",",
        paramLabel = "PREFIX",
        description =
            "subnet routes to offer the tailnet (approved by autoApprovers or an admin); kept for"
                + " later runs, a later run with other routes sends them to the server;"
                + " --advertise-routes= offers none")
    List<String> advertiseRoutes;

    @Option(
        names = "--advertise-exit-node",
        arity = "0..1",
        fallbackValue = "true",
        paramLabel = "BOOL",
        description = "offer this node as an exit node (=false: stop offering it); kept")
    Boolean exitNode;

    @Option(
        names = "--accept-routes",
        arity = "0..1",
        fallbackValue = "true",
        paramLabel = "BOOL",
        description =
            "route the peers' approved subnet routes into the tunnel (default off, as Tailscale on"
                + " Linux; =false: stop); kept")
    Boolean acceptRoutes;

    @Option(
        names = "--exit-node",
        paramLabel = "NAME|IP",
        description =
            "send default traffic through this peer (its name or tunnel address); the server and"
                + " the WireGuard endpoints stay outside the tunnel; a peer offering no exit route is"
                + " refused and default traffic dropped; --exit-node= clears it; kept")
    String useExitNode;

    @Option(
        names = "--state-dir",
        paramLabel = "DIR",
        description =
            "where the key, the identity and the last good bundle are kept (default ${DEFAULT-VALUE})")
    Path stateDir = dev.tessera.agent.distribution.DistributionSettings.DEFAULT_STATE_DIR;

    @Option(
        names = "--server-key",
        paramLabel = "BASE64",
        description =
            "the server's public key (`policyc serve` prints it); default: trusted on first use and pinned")
    String serverKey;

    @Option(
        names = "--server-cert",
        split = ",",
        paramLabel = "FILE",
        description =
            "the server's certificate to pin for HTTPS (`policyc keygen --tls`); servers with"
                + " certificates of their own: one per server (repeated or comma-separated, or"
                + " several in one PEM file), each trusted for every server; kept in the state"
                + " directory")
    List<Path> serverCerts = new ArrayList<>();

    @Option(
        names = "--port",
        paramLabel = "N",
        description =
            "WireGuard UDP port of a new node (default: a free port chosen at enrollment); kept across restarts")
    Integer port;

    @Override
    public Integer call() {
      boolean joining =
          !servers.isEmpty()
              || authKey != null
              || (config == null
                  && Files.exists(stateDir.resolve("node.json"))); // a node enrolled before rejoins
      if (config != null && joining) {
        System.err.println(
            "tessera-agent up: --config runs a config file; --server/--auth-key join a tailnet: give one of them");
        return 2;
      }
      if (config != null
          && (advertiseRoutes != null
              || exitNode != null
              || acceptRoutes != null
              || useExitNode != null)) {
        System.err.println(
            "tessera-agent up: --advertise-routes, --advertise-exit-node, --accept-routes and"
                + " --exit-node are for a node that joins a tailnet (--server), not with --config");
        return 2;
      }
      if (!joining) {
        if (config == null) {
          System.err.println(
              "tessera-agent up: give --config FILE, or --server URL --auth-key KEY to join a tailnet"
                  + " (no node is enrolled in "
                  + stateDir
                  + ")");
          return 2;
        }
        return runConfig();
      }
      if (filter != null) {
        System.err.println(
            "tessera-agent up: --filter does not go with --server: the filter comes from the server's signed bundles");
        return 2;
      }
      String key;
      try {
        key = authKey == null ? null : readAuthKey(authKey);
      } catch (IOException e) {
        System.err.println("tessera-agent up: --auth-key " + authKey + ": " + e.getMessage());
        return 2;
      }
      dev.tessera.agent.enroll.Enroller.Prepared p;
      try {
        p =
            dev.tessera.agent.enroll.Enroller.prepare(
                new dev.tessera.agent.enroll.Enroller.Options(
                    servers,
                    Optional.ofNullable(key),
                    Optional.ofNullable(hostname),
                    Optional.ofNullable(advertiseRoutes),
                    Optional.ofNullable(exitNode),
                    Optional.ofNullable(acceptRoutes),
                    Optional.ofNullable(useExitNode),
                    stateDir,
                    Optional.ofNullable(serverKey),
                    serverCerts,
                    Optional.ofNullable(iface),
                    port == null ? java.util.OptionalInt.empty() : java.util.OptionalInt.of(port)),
                TesseraAgent::log);
      } catch (dev.tessera.agent.enroll.EnrollException e) {
        System.err.println("tessera-agent up: " + e.getMessage());
        return e.exitCode();
      }
      AgentOptions opts =
          AgentOptions.defaults(p.iface(), TesseraAgent::log)
              .withDirs(parent.uapiDir, parent.runDir)
              .withRouting(p.routing());
      if (metricsListen != null) {
        opts = opts.withMetricsListen(ServeCommand.parseAddress(metricsListen));
      }
      if (flowLog != null) {
        opts = opts.withFlowLog(flowLog);
      }
      return Agent.runForeground(p.config(), opts);
    }

    /** {@code file:PATH} reads the key from a file (keeps it out of the process list). */
    static String readAuthKey(String value) throws IOException {
      if (!value.startsWith("file:")) {
        return value;
      }
      return Files.readString(Path.of(value.substring(5))).strip();
    }

    private Integer runConfig() {
      ConfigParser.Result r = ConfigParser.parse(config);
      for (ConfigProblem p : r.problems()) {
        System.err.println(p);
      }
      if (!r.ok()) {
        return 2;
      }
      AgentConfig cfg = r.config().orElseThrow();
      String name = iface != null ? iface : AgentOptions.ifaceFromConfig(config);
      AgentOptions opts = AgentOptions.defaults(name, TesseraAgent::log).withFilter(filter);
      opts = opts.withDirs(parent.uapiDir, parent.runDir);
      if (metricsListen != null) {
        opts = opts.withMetricsListen(ServeCommand.parseAddress(metricsListen));
      }
      if (flowLog != null) {
        opts = opts.withFlowLog(flowLog);
      }
      return Agent.runForeground(cfg, opts);
    }
  }

  @Command(
      name = "logout",
      description = {
        "Leave the tailnet: delete this node on the server, stop its agent and forget its key.",
        "The request is signed with the node's key; the node leaves every peer's bundle at the",
        "server's next compilation. The local state (key, identity, bundles) is deleted only once",
        "the server has deleted the node."
      })
  static final class Logout implements Callable<Integer> {
    @CommandLine.ParentCommand TesseraAgent parent;

    @Option(
        names = "--state-dir",
        paramLabel = "DIR",
        description = "the node's state directory (default ${DEFAULT-VALUE})")
    Path stateDir = dev.tessera.agent.distribution.DistributionSettings.DEFAULT_STATE_DIR;

    @Override
    public Integer call() {
      dev.tessera.agent.enroll.Identity id;
      try {
        id = dev.tessera.agent.enroll.Enroller.logout(stateDir, TesseraAgent::log);
      } catch (dev.tessera.agent.enroll.EnrollException e) {
        System.err.println("tessera-agent logout: " + e.getMessage());
        return e.exitCode();
      }
      Path pid = AgentOptions.pidFile(parent.runDir, id.iface());
      if (Files.exists(pid)) {
        Down down = new Down();
        down.parent = parent;
        down.target = id.iface();
        down.call(); // a stopped or stale agent is fine: the node is gone either way
      }
      try {
        dev.tessera.agent.enroll.Enroller.forget(stateDir);
      } catch (dev.tessera.agent.enroll.EnrollException e) {
        System.err.println("tessera-agent logout: " + e.getMessage());
        return e.exitCode();
      }
      System.out.println("logged out " + id.name() + "; its state in " + stateDir + " is deleted");
      return 0;
    }
  }

  @Command(name = "down", description = "Stop the agent running an interface.")
  static final class Down implements Callable<Integer> {
    @CommandLine.ParentCommand TesseraAgent parent;

    @Parameters(
        index = "0",
        paramLabel = "IFACE",
        description = "interface name, or a config file (wg0.conf)")
    String target;

    @Override
    public Integer call() {
      String name =
          target.endsWith(".conf") ? AgentOptions.ifaceFromConfig(Path.of(target)) : target;
      Path pid = AgentOptions.pidFile(parent.runDir, name);
      long p;
      try {
        p = Long.parseLong(Files.readString(pid).strip());
      } catch (IOException | NumberFormatException e) {
        System.err.println(
            "tessera-agent: no agent running for " + name + " (no readable " + pid + ")");
        return 1;
      }
      Optional<ProcessHandle> h = ProcessHandle.of(p);
      if (h.isEmpty() || !h.get().isAlive()) {
        System.err.println(
            "tessera-agent: stale pid file " + pid + " (process " + p + " is gone); removing it");
        try {
          Files.deleteIfExists(pid);
        } catch (IOException e) {
          // best effort
        }
        return 1;
      }
      String cmd = h.get().info().commandLine().orElse("");
      if (!cmd.isEmpty() && !cmd.contains("java")) {
        System.err.println(
            "tessera-agent: pid "
                + p
                + " in "
                + pid
                + " is not a Java process ("
                + cmd
                + "); not killing it");
        return 1;
      }
      h.get().destroy(); // SIGTERM: the agent's shutdown hook removes the interface, socket and pid
      // file
      try {
        h.get().onExit().get(15, java.util.concurrent.TimeUnit.SECONDS);
      } catch (Exception e) {
        System.err.println("tessera-agent: " + name + " (pid " + p + ") did not stop within 15 s");
        return 1;
      }
      System.out.println("stopped " + name + " (pid " + p + ")");
      return 0;
    }
  }

  @Command(
      name = "show",
      description = "Show interface status, peers and the enforcer's drop counters.")
  static final class Show implements Callable<Integer> {
    @CommandLine.ParentCommand TesseraAgent parent;

    @Parameters(
        index = "0",
        arity = "0..1",
        paramLabel = "IFACE",
        description = "interface (default: every running Tessera agent)")
    String iface;

    @Override
    public Integer call() {
      List<String> names = new ArrayList<>();
      if (iface != null) {
        names.add(iface);
      } else {
        try (Stream<Path> s = Files.list(parent.runDir)) {
          s.map(p -> p.getFileName().toString())
              .filter(n -> n.endsWith(".pid"))
              .map(n -> n.substring(0, n.length() - 4))
              .sorted()
              .forEach(names::add);
        } catch (IOException e) {
          // no run dir: nothing running
        }
        if (names.isEmpty()) {
          System.err.println("tessera-agent: no running agents");
          return 1;
        }
      }
      int rc = 0;
      for (String n : names) {
        rc |= show(n, System.out);
      }
      return rc;
    }

    int show(String name, PrintStream out) {
      Path sock = UapiServer.socketPath(parent.uapiDir, name);
      String get;
      String status;
      try {
        get = UapiServer.query(sock, "get=1\n\n");
        status = UapiServer.query(sock, "tessera=1\n\n");
      } catch (IOException e) {
        System.err.println(
            "tessera-agent: cannot reach " + name + " at " + sock + ": " + e.getMessage());
        return 1;
      }
      out.print(StatusFormat.format(name, get, status, System.currentTimeMillis() / 1000));
      return 0;
    }
  }

  /** Renders UAPI get + tessera status like {@code wg show}, then the drop counters. */
  static final class StatusFormat {
    private StatusFormat() {}

    static String format(String name, String get, String status, long nowSeconds) {
      StringBuilder sb = new StringBuilder();
      sb.append("interface: ").append(name).append('\n');
      List<Map<String, List<String>>> peers = new ArrayList<>();
      Map<String, List<String>> device = new LinkedHashMap<>();
      Map<String, List<String>> cur = device;
      for (String line : get.split("\n")) {
        int eq = line.indexOf('=');
        if (eq < 0) {
          continue;
        }
        String k = line.substring(0, eq);
        String v = line.substring(eq + 1);
        if (k.equals("public_key")) {
          cur = new LinkedHashMap<>();
          peers.add(cur);
        }
        cur.computeIfAbsent(k, x -> new ArrayList<>()).add(v);
      }
      if (device.containsKey("private_key")) {
        byte[] priv = java.util.HexFormat.of().parseHex(device.get("private_key").getFirst());
        sb.append("  public key: ")
            .append(dev.tessera.agent.crypto.WgKey.of(priv).publicKey().toBase64())
            .append('\n');
        java.util.Arrays.fill(priv, (byte) 0);
        sb.append("  private key: (hidden)\n");
      }
      one(device, "listen_port")
          .ifPresent(v -> sb.append("  listening port: ").append(v).append('\n'));
      Map<String, String> st = new LinkedHashMap<>();
      for (String line : status.split("\n")) {
        int eq = line.indexOf('=');
        if (eq > 0 && !line.startsWith("errno=")) {
          st.put(line.substring(0, eq), line.substring(eq + 1));
        }
      }
      String mode = st.getOrDefault("filter_mode", "?");
      sb.append("  filter: ")
          .append(
              switch (mode) {
                case "allow_all" -> "NONE - allowing all traffic (plain WireGuard mode)";
                case "fail_closed" ->
                    "FAILING CLOSED (dropping all "
                        + (st.containsKey("drop_outbound_filter-unavailable")
                            ? "inbound and outbound"
                            : "inbound")
                        + ") - "
                        + st.getOrDefault("filter_error", "");
                case "enforce" ->
                    (st.containsKey("bundle_server")
                            ? "policy bundle v" + st.get("bundle_version")
                            : st.getOrDefault("filter_file", ""))
                        + " (sha256 "
                        + st.getOrDefault("filter_sha256", "")
                            .substring(
                                0, Math.min(12, st.getOrDefault("filter_sha256", "").length()))
                        + ")";
                default -> mode;
              })
          .append('\n');
      appendDistribution(sb, st, nowSeconds);
      for (Map<String, List<String>> p : peers) {
        String pub =
            java.util.Base64.getEncoder()
                .encodeToString(java.util.HexFormat.of().parseHex(p.get("public_key").getFirst()));
        sb.append("\npeer: ").append(pub).append('\n');
        one(p, "endpoint").ifPresent(v -> sb.append("  endpoint: ").append(v).append('\n'));
        List<String> ips = p.getOrDefault("allowed_ip", List.of());
        sb.append("  allowed ips: ")
            .append(ips.isEmpty() ? "(none)" : String.join(", ", ips))
            .append('\n');
        long hs = Long.parseLong(one(p, "last_handshake_time_sec").orElse("0"));
        if (hs > 0) {
          sb.append("  latest handshake: ")
              .append(Math.max(0, nowSeconds - hs))
              .append(" seconds ago\n");
        }
        sb.append("  transfer: ")
            .append(one(p, "rx_bytes").orElse("0"))
            .append(" B received, ")
            .append(one(p, "tx_bytes").orElse("0"))
            .append(" B sent\n");
        String dropsPrefix = "peer_drop_" + p.get("public_key").getFirst() + "_";
        StringBuilder peerDrops = new StringBuilder();
        for (Map.Entry<String, String> e : st.entrySet()) {
          if (e.getKey().startsWith(dropsPrefix)) {
            String reason = e.getKey().substring(dropsPrefix.length());
            peerDrops
                .append(peerDrops.isEmpty() ? "" : ", ")
                .append(reason)
                .append(' ')
                .append(e.getValue())
                .append(" (")
                .append(dev.tessera.agent.metrics.DropDirection.ofStatusName(reason))
                .append(')');
          }
        }
        if (!peerDrops.isEmpty()) {
          sb.append("  drops: ").append(peerDrops).append('\n');
        }
        String filterPrefix = "peer_filter_drop_" + p.get("public_key").getFirst() + "_";
        StringBuilder filterDrops = new StringBuilder();
        for (Map.Entry<String, String> e : st.entrySet()) {
          if (e.getKey().startsWith(filterPrefix)) {
            String[] dirReason = e.getKey().substring(filterPrefix.length()).split("_", 2);
            filterDrops
                .append(filterDrops.isEmpty() ? "" : ", ")
                .append(dirReason[1])
                .append(' ')
                .append(e.getValue())
                .append(" (")
                .append(dirReason[0])
                .append(')');
          }
        }
        if (!filterDrops.isEmpty()) {
          sb.append("  filter drops: ").append(filterDrops).append('\n');
        }
        String ka = one(p, "persistent_keepalive_interval").orElse("0");
        if (!ka.equals("0")) {
          sb.append("  persistent keepalive: every ").append(ka).append(" seconds\n");
        }
      }
      sb.append("\ndrops (inbound, after decryption):\n");
      boolean any = false;
      for (Map.Entry<String, String> e : st.entrySet()) {
        if (e.getKey().startsWith("drop_") && !e.getValue().equals("0")) {
          sb.append("  ")
              .append(e.getKey().substring(5).replace('_', ' '))
              .append(": ")
              .append(e.getValue())
              .append('\n');
          any = true;
        }
      }
      if (!any) {
        sb.append("  (none)\n");
      }
      wireguardDrops(sb, st, "wireguard drops (from the network, before decryption):", "inbound");
      wireguardDrops(sb, st, "wireguard drops (from the TUN, before encryption):", "outbound");
      wireguardDrops(sb, st, "wireguard drops (either way):", "both");
      return sb.toString();
    }

    /**
     * The WireGuard core's non-zero drop counters of one direction ({@code no_route} is outbound);
     * none: "(none)".
     */
    static void wireguardDrops(
        StringBuilder sb, Map<String, String> st, String heading, String direction) {
      StringBuilder lines = new StringBuilder();
      for (Map.Entry<String, String> e : st.entrySet()) {
        if (e.getKey().startsWith("wg_drop_")
            && !e.getValue().equals("0")
            && dev.tessera.agent.metrics.DropDirection.ofStatusName(e.getKey().substring(8))
                .equals(direction)) {
          lines
              .append("  ")
              .append(e.getKey().substring(8))
              .append(": ")
              .append(e.getValue())
              .append('\n');
        }
      }
      if (!lines.isEmpty() || !direction.equals("both")) {
        sb.append(heading).append('\n').append(lines.isEmpty() ? "  (none)\n" : lines);
      }
    }

    /**
     * Signed filter distribution ([Tessera] PolicyServer): source, bundle in force, refusals, last
     * error.
     */
    static void appendDistribution(StringBuilder sb, Map<String, String> st, long nowSeconds) {
      if (!st.containsKey("bundle_server")) {
        return;
      }
      sb.append("  policy server: ")
          .append(st.get("bundle_server"))
          .append(" as node ")
          .append(st.getOrDefault("bundle_node", "?"))
          .append(st.containsKey("bundle_servers") ? " (of " + st.get("bundle_servers") + ")" : "")
          .append('\n');
      String version = st.getOrDefault("bundle_version", "0");
      if (version.equals("0")) {
        sb.append("  bundle: none received yet (failing closed)\n");
      } else {
        long applied = Long.parseLong(st.getOrDefault("bundle_applied_at_ms", "0")) / 1000;
        sb.append("  bundle: v")
            .append(version)
            .append(", revision ")
            .append(st.getOrDefault("bundle_revision", "?"))
            .append(", applied ")
            .append(Math.max(0, nowSeconds - applied))
            .append(" seconds ago\n");
        if (st.containsKey("policy_peers_admitted")) {
          sb.append("  peers by policy: ")
              .append(st.get("policy_peers_admitted"))
              .append(" admitted, ")
              .append(st.getOrDefault("policy_peers_excluded", "0"))
              .append(" excluded")
              .append(
                  st.containsKey("policy_peers_from_bundle")
                      ? ", " + st.get("policy_peers_from_bundle") + " from the bundle"
                      : "")
              .append('\n');
        }
      }
      appendRouting(sb, st);
      StringBuilder why = new StringBuilder();
      for (Map.Entry<String, String> e : st.entrySet()) {
        if (e.getKey().startsWith("bundle_refused_")) {
          why.append(why.isEmpty() ? "" : ", ")
              .append(e.getKey().substring("bundle_refused_".length()))
              .append(' ')
              .append(e.getValue());
        }
      }
      sb.append("  bundles refused: ")
          .append(st.getOrDefault("bundle_refused", "0"))
          .append(why.isEmpty() ? "" : " (" + why + ")")
          .append('\n');
      if (st.containsKey("bundle_error")) {
        sb.append("  last error: ").append(st.get("bundle_error")).append('\n');
      }
    }

    /**
     * The exit node in use, the accepted subnet routes, the routes this node advertises and the
     * server's refusal of them.
     */
    static void appendRouting(StringBuilder sb, Map<String, String> st) {
      if (st.containsKey("exit_node")) {
        sb.append("  exit node: ")
            .append(st.get("exit_node"))
            .append(
                switch (st.getOrDefault("exit_node_state", "")) {
                  case "active" -> " (default traffic goes through it)";
                  case "no-exit-route" ->
                      " (REFUSED: it offers this node no exit route; default traffic is dropped)";
                  case "not-a-peer" ->
                      " (REFUSED: not a peer of this node; default traffic is dropped)";
                  default -> " (no bundle yet; default traffic is dropped)";
                })
            .append('\n');
      }
      if (st.containsKey("accept_routes")) {
        String accepted = st.getOrDefault("accepted_routes", "");
        sb.append("  accepted routes: ")
            .append(accepted.isEmpty() ? "(none offered)" : accepted.replace(",", ", "))
            .append(
                st.containsKey("local_routes")
                    ? "; not routed, on this machine's own network: "
                        + st.get("local_routes").replace(",", ", ")
                    : "")
            .append('\n');
      }
      if (st.containsKey("advertised_routes")) {
        String routes = st.get("advertised_routes");
        sb.append("  advertised routes: ")
            .append(routes.isEmpty() ? "(none)" : routes.replace(",", ", "))
            .append('\n');
      }
      if (st.containsKey("advertise_refused")) {
        sb.append("  advertised routes REFUSED by the policy server: ")
            .append(st.get("advertise_refused"))
            .append(" (it keeps the routes it had before)\n");
      }
    }

    private static Optional<String> one(Map<String, List<String>> m, String k) {
      List<String> v = m.get(k);
      return v == null || v.isEmpty() ? Optional.empty() : Optional.of(v.getFirst());
    }
  }
}
