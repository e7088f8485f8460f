package dev.tessera.policy.ast;

import java.util.Optional;

/**
 * An IPv4 or IPv6 prefix as written: address plus prefix length. A single address is a prefix of
 * full length (/32 or /128). The address is kept as written (not masked), as Go's netip.ParsePrefix
 * does, so {@code 10.1.2.3/8} prints back unchanged; {@link #masked()} gives the network.
 *
 * <p>Design note: policy-lang must not depend on enforcer, so this is a small value type of its
 * own. Addresses are two longs (v4 in the low 32 bits of {@code lo}), so equality and hashing are
 * the record's and there are no arrays inside a record. Parsing is strict like Go's netip: IPv4
 * needs four decimal octets without leading zeros; IPv6 zones ({@code %eth0}) are rejected.
 */
public record IpPrefix(int version, long hi, long lo, int bits) {

  public IpPrefix {
    if (version != 4 && version != 6) {
      throw new IllegalArgumentException("version must be 4 or 6: " + version);
    }
    int max = version == 4 ? 32 : 128;
    if (bits < 0 || bits > max) {
      throw new IllegalArgumentException("bits out of range: " + bits);
    }
    if (version == 4 && (hi != 0 || (lo >>> 32) != 0)) {
      throw new IllegalArgumentException("IPv4 address out of range");
    }
  }

  public static IpPrefix v4(int address, int bits) {
    return new IpPrefix(4, 0, address & 0xFFFF_FFFFL, bits);
  }

  public static IpPrefix v6(long hi, long lo, int bits) {
    return new IpPrefix(6, hi, lo, bits);
  }

  public int maxBits() {
    return version == 4 ? 32 : 128;
  }

  public boolean isV4() {
    return version == 4;
  }

  /** True for a /32 or /128. */
  public boolean isSingleAddress() {
    return bits == maxBits();
  }

  /** The prefix with host bits cleared. */
  public IpPrefix masked() {
    if (version == 4) {
      long mask = bits == 0 ? 0 : (0xFFFF_FFFFL << (32 - bits)) & 0xFFFF_FFFFL;
      return new IpPrefix(4, 0, lo & mask, bits);
    }
    long hiMask = bits >= 64 ? -1L : bits == 0 ? 0 : -1L << (64 - bits);
    long loMask = bits <= 64 ? 0 : bits == 128 ? -1L : -1L << (128 - bits);
    return new IpPrefix(6, hi & hiMask, lo & loMask, bits);
  }

  /** True if the address has host bits set beyond the prefix length. */
  public boolean hasHostBits() {
    return !masked().equals(this);
  }

  /** True if every address of {@code other} is inside this prefix (same family). */
  public boolean contains(IpPrefix other) {
    if (version != other.version || other.bits < bits) {
      return false;
    }
    IpPrefix a = masked();
    IpPrefix b = new IpPrefix(version, other.hi, other.lo, bits).masked();
    return a.equals(b);
  }

  /** Parses an address ({@code 10.0.0.1}, {@code fd7a::1}) or a prefix ({@code 10.0.0.0/8}). */
  public static Optional<IpPrefix> parse(String text) {
    if (text == null || text.isEmpty()) {
      return Optional.empty();
    }
    int slash = text.indexOf('/');
    String addr = slash < 0 ? text : text.substring(0, slash);
    Optional<IpPrefix> a = parseAddress(addr);
    if (a.isEmpty() || slash < 0) {
      return a;
    }
    String b = text.substring(slash + 1);
    if (b.isEmpty() || b.length() > 3 || (b.length() > 1 && b.charAt(0) == '0')) {
      return Optional.empty();
    }
    for (int i = 0; i < b.length(); i++) {
      if (b.charAt(i) < '0' || b.charAt(i) > '9') {
        return Optional.empty();
      }
    }
    int bits = Integer.parseInt(b);
    IpPrefix p = a.get();
    if (bits > p.maxBits()) {
      return Optional.empty();
    }
    return Optional.of(new IpPrefix(p.version, p.hi, p.lo, bits));
  }

  /** Parses a single address as a full-length prefix. */
  public static Optional<IpPrefix> parseAddress(String s) {
    if (s.indexOf(':') >= 0) {
      return parseV6(s);
    }
    long v = parseV4(s);
    return v < 0 ? Optional.empty() : Optional.of(new IpPrefix(4, 0, v, 32));
  }

  /** Returns the address as an unsigned 32-bit value, or -1. */
  private static long parseV4(String s) {
    long result = 0;
    int parts = 0;
    int i = 0;
    int n = s.length();
    while (i <= n) {
      int start = i;
      int value = 0;
      while (i < n && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
        value = value * 10 + (s.charAt(i) - '0');
        if (value > 255) {
          return -1;
        }
        i++;
      }
      int len = i - start;
      if (len == 0 || (len > 1 && s.charAt(start) == '0')) {
        return -1;
      }
      result = (result << 8) | value;
      parts++;
      if (i == n) {
        break;
      }
      if (s.charAt(i) != '.' || parts == 4) {
        return -1;
      }
      i++;
    }
    return parts == 4 ? result : -1;
  }

  private static Optional<IpPrefix> parseV6(String s) {
    int[] groups = new int[8];
    int count = 0;
    int gap = -1;
    int i = 0;
    int n = s.length();
    if (s.startsWith("::")) {
      gap = 0;
      i = 2;
      if (n == 2) {
        return Optional.of(new IpPrefix(6, 0, 0, 128));
      }
    } else if (s.startsWith(":")) {
      return Optional.empty();
    }
    while (i < n) {
      if (count == 8) {
        return Optional.empty();
      }
      int start = i;
      int value = 0;
      while (i < n && Character.digit(s.charAt(i), 16) >= 0 && i - start < 5) {
        value = value * 16 + Character.digit(s.charAt(i), 16);
        i++;
      }
      int len = i - start;
      if (i < n && s.charAt(i) == '.') {
        // Embedded IPv4 in the last 32 bits (::ffff:1.2.3.4).
        if (count > 6) {
          return Optional.empty();
        }
        long v4 = parseV4(s.substring(start));
        if (v4 < 0) {
          return Optional.empty();
        }
        groups[count++] = (int) (v4 >>> 16);
        groups[count++] = (int) (v4 & 0xFFFF);
        i = n;
        break;
      }
      if (len == 0 || len > 4) {
        return Optional.empty();
      }
      groups[count++] = value;
      if (i == n) {
        break;
      }
      if (s.charAt(i) != ':') {
        return Optional.empty();
      }
      i++;
      if (i < n && s.charAt(i) == ':') {
        if (gap >= 0) {
          return Optional.empty();
        }
        gap = count;
        i++;
        if (i == n) {
          break;
        }
      } else if (i == n) {
        return Optional.empty();
      }
    }
    if (gap < 0 && count != 8) {
      return Optional.empty();
    }
    if (gap >= 0) {
      if (count == 8) {
        return Optional.empty();
      }
      int move = count - gap;
      int[] full = new int[8];
      System.arraycopy(groups, 0, full, 0, gap);
      System.arraycopy(groups, gap, full, 8 - move, move);
      groups = full;
    }
    long hi = 0;
    long lo = 0;
    for (int g = 0; g < 4; g++) {
      hi = (hi << 16) | groups[g];
      lo = (lo << 16) | groups[g + 4];
    }
    return Optional.of(new IpPrefix(6, hi, lo, 128));
  }

  /** The address part only, canonical (RFC 5952 for IPv6). */
  public String addressString() {
    if (version == 4) {
      return ((lo >>> 24) & 0xFF)
          + "."
          + ((lo >>> 16) & 0xFF)
          + "."
          + ((lo >>> 8) & 0xFF)
          + "."
          + (lo & 0xFF);
    }
    int[] g = new int[8];
    for (int i = 0; i < 4; i++) {
      g[i] = (int) ((hi >>> (48 - 16 * i)) & 0xFFFF);
      g[i + 4] = (int) ((lo >>> (48 - 16 * i)) & 0xFFFF);
    }
    // Longest run of zero groups (length >= 2) is compressed; first one wins on ties.
    int bestStart = -1;
    int bestLen = 0;
    for (int i = 0; i < 8; ) {
      if (g[i] != 0) {
        i++;
        continue;
      }
      int j = i;
      while (j < 8 && g[j] == 0) {
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
      sb.append(Integer.toHexString(g[i]));
    }
    return sb.toString();
  }

  /** Canonical text: the bare address for a full-length prefix, else {@code addr/bits}. */
  @Override
  public String toString() {
    return isSingleAddress() ? addressString() : addressString() + "/" + bits;
  }
}
