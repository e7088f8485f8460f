package dev.tessera.agent.config;

import dev.tessera.net.IpAddress;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

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
   * Parses {@code addr[/bits]}; a missing length means a single host (/32 or /128). Null when
   * malformed.
   */
  public static Cidr parseOrNull(String text) {
    String t = text.strip();
    int slash = t.indexOf('/');
    String addr = slash < 0 ? t : t.substring(0, slash);
    byte[] raw = parseLiteral(addr);
    if (raw == null) {
      return null;
    }
    int max = raw.length * 8;
    int bits = max;
    if (slash >= 0) {
      String len = t.substring(slash + 1);
      if (len.isEmpty() || len.length() > 3 || !len.chars().allMatch(c -> c >= '0' && c <= '9')) {
        return null;
      }
      bits = Integer.parseInt(len);
      if (bits > max) {
        return null;
      }
    }
    return new Cidr(toInet(raw), bits);
  }

  /**
   * 4 bytes give an Inet4Address, 16 an Inet6Address (also for v4-mapped addresses, unlike
   * InetAddress.getByAddress).
   */
  public static InetAddress toInet(byte[] raw) {
    try {
      return raw.length == 16
          ? Inet6Address.getByAddress(null, raw, -1)
          : InetAddress.getByAddress(raw);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("address must have 4 or 16 bytes, got " + raw.length);
    }
  }

  /**
   * Parses a numeric IPv4 dotted quad or IPv6 literal into 4 or 16 bytes; null otherwise. The
   * enforcer's parser does the work: it never resolves a name, rejects zone ids and (like glibc's
   * inet_pton, which wg uses) IPv4 octets with leading zeros.
   */
  public static byte[] parseLiteral(String s) {
    IpAddress a = IpAddress.tryParse(s);
    if (a == null) {
      return null;
    }
    byte[] b = new byte[a.ipv6() ? 16 : 4];
    if (a.ipv6()) {
      for (int i = 0; i < 8; i++) {
        b[i] = (byte) (a.hi() >>> (56 - 8 * i));
        b[8 + i] = (byte) (a.lo() >>> (56 - 8 * i));
      }
    } else {
      for (int i = 0; i < 4; i++) {
        b[i] = (byte) (a.lo() >>> (24 - 8 * i));
      }
    }
    return b;
  }

  /** The core's canonical prefix (host bits cleared). */
  public dev.tessera.agent.allowedips.IpPrefix toPrefix() {
    return new dev.tessera.agent.allowedips.IpPrefix(address, bits);
  }

  /** The network address: host bits cleared. */
  public Cidr masked() {
    byte[] b = address.getAddress();
    for (int i = 0; i < b.length; i++) {
      int keep = Math.max(0, Math.min(8, bits - i * 8));
      b[i] &= (byte) (0xff << (8 - keep));
    }
    return new Cidr(toInet(b), bits);
  }

  /** Canonical text: compressed IPv6 as wg prints it, e.g. {@code fd00::1/128}. */
  @Override
  public String toString() {
    return addressText(address) + "/" + bits;
  }

  /**
   * Address text as Go's netip prints it: RFC 5952 (the enforcer's formatter), except that an
   * IPv4-mapped address keeps its dotted tail ({@code ::ffff:1.2.3.4}).
   */
  public static String addressText(InetAddress a) {
    byte[] b = a.getAddress();
    if (b.length == 4) {
      return a.getHostAddress();
    }
    boolean mapped = b[10] == (byte) 0xff && b[11] == (byte) 0xff;
    for (int i = 0; i < 10 && mapped; i++) {
      mapped = b[i] == 0;
    }
    if (mapped) {
      return "::ffff:"
          + (b[12] & 0xff)
          + "."
          + (b[13] & 0xff)
          + "."
          + (b[14] & 0xff)
          + "."
          + (b[15] & 0xff);
    }
    long hi = 0;
    long lo = 0;
    for (int i = 0; i < 8; i++) {
      hi = (hi << 8) | (b[i] & 0xff);
      lo = (lo << 8) | (b[8 + i] & 0xff);
    }
    return IpAddress.ofV6(hi, lo).toString();
  }
}
