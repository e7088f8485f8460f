package dev.tessera.server.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ServerMetricsTest {
  @Test
  void statusMapBecomesPerNodeAndRejectSeries() throws Exception {
    Map<String, Object> status = Map.of(
        "nodes", 2, "lastCompileMillis", 1500L, "compiledAt", 2000L, "pollFailures", 0L,
        "nodeStates", Map.of(
            "web-1", Map.of("currentVersion", 7L, "servedVersion", 7L, "ackedVersion", 6L, "lastCheckIn", 3000L),
            "db-1", Map.of("currentVersion", 4L, "servedVersion", 0L, "ackedVersion", 0L, "lastCheckIn", 0L)),
        "limits", Map.of("openConnections", 3, "unauthorized", Map.of("BAD_SIGNATURE", 5L), "rateLimited", 2L,
            "connectionsRefused", 1L, "idleClosed", 0L));
    ServerMetrics m = new ServerMetrics(() -> status);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    new io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter(false).write(out, m.registry().scrape());
    String text = out.toString(StandardCharsets.UTF_8);
    assertThat(text).contains(
        "tessera_server_node_served_version{node=\"web-1\"} 7",
        "tessera_server_node_acked_version{node=\"web-1\"} 6",
        "tessera_server_node_current_version{node=\"db-1\"} 4",
        "tessera_server_node_last_checkin_seconds{node=\"web-1\"} 3",
        "tessera_server_last_compile_seconds 1.5",
        "tessera_server_compile_failing 0",
        "tessera_server_rejects_total{reason=\"unauthorized-BAD_SIGNATURE\"} 5",
        "tessera_server_rejects_total{reason=\"rate-limited\"} 2",
        "tessera_server_rejects_total{reason=\"too-many-connections\"} 1",
        "tessera_server_open_connections 3");
  }
}
