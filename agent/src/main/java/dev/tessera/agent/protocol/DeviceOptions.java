package dev.tessera.agent.protocol;

import java.security.SecureRandom;
import java.time.InstantSource;
import java.util.function.LongSupplier;

/**
 * Tunables and injected dependencies of a {@link WireGuardDevice}. Tests inject a fake clock and a
 * seeded random source; production uses {@link #defaults()}.
 *
 * @param nanoClock monotonic clock in nanoseconds (all protocol timers); {@code System::nanoTime}
 * @param wallClock wall clock for TAI64N timestamps and "last handshake" times
 * @param random source of ephemeral keys, sender indices, cookie secrets and nonces
 * @param stagedQueueSize packets kept per peer while waiting for a handshake (wireguard-go
 *     QueueStagedSize = 128); older packets are dropped first
 * @param underLoadHandshakesPerSecond handshake messages per second above which the device is
 *     "under load" and demands MAC2 cookies (it then stays under load for at least one second)
 * @param handshakesPerSecondPerSource under load: steady-state handshake rate allowed per source IP
 *     (wireguard-go ratelimiter: 20/s, burst 5)
 * @param handshakeBurstPerSource under load: burst allowed per source IP
 */
public record DeviceOptions(
    LongSupplier nanoClock,
    InstantSource wallClock,
    SecureRandom random,
    int stagedQueueSize,
    int underLoadHandshakesPerSecond,
    int handshakesPerSecondPerSource,
    int handshakeBurstPerSource) {

  public DeviceOptions {
    if (stagedQueueSize < 1
        || underLoadHandshakesPerSecond < 1
        || handshakesPerSecondPerSource < 1
        || handshakeBurstPerSource < 1) {
      throw new IllegalArgumentException("queue sizes and rates must be positive");
    }
  }

  /** System clocks, a strong SecureRandom, wireguard-go's limits. */
  public static DeviceOptions defaults() {
    return new DeviceOptions(
        System::nanoTime, InstantSource.system(), new SecureRandom(), 128, 128, 20, 5);
  }

  public DeviceOptions withClocks(LongSupplier nanoClock, InstantSource wallClock) {
    return new DeviceOptions(
        nanoClock,
        wallClock,
        random,
        stagedQueueSize,
        underLoadHandshakesPerSecond,
        handshakesPerSecondPerSource,
        handshakeBurstPerSource);
  }

  public DeviceOptions withRandom(SecureRandom random) {
    return new DeviceOptions(
        nanoClock,
        wallClock,
        random,
        stagedQueueSize,
        underLoadHandshakesPerSecond,
        handshakesPerSecondPerSource,
        handshakeBurstPerSource);
  }

  public DeviceOptions withUnderLoadThreshold(int handshakesPerSecond) {
    return new DeviceOptions(
        nanoClock,
        wallClock,
        random,
        stagedQueueSize,
        handshakesPerSecond,
        handshakesPerSecondPerSource,
        handshakeBurstPerSource);
  }
}
