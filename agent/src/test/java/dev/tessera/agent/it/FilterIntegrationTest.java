package dev.tessera.agent.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tessera.agent.crypto.WgKey;
import dev.tessera.agent.testing.NetnsLab;
import dev.tessera.agent.testing.Scrape;
import dev.tessera.agent.testing.TesseraNode;
import dev.tessera.agent.testing.WgGo;
import dev.tessera.enforcer.format.CompiledFilter;
import dev.tessera.enforcer.format.DstPorts;
import dev.tessera.enforcer.format.FilterCodec;
import dev.tessera.enforcer.format.FilterRule;
import dev.tessera.enforcer.format.Peer;
import dev.tessera.enforcer.format.RuleOrigin;
import dev.tessera.net.IpPrefix;
import dev.tessera.net.IpProtocol;
import dev.tessera.testsupport.Once;
import dev.tessera.testsupport.RequiresRoot;
import dev.tessera.testsupport.RequiresTools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The enforcer in the agent, end to end: namespace B (stock wireguard-go) connects to services in
 * namespace A (the Tessera agent with a compiled filter). Filters are built from the enforcer's
 * records and written with its codec, as the compiler would.
 */
@Tag("root")
@Tag("integration")
@RequiresRoot("creates network namespaces, TUN devices and runs wireguard-go")
@RequiresTools({"ip", "wireguard-go", "wg", "nc", "ping", "curl"})
class FilterIntegrationTest {
  static final Once SETUP = new Once();
  static NetnsLab lab;
  static WgGo wggo;
  static final WgKey KA = WgKey.generatePrivate(new SecureRandom());
  static final WgKey KB = WgKey.generatePrivate(new SecureRandom());

  /** The agent's Prometheus endpoint, on loopback inside nsA (scraped there with curl). */
  static final String METRICS = "127.0.0.1:9464";

  static final String[] DROP_NO_RULE = {
    "verdict=\"drop\"", "reason=\"no-rule\"", "direction=\"inbound\""
  };
  static final String[] ACCEPT_RULE = {
    "verdict=\"accept\"", "reason=\"rule\"", "direction=\"inbound\""
  };
  TesseraNode tessera;

  @BeforeEach
  void setUp() throws Exception {
    SETUP.run(FilterIntegrationTest::openLab);
  }

  static void openLab() throws Exception {
    lab = new NetnsLab();
    wggo = WgGo.peerOfA(lab, KB, KA, true);
    // Services on A: 443 (allowed) and 22 (denied).
    lab.spawn(lab.nsA, lab.dir.resolve("nc443.log"), "nc", "-lk", "443");
    lab.spawn(lab.nsA, lab.dir.resolve("nc22.log"), "nc", "-lk", "22");
  }

  @AfterEach
  void stopAgent() {
    if (tessera != null) {
      tessera.stop(); // its log is printed when the lab closes
      tessera = null;
    }
  }

  @AfterAll
  static void tearDown() {
    if (lab != null) {
      lab.close();
    }
  }

  static CompiledFilter filter(int... tcpPorts) {
    List<DstPorts> dst =
        java.util.Arrays.stream(tcpPorts)
            .mapToObj(p -> new DstPorts(IpPrefix.parse(NetnsLab.TUN_A + "/32"), p, p))
            .toList();
    List<FilterRule> rules =
        dst.isEmpty()
            ? List.of()
            : List.of(
                new FilterRule(
                    List.of(IpPrefix.parse("10.213.0.0/24")),
                    List.of(IpProtocol.TCP),
                    dst,
                    RuleOrigin.synthetic(RuleOrigin.ACL, 0)));
    return CompiledFilter.of(
        "a",
        List.of(IpPrefix.parse(NetnsLab.TUN_A + "/32")),
        rules,
        List.of(
            new Peer(
                "b",
                KB.publicKey().toBase64(),
                List.of(IpPrefix.parse(NetnsLab.TUN_B + "/32")),
                List.of())),
        List.of());
  }

  /**
   * Replaces the filter atomically, as a deployment should (the watcher never sees half a file).
   */
  static void install(Path f, byte[] bytes) throws java.io.IOException {
    Path tmp = f.resolveSibling(f.getFileName() + ".tmp");
    Files.write(tmp, bytes);
    Files.move(
        tmp,
        f,
        java.nio.file.StandardCopyOption.ATOMIC_MOVE,
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
  }

  TesseraNode startAgent(String role, Path filterFile) throws Exception {
    return TesseraNode.startWithMetrics(
        lab,
        lab.nsA,
        lab.iface(role),
        TesseraNode.config(
                KA.toBase64(),
                NetnsLab.TUN_A + "/24",
                51820,
                KB.publicKey().toBase64(),
                NetnsLab.TUN_B + "/32",
                NetnsLab.UNDER_B + ":51821",
                0)
            + "\n[Tessera]\nFlowLog = "
            + flowLog(role)
            + "\n",
        filterFile,
        METRICS);
  }

  /** The agent's flow log ([Tessera] FlowLog). */
  Path flowLog(String role) {
    return lab.dir.resolve(lab.iface(role) + "-flows.jsonl");
  }

  /** The flow log's lines, parsed (none while the file does not exist). */
  static List<JsonNode> flowLines(Path file) {
    try {
      if (!Files.exists(file)) {
        return List.of();
      }
      List<JsonNode> out = new java.util.ArrayList<>();
      for (String l : Files.readAllLines(file)) {
        out.add(JSON.readTree(l));
      }
      return out;
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  static final ObjectMapper JSON = new ObjectMapper();

  boolean connects(int port) throws Exception {
    return lab.tryIn(lab.nsB, 10, "nc", "-z", "-w", "2", NetnsLab.TUN_A, Integer.toString(port))
            .exit()
        == 0;
  }

  @Test
  void allows443DeniesSshAndCountsTheDrops() throws Exception {
    Path f = lab.dir.resolve("a-443.tfilter");
    Files.write(f, FilterCodec.encode(filter(443)));
    tessera = startAgent("ta", f);
    assertThat(tessera.status()).containsEntry("filter_mode", "enforce");

    Scrape m0 = tessera.scrape();
    assertThat(m0.has("tessera_agent_filter_mode", "mode=\"enforce\""))
        .as("metrics:\n%s", m0.text())
        .isTrue();
    assertThat(m0.sum("tessera_agent_filter_generation")).isEqualTo(1);
    for (String kind : List.of("early-drop", "own-at-quota", "refused-full", "refused-quota")) {
      assertThat(m0.has("tessera_agent_conntrack_evictions_total", "kind=\"" + kind + "\""))
          .as("conntrack evictions of kind %s exported", kind)
          .isTrue();
    }

    // A's own flows work (replies pass through conntrack); this also establishes the session.
    Probes.ping(lab, lab.nsA, NetnsLab.TUN_B);
    assertThat(connects(443)).as("TCP to 443 passes").isTrue();
    Scrape m1 = tessera.scrape();
    assertThat(m1.sum("tessera_agent_peer_received_bytes_total"))
        .as("bytes from b")
        .isGreaterThan(m0.sum("tessera_agent_peer_received_bytes_total"));
    assertThat(m1.sum("tessera_agent_peer_sent_bytes_total"))
        .as("bytes to b")
        .isGreaterThan(m0.sum("tessera_agent_peer_sent_bytes_total"));
    assertThat(m1.sum("tessera_agent_peer_received_datagrams_total"))
        .isGreaterThan(m0.sum("tessera_agent_peer_received_datagrams_total"));
    assertThat(m1.sum("tessera_agent_peer_handshakes_total")).isPositive();
    assertThat(m1.sum("tessera_agent_filter_packets_total", ACCEPT_RULE))
        .as("the connection to 443 accepted by its rule")
        .isGreaterThan(m0.sum("tessera_agent_filter_packets_total", ACCEPT_RULE));
    double deniedBefore = m1.sum("tessera_agent_filter_packets_total", DROP_NO_RULE);

    long before = tessera.counter("drop_inbound_no-rule");
    assertThat(connects(22)).as("TCP to 22 is dropped").isFalse();
    long after = tessera.counter("drop_inbound_no-rule");
    assertThat(after - before).as("no-rule drops for the SYNs to 22").isPositive();
    Scrape m2 = tessera.scrape();
    assertThat(m2.sum("tessera_agent_filter_packets_total", DROP_NO_RULE))
        .as("the denied SYNs, by reason")
        .isGreaterThanOrEqualTo(deniedBefore + (after - before))
        .isGreaterThanOrEqualTo((double) after);
    assertThat(
            m2.sum(
                "tessera_agent_peer_filter_drops_total",
                "peer=\"" + KB.publicKey().toBase64() + "\"",
                "reason=\"no-rule\"",
                "direction=\"inbound\""))
        .as("the denied SYNs, counted on peer b (the only peer)")
        .isGreaterThanOrEqualTo((double) after);
    // The drop log: one line for the denied 5-tuple (its SYN retransmits are not logged again),
    // naming the reason and the rule between the same addresses.
    NetnsLab.waitFor(
        "the drop log line",
        5000,
        () -> tessera.logText().contains("-> " + NetnsLab.TUN_A + ":22 "));
    List<String> dropLines =
        tessera.logText().lines().filter(l -> l.contains("-> " + NetnsLab.TUN_A + ":22 ")).toList();
    assertThat(dropLines).as("log:\n%s", tessera.logText()).hasSize(1);
    assertThat(dropLines.get(0))
        .contains("drop inbound no-rule tcp " + NetnsLab.TUN_B + ":")
        .contains("nearest rule", "ports 443", "(this packet: protocol 6, port 22)")
        .as("the peer by its public key, as wg show prints it")
        .contains(" peer=" + KB.publicKey().toBase64() + ";");
    assertThat(tessera.counter("accept_inbound_rule")).isPositive();
    assertThat(Probes.pingFails(lab, lab.nsB, NetnsLab.TUN_A))
        .as("ICMP from B is not allowed")
        .isTrue();

    // The flow log: one JSON line per new flow, accepted or denied, naming the peer by its key.
    Path flows = flowLog("ta");
    NetnsLab.waitFor(
        "the flow log line of the denied ping",
        5000,
        () ->
            flowLines(flows).stream()
                .anyMatch(
                    n ->
                        n.path("proto").asText().equals("icmp")
                            && n.path("verdict").asText().equals("drop")));
    List<JsonNode> lines = flowLines(flows);
    String b = KB.publicKey().toBase64();
    List<JsonNode> https = lines.stream().filter(n -> n.path("dport").asInt() == 443).toList();
    assertThat(https).as("flow log:\n%s", lines).hasSize(1);
    assertThat(https.get(0).path("direction").asText()).isEqualTo("inbound");
    assertThat(https.get(0).path("verdict").asText()).isEqualTo("accept");
    assertThat(https.get(0).path("reason").asText()).isEqualTo("rule");
    assertThat(https.get(0).path("rule").asText()).isNotEmpty();
    assertThat(https.get(0).path("peer").asText()).isEqualTo(b);
    assertThat(https.get(0).path("src").asText()).isEqualTo(NetnsLab.TUN_B);
    assertThat(https.get(0).path("dst").asText()).isEqualTo(NetnsLab.TUN_A);
    assertThat(lines)
        .as("this node's answers belong to the admitted flow: no line of their own")
        .noneMatch(n -> n.path("sport").asInt() == 443);
    List<JsonNode> ssh = lines.stream().filter(n -> n.path("dport").asInt() == 22).toList();
    assertThat(ssh).as("one line for the SYN and its retransmits").hasSize(1);
    assertThat(ssh.get(0).path("verdict").asText()).isEqualTo("drop");
    assertThat(ssh.get(0).path("reason").asText()).isEqualTo("no-rule");
    assertThat(ssh.get(0).path("peer").asText()).isEqualTo(b);
    assertThat(lines)
        .as("the ping A sent at the start: an outbound flow")
        .anyMatch(
            n ->
                n.path("direction").asText().equals("outbound")
                    && n.path("verdict").asText().equals("accept")
                    && n.path("proto").asText().equals("icmp")
                    && n.path("dst").asText().equals(NetnsLab.TUN_B));
    assertThat(tessera.counter("flow_log_lost")).isZero();
    assertThat(tessera.counter("flow_log_lines")).isGreaterThanOrEqualTo(lines.size());

    // Changing the file reloads it (watcher): 22 becomes reachable without a restart.
    install(f, FilterCodec.encode(filter(22, 443)));
    NetnsLab.waitFor(
        "filter reload",
        5000,
        () -> {
          try {
            return tessera.counter("filter_reloads") >= 1;
          } catch (java.io.IOException e) {
            return false;
          }
        });
    assertThat(connects(22)).as("TCP to 22 after reload").isTrue();

    // A corrupt update is rejected and the previous filter stays in force.
    install(f, new byte[] {'T', 'S', 'R', 'F', 0, 0, 0, 9});
    NetnsLab.waitFor(
        "failed reload",
        5000,
        () -> {
          try {
            return tessera.counter("filter_failed_reloads") >= 1;
          } catch (java.io.IOException e) {
            return false;
          }
        });
    assertThat(tessera.status()).containsEntry("filter_mode", "enforce");
    assertThat(connects(22)).isTrue();
  }

  @Test
  void unreadableFilterFailsClosedUntilItLoads() throws Exception {
    Path f = lab.dir.resolve("missing.tfilter");
    Files.deleteIfExists(f);
    tessera = startAgent("tc", f);
    assertThat(tessera.status()).containsEntry("filter_mode", "fail_closed");
    assertThat(tessera.logText()).contains("FAILING CLOSED");
    // Until b's handshake completes nothing is decrypted: on a loaded machine that can outlast one
    // connection attempt, so try again until a packet has reached the gate (and been dropped).
    NetnsLab.waitFor(
        "an inbound packet dropped while failing closed",
        20_000,
        () -> {
          try {
            assertThat(connects(443)).as("nothing passes while failing closed").isFalse();
            return tessera.counter("drop_inbound_filter-unavailable") > 0;
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        });

    install(f, FilterCodec.encode(filter(443)));
    NetnsLab.waitFor(
        "filter to load",
        5000,
        () -> {
          try {
            return "enforce".equals(tessera.status().get("filter_mode"));
          } catch (java.io.IOException e) {
            return false;
          }
        });
    assertThat(connects(443)).isTrue();
    assertThat(connects(22)).isFalse();
  }
}
