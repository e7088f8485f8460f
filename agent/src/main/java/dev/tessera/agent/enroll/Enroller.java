package dev.tessera.agent.enroll;

import dev.tessera.agent.config.AgentConfig;
import dev.tessera.agent.config.RouteTable;
import dev.tessera.agent.crypto.WgKey;
import dev.tessera.agent.distribution.DistributionSettings;
import dev.tessera.bundle.SigningKey;
import dev.tessera.net.IpAddress;
import dev.tessera.net.IpCidr;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.Consumer;

/**
 * {@code tessera-agent up --server URL --auth-key KEY}: joins the tailnet, or rejoins it from the
 * state directory, and returns the config the agent then runs.
 *
 * <ol>
 *   <li>The WireGuard private key is made here and kept 0600 in the state directory; only its
 *       public half is ever sent.
 *   <li>The server's signing key: {@code --server-key}, or the one pinned in the state directory,
 *       or else fetched from {@code GET /v1/server-key} and pinned (trust on first use: see
 *       docs/control-plane.md for what that risks). A pinned key never changes silently: a
 *       different {@code --server-key} is refused.
 *   <li>Enrollment ({@code POST /v1/enroll}, signed with the new key) with the auth key, once: the
 *       identity the server assigns (name, addresses) is kept, and a restart with the same state
 *       directory re-uses key, name, addresses and port without any auth key.
 *   <li>The returned config has no {@code [Peer]}: its {@code [Tessera]} section points at the
 *       server, so the agent enforces and takes its peers from the signed bundles it pulls under
 *       the node's name.
 * </ol>
 *
 * <p>{@code --server} may name several servers of one control plane (the {@code policyc serve}
 * processes on one PostgreSQL database, sharing one signing key). They are tried in order: a server
 * that cannot be reached or fails (5xx) is left for the next; a refusal (4xx) stops. A key fetched
 * on first use must be the same at every server that answers. The list is pinned with the key and
 * goes into the config, so the running agent fails over the same way. Over HTTPS each server may
 * have a certificate of its own: every certificate given with {@code --server-cert} (repeated, or
 * several in one PEM file) is kept in one file and trusted for every server.
 */
public final class Enroller {
  public static final String DEFAULT_IFACE = "tessera0";

  private Enroller() {}

  /**
   * What {@code up} was asked. The route settings are those given on this command line (empty: not
   * given); {@link UpSettings} keeps them across runs.
   *
   * @param servers {@code --server}, each one URL or a comma-separated list of them: needed for the
   *     first up; a later one may leave it out (the pinned servers), or give a list that keeps at
   *     least one of the pinned servers (the pin then takes the new list)
   * @param authKey {@code --auth-key}: needed only to enroll
   * @param hostname {@code --hostname}; default the machine's host name
   * @param advertiseRoutes {@code --advertise-routes} (an empty list: advertise none)
   * @param advertiseExitNode {@code --advertise-exit-node[=false]}
   * @param acceptRoutes {@code --accept-routes[=false]}
   * @param exitNode {@code --exit-node NAME|IP}; an empty text ({@code --exit-node=}) clears it
   * @param iface {@code --interface}; default the enrolled one, else {@value #DEFAULT_IFACE}
   * @param port {@code --port}; default the enrolled one, else a free port chosen once
   * @param serverCerts {@code --server-cert}, each a PEM file of one or more certificates: all of
   *     them are kept in the state directory and each is trusted for every server; empty: the ones
   *     kept before, if any
   */
  public record Options(
      List<String> servers,
      Optional<String> authKey,
      Optional<String> hostname,
      Optional<List<String>> advertiseRoutes,
      Optional<Boolean> advertiseExitNode,
      Optional<Boolean> acceptRoutes,
      Optional<String> exitNode,
      Path stateDir,
      Optional<String> serverKey,
      List<Path> serverCerts,
      Optional<String> iface,
      OptionalInt port) {
    public Options {
      servers = List.copyOf(servers);
      serverCerts = List.copyOf(serverCerts);
      advertiseRoutes = advertiseRoutes.map(List::copyOf);
    }

    /** Enrollment's own settings only: routes to advertise (none: empty) and the exit offer. */
    public Options(
        List<String> servers,
        Optional<String> authKey,
        Optional<String> hostname,
        List<String> advertiseRoutes,
        boolean exitNode,
        Path stateDir,
        Optional<String> serverKey,
        List<Path> serverCerts,
        Optional<String> iface,
        OptionalInt port) {
      this(
          servers,
          authKey,
          hostname,
          advertiseRoutes.isEmpty() ? Optional.empty() : Optional.of(advertiseRoutes),
          exitNode ? Optional.of(true) : Optional.empty(),
          Optional.empty(),
          Optional.empty(),
          stateDir,
          serverKey,
          serverCerts,
          iface,
          port);
    }
  }

  /** The config to run, the interface to run it as, and the route settings in force. */
  public record Prepared(AgentConfig config, String iface, Identity identity, UpSettings settings) {
    /** What the agent does with its peers' routes and reports of its own. */
    public dev.tessera.agent.distribution.RoutingOptions routing() {
      return settings.routing();
    }
  }

  /** Enrolls if this state directory has no identity yet; returns the config to run. */
  public static Prepared prepare(Options o, Consumer<String> log) throws EnrollException {
    NodeState state = NodeState.at(o.stateDir());
    try {
      return prepare(o, state, log);
    } catch (IOException e) {
      throw new EnrollException(
          EnrollException.Kind.USAGE,
          "state",
          "state directory " + o.stateDir() + ": " + e.getMessage());
    }
  }

  private static Prepared prepare(Options o, NodeState state, Consumer<String> log)
      throws EnrollException, IOException {
    Optional<NodeState.Pin> pin = state.pin();
    Optional<Identity> known = state.identity();
    List<URI> servers = serversOf(o, pin);
    Optional<Path> cert;
    if (!o.serverCerts().isEmpty()) {
      List<java.security.cert.X509Certificate> certs = new ArrayList<>();
      for (Path f : o.serverCerts()) {
        if (!java.nio.file.Files.isReadable(f)) {
          throw usage("server-cert", "--server-cert: cannot read " + f);
        }
        try {
          certs.addAll(dev.tessera.bundle.TlsIdentity.certificates(f));
        } catch (IOException e) {
          throw usage("server-cert", "--server-cert " + e.getMessage());
        }
      }
      cert = Optional.of(state.saveServerCerts(certs));
    } else {
      cert = state.serverCert();
    }
    for (URI server : servers) {
      if (cert.isPresent() && !server.getScheme().equals("https")) {
        throw usage("server-cert", "--server-cert needs an https server, got " + server);
      }
    }
    UpSettings before = state.settings();
    UpSettings settings =
        before.with(o.advertiseRoutes(), o.advertiseExitNode(), o.acceptRoutes(), o.exitNode());
    if (known.isEmpty() && settings.advertiseRoutes().isEmpty()) {
      settings =
          settings.with(
              Optional.of(List.of()), Optional.empty(), Optional.empty(), Optional.empty());
    }
    checkSettings(settings, known);
    byte[] serverKey = serverKey(o, pin, servers, cert, state, log);
    WgKey key = state.loadOrCreateKey();

    Identity id;
    if (known.isPresent()) {
      id = known.get();
      if (o.iface().isPresent() && !o.iface().get().equals(id.iface())) {
        id =
            new Identity(
                id.name(),
                id.user(),
                id.tags(),
                id.ipv4(),
                id.ipv6(),
                id.listenPort(),
                o.iface().get());
        state.save(id, before);
      }
      if (!settings.equals(before)) {
        state.save(id, settings);
        logChanges(before, settings, log);
      }
      log.accept(
          "enrolled as "
              + id.name()
              + " ("
              + id.ipv4()
              + ", "
              + id.ipv6()
              + ") at "
              + list(servers)
              + "; re-using the key and addresses in "
              + state.dir()
              + (o.authKey().isPresent() ? " (--auth-key is not needed and was not used)" : ""));
    } else {
      String authKey =
          o.authKey()
              .orElseThrow(
                  () ->
                      usage(
                          "auth-key",
                          "this node is not enrolled yet (no "
                              + state.dir().resolve(NodeState.IDENTITY_FILE)
                              + "): give --auth-key KEY (from `policyc authkey create`)"));
      int port = o.port().isPresent() ? o.port().getAsInt() : freePort();
      String hostname = o.hostname().orElseGet(Enroller::machineHostname);
      EnrollClient.Request req =
          new EnrollClient.Request(
              authKey,
              hostname,
              settings.advertiseRoutes().orElse(List.of()),
              settings.advertiseExitNode(),
              port,
              localEndpoints(port),
              Map.of("node:os", System.getProperty("os.name", "linux").toLowerCase(Locale.ROOT)));
      Answered<EnrollClient.Enrolled> answer =
          firstAnswering(servers, cert, c -> c.enroll(key, serverKey, req), log);
      EnrollClient.Enrolled e = answer.value();
      id =
          new Identity(
              e.name(),
              e.user(),
              e.tags(),
              e.ipv4(),
              e.ipv6(),
              port,
              o.iface().orElse(DEFAULT_IFACE));
      state.save(id, settings);
      log.accept(
          "enrolled at "
              + answer.server()
              + " as "
              + id.name()
              + (id.tags().isEmpty()
                  ? id.user().map(u -> " (" + u + ")").orElse("")
                  : " " + id.tags())
              + ", addresses "
              + id.ipv4()
              + " and "
              + id.ipv6()
              + ", key expiry "
              + e.keyExpiry()
              + (settings.advertised().orElse(List.of()).isEmpty()
                  ? ""
                  : ", approved routes " + e.approvedRoutes()));
    }
    if (!settings.advertised().orElse(List.of()).isEmpty()) {
      forwardingNote(log);
    }
    return new Prepared(config(id, key, servers, serverKey, state, cert), id.iface(), id, settings);
  }

  /** What one of several servers answered, and which. */
  record Answered<T>(URI server, T value) {}

  /** A request to one server. */
  @FunctionalInterface
  interface Call<T> {
    T at(EnrollClient client) throws EnrollException;
  }

  /**
   * {@code call} at the first of {@code servers} that answers: a server that cannot be reached or
   * fails ({@link EnrollException.Kind#UNREACHABLE}) is logged and left for the next; any other
   * failure is final. When none answers, the last one's failure.
   */
  static <T> Answered<T> firstAnswering(
      List<URI> servers, Optional<Path> cert, Call<T> call, Consumer<String> log)
      throws EnrollException {
    EnrollException last = null;
    for (URI server : servers) {
      try (EnrollClient c = new EnrollClient(server, cert.orElse(null))) {
        return new Answered<>(server, call.at(c));
      } catch (EnrollException e) {
        if (e.kind() != EnrollException.Kind.UNREACHABLE || e.code().equals("interrupted")) {
          throw e;
        }
        if (servers.size() > 1) {
          log.accept(
              e.getMessage()
                  + (server.equals(servers.getLast()) ? "" : "; trying the next server"));
        }
        last = e;
      }
    }
    throw last;
  }

  private static String list(List<URI> servers) {
    return String.join(", ", servers.stream().map(URI::toString).toList());
  }

  /**
   * Refuses route settings that cannot work: a malformed route, a malformed exit node, this node as
   * its own exit node, or using an exit node while offering to be one (its default traffic would
   * leave through the tunnel that its clients' traffic arrives by).
   */
  static void checkSettings(UpSettings s, Optional<Identity> self) throws EnrollException {
    for (String r : s.advertiseRoutes().orElse(List.of())) {
      try {
        dev.tessera.net.IpPrefix.parse(r);
      } catch (IllegalArgumentException e) {
        throw usage("advertise-routes", "--advertise-routes: " + e.getMessage());
      }
    }
    if (s.exitNode().isEmpty()) {
      return;
    }
    String exit = s.exitNode().get();
    Optional<String> bad = dev.tessera.agent.distribution.RoutingOptions.checkExitNode(exit);
    if (bad.isPresent()) {
      throw usage("exit-node", bad.get());
    }
    if (s.advertiseExitNode()) {
      throw usage(
          "exit-node",
          "--exit-node "
              + exit
              + " and --advertise-exit-node exclude each other: a node either offers itself as"
              + " an exit node or uses one (--exit-node= or --advertise-exit-node=false)");
    }
    if (self.isPresent()) {
      Identity id = self.get();
      if (exit.equalsIgnoreCase(id.name())
          || sameAddress(exit, id.ipv4())
          || sameAddress(exit, id.ipv6())) {
        throw usage("exit-node", "--exit-node " + exit + " is this node itself");
      }
    }
  }

  private static boolean sameAddress(String a, String b) {
    var x = dev.tessera.net.IpAddress.tryParse(a);
    return x != null && x.equals(dev.tessera.net.IpAddress.tryParse(b));
  }

  /** Says what a later {@code up} changed in the route settings. */
  private static void logChanges(UpSettings before, UpSettings after, Consumer<String> log) {
    if (!before.advertised().equals(after.advertised())) {
      log.accept(
          "advertising "
              + (after.advertised().orElse(List.of()).isEmpty()
                  ? "no routes"
                  : after.advertised().get().toString())
              + " from now on: the server learns it with the next poll and approves it by"
              + " autoApprovers or `policyc nodes approve-routes`");
    }
    if (before.acceptRoutes() != after.acceptRoutes()) {
      log.accept(
          after.acceptRoutes()
              ? "accepting the peers' subnet routes (--accept-routes)"
              : "not accepting the peers' subnet routes any more");
    }
    if (!before.exitNode().equals(after.exitNode())) {
      log.accept(
          after.exitNode().map(e -> "exit node " + e + " (--exit-node)").orElse("no exit node"));
    }
  }

  /** The config the agent runs: the identity's addresses, no peers, the server as policy source. */
  static AgentConfig config(
      Identity id,
      WgKey key,
      List<URI> servers,
      byte[] serverKey,
      NodeState state,
      Optional<Path> cert)
      throws EnrollException {
    IpCidr v4 = IpCidr.tryParse((id.ipv4() + "/32").strip());
    IpCidr v6 = IpCidr.tryParse((id.ipv6() + "/128").strip());
    if (v4 == null || v6 == null) {
      throw new EnrollException(
          EnrollException.Kind.UNREACHABLE,
          "bad-answer",
          "the server assigned addresses that are not IPv4 and IPv6 addresses: "
              + id.ipv4()
              + ", "
              + id.ipv6());
    }
    List<IpCidr> addresses = List.of(v4, v6);
    return new AgentConfig(
        new AgentConfig.Interface(
            key,
            addresses,
            OptionalInt.of(id.listenPort()),
            OptionalInt.empty(),
            OptionalInt.empty(),
            RouteTable.AUTO),
        List.of(),
        new AgentConfig.Tessera(
            Optional.empty(),
            Optional.of(list(servers)),
            Optional.of(Base64.getEncoder().encodeToString(serverKey)),
            Optional.of(id.name()),
            Optional.of(state.dir()),
            cert,
            Optional.empty(),
            Optional.empty(),
            Optional.empty(),
            // an http:// --server was chosen explicitly; the agent warns about it at start
            servers.stream().anyMatch(u -> "http".equals(u.getScheme()))
                ? Optional.of("yes")
                : Optional.empty()));
  }

  private static List<URI> serversOf(Options o, Optional<NodeState.Pin> pin)
      throws EnrollException {
    if (o.servers().isEmpty()) {
      if (pin.isEmpty()) {
        throw usage("server", "give --server URL: this state directory belongs to no server yet");
      }
      return pin.get().servers().stream().map(URI::create).toList();
    }
    List<URI> servers;
    try {
      servers =
          DistributionSettings.parseServers(
              String.join(",", o.servers()), !o.serverCerts().isEmpty(), true);
    } catch (DistributionSettings.InvalidSettings e) {
      throw usage(
          "server",
          e.getMessage()
              .replace("[Tessera] PolicyServer", "--server")
              .replace("[Tessera] ServerCert", "--server-cert"));
    }
    if (pin.isPresent()
        && servers.stream().map(URI::toString).noneMatch(pin.get().servers()::contains)) {
      throw usage(
          "other-server",
          "the state directory belongs to "
              + String.join(", ", pin.get().servers())
              + ", not "
              + list(servers)
              + ": `tessera-agent logout` first, or use another --state-dir");
    }
    return servers;
  }

  private static byte[] serverKey(
      Options o,
      Optional<NodeState.Pin> pin,
      List<URI> servers,
      Optional<Path> cert,
      NodeState state,
      Consumer<String> log)
      throws EnrollException, IOException {
    byte[] given = null;
    if (o.serverKey().isPresent()) {
      try {
        given = SigningKey.parsePublicKey(o.serverKey().get().strip());
      } catch (IllegalArgumentException e) {
        throw usage("server-key", "--server-key: " + e.getMessage());
      }
    }
    List<String> names = servers.stream().map(URI::toString).toList();
    if (pin.isPresent()) {
      byte[] pinned = Base64.getDecoder().decode(pin.get().serverKey());
      if (given != null && !java.util.Arrays.equals(given, pinned)) {
        throw usage(
            "server-key-changed",
            "--server-key differs from the key pinned in "
                + state.dir().resolve(NodeState.PIN_FILE)
                + " ("
                + pin.get().serverKey()
                + "); if the server's key really changed, `tessera-agent logout` and enroll again");
      }
      if (!names.equals(pin.get().servers())) {
        // The key stays pinned: every server in the new list must sign with it.
        state.savePin(new NodeState.Pin(names, pin.get().serverKey()));
        log.accept(
            "servers are now "
                + list(servers)
                + " (were "
                + String.join(", ", pin.get().servers())
                + "); the pinned server key is unchanged");
      }
      return pinned;
    }
    byte[] key = given;
    if (key == null) {
      key = fetchServerKey(servers, cert, log);
      log.accept(
          "trusting server key "
              + Base64.getEncoder().encodeToString(key)
              + " as "
              + list(servers)
              + " gave it (first use; pinned in "
              + state.dir().resolve(NodeState.PIN_FILE)
              + ")"
              + (servers.stream().allMatch(u -> u.getScheme().equals("https"))
                  ? ""
                  : "; WARNING: over plain HTTP anyone on"
                      + " the path could have substituted it: compare it with the key `policyc serve`"
                      + " printed, or give --server-key"));
    }
    state.savePin(new NodeState.Pin(names, Base64.getEncoder().encodeToString(key)));
    return key;
  }

  /**
   * The signing key as every server that answers gives it ({@code GET /v1/server-key}): servers of
   * one control plane share one key, so two different keys mean a wrong {@code --server} and
   * nothing is trusted. A server that cannot be reached is skipped; none answering fails.
   */
  static byte[] fetchServerKey(List<URI> servers, Optional<Path> cert, Consumer<String> log)
      throws EnrollException {
    byte[] key = null;
    URI from = null;
    EnrollException unreachable = null;
    for (URI server : servers) {
      byte[] k;
      try (EnrollClient c = new EnrollClient(server, cert.orElse(null))) {
        k = c.fetchServerKey();
      } catch (EnrollException e) {
        if (e.kind() != EnrollException.Kind.UNREACHABLE || e.code().equals("interrupted")) {
          throw e;
        }
        if (servers.size() > 1) {
          log.accept(e.getMessage() + "; asking the other servers for the key");
        }
        unreachable = e;
        continue;
      }
      if (key == null) {
        key = k;
        from = server;
      } else if (!java.util.Arrays.equals(key, k)) {
        throw usage(
            "servers-disagree",
            from
                + " and "
                + server
                + " sign with different keys ("
                + Base64.getEncoder().encodeToString(key)
                + ", "
                + Base64.getEncoder().encodeToString(k)
                + "): the servers of one control plane share one signing key; check --server");
      }
    }
    if (key == null) {
      throw unreachable;
    }
    return key;
  }

  /**
   * A port the kernel says is free now, kept for the node's life. Not a fixed default: the agent's
   * UDP sockets use SO_REUSEPORT, so a second agent on the same machine binding the same fixed port
   * would succeed and silently share the first one's datagrams (seen with two agents started
   * together on one machine, both on 41641: each dropped the other's handshakes as invalid_mac1).
   */
  static int freePort() throws EnrollException {
    try (DatagramSocket s = new DatagramSocket(0)) {
      return s.getLocalPort();
    } catch (SocketException e) {
      throw new EnrollException(
          EnrollException.Kind.UNREACHABLE,
          "no-port",
          "cannot open a UDP socket: " + e.getMessage());
    }
  }

  /**
   * This machine's global addresses with the WireGuard port, as candidates for peers to reach it
   * (the server adds the source address it sees).
   */
  static List<String> localEndpoints(int port) {
    List<String> out = new ArrayList<>();
    try {
      for (NetworkInterface ni : NetworkInterface.networkInterfaces().toList()) {
        if (!ni.isUp() || ni.isLoopback() || ni.isPointToPoint()) {
          continue;
        }
        for (InetAddress a : ni.inetAddresses().toList()) {
          if (a.isLinkLocalAddress()
              || a.isLoopbackAddress()
              || a.isMulticastAddress()
              || inTailnetPools(a)) {
            continue;
          }
          if (a instanceof Inet4Address) {
            out.add(a.getHostAddress() + ":" + port);
          } else if (a instanceof Inet6Address) {
            out.add("[" + IpAddress.of(a).toMixedString() + "]:" + port);
          }
          if (out.size() >= 8) {
            return out;
          }
        }
      }
    } catch (SocketException e) {
      // no interface list: the server's observed address still gives one endpoint
    }
    return out;
  }

  /**
   * An address of the registry's default pools (100.64.0.0/10, fd7a:115c:a1e0::/48): another
   * agent's tunnel address on this machine, never a way to reach this node from outside.
   */
  static boolean inTailnetPools(InetAddress a) {
    byte[] b = a.getAddress();
    if (b.length == 4) {
      return (b[0] & 0xff) == 100 && (b[1] & 0xc0) == 64;
    }
    return (b[0] & 0xff) == 0xfd
        && (b[1] & 0xff) == 0x7a
        && (b[2] & 0xff) == 0x11
        && (b[3] & 0xff) == 0x5c
        && (b[4] & 0xff) == 0xa1
        && (b[5] & 0xff) == 0xe0;
  }

  /** The machine's host name as a DNS label: first label, lower case, other characters as '-'. */
  static String machineHostname() {
    String h;
    try {
      h = InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      h = System.getenv().getOrDefault("HOSTNAME", "node");
    }
    return sanitize(h);
  }

  static String sanitize(String hostname) {
    String first = hostname.strip().toLowerCase(Locale.ROOT);
    int dot = first.indexOf('.');
    if (dot > 0) {
      first = first.substring(0, dot);
    }
    String label = first.replaceAll("[^a-z0-9-]", "-").replaceAll("^-+|-+$", "");
    if (label.length() > 63) {
      label = label.substring(0, 63).replaceAll("-+$", "");
    }
    return label.isEmpty() ? "node" : label;
  }

  /** Routes and exit traffic need the kernel to forward: say so when it does not. */
  private static void forwardingNote(Consumer<String> log) {
    try {
      String v4 = java.nio.file.Files.readString(Path.of("/proc/sys/net/ipv4/ip_forward")).strip();
      if (v4.equals("0")) {
        log.accept(
            "note: IP forwarding is off (net.ipv4.ip_forward=0): advertised routes and exit"
                + " traffic are not forwarded until it is on (and NAT set up for an exit node)");
      }
    } catch (IOException e) {
      // not Linux: nothing to check
    }
  }

  private static EnrollException usage(String code, String message) {
    return new EnrollException(EnrollException.Kind.USAGE, code, message);
  }

  /** Leaves the tailnet: deletes the node on the server, then the local state. */
  public static Identity logout(Path stateDir, Consumer<String> log) throws EnrollException {
    NodeState state = NodeState.at(stateDir);
    try {
      Optional<NodeState.Pin> pin = state.pin();
      Optional<Identity> id = state.identity();
      Optional<WgKey> key = state.key();
      if (pin.isEmpty() || id.isEmpty() || key.isEmpty()) {
        throw usage(
            "not-enrolled",
            "nothing to log out: " + stateDir + " holds no enrolled node (node.json, node.key)");
      }
      byte[] serverKey = Base64.getDecoder().decode(pin.get().serverKey());
      Answered<Boolean> a =
          firstAnswering(
              pin.get().servers().stream().map(URI::create).toList(),
              state.serverCert(),
              c -> {
                c.logout(id.get().name(), key.get(), serverKey);
                return true;
              },
              log);
      log.accept("node " + id.get().name() + " deleted at " + a.server());
      return id.get();
    } catch (IOException e) {
      throw new EnrollException(
          EnrollException.Kind.USAGE,
          "state",
          "state directory " + stateDir + ": " + e.getMessage());
    }
  }

  /** Deletes the local state of a logged-out node; returns the files deleted. */
  public static List<Path> forget(Path stateDir) throws EnrollException {
    try {
      return NodeState.at(stateDir).clear();
    } catch (IOException e) {
      throw new EnrollException(
          EnrollException.Kind.UNREACHABLE,
          "state",
          "cannot delete the state in " + stateDir + ": " + e.getMessage());
    }
  }
}
