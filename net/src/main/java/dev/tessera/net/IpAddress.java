package dev.tessera.net;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * An IPv4 or IPv6 address held as primitives: IPv4 in the low 32 bits of {@code lo} ({@code hi} is
 * 0), IPv6 as two big-endian 64-bit halves. Equality, hashing and order are the record's, so
 * addresses are cheap map keys, and the packet path can compare them as ints and longs.
 *
 * <p>Text is parsed and printed here, never through {@link InetAddress#getByName}, so no text can
 * trigger a DNS lookup. Parsing accepts RFC 4291 text including an embedded dotted quad ({@code
 * ::ffff:1.2.3.4}), like Go's {@code netip.ParseAddr}: zone ids and IPv4 octets with leading zeros
 * are rejected (the latter are ambiguous: some parsers read them as octal). {@link #parse} names
 * the reason in its message. {@link #toString()} is RFC 5952 section 4: dotted quad for IPv4; lower
 * case, leading zeros dropped and the longest run of two or more zero groups (the first on a tie)
 * compressed to {@code ::} for IPv6.
 */
public record IpAddress(boolean ipv6, long hi, long lo) implements Comparable<IpAddress> {

  /**
   * The longest text an address can have ({@code ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255}).
   */
  public static final int MAX_TEXT_LENGTH = 45;

  public IpAddress {
    if (!ipv6 && (hi != 0 || (lo >>> 32) != 0)) {
      throw new IllegalArgumentException("IPv4 address must fit in the low 32 bits of lo");
    }
  }

  public static IpAddress ofV4(int addr) {
    return new IpAddress(false, 0, addr & 0xFFFF_FFFFL);
  }

  public static IpAddress ofV6(long hi, long lo) {
    return new IpAddress(true, hi, lo);
  }

  /** An address from its 4 or 16 network-order bytes. */
  public static IpAddress ofBytes(byte[] raw) {
    if (raw.length != 4 && raw.length != 16) {
      throw new IllegalArgumentException("an address has 4 or 16 bytes, not " + raw.length);
    }
    if (raw.length == 4) {
      return new IpAddress(false, 0, bigEndian(raw, 0, 4));
    }
    return new IpAddress(true, bigEndian(raw, 0, 8), bigEndian(raw, 8, 8));
  }

  /** The address of an {@link InetAddress} (an IPv4-mapped {@link Inet6Address} stays IPv6). */
  public static IpAddress of(InetAddress a) {
    return ofBytes(a.getAddress());
  }

  /**
   * Parses an address; throws IllegalArgumentException whose message quotes the text and says what
   * is wrong with it.
   */
  public static IpAddress parse(String text) {
    Parser p = new Parser(text);
    IpAddress a = p.address();
    if (a == null) {
      throw new IllegalArgumentException("not an IP address: \"" + text + "\" (" + p.error + ")");
    }
    return a;
  }

  /** Parses an address, or returns null when {@code text} is not one. */
  public static IpAddress tryParse(String text) {
    return new Parser(text).address();
  }

  /** The IPv4 address as an int (only meaningful when !ipv6). */
  public int v4() {
    return (int) lo;
  }

  public int bitLength() {
    return ipv6 ? 128 : 32;
  }

  /** True for an IPv4-mapped IPv6 address, {@code ::ffff:0:0/96}. */
  public boolean isIpv4Mapped() {
    return ipv6 && hi == 0 && (lo >>> 32) == 0xFFFFL;
  }

  /** The 4 or 16 network-order bytes. */
  public byte[] toBytes() {
    byte[] b = new byte[ipv6 ? 16 : 4];
    if (ipv6) {
      for (int i = 0; i < 8; i++) {
        b[i] = (byte) (hi >>> (56 - 8 * i));
        b[8 + i] = (byte) (lo >>> (56 - 8 * i));
      }
    } else {
      for (int i = 0; i < 4; i++) {
        b[i] = (byte) (lo >>> (24 - 8 * i));
      }
    }
    return b;
  }

  /**
   * The JDK's form of this address, without any lookup. An IPv4-mapped address stays an {@link
   * Inet6Address} (unlike {@link InetAddress#getByAddress(byte[])}).
   */
  public InetAddress toInetAddress() {
    try {
      return ipv6
          ? Inet6Address.getByAddress(null, toBytes(), -1)
          : Inet4Address.getByAddress(toBytes());
    } catch (UnknownHostException e) {
      throw new AssertionError(e); // thrown only for a wrong length
    }
  }

  @Override
  public String toString() {
    return ipv6 ? v6Text(false) : v4Text(lo);
  }

  /**
   * The text Go's {@code netip.Addr.String} (and so {@code wg}) prints: {@link #toString()}, except
   * that an IPv4-mapped address keeps its dotted tail ({@code ::ffff:1.2.3.4}, RFC 5952 section 5).
   */
  public String toMixedString() {
    return ipv6 ? v6Text(true) : v4Text(lo);
  }

  private static String v4Text(long v) {
    return ((v >>> 24) & 0xFF)
        + "."
        + ((v >>> 16) & 0xFF)
        + "."
        + ((v >>> 8) & 0xFF)
        + "."
        + (v & 0xFF);
  }

  private String v6Text(boolean mixed) {
    if (mixed && isIpv4Mapped()) {
      return "::ffff:" + v4Text(lo & 0xFFFF_FFFFL);
    }
    int[] g = new int[8];
    for (int k = 0; k < 4; k++) {
      g[k] = (int) ((hi >>> (48 - 16 * k)) & 0xFFFF);
      g[k + 4] = (int) ((lo >>> (48 - 16 * k)) & 0xFFFF);
    }
    int bestStart = -1;
    int bestLen = 1; // RFC 5952 4.2.2: a single zero group is not compressed
    for (int k = 0; k < 8; ) {
      if (g[k] != 0) {
        k++;
        continue;
      }
      int start = k;
      while (k < 8 && g[k] == 0) {
        k++;
      }
      if (k - start > bestLen) { // strictly longer: the first run wins a tie (4.2.3)
        bestStart = start;
        bestLen = k - start;
      }
    }
    StringBuilder sb = new StringBuilder(39);
    for (int k = 0; k < 8; k++) {
      if (k == bestStart) {
        sb.append("::");
        k += bestLen - 1;
        continue;
      }
      if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
        sb.append(':');
      }
      sb.append(Integer.toHexString(g[k]));
    }
    return sb.toString();
  }

  /** IPv4 sorts before IPv6; within a family, numeric (unsigned) order. */
  @Override
  public int compareTo(IpAddress o) {
    if (ipv6 != o.ipv6) {
      return ipv6 ? 1 : -1;
    }
    int c = Long.compareUnsigned(hi, o.hi);
    return c != 0 ? c : Long.compareUnsigned(lo, o.lo);
  }

  private static long bigEndian(byte[] b, int from, int n) {
    long v = 0;
    for (int i = from; i < from + n; i++) {
      v = (v << 8) | (b[i] & 0xFF);
    }
    return v;
  }

  /** ASCII only: {@link Character#digit} would also take other scripts' digits. */
  private static int hexDigit(char c) {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    }
    return c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
  }

  /** One parse: the result, or null with {@link #error} saying why. */
  private static final class Parser {
    private final String s;
    String error;

    Parser(String s) {
      this.s = s;
    }

    IpAddress address() {
      if (s == null || s.isEmpty()) {
        return fail("empty");
      }
      if (s.length() > MAX_TEXT_LENGTH) {
        return fail("longer than " + MAX_TEXT_LENGTH + " characters");
      }
      if (s.indexOf('%') >= 0) {
        return fail("zone ids are not accepted");
      }
      if (s.indexOf(':') < 0) {
        long v4 = v4(0, s.length());
        return v4 < 0 ? null : new IpAddress(false, 0, v4);
      }
      return v6();
    }

    private <T> T fail(String why) {
      error = why;
      return null;
    }

    /** The dotted quad in s[from,to), or -1 with {@link #error} set. */
    private long v4(int from, int to) {
      long result = 0;
      int octets = 0;
      int i = from;
      while (true) {
        int start = i;
        int value = 0;
        while (i < to && i - start < 4 && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
          value = value * 10 + (s.charAt(i) - '0');
          i++;
        }
        int digits = i - start;
        if (digits == 0) {
          error =
              i < to
                  ? "unexpected '" + s.charAt(i) + "' in IPv4 address"
                  : "IPv4 address ends early";
          return -1;
        }
        if (digits > 3) {
          error = "IPv4 octet has more than three digits";
          return -1;
        }
        if (value > 255) {
          error = "IPv4 octet " + value + " is over 255";
          return -1;
        }
        if (digits > 1 && s.charAt(start) == '0') {
          error = "IPv4 octet " + s.substring(start, i) + " has a leading zero";
          return -1;
        }
        result = (result << 8) | value;
        octets++;
        if (i == to) {
          break;
        }
        if (s.charAt(i) != '.') {
          error = "unexpected '" + s.charAt(i) + "' in IPv4 address";
          return -1;
        }
        if (octets == 4) {
          error = "IPv4 address has more than four octets";
          return -1;
        }
        i++;
      }
      if (octets != 4) {
        error = "IPv4 address needs four octets, has " + octets;
        return -1;
      }
      return result;
    }

    private IpAddress v6() {
      int[] groups = new int[8];
      int n = 0;
      int gap = -1;
      int i = 0;
      int len = s.length();
      if (s.startsWith("::")) {
        gap = 0;
        i = 2;
        if (len == 2) {
          return new IpAddress(true, 0, 0);
        }
      } else if (s.charAt(0) == ':') {
        return fail("IPv6 address starts with a single ':'");
      }
      while (i < len) {
        if (n == 8) {
          return fail("IPv6 address has more than eight groups");
        }
        int start = i;
        int value = 0;
        int d;
        while (i < len && (d = hexDigit(s.charAt(i))) >= 0) {
          if (i - start == 4) {
            return fail("IPv6 group has more than four hex digits");
          }
          value = (value << 4) | d;
          i++;
        }
        if (i < len && s.charAt(i) == '.') {
          if (n > 6) {
            return fail("embedded IPv4 address does not fit in the last 32 bits");
          }
          long v4 = v4(start, len);
          if (v4 < 0) {
            return null;
          }
          groups[n++] = (int) (v4 >>> 16);
          groups[n++] = (int) (v4 & 0xFFFF);
          break;
        }
        if (i == start) {
          return fail("unexpected '" + s.charAt(i) + "' in IPv6 address");
        }
        groups[n++] = value;
        if (i == len) {
          break;
        }
        if (s.charAt(i) != ':') {
          return fail("unexpected '" + s.charAt(i) + "' in IPv6 address");
        }
        i++;
        if (i < len && s.charAt(i) == ':') {
          if (gap >= 0) {
            return fail("IPv6 address has more than one '::'");
          }
          gap = n;
          i++;
        } else if (i == len) {
          return fail("IPv6 address ends with a single ':'");
        }
      }
      int[] full = new int[8];
      if (gap >= 0) {
        if (n == 8) {
          return fail("'::' must stand for at least one zero group");
        }
        int tail = n - gap;
        System.arraycopy(groups, 0, full, 0, gap);
        System.arraycopy(groups, gap, full, 8 - tail, tail);
      } else if (n != 8) {
        return fail("IPv6 address needs eight groups or '::', has " + n);
      } else {
        full = groups;
      }
      long hi = 0;
      long lo = 0;
      for (int g = 0; g < 4; g++) {
        hi = (hi << 16) | full[g];
        lo = (lo << 16) | full[g + 4];
      }
      return new IpAddress(true, hi, lo);
    }
  }
}
