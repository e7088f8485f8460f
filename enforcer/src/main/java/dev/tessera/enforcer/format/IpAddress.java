package dev.tessera.enforcer.format;

/**
 * An IPv4 or IPv6 address held as primitives: IPv4 in the low 32 bits of {@code lo} ({@code hi} is
 * 0), IPv6 as two big-endian 64-bit halves. No {@link java.net.InetAddress}: parsing and formatting
 * are done here so that no DNS lookup can ever happen and the packet path can compare addresses as
 * ints and longs.
 *
 * <p>Text form: dotted quad for IPv4; RFC 5952 for IPv6 (lower case, longest run of two or more
 * zero groups compressed). Parsing accepts RFC 4291 text including an embedded dotted quad ({@code
 * ::ffff:1.2.3.4}); zone ids and leading zeros in IPv4 octets are rejected (the latter are
 * ambiguous: some parsers read them as octal).
 */
public record IpAddress(boolean ipv6, long hi, long lo) implements Comparable<IpAddress> {

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

  /** Parses an address; throws IllegalArgumentException naming the bad text. */
  public static IpAddress parse(String text) {
    IpAddress a = tryParse(text);
    if (a == null) {
      throw new IllegalArgumentException("not an IP address: \"" + text + "\"");
    }
    return a;
  }

  /** Parses an address, or returns null when {@code text} is not one. */
  public static IpAddress tryParse(String text) {
    if (text == null || text.isEmpty() || text.length() > 45) {
      return null;
    }
    if (text.indexOf(':') < 0) {
      long v4 = parseV4(text, 0, text.length());
      return v4 < 0 ? null : new IpAddress(false, 0, v4);
    }
    return parseV6(text);
  }

  /** The IPv4 address as an int (only meaningful when !ipv6). */
  public int v4() {
    return (int) lo;
  }

  public int bitLength() {
    return ipv6 ? 128 : 32;
  }

  /** Returns -1 if not a valid dotted quad in text[from,to). */
  static long parseV4(String s, int from, int to) {
    long result = 0;
    int octets = 0;
    int i = from;
    while (i <= to) {
      int start = i;
      int value = 0;
      while (i < to && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
        value = value * 10 + (s.charAt(i) - '0');
        i++;
        if (i - start > 3) {
          return -1;
        }
      }
      int digits = i - start;
      if (digits == 0 || value > 255 || (digits > 1 && s.charAt(start) == '0')) {
        return -1;
      }
      result = (result << 8) | value;
      octets++;
      if (i == to) {
        break;
      }
      if (s.charAt(i) != '.' || octets == 4) {
        return -1;
      }
      i++;
    }
    return octets == 4 ? result : -1;
  }

  private static IpAddress parseV6(String s) {
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
      return null;
    }
    while (i < len) {
      if (n == 8) {
        return null;
      }
      int start = i;
      int value = 0;
      while (i < len && Character.digit(s.charAt(i), 16) >= 0) {
        value = (value << 4) | Character.digit(s.charAt(i), 16);
        i++;
        if (i - start > 4) {
          return null;
        }
      }
      if (i < len && s.charAt(i) == '.') {
        // embedded IPv4 in the last 32 bits
        if (n > 6) {
          return null;
        }
        long v4 = parseV4(s, start, len);
        if (v4 < 0) {
          return null;
        }
        groups[n++] = (int) (v4 >>> 16);
        groups[n++] = (int) (v4 & 0xFFFF);
        i = len;
        break;
      }
      if (i == start) {
        return null;
      }
      groups[n++] = value;
      if (i == len) {
        break;
      }
      if (s.charAt(i) != ':') {
        return null;
      }
      i++;
      if (i < len && s.charAt(i) == ':') {
        if (gap >= 0) {
          return null;
        }
        gap = n;
        i++;
        if (i == len) {
          break;
        }
      } else if (i == len) {
        return null; // trailing single colon
      }
    }
    int[] full = new int[8];
    if (gap >= 0) {
      if (n == 8) {
        return null; // "::" must stand for at least one group
      }
      int tail = n - gap;
      System.arraycopy(groups, 0, full, 0, gap);
      System.arraycopy(groups, gap, full, 8 - tail, tail);
    } else {
      if (n != 8) {
        return null;
      }
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

  @Override
  public String toString() {
    if (!ipv6) {
      return ((lo >>> 24) & 0xFF)
          + "."
          + ((lo >>> 16) & 0xFF)
          + "."
          + ((lo >>> 8) & 0xFF)
          + "."
          + (lo & 0xFF);
    }
    int[] g = new int[8];
    for (int k = 0; k < 4; k++) {
      g[k] = (int) ((hi >>> (48 - 16 * k)) & 0xFFFF);
      g[k + 4] = (int) ((lo >>> (48 - 16 * k)) & 0xFFFF);
    }
    int bestStart = -1;
    int bestLen = 1; // RFC 5952 4.2.2: a single zero group is not compressed
    for (int k = 0; k < 8; ) {
      if (g[k] == 0) {
        int start = k;
        while (k < 8 && g[k] == 0) {
          k++;
        }
        if (k - start > bestLen) {
          bestStart = start;
          bestLen = k - start;
        }
      } else {
        k++;
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
}
