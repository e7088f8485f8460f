package dev.tessera.server.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ServerMetricsTest {
  @Test
  void statusMapBecomesPerNodeAndRejectSeries() throws Exception {
    Map<String, Object> status =
        Map.of(
            "nodes",
            2,
            "lastCompileMillis",
            1500L,
            "compiledAt",
            2000L,
            "pollFailures",
            0L,
            "nodeStates",
            Map.of(
                "web-1",
                    Map.of(
                        "currentVersion",
                        7L,
                        "servedVersion",
                        7L,
                        "ackedVersion",
                        6L,
                        "lastCheckIn",
                        3000L),
                "db-1",
                    Map.of(
                        "currentVersion",
                        4L,
                        "servedVersion",
                        0L,
                        "ackedVersion",
                        0L,
                        "lastCheckIn",
                        0L)),
            "requests",
            Map.of("/v1/bundle", Map.of("200", 3L, "304", 4L), "other", Map.of("404", 1L)),
            "limits",
            Map.of(
                "openConnections",
                3,
                "unauthorized",
                Map.of("BAD_SIGNATURE", 5L),
                "rateLimited",
                2L,
                "connectionsRefused",
                1L,
                "connectionsRefusedPerSource",
                4L,
                "idleClosed",
                0L));
    ServerMetrics m = new ServerMetrics(() -> status);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    new io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter(false)
        .write(out, m.registry().scrape());
    String text = out.toString(StandardCharsets.UTF_8);
    assertThat(text)
        .contains(
            "tessera_server_node_served_version_sequence{node=\"web-1\"} 7",
            "tessera_server_node_served_version_epoch{node=\"web-1\"} 0",
            "tessera_server_node_acked_version_sequence{node=\"web-1\"} 6",
            "tessera_server_node_current_version_sequence{node=\"db-1\"} 4",
            "tessera_server_node_version_info{acked=\"6\",current=\"7\",node=\"web-1\",served=\"7\"} 1",
            "tessera_server_node_last_checkin_seconds{node=\"web-1\"} 3",
            "tessera_server_last_compile_seconds 1.5",
            "tessera_server_compile_failing 0",
            "tessera_server_rejects_total{reason=\"unauthorized-BAD_SIGNATURE\"} 5",
            "tessera_server_rejects_total{reason=\"rate-limited\"} 2",
            "tessera_server_rejects_total{reason=\"too-many-connections\"} 1",
            "tessera_server_rejects_total{reason=\"too-many-connections-per-source\"} 4",
            "tessera_server_open_connections 3",
            "tessera_server_requests_total{path=\"/v1/bundle\",status=\"200\"} 3",
            "tessera_server_requests_total{path=\"/v1/bundle\",status=\"304\"} 4",
            "tessera_server_requests_total{path=\"other\",status=\"404\"} 1");
  }

  /**
   * Epoch-based versions sit near 2^63, where a double is off by hundreds; every exposed figure
   * stays exact.
   */
  @Test
  void epochVersionsStayExact() throws Exception {
    long epoch = 1_796_495_072L; // seconds in 2026, as the store picks epochs
    long served = epoch << 32 | 5;
    long acked = epoch << 32 | 4;
    assertThat((long) (double) served)
        .as("the double a plain gauge would carry")
        .isNotEqualTo(served);
    Map<String, Object> status =
        Map.of(
            "nodeStates",
            Map.of(
                "web-1",
                Map.of(
                    "currentVersion",
                    served,
                    "servedVersion",
                    served,
                    "ackedVersion",
                    acked,
                    "lastCheckIn",
                    0L)));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    new io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter(false)
        .write(out, new ServerMetrics(() -> status).registry().scrape());
    String text = out.toString(StandardCharsets.UTF_8);
    // A scraper parses sample values as doubles: each half must come back as the exact integer.
    for (String kind : new String[] {"served", "acked"}) {
      long want = kind.equals("served") ? served : acked;
      long e =
          (long) sample(text, "tessera_server_node_" + kind + "_version_epoch{node=\"web-1\"}");
      long q =
          (long) sample(text, "tessera_server_node_" + kind + "_version_sequence{node=\"web-1\"}");
      assertThat(e).isEqualTo(epoch);
      assertThat(e << 32 | q).as(kind + " version rebuilt from the two gauges").isEqualTo(want);
    }
    assertThat(text)
        .contains(
            "tessera_server_node_version_info{acked=\""
                + acked
                + "\",current=\""
                + served
                + "\",node=\"web-1\",served=\""
                + served
                + "\"} 1");
    assertThat(text).doesNotContain("E18");
  }

  private static double sample(String text, String series) {
    return text.lines()
        .filter(l -> l.startsWith(series + " "))
        .mapToDouble(l -> Double.parseDouble(l.substring(series.length() + 1)))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no sample " + series + " in\n" + text));
  }
}
