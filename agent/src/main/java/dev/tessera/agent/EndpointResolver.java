package dev.tessera.agent;

import dev.tessera.agent.config.AgentConfig;
import dev.tessera.agent.config.Endpoint;
import dev.tessera.agent.crypto.WgKey;
import dev.tessera.agent.protocol.Peer;
import dev.tessera.agent.protocol.PeerStatus;
import dev.tessera.agent.protocol.WireGuardDevice;
import dev.tessera.net.IpAddress;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * Re-resolves peers' {@code Endpoint} host names, as wireguard-tools' {@code reresolve-dns.sh} does
 * for wg-quick: every {@link #intervalMillis} (30 s), each peer whose endpoint is a name and whose
 * last handshake is older than {@link #staleSeconds} (135 s: a handshake should have happened
 * within REKEY_AFTER_TIME + REKEY_TIMEOUT + a margin) or that never had one gets its name looked up
 * again; if the address differs from the peer's current endpoint, the endpoint is replaced (as
 * {@code wg set peer K endpoint host:port} would).
 *
 * <p>Why by handshake age and not on every change: a peer with a live session proves its current
 * endpoint works (it may have roamed to an address DNS does not know); only a peer we cannot reach
 * is worth redirecting. Why a thread of its own: {@link InetAddress#getByName} blocks for up to the
 * resolver's timeout; it must never run on an event loop, a TUN reader or the timer thread. Lookups
 * are sequential, one per stale named peer per round, so the load is bounded by the peer count per
 * interval. The JVM's positive DNS cache (30 s by default) applies.
 */
final class EndpointResolver implements AutoCloseable {
  /** One named endpoint of a configured peer. */
  record Target(WgKey peer, Endpoint endpoint) {}

  /** Host name lookup; the system resolver in production. */
  interface Lookup {
    InetAddress lookup(String host) throws UnknownHostException;
  }

  static final long DEFAULT_INTERVAL_MILLIS = 30_000;
  static final long DEFAULT_STALE_SECONDS = 135;

  private final WireGuardDevice device;
  private final List<Target> targets;
  private final Lookup lookup;
  private final LongSupplier epochMillis;
  final long intervalMillis;
  final long staleSeconds;
  private final Consumer<String> log;
  private volatile boolean running = true;
  private Thread thread;

  EndpointResolver(
      WireGuardDevice device,
      List<Target> targets,
      Lookup lookup,
      LongSupplier epochMillis,
      long intervalMillis,
      long staleSeconds,
      Consumer<String> log) {
    this.device = device;
    this.targets = List.copyOf(targets);
    this.lookup = lookup;
    this.epochMillis = epochMillis;
    this.intervalMillis = intervalMillis;
    this.staleSeconds = staleSeconds;
    this.log = log;
  }

  /**
   * A resolver for the config's named endpoints, or null when every endpoint is a literal. Knobs:
   * {@code tessera.agent.reresolveSeconds} (interval) and {@code
   * tessera.agent.reresolveAfterSeconds} (handshake age).
   */
  static EndpointResolver forConfig(
      AgentConfig config, WireGuardDevice device, Consumer<String> log) {
    List<Target> targets =
        config.peers().stream()
            .filter(
                p ->
                    p.endpoint().isPresent()
                        && IpAddress.tryParse(p.endpoint().get().host()) == null)
            .map(p -> new Target(p.publicKey(), p.endpoint().get()))
            .toList();
    if (targets.isEmpty()) {
      return null;
    }
    long interval =
        TimeUnit.SECONDS.toMillis(
            Long.getLong("tessera.agent.reresolveSeconds", DEFAULT_INTERVAL_MILLIS / 1000));
    long stale = Long.getLong("tessera.agent.reresolveAfterSeconds", DEFAULT_STALE_SECONDS);
    return new EndpointResolver(
        device,
        targets,
        InetAddress::getByName,
        System::currentTimeMillis,
        Math.max(100, interval),
        Math.max(0, stale),
        log);
  }

  void start() {
    thread =
        Thread.ofPlatform()
            .name("endpoint-resolver")
            .daemon()
            .start(
                () -> {
                  while (running) {
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(intervalMillis));
                    if (!running) {
                      break;
                    }
                    try {
                      round();
                    } catch (RuntimeException e) {
                      log.accept("endpoint re-resolution: unexpected " + e);
                    }
                  }
                });
  }

  /** One pass over the named endpoints; returns how many endpoints changed. */
  int round() {
    int changed = 0;
    long now = epochMillis.getAsLong();
    for (Target t : targets) {
      if (!running) {
        break;
      }
      Optional<Peer> peer = device.peer(t.peer());
      if (peer.isEmpty()) {
        continue; // removed through UAPI or by policy: nothing to point anywhere
      }
      PeerStatus s = peer.get().status();
      long lastMillis = s.lastHandshakeEpochNanos() / 1_000_000;
      if (s.lastHandshakeEpochNanos() != 0 && now - lastMillis <= staleSeconds * 1000) {
        continue; // a recent handshake proves the current endpoint works
      }
      InetAddress a;
      try {
        a = lookup.lookup(t.endpoint().host());
      } catch (UnknownHostException e) {
        log.accept(
            "re-resolving endpoint "
                + t.endpoint()
                + ": "
                + e.getMessage()
                + "; keeping "
                + text(s.endpoint()));
        continue;
      }
      InetSocketAddress fresh = new InetSocketAddress(a, t.endpoint().port());
      if (!fresh.equals(s.endpoint())) {
        peer.get().setEndpoint(fresh);
        log.accept(
            "endpoint "
                + t.endpoint()
                + " of peer "
                + t.peer().toBase64().substring(0, 8)
                + "... now resolves to "
                + IpAddress.of(a).toMixedString()
                + " (was "
                + text(s.endpoint())
                + ")");
        changed++;
      }
    }
    return changed;
  }

  private static String text(InetSocketAddress a) {
    return a == null ? "none" : IpAddress.of(a.getAddress()).toMixedString() + ":" + a.getPort();
  }

  @Override
  public void close() {
    running = false;
    Thread t = thread;
    if (t != null) {
      LockSupport.unpark(t);
      t.interrupt();
    }
  }
}
