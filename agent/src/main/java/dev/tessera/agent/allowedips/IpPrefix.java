package dev.tessera.agent.allowedips;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * An IPv4 or IPv6 prefix such as {@code 10.0.0.0/24} or {@code fd00::/64}. The address is
 * canonical: bits beyond the prefix length are cleared, so {@code 10.0.0.7/24} equals {@code
 * 10.0.0.0/24} (as {@code wg} does when it prints allowed IPs).
 */
public record IpPrefix(InetAddress address, int bits) {
  public IpPrefix {
    int max = address instanceof Inet4Address ? 32 : 128;
    if (bits < 0 || bits > max) {
      throw new IllegalArgumentException("prefix length " + bits + " out of range 0.." + max);
    }
    address = mask(address, bits);
  }

  /** Parses {@code addr/bits}, or a bare address (a host prefix). Accepts only IP literals. */
  public static IpPrefix parse(String text) {
    String s = text.strip();
    int slash = s.indexOf('/');
    String addr = slash < 0 ? s : s.substring(0, slash);
    InetAddress a = literal(addr);
    int bits;
    if (slash < 0) {
      bits = a instanceof Inet4Address ? 32 : 128;
    } else {
      try {
        bits = Integer.parseInt(s.substring(slash + 1));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("bad prefix length in '" + text + "'", e);
      }
    }
    return new IpPrefix(a, bits);
  }

  public boolean isIpv4() {
    return address instanceof Inet4Address;
  }

  @Override
  public String toString() {
    return address.getHostAddress() + "/" + bits;
  }

  /**
   * Parses an IPv4 or IPv6 literal without ever doing a DNS lookup (the text is checked to be a
   * literal first). IPv4-mapped IPv6 literals stay IPv6, unlike {@link InetAddress#getByName}.
   */
  static InetAddress literal(String s) {
    boolean v4 = s.matches("\\d{1,3}(\\.\\d{1,3}){3}");
    boolean v6 = s.indexOf(':') >= 0 && s.matches("[0-9A-Fa-f:.]+");
    if (!v4 && !v6) {
      throw new IllegalArgumentException("not an IP address literal: '" + s + "'");
    }
    try {
      InetAddress a = InetAddress.getByName(s);
      if (v6 && a instanceof Inet4Address) {
        byte[] mapped = new byte[16];
        mapped[10] = (byte) 0xff;
        mapped[11] = (byte) 0xff;
        System.arraycopy(a.getAddress(), 0, mapped, 12, 4);
        return Inet6Address.getByAddress(null, mapped, -1);
      }
      return a;
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("not an IP address literal: '" + s + "'", e);
    }
  }

  private static InetAddress mask(InetAddress a, int bits) {
    byte[] b = a.getAddress();
    for (int i = 0; i < b.length; i++) {
      int keep = Math.max(0, Math.min(8, bits - 8 * i));
      b[i] &= (byte) (0xff00 >>> keep);
    }
    try {
      // Inet6Address.getByAddress keeps IPv4-mapped IPv6 addresses as IPv6 (InetAddress would not).
      return b.length == 16 ? Inet6Address.getByAddress(null, b, -1) : InetAddress.getByAddress(b);
    } catch (UnknownHostException e) {
      throw new IllegalStateException(e);
    }
  }
}
