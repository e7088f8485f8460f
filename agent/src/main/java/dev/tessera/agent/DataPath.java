package dev.tessera.agent;

import dev.tessera.agent.protocol.WireGuardDevice;
import dev.tessera.agent.tun.TunDevice;
import java.util.function.Consumer;

/** What every shell thread needs: the device, the TUN, the filter, counters and a log. */
final class DataPath {
  private final WireGuardDevice device;
  private final TunDevice tun;
  private final FilterGate filter;
  private final AgentStats stats = new AgentStats();
  private final Consumer<String> log;
  private volatile long lastLogNanos;

  DataPath(WireGuardDevice device, TunDevice tun, FilterGate filter, Consumer<String> log) {
    this.device = device;
    this.tun = tun;
    this.filter = filter;
    this.log = log;
  }

  WireGuardDevice device() {
    return device;
  }

  TunDevice tun() {
    return tun;
  }

  FilterGate filter() {
    return filter;
  }

  AgentStats stats() {
    return stats;
  }

  Consumer<String> log() {
    return log;
  }

  /** At most one data-path log line per second: a flood must not turn into a log flood. */
  void rateLimitedLog(String msg) {
    long now = System.nanoTime();
    if (now - lastLogNanos > 1_000_000_000L) {
      lastLogNanos = now;
      log.accept(msg);
    }
  }
}
