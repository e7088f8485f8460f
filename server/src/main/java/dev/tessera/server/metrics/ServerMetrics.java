package dev.tessera.server.metrics;

import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * {@code policyc serve --metrics-listen ADDR:PORT}: Prometheus metrics read at scrape time from the
 * server's status (the same map {@code /v1/status} serves), so nothing is counted twice. Names and
 * labels are listed in the server's README.
 */
public final class ServerMetrics {
  private final Supplier<Map<String, Object>> status;
  private final PrometheusRegistry registry = new PrometheusRegistry();

  /**
   * @param status the {@code /v1/status} map ({@code ServerStatus.toMap})
   */
  public ServerMetrics(Supplier<Map<String, Object>> status) {
    this.status = status;
    register();
  }

  public PrometheusRegistry registry() {
    return registry;
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

  private void perNodeVersion(String key, GaugeWithCallback.Callback cb, boolean epoch) {
    map(status.get().get("nodeStates"))
        .forEach(
            (node, s) -> {
              long v = version(map(s).get(key));
              cb.call(epoch ? v >>> 32 : v & 0xffff_ffffL, node);
            });
  }

  /** A version as the status map holds it (a Long, or a number parsed from JSON); 0 when absent. */
  static long version(Object o) {
    return o instanceof Number n ? n.longValue() : 0;
  }

  private static String exact(Object o) {
    return Long.toString(version(o));
  }

  private void register() {
    // Bundle versions are epoch << 32 | sequence: near 2^63, beyond a double's 53-bit mantissa.
    // Each half fits a double exactly; the info series carries the whole number as a label.
    for (String kind : List.of("current", "served", "acked")) {
      String key = kind + "Version";
      String what =
          switch (kind) {
            case "current" -> "the bundle compiled for the node";
            case "served" -> "the bundle last served to the node";
            default -> "the highest bundle the node acknowledged";
          };
      GaugeWithCallback.builder()
          .name("tessera_server_node_" + kind + "_version_epoch")
          .help("Epoch (version >> 32) of " + what)
          .labelNames("node")
          .callback(cb -> perNodeVersion(key, cb, true))
          .register(registry);
      GaugeWithCallback.builder()
          .name("tessera_server_node_" + kind + "_version_sequence")
          .help("Sequence within the epoch (low 32 bits of the version) of " + what)
          .labelNames("node")
          .callback(cb -> perNodeVersion(key, cb, false))
          .register(registry);
    }
    GaugeWithCallback.builder()
        .name("tessera_server_node_version_info")
        .help(
            "Always 1; the node's current, served and acknowledged bundle versions as exact decimal labels")
        .labelNames("node", "current", "served", "acked")
        .callback(
            cb ->
                map(status.get().get("nodeStates"))
                    .forEach(
                        (node, s) -> {
                          Map<String, Object> m = map(s);
                          cb.call(
                              1,
                              node,
                              exact(m.get("currentVersion")),
                              exact(m.get("servedVersion")),
                              exact(m.get("ackedVersion")));
                        }))
        .register(registry);
    GaugeWithCallback.builder()
        .name("tessera_server_node_last_checkin_seconds")
        .help("Unix time of the node's last request (0: never)")
        .labelNames("node")
        .callback(
            cb ->
                map(status.get().get("nodeStates"))
                    .forEach((node, s) -> cb.call(num(map(s).get("lastCheckIn")) / 1000.0, node)))
        .register(registry);
    GaugeWithCallback.builder()
        .name("tessera_server_nodes")
        .help("Nodes in the compilation in force")
        .callback(cb -> cb.call(num(status.get().get("nodes"))))
        .register(registry);
    GaugeWithCallback.builder()
        .name("tessera_server_last_compile_seconds")
        .help("Duration of the last successful compilation (read, compile, sign, publish)")
        .callback(cb -> cb.call(num(status.get().get("lastCompileMillis")) / 1000.0))
        .register(registry);
    GaugeWithCallback.builder()
        .name("tessera_server_compiled_at_seconds")
        .help("Unix time of the last successful compilation")
        .callback(cb -> cb.call(num(status.get().get("compiledAt")) / 1000.0))
        .register(registry);
    GaugeWithCallback.builder()
        .name("tessera_server_compile_failing")
        .help("1 while the newest revision does not compile (the last good one is served)")
        .callback(cb -> cb.call(status.get().containsKey("lastError") ? 1 : 0))
        .register(registry);
    CounterWithCallback.builder()
        .name("tessera_server_rejects")
        .help("Requests and connections refused, by reason")
        .labelNames("reason")
        .callback(
            cb -> {
              Map<String, Object> limits = map(status.get().get("limits"));
              map(limits.get("unauthorized"))
                  .forEach((reason, n) -> cb.call(num(n), "unauthorized-" + reason));
              cb.call(num(limits.get("rateLimited")), "rate-limited");
              cb.call(num(limits.get("connectionsRefused")), "too-many-connections");
              cb.call(
                  num(limits.get("connectionsRefusedPerSource")),
                  "too-many-connections-per-source");
              cb.call(num(limits.get("idleClosed")), "idle");
            })
        .register(registry);
    CounterWithCallback.builder()
        .name("tessera_server_requests")
        .help(
            "Answered requests by path (paths the server does not serve count as \"other\") and"
                + " status")
        .labelNames("path", "status")
        .callback(
            cb ->
                map(status.get().get("requests"))
                    .forEach(
                        (path, byStatus) ->
                            map(byStatus).forEach((code, n) -> cb.call(num(n), path, code))))
        .register(registry);
    GaugeWithCallback.builder()
        .name("tessera_server_open_connections")
        .help("Open client connections")
        .callback(cb -> cb.call(num(map(status.get().get("limits")).get("openConnections"))))
        .register(registry);
    CounterWithCallback.builder()
        .name("tessera_server_poll_failures")
        .help("Source polls that failed unexpectedly (the server kept serving)")
        .callback(cb -> cb.call(num(status.get().get("pollFailures"))))
        .register(registry);
  }
}
