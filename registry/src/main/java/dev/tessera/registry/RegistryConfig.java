package dev.tessera.registry;

import dev.tessera.net.IpPrefix;
import java.time.Duration;
import java.util.Objects;

/**
 * The address pools nodes are given addresses from, and how long a node key is valid by default.
 * Tailscale's ranges are the defaults: {@code 100.64.0.0/10} (CGNAT space) and {@code
 * fd7a:115c:a1e0::/48}. A node's IPv6 address is the IPv6 pool's address at the same offset as its
 * IPv4 address in the IPv4 pool, so the IPv6 pool must be at least as large.
 */
public record RegistryConfig(IpPrefix ipv4Pool, IpPrefix ipv6Pool, Duration keyExpiry) {
  public static final IpPrefix DEFAULT_IPV4 = IpPrefix.parse("100.64.0.0/10");
  public static final IpPrefix DEFAULT_IPV6 = IpPrefix.parse("fd7a:115c:a1e0::/48");
  public static final Duration DEFAULT_KEY_EXPIRY = Duration.ofDays(180);

  public RegistryConfig {
    Objects.requireNonNull(ipv4Pool, "ipv4Pool");
    Objects.requireNonNull(ipv6Pool, "ipv6Pool");
    Objects.requireNonNull(keyExpiry, "keyExpiry");
    if (ipv4Pool.ipv6() || !ipv6Pool.ipv6()) {
      throw new IllegalArgumentException(
          "the IPv4 pool must be IPv4 and the IPv6 pool IPv6: " + ipv4Pool + ", " + ipv6Pool);
    }
    if (128 - ipv6Pool.bits() < 32 - ipv4Pool.bits()) {
      throw new IllegalArgumentException(
          "the IPv6 pool " + ipv6Pool + " is smaller than the IPv4 pool " + ipv4Pool);
    }
    if (keyExpiry.isNegative() || keyExpiry.isZero()) {
      throw new IllegalArgumentException("key expiry must be positive: " + keyExpiry);
    }
  }

  public static RegistryConfig defaults() {
    return new RegistryConfig(DEFAULT_IPV4, DEFAULT_IPV6, DEFAULT_KEY_EXPIRY);
  }

  public RegistryConfig withPools(IpPrefix v4, IpPrefix v6) {
    return new RegistryConfig(v4, v6, keyExpiry);
  }
}
