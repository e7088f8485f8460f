package dev.tessera.agent.config;

import dev.tessera.net.IpAddress;
import dev.tessera.net.IpCidr;
import dev.tessera.net.IpPrefix;
import java.net.Inet4Address;
import java.net.InetAddress;

/**
 * An IPv4 or IPv6 address with a prefix length, such as {@code 10.0.0.1/24} or {@code fd00::/64},
 * as written in a config.
 *
 * <p>Unlike {@link dev.tessera.agent.allowedips.IpPrefix} (the protocol core's canonical, masked
 * prefix) this keeps the host bits: an interface {@code Address = 10.0.0.1/24} needs them.
 *
 * <p>{@link #masked()} gives the network form used for routes and allowed IPs. Parsing accepts only
 * numeric literals, never a host name: a config must not trigger DNS lookups for addresses.
 */
public record Cidr(InetAddress address, int bits) {
  public Cidr {
    int max = address instanceof Inet4Address ? 32 : 128;
    if (bits < 0 || bits > max) {
      throw new IllegalArgumentException("prefix length " + bits + " out of range 0.." + max);
    }
  }

  public boolean isIpv4() {
    return address instanceof Inet4Address;
  }

  /**
   * Parses {@code addr[/bits]} with net's parser; a missing length means a single host (/32 or
   * /128). Null when malformed.
   */
  public static Cidr parseOrNull(String text) {
    IpCidr c = IpCidr.tryParse(text.strip());
    return c == null ? null : new Cidr(c.address().toInetAddress(), c.bits());
  }

  /**
   * 4 bytes give an Inet4Address, 16 an Inet6Address (also for v4-mapped addresses, unlike
   * InetAddress.getByAddress).
   */
  public static InetAddress toInet(byte[] raw) {
    return IpAddress.ofBytes(raw).toInetAddress();
  }

  /**
   * Parses a numeric IPv4 dotted quad or IPv6 literal into 4 or 16 bytes; null otherwise. net's
   * parser does the work: it never resolves a name, rejects zone ids and (like glibc's inet_pton,
   * which wg uses) IPv4 octets with leading zeros.
   */
  public static byte[] parseLiteral(String s) {
    IpAddress a = IpAddress.tryParse(s);
    return a == null ? null : a.toBytes();
  }

  /** The core's canonical prefix (host bits cleared). */
  public dev.tessera.agent.allowedips.IpPrefix toPrefix() {
    return new dev.tessera.agent.allowedips.IpPrefix(address, bits);
  }

  /** The network address: host bits cleared. */
  public Cidr masked() {
    return new Cidr(IpPrefix.of(IpAddress.of(address), bits).address().toInetAddress(), bits);
  }

  /** Canonical text: compressed IPv6 as wg prints it, e.g. {@code fd00::1/128}. */
  @Override
  public String toString() {
    return addressText(address) + "/" + bits;
  }

  /**
   * Address text as Go's netip prints it: RFC 5952, except that an IPv4-mapped address keeps its
   * dotted tail ({@code ::ffff:1.2.3.4}); net's {@link IpAddress#toMixedString()}.
   */
  public static String addressText(InetAddress a) {
    return IpAddress.of(a).toMixedString();
  }
}
