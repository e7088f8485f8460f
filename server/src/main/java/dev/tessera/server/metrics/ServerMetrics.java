package dev.tessera.server.metrics;

import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.function.Supplier;

/**
 * {@code policyc serve --metrics-listen ADDR:PORT}: Prometheus metrics read at scrape time from
 * the server's status (the same map {@code /v1/status} serves), so nothing is counted twice.
 * Names and labels are listed in the server's README.
 */
public final class ServerMetrics implements AutoCloseable {
  private final Supplier<Map<String, Object>> status;
  private final PrometheusRegistry registry = new PrometheusRegistry();
  private HTTPServer server;

  /** @param status the {@code /v1/status} map ({@code ServerStatus.toMap}) */
  public ServerMetrics(Supplier<Map<String, Object>> status) {
    this.status = status;
    register();
  }

  public PrometheusRegistry registry() {
    return registry;
  }

  /** Serves {@code /metrics} on {@code listen}; returns the bound port. */
  public int serve(InetSocketAddress listen) throws IOException {
    server = HTTPServer.builder().inetAddress(listen.getAddress()).port(listen.getPort()).registry(registry)
        .buildAndStart();
    return server.getPort();
  }

  @Override
  public void close() {
    if (server != null) {
      server.close();
    }
  }

  private static double num(Object o) {
    return o instanceof Number n ? n.doubleValue() : 0;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object o) {
    return o instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
  }

  private void perNode(String key, GaugeWithCallback.Callback cb) {
    map(status.get().get("nodeStates")).forEach((node, s) -> cb.call(num(map(s).get(key)), node));
  }

  private void register() {
    GaugeWithCallback.builder().name("tessera_server_node_current_version")
        .help("Version of the bundle compiled for the node").labelNames("node")
        .callback(cb -> perNode("currentVersion", cb)).register(registry);
    GaugeWithCallback.builder().name("tessera_server_node_served_version")
        .help("Version last served to the node").labelNames("node")
        .callback(cb -> perNode("servedVersion", cb)).register(registry);
    GaugeWithCallback.builder().name("tessera_server_node_acked_version")
        .help("Highest version the node acknowledged").labelNames("node")
        .callback(cb -> perNode("ackedVersion", cb)).register(registry);
    GaugeWithCallback.builder().name("tessera_server_node_last_checkin_seconds")
        .help("Unix time of the node's last request (0: never)").labelNames("node")
        .callback(cb -> map(status.get().get("nodeStates"))
            .forEach((node, s) -> cb.call(num(map(s).get("lastCheckIn")) / 1000.0, node))).register(registry);
    GaugeWithCallback.builder().name("tessera_server_nodes").help("Nodes in the compilation in force")
        .callback(cb -> cb.call(num(status.get().get("nodes")))).register(registry);
    GaugeWithCallback.builder().name("tessera_server_last_compile_seconds")
        .help("Duration of the last successful compilation (read, compile, sign, publish)")
        .callback(cb -> cb.call(num(status.get().get("lastCompileMillis")) / 1000.0)).register(registry);
    GaugeWithCallback.builder().name("tessera_server_compiled_at_seconds")
        .help("Unix time of the last successful compilation")
        .callback(cb -> cb.call(num(status.get().get("compiledAt")) / 1000.0)).register(registry);
    GaugeWithCallback.builder().name("tessera_server_compile_failing")
        .help("1 while the newest revision does not compile (the last good one is served)")
        .callback(cb -> cb.call(status.get().containsKey("lastError") ? 1 : 0)).register(registry);
    CounterWithCallback.builder().name("tessera_server_rejects")
        .help("Requests and connections refused, by reason").labelNames("reason")
        .callback(cb -> {
          Map<String, Object> limits = map(status.get().get("limits"));
          map(limits.get("unauthorized")).forEach((reason, n) -> cb.call(num(n), "unauthorized-" + reason));
          cb.call(num(limits.get("rateLimited")), "rate-limited");
          cb.call(num(limits.get("connectionsRefused")), "too-many-connections");
          cb.call(num(limits.get("idleClosed")), "idle");
        }).register(registry);
    GaugeWithCallback.builder().name("tessera_server_open_connections").help("Open client connections")
        .callback(cb -> cb.call(num(map(status.get().get("limits")).get("openConnections")))).register(registry);
    CounterWithCallback.builder().name("tessera_server_poll_failures")
        .help("Source polls that failed unexpectedly (the server kept serving)")
        .callback(cb -> cb.call(num(status.get().get("pollFailures")))).register(registry);
  }
}
