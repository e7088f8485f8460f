package dev.tessera.agent.metrics;

import dev.tessera.agent.FilterGate;
import dev.tessera.agent.protocol.DropReason;
import dev.tessera.agent.protocol.Peer;
import dev.tessera.agent.protocol.PeerStatus;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The agent's Prometheus metrics ({@code --metrics-listen ADDR:PORT}).
 *
 * <p>Nothing is counted here: every value is read at scrape time from the counters the agent keeps
 * anyway — the device-wide status lines of {@code tessera-agent show} (the enforcer's per-verdict
 * counters, the WireGuard core's drop counters, the filter and bundle state) and each {@link
 * Peer}'s counters — so the packet path pays nothing for metrics and allocates nothing for them. A
 * scrape parses the status lines once (callbacks of one scrape share the parse).
 *
 * <p>Names and labels are listed in the agent's README.
 */
public final class AgentMetrics {
  private final Supplier<String> status;
  private final Supplier<List<Peer>> peers;
  private final LongSupplier clockMillis;
  private final PrometheusRegistry registry = new PrometheusRegistry();
  private Map<String, String> parsed = Map.of();
  private long parsedAtNanos;

  /**
   * @param status the {@code tessera=1} status lines (key=value)
   * @param peers the device's peers
   * @param clockMillis wall clock, for ages
   */
  public AgentMetrics(
      Supplier<String> status, Supplier<List<Peer>> peers, LongSupplier clockMillis) {
    this.status = status;
    this.peers = peers;
    this.clockMillis = clockMillis;
    register();
  }

  public PrometheusRegistry registry() {
    return registry;
  }

  /** The status lines, parsed at most once per 100 ms (one scrape calls every callback). */
  synchronized Map<String, String> status() {
    long now = System.nanoTime();
    if (parsed.isEmpty() || now - parsedAtNanos > 100_000_000L) {
      Map<String, String> m = new LinkedHashMap<>();
      for (String line : status.get().split("\n")) {
        int eq = line.indexOf('=');
        if (eq > 0) {
          m.put(line.substring(0, eq), line.substring(eq + 1));
        }
      }
      parsed = m;
      parsedAtNanos = now;
    }
    return parsed;
  }

  private long num(String key) {
    try {
      return Long.parseLong(status().getOrDefault(key, "0"));
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  private static String peerLabel(Peer p) {
    return p.publicKey().toBase64();
  }

  private void register() {
    // ---- per peer
    CounterWithCallback.builder()
        .name("tessera_agent_peer_received_bytes")
        .help("Bytes of authenticated WireGuard datagrams received from the peer")
        .labelNames("peer")
        .callback(cb -> peers.get().forEach(p -> cb.call(p.status().rxBytes(), peerLabel(p))))
        .register(registry);
    CounterWithCallback.builder()
        .name("tessera_agent_peer_sent_bytes")
        .help("Bytes of WireGuard datagrams sent to the peer")
        .labelNames("peer")
        .callback(cb -> peers.get().forEach(p -> cb.call(p.status().txBytes(), peerLabel(p))))
        .register(registry);
    CounterWithCallback.builder()
        .name("tessera_agent_peer_received_datagrams")
        .help("Authenticated transport datagrams (data and keepalives) received from the peer")
        .labelNames("peer")
        .callback(cb -> peers.get().forEach(p -> cb.call(p.receivedDatagrams(), peerLabel(p))))
        .register(registry);
    CounterWithCallback.builder()
        .name("tessera_agent_peer_sent_datagrams")
        .help("Transport datagrams (data and keepalives) sent to the peer")
        .labelNames("peer")
        .callback(cb -> peers.get().forEach(p -> cb.call(p.sentDatagrams(), peerLabel(p))))
        .register(registry);
    CounterWithCallback.builder()
        .name("tessera_agent_peer_handshakes")
        .help("Completed handshakes with the peer")
        .labelNames("peer")
        .callback(cb -> peers.get().forEach(p -> cb.call(p.handshakes(), peerLabel(p))))
        .register(registry);
    GaugeWithCallback.builder()
        .name("tessera_agent_peer_last_handshake_seconds")
        .help("Unix time of the last completed handshake with the peer (0: never)")
        .labelNames("peer")
        .callback(
            cb ->
                peers
                    .get()
                    .forEach(
                        p -> {
                          PeerStatus s = p.status();
                          cb.call(s.lastHandshakeEpochNanos() / 1e9, peerLabel(p));
                        }))
        .register(registry);
    CounterWithCallback.builder()
        .name("tessera_agent_peer_drops")
        .help("Packets of the peer the WireGuard core dropped, by reason and direction")
        .labelNames("peer", "reason", "direction")
        .callback(
            cb ->
                peers
                    .get()
                    .forEach(
                        p -> {
                          for (DropReason r : DropReason.values()) {
                            long n = p.drops(r);
                            if (n > 0) {
                              cb.call(
                                  n,
                                  peerLabel(p),
                                  r.name().toLowerCase(Locale.ROOT),
                                  DropDirection.of(r));
                            }
                          }
                        }))
        .register(registry);

    CounterWithCallback.builder()
        .name("tessera_agent_peer_filter_drops")
        .help("Packets of the peer the filter (enforcer) dropped, by reason and direction")
        .labelNames("peer", "reason", "direction")
        .callback(this::peerFilterDrops)
        .register(registry);

    // ---- device-wide: WireGuard core and enforcer
    CounterWithCallback.builder()
        .name("tessera_agent_wireguard_drops")
        .help("Datagrams and TUN packets the WireGuard core dropped, by reason and direction")
        .labelNames("reason", "direction")
        .callback(
            cb ->
                status()
                    .forEach(
                        (k, v) -> {
                          if (k.startsWith("wg_drop_")) {
                            String reason = k.substring("wg_drop_".length());
                            cb.call(parse(v), reason, DropDirection.ofStatusName(reason));
                          }
                        }))
        .register(registry);
    CounterWithCallback.builder()
        .name("tessera_agent_filter_packets")
        .help(
            "Packets the enforcer decided (and the agent dropped around it), by verdict, reason and direction")
        .labelNames("verdict", "reason", "direction")
        .callback(
            cb ->
                status()
                    .forEach(
                        (k, v) -> {
                          String[] parts =
                              k.split("_", 3); // accept_inbound_rule, drop_outbound_malformed,
                          // drop_inbound_tun-write
                          if (parts.length == 3
                              && (parts[0].equals("accept") || parts[0].equals("drop"))
                              && (parts[1].equals("inbound") || parts[1].equals("outbound"))) {
                            cb.call(parse(v), parts[0], parts[2], parts[1]);
                          }
                        }))
        .register(registry);
    CounterWithCallback.builder()
        .name("tessera_agent_tun_packets_read")
        .help("Packets read from the TUN device")
        .callback(cb -> cb.call(num("tun_packets_read")))
        .register(registry);
    CounterWithCallback.builder()
        .name("tessera_agent_udp_datagrams_received")
        .help("UDP datagrams received")
        .callback(cb -> cb.call(num("udp_datagrams_received")))
        .register(registry);

    // ---- filter state
    GaugeWithCallback.builder()
        .name("tessera_agent_filter_mode")
        .help("1 for the filter mode in force (enforce, fail_closed, allow_all)")
        .labelNames("mode")
        .callback(cb -> cb.call(1, status().getOrDefault("filter_mode", "unknown")))
        .register(registry);
    GaugeWithCallback.builder()
        .name("tessera_agent_filter_generation")
        .help("Filters put in force since start (1: the first)")
        .callback(cb -> cb.call(num("filter_generation")))
        .register(registry);
    GaugeWithCallback.builder()
        .name("tessera_agent_filter_age_seconds")
        .help("Seconds since the filter in force was put in force (absent when none is)")
        .callback(
            cb -> {
              long at = num("filter_applied_at_ms");
              if (at > 0) {
                cb.call(Math.max(0, clockMillis.getAsLong() - at) / 1000.0);
              }
            })
        .register(registry);
    CounterWithCallback.builder()
        .name("tessera_agent_filter_reloads")
        .help("Filters put in force after the first")
        .callback(cb -> cb.call(num("filter_reloads")))
        .register(registry);
    CounterWithCallback.builder()
        .name("tessera_agent_filter_failed_reloads")
        .help("Filter files or bundles that could not be put in force")
        .callback(cb -> cb.call(num("filter_failed_reloads")))
        .register(registry);
    // Bundle versions are epoch << 32 | sequence, beyond a double's 53-bit mantissa: each half is
    // exposed on its own (exact as a double) and the whole number as a label of an info series.
    GaugeWithCallback.builder()
        .name("tessera_agent_bundle_version_epoch")
        .help(
            "Epoch (version >> 32) of the policy bundle in force (0: none; only with a policy server)")
        .callback(
            cb -> {
              if (status().containsKey("bundle_server")) {
                cb.call(num("bundle_version") >>> 32);
              }
            })
        .register(registry);
    GaugeWithCallback.builder()
        .name("tessera_agent_bundle_version_sequence")
        .help(
            "Sequence within the epoch (low 32 bits of the version) of the policy bundle in force")
        .callback(
            cb -> {
              if (status().containsKey("bundle_server")) {
                cb.call(num("bundle_version") & 0xffff_ffffL);
              }
            })
        .register(registry);
    GaugeWithCallback.builder()
        .name("tessera_agent_bundle_info")
        .help("Always 1; the version of the policy bundle in force as an exact decimal label")
        .labelNames("version")
        .callback(
            cb -> {
              if (status().containsKey("bundle_server")) {
                cb.call(1, Long.toString(num("bundle_version")));
              }
            })
        .register(registry);
    statusCounter(
        "tessera_agent_flow_log_lines",
        "Lines written to the flow log (absent without --flow-log)",
        "flow_log_lines");
    statusCounter(
        "tessera_agent_flow_log_lost_lines",
        "New flows not written to the flow log because its writer fell behind",
        "flow_log_lost");
    CounterWithCallback.builder()
        .name("tessera_agent_conntrack_evictions")
        .help(
            "New flows the connection-tracking table made room for by evicting an unreplied entry"
                + " (early-drop, own-at-quota) or refused (refused-full, refused-quota)")
        .labelNames("kind")
        .callback(
            cb ->
                status()
                    .forEach(
                        (k, v) -> {
                          if (k.startsWith("conntrack_eviction_")) {
                            cb.call(parse(v), k.substring("conntrack_eviction_".length()));
                          }
                        }))
        .register(registry);
    GaugeWithCallback.builder()
        .name("tessera_agent_conntrack_flows")
        .help("Live connection-tracking entries")
        .callback(
            cb -> {
              if (status().containsKey("conntrack_flows")) {
                cb.call(num("conntrack_flows"));
              }
            })
        .register(registry);
  }

  /** A counter read from the status line {@code key}, absent while that line is. */
  private void statusCounter(String name, String help, String key) {
    CounterWithCallback.builder()
        .name(name)
        .help(help)
        .callback(
            cb -> {
              if (status().containsKey(key)) {
                cb.call(num(key));
              }
            })
        .register(registry);
  }

  private void peerFilterDrops(CounterWithCallback.Callback cb) {
    for (Peer p : peers.get()) {
      for (FilterGate.DropLabel l : FilterGate.DROP_LABELS) {
        long n = p.filterDrops(l.index());
        if (n > 0) {
          cb.call(n, peerLabel(p), l.reason(), l.direction());
        }
      }
    }
  }

  private static double parse(String v) {
    try {
      return Long.parseLong(v);
    } catch (NumberFormatException e) {
      return 0;
    }
  }
}
