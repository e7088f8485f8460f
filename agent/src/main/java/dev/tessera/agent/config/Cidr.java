package dev.tessera.agent.config;

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
 * <p>{@link #masked()} gives the network form used for routes and allowed IPs. Parsing accepts
 * only numeric literals, never a host name: a config must not trigger DNS lookups for addresses.
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

  /** Parses {@code addr[/bits]}; a missing length means a single host (/32 or /128). Null when malformed. */
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

  /** 4 bytes give an Inet4Address, 16 an Inet6Address (also for v4-mapped addresses, unlike InetAddress.getByAddress). */
  public static InetAddress toInet(byte[] raw) {
    try {
      return raw.length == 16 ? Inet6Address.getByAddress(null, raw, -1) : InetAddress.getByAddress(raw);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("address must have 4 or 16 bytes, got " + raw.length);
    }
  }

  /** Parses a numeric IPv4 dotted quad or IPv6 literal into 4 or 16 bytes; null otherwise. */
  public static byte[] parseLiteral(String s) {
    if (s.isEmpty()) {
      return null;
    }
    if (s.indexOf(':') < 0) {
      return parseV4(s);
    }
    // IPv6: only hex digits, ':' and '.' (embedded IPv4) are allowed, so InetAddress never resolves a name.
    if (s.indexOf('%') >= 0) {
      return null;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' || c == '.';
      if (!ok) {
        return null;
      }
    }
    try {
      InetAddress a = InetAddress.getByName("[" + s + "]");
      byte[] b = a.getAddress();
      if (b.length == 4) {
        // Java maps ::ffff:a.b.c.d to Inet4Address; keep it as a 16-byte IPv6 address.
        byte[] v6 = new byte[16];
        v6[10] = (byte) 0xff;
        v6[11] = (byte) 0xff;
        System.arraycopy(b, 0, v6, 12, 4);
        return v6;
      }
      return b;
    } catch (UnknownHostException e) {
      return null;
    }
  }

  private static byte[] parseV4(String s) {
    String[] parts = s.split("\\.", -1);
    if (parts.length != 4) {
      return null;
    }
    byte[] b = new byte[4];
    for (int i = 0; i < 4; i++) {
      String p = parts[i];
      if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(c -> c >= '0' && c <= '9')) {
        return null;
      }
      int v = Integer.parseInt(p);
      if (v > 255) {
        return null;
      }
      b[i] = (byte) v;
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

  /** Address text as Go's netip prints it (lower-case, longest zero run compressed). */
  public static String addressText(InetAddress a) {
    if (a instanceof Inet6Address) {
      byte[] b = a.getAddress();
      boolean mapped = b[10] == (byte) 0xff && b[11] == (byte) 0xff;
      for (int i = 0; i < 10 && mapped; i++) {
        mapped = b[i] == 0;
      }
      if (mapped) {
        return "::ffff:" + (b[12] & 0xff) + "." + (b[13] & 0xff) + "." + (b[14] & 0xff) + "." + (b[15] & 0xff);
      }
      int[] w = new int[8];
      for (int i = 0; i < 8; i++) {
        w[i] = ((b[2 * i] & 0xff) << 8) | (b[2 * i + 1] & 0xff);
      }
      int bestStart = -1;
      int bestLen = 0;
      for (int i = 0; i < 8; ) {
        if (w[i] != 0) {
          i++;
          continue;
        }
        int j = i;
        while (j < 8 && w[j] == 0) {
          j++;
        }
        if (j - i > bestLen && j - i >= 2) {
          bestStart = i;
          bestLen = j - i;
        }
        i = j;
      }
      StringBuilder sb = new StringBuilder();
      for (int i = 0; i < 8; i++) {
        if (i == bestStart) {
          sb.append("::");
          i += bestLen - 1;
          continue;
        }
        if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
          sb.append(':');
        }
        sb.append(Integer.toHexString(w[i]));
      }
      return sb.toString();
    }
    return a.getHostAddress();
  }
}
