package dev.tessera.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.bundle.BundleClient;
import dev.tessera.bundle.BundlePeer;
import dev.tessera.bundle.BundleVerifier;
import dev.tessera.bundle.PeerEndpoints;
import dev.tessera.bundle.PollReport;
import dev.tessera.registry.Node;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Over real HTTP with a registry: each node's signed bundle lists exactly the peers its filter lets
 * it talk to (either direction), each with its key, addresses, allowed routes (approved subnet
 * routes and exit-node default routes only where the policy lets the node use them) and the
 * endpoints the registry recorded; endpoints reported with a poll reach the peers' bundles as a new
 * version, and a report that changed nothing changes no version.
 */
class PeerBundleServerTest {
  static final String POLICY =
      """
      {
        "acls": [
          {"action": "accept", "src": ["alice@acme.com"], "dst": ["tag:web:443", "autogroup:internet:*"]},
          {"action": "accept", "src": ["tag:web"], "dst": ["tag:db:5432", "10.1.0.0/16:*"]},
        ],
        "tagOwners": {"tag:web": ["alice@acme.com"], "tag:db": ["alice@acme.com"],
                      "tag:exit": ["alice@acme.com"], "tag:lone": ["alice@acme.com"]},
        "autoApprovers": {"routes": {"10.1.0.0/16": ["tag:db"]}, "exitNode": ["tag:exit"]},
      }
      """;

  static final List<String> NODES = List.of("laptop", "web", "db", "exit", "lone");

  @TempDir Path dir;
  final RegistryServerTest harness = new RegistryServerTest();
  final Map<String, byte[]> keys = new TreeMap<>();

  @BeforeEach
  void start() throws Exception {
    harness.dir = dir;
    harness.start();
    Files.writeString(dir.resolve("policy.hujson"), POLICY);
    harness.server.pollNow();
    for (int i = 0; i < NODES.size(); i++) {
      keys.put(NODES.get(i), PolicyServerTest.seed(10 + i));
    }
    enroll("laptop", List.of(), Map.of());
    enroll("web", List.of("tag:web"), Map.of());
    enroll("db", List.of("tag:db"), Map.of("advertiseRoutes", List.of("10.1.0.0/16")));
    enroll("exit", List.of("tag:exit"), Map.of("exitNode", true));
    enroll("lone", List.of("tag:lone"), Map.of());
    harness.server.pollNow();
  }

  @AfterEach
  void stop() throws Exception {
    harness.stop();
  }

  void enroll(String name, List<String> tags, Map<String, Object> extra) throws Exception {
    var r = harness.enroll(harness.authKey(tags, false), keys.get(name), name, extra);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
  }

  /** One poll as {@code node}, reporting {@code report} (null: nothing); the bundle it got. */
  BundleVerifier.Verified poll(String node, Supplier<PollReport> report) throws Exception {
    List<BundleVerifier.Verified> got = new CopyOnWriteArrayList<>();
    var config =
        new BundleClient.Config(
                harness.base,
                node,
                keys.get(node),
                harness.key.publicKey(),
                dir.resolve("agent-" + node + ".bundle"),
                0)
            .withReport(report);
    try (BundleClient c = new BundleClient(config, got::add)) {
      assertThat(c.pollOnce()).as("a first poll gets the bundle").isTrue();
    }
    return got.getLast();
  }

  /** name -> "AllowedIPs | endpoints" of each peer in the node's bundle. */
  Map<String, String> peersOf(String node) throws Exception {
    Map<String, String> out = new TreeMap<>();
    BundleVerifier.Verified v = poll(node, null);
    for (BundlePeer p : v.peers()) {
      Node n = harness.registry.node(p.name()).orElseThrow();
      assertThat(p.publicKey()).isEqualTo(n.publicKey());
      assertThat(p.addresses())
          .extracting(Object::toString)
          .containsExactlyInAnyOrder(n.ipv4() + "/32", n.ipv6() + "/128");
      out.put(
          p.name(),
          p.routes().stream().map(Object::toString).sorted().toList()
              + " | "
              + p.endpoints().stream().map(PeerEndpoints::format).toList());
    }
    return out;
  }

  @Test
  void eachBundleListsExactlyThePeersItsFilterAllowsWithRoutesAndEndpoints() throws Exception {
    String enrolled = "[127.0.0.1:41641]"; // the observed source address and the listen port
    assertThat(peersOf("laptop"))
        .containsExactlyEntriesOf(
            new TreeMap<>(
                Map.of(
                    "web", "[] | " + enrolled,
                    "exit", "[0.0.0.0/0, ::/0] | " + enrolled)));
    assertThat(peersOf("web"))
        .containsExactlyEntriesOf(
            new TreeMap<>(
                Map.of("laptop", "[] | " + enrolled, "db", "[10.1.0.0/16] | " + enrolled)));
    assertThat(peersOf("db"))
        .containsExactlyEntriesOf(new TreeMap<>(Map.of("web", "[] | " + enrolled)));
    assertThat(peersOf("exit"))
        .containsExactlyEntriesOf(new TreeMap<>(Map.of("laptop", "[] | " + enrolled)));
    assertThat(peersOf("lone")).isEmpty();
  }

  Map<String, Long> versions() {
    Map<String, Long> out = new TreeMap<>();
    for (String n : NODES) {
      out.put(n, harness.server.store().get(n).version());
    }
    return out;
  }

  void awaitEndpoints(String node, List<String> want) throws Exception {
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (!harness.registry.node(node).orElseThrow().endpoints().equals(want)
        && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(harness.registry.node(node).orElseThrow().endpoints()).isEqualTo(want);
  }

  @Test
  void reportedEndpointsReachThePeersBundlesAndAnUnchangedReportChurnsNothing() throws Exception {
    Map<String, Long> before = versions();
    PollReport moved =
        new PollReport(
            51820,
            List.of(
                new InetSocketAddress(java.net.InetAddress.ofLiteral("2001:db8::7"), 51820),
                new InetSocketAddress(java.net.InetAddress.ofLiteral("192.0.2.7"), 51820)),
            Map.of("node:os", "linux", "node:tsVersion", "1.2.3"));
    poll("web", () -> moved);
    List<String> want = List.of("192.0.2.7:51820", "[2001:db8::7]:51820", "127.0.0.1:51820");
    awaitEndpoints("web", want);
    assertThat(harness.registry.node("web").orElseThrow().posture())
        .containsEntry("node:os", "linux")
        .containsEntry("node:tsVersion", "1.2.3");

    harness.server.pollNow();
    Map<String, Long> after = versions();
    List<String> bumped = new ArrayList<>();
    for (String n : NODES) {
      if (after.get(n) > before.get(n)) {
        bumped.add(n);
      } else {
        assertThat(after.get(n)).as(n).isEqualTo(before.get(n));
      }
    }
    assertThat(bumped).as("exactly the nodes with web as a peer").containsExactly("laptop", "db");
    assertThat(peersOf("laptop")).containsEntry("web", "[] | " + want);
    assertThat(peersOf("db")).containsEntry("web", "[] | " + want);

    // The same report again (through the registry's refresh too): nothing changes.
    poll("web", () -> moved);
    harness.server.pollNow();
    harness.server.pollNow();
    assertThat(versions()).isEqualTo(after);

    // A node that stops reporting an endpoint: peers get the shorter list.
    PollReport fewer = new PollReport(51820, List.of(), Map.of("node:os", "linux"));
    poll("web", () -> fewer);
    awaitEndpoints("web", List.of("127.0.0.1:51820"));
    harness.server.pollNow();
    assertThat(peersOf("laptop")).containsEntry("web", "[] | [127.0.0.1:51820]");
    assertThat(versions().get("laptop")).isGreaterThan(after.get("laptop"));
    assertThat(versions().get("exit")).isEqualTo(before.get("exit"));
  }

  void awaitAdvertised(String node, List<String> want) throws Exception {
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (!harness.registry.node(node).orElseThrow().advertisedRoutes().equals(want)
        && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(harness.registry.node(node).orElseThrow().advertisedRoutes()).isEqualTo(want);
  }

  static PollReport advertising(String... routes) {
    return new PollReport(
        41641,
        List.of(),
        Map.of(),
        java.util.Optional.of(
            java.util.Arrays.stream(routes).map(dev.tessera.net.IpPrefix::parse).toList()));
  }

  @Test
  void routesAdvertisedAfterEnrollmentAreApprovedAgainAndReachTheBundles() throws Exception {
    String enrolled = "[127.0.0.1:41641]";
    // The exit node stops offering itself: laptop loses it as an exit node (and as a peer).
    poll("exit", () -> advertising());
    awaitAdvertised("exit", List.of());
    assertThat(harness.registry.node("exit").orElseThrow().approvedRoutes()).isEmpty();
    harness.server.pollNow();
    assertThat(peersOf("laptop")).containsExactlyEntriesOf(Map.of("web", "[] | " + enrolled));

    // It offers itself again: autoApprovers (exitNode: tag:exit) approves it at once.
    poll("exit", () -> advertising("::/0", "0.0.0.0/0"));
    awaitAdvertised("exit", List.of("0.0.0.0/0", "::/0"));
    harness.server.pollNow();
    assertThat(peersOf("laptop")).containsEntry("exit", "[0.0.0.0/0, ::/0] | " + enrolled);

    // db adds a route no autoApprover covers: advertised, not approved, not in web's bundle.
    poll("db", () -> advertising("10.1.0.0/16", "10.2.0.0/16"));
    awaitAdvertised("db", List.of("10.1.0.0/16", "10.2.0.0/16"));
    assertThat(harness.registry.node("db").orElseThrow().approvedRoutes())
        .containsExactly("10.1.0.0/16");
    // lone offers an exit node nobody approves: nothing changes for anyone's bundle.
    poll("lone", () -> advertising("0.0.0.0/0", "::/0"));
    awaitAdvertised("lone", List.of("0.0.0.0/0", "::/0"));
    assertThat(harness.registry.node("lone").orElseThrow().approvedRoutes()).isEmpty();
    harness.server.pollNow();
    assertThat(peersOf("web")).containsEntry("db", "[10.1.0.0/16] | " + enrolled);
    assertThat(peersOf("laptop")).doesNotContainKey("lone");

    // A report without advertise= keeps what was advertised.
    poll("db", () -> new PollReport(41641, List.of(), Map.of("node:os", "linux")));
    Thread.sleep(200);
    assertThat(harness.registry.node("db").orElseThrow().advertisedRoutes())
        .containsExactly("10.1.0.0/16", "10.2.0.0/16");
  }
}
