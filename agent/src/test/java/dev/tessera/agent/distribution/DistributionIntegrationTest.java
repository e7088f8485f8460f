package dev.tessera.agent.distribution;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.agent.crypto.WgKey;
import dev.tessera.agent.testing.NetnsLab;
import dev.tessera.agent.testing.Scrape;
import dev.tessera.agent.testing.TesseraNode;
import dev.tessera.agent.testing.WgGo;
import dev.tessera.bundle.SigningKey;
import dev.tessera.server.PolicyServer;
import dev.tessera.server.PolicySource;
import dev.tessera.server.metrics.ServerMetrics;
import dev.tessera.testsupport.Once;
import dev.tessera.testsupport.RequiresRoot;
import dev.tessera.testsupport.RequiresTools;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Signed filter distribution end to end, in network namespaces:
 *
 * <pre>
 *   root netns: PolicyServer (in this JVM) on 198.19.X.1 ──veth── nsA: ctl0 198.19.X.2
 *   nsA: Tessera agent (node "a", 10.213.0.1) ══WireGuard over veth0══ nsB: wireguard-go (node "b", 10.213.0.2)
 *                                             ══════════════════════════ nsB: wireguard-go (node "x", 10.214.0.3)
 * </pre>
 *
 * The policy server is reachable over the underlay only (as it must be: a failing-closed tunnel
 * carries nothing). The tests run in order on one lab and tell one story: no bundle ever received
 * means nothing gets in; the first bundle opens exactly the allowed ports; a policy change is
 * enforced within a second while an established connection on a still-allowed port keeps flowing
 * and one on a revoked port is cut; a restart with the server down keeps the last good filter.
 */
@Tag("root")
@Tag("integration")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@RequiresRoot("creates network namespaces, TUN devices and runs wireguard-go")
@RequiresTools({"ip", "wireguard-go", "wg", "nc", "ping", "sh", "curl"})
class DistributionIntegrationTest {
  static final Once SETUP = new Once();
  static final WgKey KA = WgKey.generatePrivate(new SecureRandom());
  static final WgKey KB = WgKey.generatePrivate(new SecureRandom());
  static final WgKey KX = WgKey.generatePrivate(new SecureRandom());
  static final String TUN_X = "10.214.0.3";
  static final SigningKey SERVER_KEY = SigningKey.generate();

  static NetnsLab lab;
  static String ctlLink;
  static String serverIp;
  static int serverPort;
  static String iface;
  static Path policyFile;
  static PolicyServer server;
  static HTTPServer serverMetrics;
  static String serverMetricsUrl;
  static TesseraNode agent;

  @BeforeEach
  void setUp() throws Exception {
    SETUP.run(DistributionIntegrationTest::openLab);
  }

  static void openLab() throws Exception {
    lab = new NetnsLab();
    // Control link root <-> nsA for the policy server. A /30 inside 198.18.0.0/15 (RFC 2544), its
    // third octet derived from the lab id so concurrent labs do not collide in the root netns.
    int octet = 1 + Math.floorMod(lab.id.hashCode(), 250);
    serverIp = "198.19." + octet + ".1";
    ctlLink = "tsp" + lab.id;
    NetnsLab.run(
        "ip", "link", "add", ctlLink, "type", "veth", "peer", "name", "ctl0", "netns", lab.nsA);
    NetnsLab.run("ip", "addr", "add", serverIp + "/30", "dev", ctlLink);
    NetnsLab.run("ip", "link", "set", ctlLink, "up");
    lab.in(lab.nsA, "ip", "addr", "add", "198.19." + octet + ".2/30", "dev", "ctl0");
    lab.in(lab.nsA, "ip", "link", "set", "ctl0", "up");
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getByName(serverIp))) {
      serverPort = s.getLocalPort(); // the address is ours alone, so the port stays free
    }

    policyFile = lab.dir.resolve("policy.hujson");
    write(policyFile, policy(5001, 5002));
    writeInventory(true);

    WgGo.peerOfA(lab, KB, KA, true);
    // Node x: a second wireguard-go in nsB with its own tunnel subnet; traffic from 10.214.0.3 to a
    // is routed into x's interface by a source rule (b's interface owns 10.213.0.0/24 in nsB).
    String gx = lab.iface("gx");
    WgGo x = WgGo.start(lab, lab.nsB, gx, KX.toBase64(), 51822, TUN_X);
    x.setPeer(KA.publicKey().toBase64(), NetnsLab.TUN_A + "/32", NetnsLab.UNDER_A + ":51820", 0);
    lab.in(lab.nsB, "ip", "route", "add", NetnsLab.TUN_A + "/32", "dev", gx, "table", "214");
    lab.in(lab.nsB, "ip", "rule", "add", "from", TUN_X, "table", "214");
    for (int port : new int[] {5001, 5002, 5003}) {
      lab.spawn(
          lab.nsA, lab.dir.resolve("srv" + port + ".log"), "nc", "-lk", Integer.toString(port));
    }
    iface = lab.iface("ta");
  }

  @AfterAll
  static void tearDown() throws IOException {
    if (agent != null) {
      agent.stop();
    }
    if (serverMetrics != null) {
      serverMetrics.close();
    }
    if (server != null) {
      server.close();
    }
    if (lab != null) {
      lab.close(); // kills clients, listeners, wireguard-go; deleting nsA also deletes ctl0 and
      // its peer
      NetnsLab.exec(
          5, "ip", "link", "del", ctlLink); // in case the namespace outlived its processes
    }
  }

  static void writeInventory(boolean withX) throws IOException {
    write(
        lab.dir.resolve("inventory.yaml"),
        """
        users:
          - {login: alice@example.com, role: member}
        nodes:
          - {name: a, tags: [tag:svc], ips: [%s], key: "%s"}
          - {name: b, user: alice@example.com, ips: [%s], key: "%s"}
        """
                .formatted(
                    NetnsLab.TUN_A,
                    KA.publicKey().toBase64(),
                    NetnsLab.TUN_B,
                    KB.publicKey().toBase64())
            + (withX
                ? "  - {name: x, user: alice@example.com, ips: [%s], key: \"%s\"}\n"
                    .formatted(TUN_X, KX.publicKey().toBase64())
                : ""));
  }

  static String policy(int... ports) {
    String dst =
        java.util.Arrays.stream(ports)
            .mapToObj(Integer::toString)
            .collect(java.util.stream.Collectors.joining(","));
    return """
        {
          "tagOwners": {"tag:svc": ["alice@example.com"]},
          "acls": [{"action": "accept", "src": ["alice@example.com"], "dst": ["tag:svc:%s"]}],
        }
        """
        .formatted(dst);
  }

  static void write(Path f, String text) throws IOException {
    Path tmp = f.resolveSibling(f.getFileName() + ".tmp");
    Files.writeString(tmp, text);
    Files.move(tmp, f, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  static TesseraNode startAgent() throws IOException {
    String config =
        TesseraNode.configA(KA, KB)
            + TesseraNode.peer(
                KX.publicKey().toBase64(), TUN_X + "/32", NetnsLab.UNDER_B + ":51822")
            + "\n[Tessera]\nPlainHttp = yes\nPolicyServer = http://"
            + serverIp
            + ":"
            + serverPort
            + "\nServerKey = "
            + SERVER_KEY.publicKeyBase64()
            + "\nNode = a\nStateDir = "
            + lab.dir.resolve("agent-state")
            + "\n";
    return TesseraNode.startWithMetrics(lab, lab.nsA, iface, config, null, "127.0.0.1:9464");
  }

  static void startServer() throws Exception {
    server =
        new PolicyServer(
            new PolicyServer.Config(
                PolicySource.file(policyFile),
                PolicySource.file(lab.dir.resolve("inventory.yaml")),
                new InetSocketAddress(serverIp, serverPort),
                SERVER_KEY,
                lab.dir.resolve("server-state"),
                100));
    server.start();
    // As `policyc serve --metrics-listen`: the status map, served on the control link.
    PolicyServer s = server;
    serverMetrics =
        HTTPServer.builder()
            .inetAddress(InetAddress.getByName(serverIp))
            .port(0)
            .registry(new ServerMetrics(() -> s.status().toMap(s.store())).registry())
            .buildAndStart();
    serverMetricsUrl = "http://" + serverIp + ":" + serverMetrics.getPort() + "/metrics";
  }

  /** The policy server's metrics as a scraper in nsA sees them (over the control link). */
  static Scrape serverScrape() throws IOException {
    return Scrape.take(lab, lab.nsA, serverMetricsUrl);
  }

  static final String NODE_A = "node=\"a\"";

  /** x connects from its tunnel address, i.e. through its own WireGuard interface. */
  static boolean xConnects(int port) throws IOException {
    return lab.tryIn(
                lab.nsB,
                10,
                "nc",
                "-z",
                "-w",
                "2",
                "-s",
                TUN_X,
                NetnsLab.TUN_A,
                Integer.toString(port))
            .exit()
        == 0;
  }

  static boolean connects(int port) throws IOException {
    return lab.tryIn(lab.nsB, 10, "nc", "-z", "-w", "2", NetnsLab.TUN_A, Integer.toString(port))
            .exit()
        == 0;
  }

  static Map<String, String> status() {
    try {
      return agent.status();
    } catch (IOException e) {
      return Map.of();
    }
  }

  static final String[] BUNDLE_200 = {"path=\"/v1/bundle\"", "status=\"200\""};
  static final String[] ACK_204 = {"path=\"/v1/ack\"", "status=\"204\""};
  static double firstBundles;
  static double firstCheckIn;

  static Scrape scrapeOrEmpty() {
    try {
      return serverScrape();
    } catch (IOException e) {
      return new Scrape(java.util.List.of(), "");
    }
  }

  static long n(String key) {
    return Long.parseLong(status().getOrDefault(key, "0"));
  }

  static long size(String file) throws IOException {
    return Files.size(lab.dir.resolve(file));
  }

  /**
   * Waits until the established connection logged to {@code file} has brought it past {@code
   * bytes}.
   */
  static void awaitGrowth(String file, long bytes) {
    NetnsLab.waitFor(
        "the established connection to keep flowing into " + file + " (past " + bytes + " bytes)",
        10_000,
        () -> {
          try {
            return size(file) > bytes;
          } catch (IOException e) {
            return false;
          }
        });
  }

  @Test
  @Order(1)
  void withNoBundleEverReceivedNothingGetsInOrOut() throws Exception {
    agent = startAgent(); // the server is not running yet, and the state dir is empty
    assertThat(status())
        .containsEntry("filter_mode", "fail_closed")
        .containsEntry("bundle_version", "0")
        .containsEntry("bundle_node", "a");
    assertThat(agent.logText()).contains("FAILING CLOSED");
    assertThat(connects(5001)).as("inbound while failing closed").isFalse();
    assertThat(n("drop_inbound_filter-unavailable"))
        .as("decrypted inbound packets dropped")
        .isPositive();
    assertThat(
            lab.tryIn(lab.nsA, 10, "ping", "-c", "2", "-i", "0.3", "-W", "1", NetnsLab.TUN_B)
                .exit())
        .as("outbound while failing closed")
        .isNotZero();
    assertThat(n("drop_outbound_filter-unavailable")).isPositive();
  }

  @Test
  @Order(2)
  void firstBundleOpensExactlyTheAllowedPorts() throws Exception {
    startServer();
    NetnsLab.waitFor(
        "the first bundle (agent retries with backoff <= 5 s)",
        15_000,
        () -> "1".equals(status().get("bundle_version")));
    assertThat(status()).containsEntry("filter_mode", "enforce").doesNotContainKey("bundle_error");
    assertThat(connects(5001)).isTrue();
    assertThat(connects(5002)).isTrue();
    assertThat(connects(5003)).as("not in the policy yet").isFalse();
    assertThat(xConnects(5001)).as("x is in a's bundle and allowed").isTrue();
    assertThat(status())
        .containsEntry("policy_peers_admitted", "2")
        .containsEntry("policy_peers_excluded", "0");
    assertThat(Files.exists(lab.dir.resolve("agent-state").resolve(iface + ".bundle")))
        .as("persisted")
        .isTrue();

    NetnsLab.waitFor(
        "the server to see a's ack of v1",
        10_000,
        () -> scrapeOrEmpty().sum("tessera_server_node_acked_version_sequence", NODE_A) == 1);
    Scrape srv = serverScrape();
    assertThat(srv.sum("tessera_server_node_served_version_sequence", NODE_A))
        .as("metrics:\n%s", srv.text())
        .isEqualTo(1);
    assertThat(srv.sum("tessera_server_node_current_version_sequence", NODE_A)).isEqualTo(1);
    assertThat(srv.sum("tessera_server_nodes")).isEqualTo(3);
    assertThat(srv.sum("tessera_server_node_last_checkin_seconds", NODE_A) * 1000)
        .isGreaterThan(System.currentTimeMillis() - 60_000);
    firstCheckIn = srv.sum("tessera_server_node_last_checkin_seconds", NODE_A);
    firstBundles = srv.sum("tessera_server_requests_total", BUNDLE_200);
    assertThat(firstBundles).as("bundles served, by path and status").isGreaterThanOrEqualTo(1);
    assertThat(srv.sum("tessera_server_requests_total", ACK_204)).isGreaterThanOrEqualTo(1);
    assertThat(
            srv.has(
                "tessera_server_node_version_info",
                NODE_A,
                "acked=\"1\"",
                "served=\"1\"",
                "current=\"1\""))
        .isTrue();
    Scrape ag = agent.scrape();
    assertThat(ag.sum("tessera_agent_bundle_version_sequence"))
        .as("agent metrics:\n%s", ag.text())
        .isEqualTo(1);
    assertThat(ag.has("tessera_agent_bundle_info", "version=\"1\"")).isTrue();
    assertThat(ag.has("tessera_agent_filter_mode", "mode=\"enforce\"")).isTrue();
  }

  @Test
  @Order(3)
  void policyChangeIsEnforcedWithinASecondWithoutDroppingAllowedConnections() throws Exception {
    // Two long-lived connections from B, each sending a line every 50 ms.
    for (int port : new int[] {5001, 5002}) {
      lab.spawn(
          lab.nsB,
          lab.dir.resolve("client" + port + ".log"),
          "sh",
          "-c",
          "i=0; while :; do i=$((i+1)); echo line-$i; sleep 0.05; done | nc "
              + NetnsLab.TUN_A
              + " "
              + port);
    }
    NetnsLab.waitFor(
        "both connections flowing",
        10_000,
        () -> {
          try {
            return size("srv5001.log") > 100 && size("srv5002.log") > 100;
          } catch (IOException e) {
            return false;
          }
        });

    long changedAt = System.currentTimeMillis();
    write(policyFile, policy(5001, 5003)); // 5002 revoked, 5003 granted
    NetnsLab.waitFor(
        "bundle v2 in force", 10_000, () -> "2".equals(status().get("bundle_version")));
    long seenAt = System.currentTimeMillis();
    long appliedAt = Long.parseLong(status().get("bundle_applied_at_ms"));
    long propagation = appliedAt - changedAt;
    System.out.printf(
        "policy change -> enforced by the agent: %d ms (applied-at stamp), %d ms until seen over UAPI%n",
        propagation, seenAt - changedAt);
    assertThat(propagation)
        .as("policy file write to new filter in force (goal: within 1 s)")
        .isBetween(0L, 1000L);
    NetnsLab.waitFor(
        "the server to see a's ack of v2",
        10_000,
        () -> scrapeOrEmpty().sum("tessera_server_node_acked_version_sequence", NODE_A) == 2);
    Scrape srv = serverScrape();
    assertThat(srv.sum("tessera_server_node_served_version_sequence", NODE_A)).isEqualTo(2);
    assertThat(srv.sum("tessera_server_node_last_checkin_seconds", NODE_A))
        .as("a checked in again")
        .isGreaterThan(firstCheckIn);
    assertThat(srv.sum("tessera_server_requests_total", BUNDLE_200))
        .as("v2 served: one more bundle request answered 200")
        .isGreaterThan(firstBundles);
    assertThat(srv.sum("tessera_server_requests_total", ACK_204)).isGreaterThanOrEqualTo(2);
    assertThat(agent.scrape().sum("tessera_agent_bundle_version_sequence")).isEqualTo(2);

    long before5001 = size("srv5001.log");
    Thread.sleep(300); // packets of the revoked flow already in flight may still land
    long cut5002 = size("srv5002.log");
    Thread.sleep(1500);
    // The senders are shell loops that fork `sleep` for every line: on a loaded machine they write
    // well under their nominal 20 lines a second, so wait for the bytes rather than for a time.
    awaitGrowth("srv5001.log", before5001 + 200);
    assertThat(size("srv5002.log")).as("connection on the revoked port is cut").isEqualTo(cut5002);
    assertThat(n("drop_inbound_revoked"))
        .as("its next packets are dropped as revoked")
        .isPositive();
    assertThat(connects(5002)).as("newly forbidden port").isFalse();
    assertThat(connects(5003)).as("newly allowed port").isTrue();
  }

  @Test
  @Order(4)
  void aPeerLeavingTheBundleIsCutWhileTheOthersKeepFlowing() throws Exception {
    // Port 5003 for these probes: `nc -lk` serves one connection at a time and 5001 is busy with
    // b's long-lived connection, so the kernel's small accept queue for it fills up.
    assertThat(xConnects(5003)).isTrue();
    long version = Long.parseLong(status().get("bundle_version"));
    writeInventory(false); // x leaves the inventory, hence a's bundle peer list
    NetnsLab.waitFor(
        "bundle without x",
        10_000,
        () -> Long.toString(version + 1).equals(status().get("bundle_version")));
    assertThat(status())
        .containsEntry("policy_peers_admitted", "1")
        .containsEntry("policy_peers_excluded", "1");
    long before5001 = size("srv5001.log");
    assertThat(xConnects(5003)).as("x is not in the bundle: fail closed").isFalse();
    assertThat(n("wg_drop_peer_not_in_policy"))
        .as("x's packets dropped with their reason")
        .isPositive();
    assertThat(lab.tryIn(lab.nsA, 10, "ping", "-c", "2", "-i", "0.3", "-W", "1", TUN_X).exit())
        .as("nor can a send to x")
        .isNotZero();
    awaitGrowth("srv5001.log", before5001 + 100);
    assertThat(connects(5003)).as("b connects anew").isTrue();

    writeInventory(true);
    NetnsLab.waitFor(
        "bundle with x again",
        10_000,
        () -> Long.toString(version + 2).equals(status().get("bundle_version")));
    assertThat(status()).containsEntry("policy_peers_excluded", "0");
    try {
      NetnsLab.waitFor(
          "x admitted again",
          15_000,
          () -> {
            try {
              return xConnects(5003);
            } catch (IOException e) {
              return false;
            }
          });
    } catch (AssertionError e) {
      throw new AssertionError(
          e.getMessage()
              + "\nagent: "
              + status()
              + "\n"
              + agent.uapiGet()
              + "\nx: "
              + lab.in(lab.nsB, "wg", "show", "all", "dump"));
    }
  }

  @Test
  @Order(5)
  void restartWithTheServerDownKeepsTheLastGoodFilter() throws Exception {
    String version = status().get("bundle_version");
    serverMetrics.close();
    serverMetrics = null;
    server.close();
    server = null;
    agent.stop();
    agent = startAgent();
    assertThat(status())
        .containsEntry("filter_mode", "enforce")
        .containsEntry("bundle_version", version);
    assertThat(agent.logText()).contains("loaded last good policy bundle v" + version);
    // wireguard-go still holds a session with the agent's previous instance; an outbound ping from
    // the agent (allowed: a filter is in force) makes it handshake now instead of after ~15 s.
    NetnsLab.Result ping =
        lab.tryIn(
            lab.nsA, 20, "ping", "-c", "3", "-i", "0.2", "-W", "5", "-w", "15", NetnsLab.TUN_B);
    assertThat(ping.exit()).as("ping from the restarted agent: %s", ping.output()).isZero();
    assertThat(connects(5003)).isTrue();
    assertThat(connects(5002)).isFalse();
    NetnsLab.waitFor(
        "the agent to notice the server is down",
        10_000,
        () -> status().getOrDefault("bundle_error", "").contains("request failed"));
    assertThat(status())
        .containsEntry("filter_mode", "enforce")
        .containsEntry("bundle_version", version);
  }
}
