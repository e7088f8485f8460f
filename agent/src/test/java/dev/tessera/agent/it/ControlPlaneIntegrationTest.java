package dev.tessera.agent.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.agent.testing.NetnsLab;
import dev.tessera.agent.testing.TesseraNode;
import dev.tessera.bundle.SigningKey;
import dev.tessera.registry.AuthKeySpec;
import dev.tessera.registry.Database;
import dev.tessera.registry.Node;
import dev.tessera.registry.PolicyChecks;
import dev.tessera.registry.Registry;
import dev.tessera.registry.RegistryConfig;
import dev.tessera.server.ControlPlane;
import dev.tessera.server.PolicyServer;
import dev.tessera.server.PolicySource;
import dev.tessera.server.RegistrySource;
import dev.tessera.testsupport.Once;
import dev.tessera.testsupport.RequiresRoot;
import dev.tessera.testsupport.RequiresTools;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * A tailnet that assembles itself: a policy server with a registry (SQLite) and four agents that
 * join with auth keys and have no config file and no {@code [Peer]} at all.
 *
 * <pre>
 *   root netns: PolicyServer + Registry on U.1 ──veth── hub netns: bridge
 *     ├── laptop (alice@example.com's key,           U.10, reaches U only by its default route
 *     │           --accept-routes --exit-node exit)
 *     ├── web    (tag:server, --exit-node exit)      U.11
 *     ├── db     (tag:server; a later up:            U.12, 192.0.2.1 on lo
 *     │           --advertise-routes 192.0.2.0/24)
 *     └── exit   (tag:exit, --advertise-exit-node)   U.13, 203.0.113.7 on lo
 *                                                              U = 198.18.(100..199).0/24
 * </pre>
 *
 * Each agent enrolls (key made on the node, addresses from the registry), takes its filter and its
 * peers (keys, addresses, endpoints, routes) from its signed bundle, and reports its endpoints with
 * every poll. The tests run in order on one lab and tell one story: traffic passes exactly where
 * the policy allows (ICMP and TCP, both directions checked); the exit node carries the laptop's
 * internet traffic while the laptop keeps reaching the server and its peers' endpoints by its own
 * default route, and web's choice of an exit node that offers it none is refused (its internet
 * traffic is dropped); a policy change takes effect on the live tunnels; a route that db starts
 * advertising at a later {@code up} is approved by autoApprovers and reaches the laptop, which
 * accepts routes; a node deletion takes effect on the live tunnels; a key for a tag its creator no
 * longer owns is refused.
 *
 * <p>The control plane is a hook ({@link #startControlPlane}): here one in-process server on a
 * SQLite registry; a subclass runs the same suite against other control planes (two {@code policyc
 * serve} processes on PostgreSQL, one of them killed in between) and adds its own steps between the
 * ones here (orders are multiples of 10). The agents are given {@link #url} as {@code --server} and
 * the tests change the tailnet through {@link #registry} and {@link #policyFile}.
 */
@Tag("root")
@Tag("integration")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@RequiresRoot("creates network namespaces, a bridge and TUN devices")
@RequiresTools({"ip", "nc", "ping"})
public class ControlPlaneIntegrationTest {
  protected static final String USER = "alice@example.com";

  /** An address outside the tailnet, on the exit node (TEST-NET-3). */
  static final String INTERNET = "203.0.113.7";

  /** A subnet behind db (TEST-NET-1), and an address in it on db. */
  static final String SUBNET = "192.0.2.0/24";

  static final String IN_SUBNET = "192.0.2.1";

  private final Once setup = new Once();
  protected NetnsLab lab;
  protected String hub;

  /** The underlay's /24 as {@code 198.18.N.}; the servers listen on {@code under + "1"}. */
  protected String under;

  String serverLink;
  protected Path policyFile;

  /** The registry the tests change the tailnet through (the servers' database). */
  protected Registry registry;

  private PolicyServer server;

  /** What the agents are given as {@code --server}: one URL, or several separated by commas. */
  protected String url;

  protected final List<TesseraNode> agents = new ArrayList<>();
  protected Peer laptop;
  protected Peer web;
  protected Peer db;
  protected Peer exit;

  /** One joined node: its namespace, agent and the addresses the registry gave it. */
  protected record Peer(String name, String ns, TesseraNode agent, String ipv4) {}

  @BeforeEach
  void setUp() throws Exception {
    requireInstalled();
    setup.run(this::openLab);
  }

  /**
   * Skips (in CI: fails) each test whose control plane needs programs this machine lacks, before
   * any set-up runs; the SQLite control plane needs none.
   */
  protected void requireInstalled() {}

  protected static String policy(String serverRule, String spareOwner) {
    return """
        {
          "tagOwners": {
            "tag:server": ["%1$s"],
            "tag:exit": ["%1$s"],
            "tag:spare": ["%2$s"],
          },
          "autoApprovers": {"exitNode": ["tag:exit"], "routes": {"%4$s": ["tag:server"]}},
          "acls": [
            %3$s
            {"action": "accept", "src": ["%1$s"], "dst": ["autogroup:internet:*"]},
            {"action": "accept", "src": ["%1$s"], "dst": ["%4$s:*"]},
            {"action": "accept", "src": ["tag:server"], "dst": ["tag:server:5432"]},
          ],
        }
        """
        .formatted(USER, spareOwner, serverRule, SUBNET);
  }

  protected static final String LAPTOP_TO_SERVERS =
      "{\"action\": \"accept\", \"src\": [\"" + USER + "\"], \"dst\": [\"tag:server:*\"]},";

  void openLab() throws Exception {
    lab = new NetnsLab();
    // nsA is the hub with the bridge; nsB is the laptop. Addresses: a /24 of 198.18.0.0/15 (RFC
    // 2544) picked from the lab id, so concurrent labs do not collide in the root netns.
    int octet = 100 + Math.floorMod(lab.id.hashCode(), 100);
    under = "198.18." + octet + ".";
    hub = lab.nsA;
    lab.in(hub, "ip", "addr", "flush", "dev", "veth0");
    lab.in(hub, "ip", "link", "add", "br0", "type", "bridge");
    lab.in(hub, "ip", "link", "set", "br0", "up");
    lab.in(hub, "ip", "link", "set", "veth0", "master", "br0");
    lab.in(lab.nsB, "ip", "addr", "flush", "dev", "veth0");
    lab.in(lab.nsB, "ip", "addr", "add", under + "10/24", "dev", "veth0");
    serverLink = "tsp" + lab.id;
    NetnsLab.run(
        "ip", "link", "add", serverLink, "type", "veth", "peer", "name", "vs", "netns", hub);
    NetnsLab.run("ip", "addr", "add", under + "1/24", "dev", serverLink);
    NetnsLab.run("ip", "link", "set", serverLink, "up");
    lab.in(hub, "ip", "link", "set", "vs", "master", "br0");
    lab.in(hub, "ip", "link", "set", "vs", "up");
    policyFile = lab.dir.resolve("policy.hujson");
    write(policyFile, policy(LAPTOP_TO_SERVERS, USER));
    startControlPlane();
  }

  /**
   * Starts the control plane on {@code under + "1"} with {@link #policyFile}; sets {@link
   * #registry} and {@link #url}. Here: one server in this JVM on a SQLite registry.
   */
  protected void startControlPlane() throws Exception {
    int serverPort;
    try (java.net.ServerSocket s =
        new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName(under + "1"))) {
      serverPort = s.getLocalPort(); // the address is ours alone, so the port stays free
    }
    registry =
        new Registry(
            Database.open(lab.dir.resolve("registry.db").toString()),
            RegistryConfig.defaults(),
            Clock.systemUTC());
    server =
        new PolicyServer(
            new PolicyServer.Config(
                PolicySource.file(policyFile),
                new RegistrySource(registry, Clock.systemUTC()),
                new InetSocketAddress(under + "1", serverPort),
                SigningKey.generate(),
                lab.dir.resolve("server-state"),
                100),
            new ControlPlane.Settings(registry, Duration.ofMinutes(30), 1_000));
    server.start();
    url = "http://" + under + "1:" + serverPort;
  }

  /** Stops what {@link #startControlPlane} started. */
  protected void stopControlPlane() throws Exception {
    if (server != null) {
      server.close();
    }
    if (registry != null) {
      registry.close();
    }
  }

  /** The tag ownership under the policy in force, as the servers check it when a key is made. */
  protected PolicyChecks.TagOwnership tagOwners() {
    return server.checks().tags();
  }

  /** Whether the servers that answer agents enforce {@link #policyFile} as it is now. */
  protected boolean policyFileInForce() throws IOException {
    return server
        .status()
        .revision()
        .startsWith(PolicySource.file(policyFile).read().revision() + "+");
  }

  /** A namespace on the hub's bridge at {@code under + host}. */
  protected String onBridge(String role, int host) throws IOException {
    String ns = lab.namespace(role);
    String port = "v" + role;
    NetnsLab.run(
        "ip", "link", "add", port, "netns", hub, "type", "veth", "peer", "name", "veth0", "netns",
        ns);
    lab.in(hub, "ip", "link", "set", port, "master", "br0");
    lab.in(hub, "ip", "link", "set", port, "up");
    lab.in(ns, "ip", "addr", "add", under + host + "/24", "dev", "veth0");
    lab.in(ns, "ip", "link", "set", "veth0", "up");
    return ns;
  }

  @AfterAll
  void tearDown() throws Exception {
    for (TesseraNode a : agents) {
      a.stop();
    }
    stopControlPlane();
    if (lab != null) {
      lab.close();
      NetnsLab.exec(5, "ip", "link", "del", serverLink);
    }
  }

  protected String key(List<String> tags) throws Exception {
    return registry
        .createAuthKey(
            "admin",
            new AuthKeySpec(USER, tags, false, false, Optional.of(Duration.ofHours(1)), false),
            tagOwners())
        .secret();
  }

  protected Peer join(String role, String ns, String hostname, List<String> tags, String... extra)
      throws Exception {
    List<String> args =
        new ArrayList<>(List.of("--server", url, "--auth-key", key(tags), "--hostname", hostname));
    args.addAll(List.of(extra));
    TesseraNode a = up(role, ns, args.toArray(String[]::new));
    Node n = registry.node(hostname).orElseThrow();
    assertThat(n.tags()).isEqualTo(tags);
    Path state = lab.dir.resolve("state-" + role);
    assertThat(Files.readString(state.resolve("node.json"))).contains(n.ipv4());
    assertThat(Files.readString(state.resolve("node.key")).strip())
        .as("the private key stays on the node")
        .isNotEqualTo(n.publicKey());
    return new Peer(hostname, ns, a, n.ipv4());
  }

  /** {@code tessera-agent up} of the node {@code role} with its state directory. */
  protected TesseraNode up(String role, String ns, String... args) throws IOException {
    TesseraNode a =
        TesseraNode.join(lab, ns, lab.iface(role), lab.dir.resolve("state-" + role), args);
    agents.add(a);
    return a;
  }

  protected static void write(Path f, String text) throws IOException {
    Path tmp = f.resolveSibling(f.getFileName() + ".tmp");
    Files.writeString(tmp, text);
    Files.move(tmp, f, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  protected boolean tcp(Peer from, Peer to, int port) throws IOException {
    return lab.tryIn(from.ns(), 10, "nc", "-z", "-w", "2", to.ipv4(), Integer.toString(port)).exit()
        == 0;
  }

  protected static void eventually(String what, java.util.concurrent.Callable<Boolean> cond) {
    NetnsLab.waitFor(
        what,
        30_000,
        () -> {
          try {
            return cond.call();
          } catch (Exception e) {
            return false;
          }
        });
  }

  @Test
  @Order(10)
  void fourAgentsWithNoPeerSectionsJoinWithAuthKeys() throws Exception {
    // The laptop reaches the servers and its peers' endpoints only by its default route (on-link,
    // as a LAN behind a router would be): its exit node's full tunnel must keep both outside.
    lab.in(lab.nsB, "ip", "route", "del", under + "0/24", "dev", "veth0");
    lab.in(lab.nsB, "ip", "route", "add", "default", "dev", "veth0");
    laptop = join("l", lab.nsB, "laptop", List.of(), "--accept-routes", "--exit-node", "exit");
    web = join("w", onBridge("web", 11), "web", List.of("tag:server"), "--exit-node", "exit");
    db = join("d", onBridge("db", 12), "db", List.of("tag:server"));
    exit = join("x", onBridge("exit", 13), "exit", List.of("tag:exit"), "--advertise-exit-node");
    assertThat(List.of(laptop.ipv4(), web.ipv4(), db.ipv4(), exit.ipv4()))
        .doesNotHaveDuplicates()
        .allMatch(a -> a.startsWith("100."));
    assertThat(registry.node("exit").orElseThrow().approvedRoutes())
        .as("autoApprovers approves the exit node")
        .contains("0.0.0.0/0");
    for (Peer p : List.of(laptop, web, db, exit)) {
      lab.spawn(p.ns(), lab.dir.resolve(p.name() + "-5432.log"), "nc", "-lk", "5432");
      lab.spawn(p.ns(), lab.dir.resolve(p.name() + "-80.log"), "nc", "-lk", "80");
      lab.spawn(p.ns(), lab.dir.resolve(p.name() + "-22.log"), "nc", "-lk", "22");
    }
  }

  @Test
  @Order(20)
  void trafficPassesExactlyWhereThePolicyAllows() throws Exception {
    // Allowed: alice's laptop to the servers, anything; the servers to each other on 5432.
    eventually("laptop reaches web", () -> tcp(laptop, web, 80));
    Probes.ping(lab, laptop.ns(), web.ipv4());
    Probes.ping(lab, laptop.ns(), db.ipv4());
    assertThat(tcp(laptop, db, 5432)).isTrue();
    eventually("web reaches db on 5432", () -> tcp(web, db, 5432));
    assertThat(tcp(db, web, 5432)).isTrue();
    // Denied: the other ports between the servers (ICMP passes wherever some port does, as in
    // Tailscale), anything towards the laptop, the exit node's own address.
    assertThat(tcp(web, db, 80)).as("web -> db:80").isFalse();
    assertThat(tcp(db, web, 22)).as("db -> web:22").isFalse();
    assertThat(Probes.pingFails(lab, web.ns(), laptop.ipv4())).as("web pings laptop").isTrue();
    assertThat(tcp(db, laptop, 80)).as("db -> laptop:80").isFalse();
    assertThat(Probes.pingFails(lab, laptop.ns(), exit.ipv4())).as("laptop pings exit").isTrue();
    assertThat(tcp(web, exit, 80)).as("web -> exit:80").isFalse();
    // Nobody was configured with a peer: every one came from a bundle.
    for (Peer p : List.of(laptop, web, db, exit)) {
      assertThat(p.agent().status()).containsKey("policy_peers_from_bundle");
    }
  }

  @Test
  @Order(30)
  void theExitNodeCarriesTheLaptopsInternetTrafficAndNobodyElses() throws Exception {
    lab.in(exit.ns(), "ip", "addr", "add", INTERNET + "/32", "dev", "lo");
    eventually(
        "laptop reaches the internet through exit",
        () -> lab.tryIn(laptop.ns(), 10, "ping", "-c", "1", "-W", "2", INTERNET).exit() == 0);
    Probes.ping(lab, laptop.ns(), INTERNET);
    assertThat(laptop.agent().uapiGet()).contains("allowed_ip=0.0.0.0/0");
    assertThat(laptop.agent().status())
        .containsEntry("exit_node", "exit")
        .containsEntry("exit_node_state", "active");
    // The servers stay outside the tunnel (a rule ahead of the full tunnel's), so the laptop keeps
    // its control plane (the policy changes below reach it), and its peers' endpoints by the
    // fwmark on WireGuard's own datagrams.
    assertThat(lab.in(laptop.ns(), "ip", "-4", "rule", "show"))
        .contains("to " + under + "1 lookup main");
    Probes.ping(lab, laptop.ns(), web.ipv4());

    // web chose exit too, but the policy gives web no internet: exit is no peer of web, so web
    // refuses it and drops its internet traffic rather than sending it outside the tunnel.
    assertThat(web.agent().uapiGet()).doesNotContain("allowed_ip=0.0.0.0/0");
    assertThat(web.agent().status()).containsEntry("exit_node_state", "not-a-peer");
    assertThat(web.agent().logText()).contains("refusing exit node exit");
    assertThat(Probes.pingFails(lab, web.ns(), INTERNET)).as("web through exit").isTrue();
    assertThat(tcp(web, db, 5432)).as("web's tailnet is unaffected").isTrue();
  }

  @Test
  @Order(40)
  void aPolicyChangeTakesEffectOnTheLiveTunnels() throws Exception {
    // alice loses the servers; the servers may now reach each other on every port.
    write(
        policyFile,
        policy(
            "{\"action\": \"accept\", \"src\": [\"tag:server\"], \"dst\": [\"tag:server:*\"]},",
            USER));
    eventually("web reaches db on 80", () -> tcp(web, db, 80));
    // That is db's new filter; web takes its own from its own long-poll, a moment apart.
    eventually("db reaches web on 22", () -> tcp(db, web, 22));
    eventually("laptop loses web", () -> Probes.pingFails(lab, laptop.ns(), web.ipv4()));
    assertThat(tcp(laptop, db, 5432)).as("laptop -> db:5432").isFalse();
    // The internet through the exit node is untouched.
    Probes.ping(lab, laptop.ns(), INTERNET);
  }

  @Test
  @Order(45)
  void aRouteAdvertisedAtALaterUpReachesTheNodesThatAcceptRoutes() throws Exception {
    lab.in(db.ns(), "ip", "addr", "add", IN_SUBNET + "/32", "dev", "lo");
    assertThat(registry.node("db").orElseThrow().advertisedRoutes()).isEmpty();
    // db runs up again, without a key or a server, now advertising the subnet: its signed polls
    // carry it to the registry, autoApprovers approves it, and the laptop's bundle lists it.
    agents.remove(db.agent());
    db.agent().stop();
    db = new Peer("db", db.ns(), up("d", db.ns(), "--advertise-routes", SUBNET), db.ipv4());
    eventually(
        "db's route to be approved",
        () -> registry.node("db").orElseThrow().approvedRoutes().contains(SUBNET));
    assertThat(registry.node("db").orElseThrow().advertisedRoutes()).containsExactly(SUBNET);
    eventually(
        "laptop to route the subnet into its tunnel",
        () -> lab.in(laptop.ns(), "ip", "route", "show", SUBNET).contains(laptop.agent().iface));
    eventually(
        "laptop reaches the subnet through db",
        () -> lab.tryIn(laptop.ns(), 10, "ping", "-c", "1", "-W", "2", IN_SUBNET).exit() == 0);
    assertThat(laptop.agent().status()).containsEntry("accepted_routes", SUBNET);
    assertThat(db.agent().status()).containsEntry("advertised_routes", SUBNET);
    assertThat(Files.readString(lab.dir.resolve("state-d").resolve("node.json")))
        .as("kept for the next up")
        .contains(SUBNET);
  }

  @Test
  @Order(50)
  void aDeletedNodeIsCutFromEveryTunnel() throws Exception {
    assertThat(tcp(web, db, 5432)).isTrue();
    registry.delete("admin", "db");
    eventually("web loses db", () -> !tcp(web, db, 5432));
    assertThat(Probes.pingFails(lab, web.ns(), db.ipv4())).isTrue();
    assertThat(Probes.pingFails(lab, db.ns(), web.ipv4())).isTrue();
    // The rest of the tailnet is unaffected.
    Probes.ping(lab, laptop.ns(), INTERNET);
  }

  @Test
  @Order(60)
  void aKeyForATagItsCreatorNoLongerOwnsIsRefused() throws Exception {
    String spare = key(List.of("tag:spare"));
    write(
        policyFile,
        policy(
            "{\"action\": \"accept\", \"src\": [\"tag:server\"], \"dst\": [\"tag:server:*\"]},",
            "bob@example.com"));
    eventually("the servers to take the new tagOwners", this::policyFileInForce);
    Object before = registry.nodes();
    NetnsLab.Result r =
        lab.tryIn(
            web.ns(),
            60,
            TesseraNode.command(
                    List.of(
                        "--state-dir",
                        lab.dir.resolve("state-spare").toString(),
                        "--interface",
                        lab.iface("s"),
                        "--server",
                        url,
                        "--auth-key",
                        spare,
                        "--hostname",
                        "spare"))
                .toArray(String[]::new));
    assertThat(r.exit()).as(r.output()).isEqualTo(2);
    assertThat(r.output()).contains("tag-not-owned").contains("tag:spare");
    assertThat(registry.nodes()).isEqualTo(before);
  }
}
