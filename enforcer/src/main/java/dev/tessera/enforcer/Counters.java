package dev.tessera.enforcer;

import java.util.EnumMap;
import java.util.Map;

/**
 * A snapshot of the per-verdict packet counters, per direction. Counters only grow; they survive
 * filter updates.
 */
public record Counters(Map<Verdict, Long> inbound, Map<Verdict, Long> outbound) {
  public Counters {
    inbound = Map.copyOf(inbound);
    outbound = Map.copyOf(outbound);
  }

  public long count(Direction direction, Verdict verdict) {
    return (direction == Direction.INBOUND ? inbound : outbound).getOrDefault(verdict, 0L);
  }

  /** Total packets dropped in {@code direction}. */
  public long drops(Direction direction) {
    long n = 0;
    for (Map.Entry<Verdict, Long> e :
        (direction == Direction.INBOUND ? inbound : outbound).entrySet()) {
      if (e.getKey().dropped()) {
        n += e.getValue();
      }
    }
    return n;
  }

  /** Dropped inbound packets by reason code, only non-zero entries; handy for logs and tests. */
  Map<String, Long> inboundDropsByCode() {
    Map<Verdict, Long> m = new EnumMap<>(Verdict.class);
    inbound.forEach(
        (k, v) -> {
          if (k.dropped() && v > 0) {
            m.put(k, v);
          }
        });
    Map<String, Long> out = new java.util.TreeMap<>();
    m.forEach((k, v) -> out.put(k.code(), v));
    return out;
  }
}
