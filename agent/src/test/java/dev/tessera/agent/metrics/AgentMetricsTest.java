package dev.tessera.agent.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.agent.FilterGate;
import dev.tessera.agent.crypto.WgKey;
import dev.tessera.agent.protocol.DeviceOptions;
import dev.tessera.agent.protocol.DropReason;
import dev.tessera.agent.protocol.Peer;
import dev.tessera.agent.protocol.WireGuardDevice;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AgentMetricsTest {
  private static String scrape(AgentMetrics m) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    new io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter(false)
        .write(out, m.registry().scrape());
    return out.toString(StandardCharsets.UTF_8);
  }

  @Test
  void statusLinesBecomeLabelledSeries() throws IOException {
    String status =
        """
        filter_mode=enforce
        filter_generation=3
        filter_applied_at_ms=10000
        filter_reloads=2
        filter_failed_reloads=1
        conntrack_flows=7
        conntrack_eviction_early-drop=9
        conntrack_eviction_refused-quota=4
        flow_log_lines=12
        flow_log_lost=3
        drop_inbound_filter-unavailable=0
        accept_inbound_rule=5
        drop_inbound_no-rule=4
        drop_outbound_malformed=1
        wg_drop_no_route=6
        wg_drop_decrypt_failed=2
        tun_packets_read=11
        """;
    AgentMetrics m = new AgentMetrics(() -> status, List::of, () -> 25_000);
    String text = scrape(m);
    assertThat(text)
        .contains(
            "tessera_agent_filter_packets_total{direction=\"inbound\",reason=\"no-rule\",verdict=\"drop\"} 4",
            "tessera_agent_filter_packets_total{direction=\"inbound\",reason=\"rule\",verdict=\"accept\"} 5",
            "tessera_agent_filter_packets_total{direction=\"outbound\",reason=\"malformed\",verdict=\"drop\"} 1",
            "tessera_agent_wireguard_drops_total{direction=\"outbound\",reason=\"no_route\"} 6",
            "tessera_agent_wireguard_drops_total{direction=\"inbound\",reason=\"decrypt_failed\"} 2",
            "tessera_agent_filter_mode{mode=\"enforce\"} 1",
            "tessera_agent_filter_generation 3",
            "tessera_agent_filter_age_seconds 15",
            "tessera_agent_conntrack_flows 7",
            "tessera_agent_conntrack_evictions_total{kind=\"early-drop\"} 9",
            "tessera_agent_conntrack_evictions_total{kind=\"refused-quota\"} 4",
            "tessera_agent_flow_log_lines_total 12",
            "tessera_agent_flow_log_lost_lines_total 3",
            "tessera_agent_filter_reloads_total 2",
            "tessera_agent_filter_failed_reloads_total 1",
            "tessera_agent_tun_packets_read_total 11");
    assertThat(text).doesNotContain("tessera_agent_bundle_version"); // no policy server
  }

  @Test
  void bundleVersionsStayExact() throws IOException {
    long epoch = 1_796_495_072L;
    long version = epoch << 32 | 3;
    String text =
        scrape(
            new AgentMetrics(
                () -> "bundle_server=198.51.100.1:8443\nbundle_version=" + version + "\n",
                List::of,
                () -> 0));
    assertThat(text)
        .contains(
            "tessera_agent_bundle_info{version=\"" + version + "\"} 1",
            "tessera_agent_bundle_version_sequence 3");
    String epochLine =
        text.lines()
            .filter(l -> l.startsWith("tessera_agent_bundle_version_epoch "))
            .findFirst()
            .orElseThrow();
    long e = (long) Double.parseDouble(epochLine.substring(epochLine.indexOf(' ') + 1));
    assertThat(e << 32 | 3).as("version rebuilt from the gauges").isEqualTo(version);
    assertThat(text).doesNotContain("E18");
  }

  @Test
  void servesTheTextFormatOverHttp() throws Exception {
    AgentMetrics m =
        new AgentMetrics(() -> "filter_mode=allow_all\n", List::of, System::currentTimeMillis);
    try (HTTPServer http =
        HTTPServer.builder()
            .inetAddress(InetAddress.getLoopbackAddress())
            .port(0)
            .registry(m.registry())
            .buildAndStart()) {
      int port = http.getPort();
      HttpResponse<String> r =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.body()).contains("tessera_agent_filter_mode{mode=\"allow_all\"} 1");
    }
  }

  @ParameterizedTest
  @CsvSource({
    "NO_ROUTE, outbound",
    "NO_ENDPOINT, outbound",
    "TUN_MALFORMED, outbound",
    "DECRYPT_FAILED, inbound",
    "REPLAYED, inbound",
    "PEER_NOT_IN_POLICY, both",
    "SPOOFED_SOURCE, inbound", // a decrypted packet from a peer
    "MISROUTED_NODE_ADDRESS, outbound" // a TUN packet on its way to a peer
  })
  void dropDirections(DropReason reason, String direction) {
    assertThat(DropDirection.of(reason)).isEqualTo(direction);
  }

  @Test
  void filterDropsArePerPeerByReasonAndDirection() throws IOException {
    WireGuardDevice device = new WireGuardDevice(DeviceOptions.defaults());
    WgKey key = WgKey.fromBase64("xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=");
    Peer p = device.addPeer(key);
    for (FilterGate.DropLabel l : FilterGate.DROP_LABELS) {
      if (l.direction().equals("inbound") && l.reason().equals("no-rule")) {
        p.countFilterDrop(l.index());
        p.countFilterDrop(l.index());
      }
      if (l.direction().equals("outbound") && l.reason().equals("filter-unavailable")) {
        p.countFilterDrop(l.index());
      }
    }
    String text = scrape(new AgentMetrics(() -> "", device::peers, () -> 0));
    String peer = "peer=\"xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=\"";
    assertThat(text)
        .contains(
            "tessera_agent_peer_filter_drops_total{direction=\"inbound\","
                + peer
                + ",reason=\"no-rule\"} 2",
            "tessera_agent_peer_filter_drops_total{direction=\"outbound\","
                + peer
                + ",reason=\"filter-unavailable\"} 1");
    assertThat(text.lines().filter(l -> l.startsWith("tessera_agent_peer_filter_drops_total")))
        .as("reasons with no drops are left out")
        .hasSize(2);
  }
}
