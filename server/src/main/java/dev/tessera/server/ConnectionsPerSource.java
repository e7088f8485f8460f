package dev.tessera.server;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Open connections per source, shared by every connection's {@link ConnectionGuard}: so that one
 * host cannot take the whole connection cap (and the file descriptors behind it) from everybody
 * else.
 *
 * <p>A source is an IPv4 address, or the /64 of an IPv6 address: a single host is usually given a
 * whole /64 and can send from any address in it, so counting IPv6 addresses one by one would not
 * limit it. An IPv4-mapped IPv6 address ({@code ::ffff:a.b.c.d}, what a dual-stack socket reports
 * for an IPv4 client) counts as its IPv4 address.
 */
final class ConnectionsPerSource {
  /** A source: {@code family} 4 with the address in {@code bits}, or 6 with the upper 64 bits. */
  record Source(int family, long bits) {}

  private final ConcurrentHashMap<Source, Integer> open = new ConcurrentHashMap<>();

  /** The source a peer address is counted under; null when it is not an IP address. */
  static Source of(SocketAddress remote) {
    if (!(remote instanceof InetSocketAddress isa) || isa.getAddress() == null) {
      return null;
    }
    return of(isa.getAddress());
  }

  static Source of(InetAddress address) {
    byte[] a = address.getAddress();
    if (a.length == 4) {
      return new Source(4, Integer.toUnsignedLong(bigEndianInt(a, 0)));
    }
    boolean mapped = a[10] == (byte) 0xff && a[11] == (byte) 0xff;
    for (int i = 0; i < 10 && mapped; i++) {
      mapped = a[i] == 0;
    }
    if (mapped) {
      return new Source(4, Integer.toUnsignedLong(bigEndianInt(a, 12)));
    }
    return new Source(
        6, (long) bigEndianInt(a, 0) << 32 | Integer.toUnsignedLong(bigEndianInt(a, 4)));
  }

  private static int bigEndianInt(byte[] a, int at) {
    return (a[at] & 0xff) << 24
        | (a[at + 1] & 0xff) << 16
        | (a[at + 2] & 0xff) << 8
        | a[at + 3] & 0xff;
  }

  /** Counts a connection from {@code source} as open; returns how many are now open from it. */
  int opened(Source source) {
    return open.merge(source, 1, Integer::sum);
  }

  /** Counts a connection from {@code source} as closed. */
  void closed(Source source) {
    open.computeIfPresent(source, (k, n) -> n <= 1 ? null : n - 1);
  }

  /** How many connections are open from {@code source} (tests). */
  int openFrom(Source source) {
    return open.getOrDefault(source, 0);
  }

  /** How many sources have a connection open. */
  int sources() {
    return open.size();
  }
}
