package dev.tessera.compiler.matrix;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Optional;

/**
 * An IPv4 or IPv6 prefix as two unsigned 64-bit halves (IPv4 lives in the low 32 bits of
 * {@code lo}, with {@code v4} set), so containment is a mask and compare, without allocation.
 * The matrix only needs containment and ordering; the compiler owns real prefix arithmetic.
 */
public record Cidr(boolean v4, long hi, long lo, int bits) implements Comparable<Cidr> {
  /** Tailnet CGNAT range: sources inside it are devices, never "external" rows. */
  public static final Cidr TAILNET_V4 = parse("100.64.0.0/10").orElseThrow();
  /** Tailnet ULA range. */
  public static final Cidr TAILNET_V6 = parse("fd7a:115c:a1e0::/48").orElseThrow();

  public Cidr {
    int max = v4 ? 32 : 128;
    if (bits < 0 || bits > max) {
      throw new IllegalArgumentException("prefix length " + bits + " out of range");
    }
    long[] m = masks(v4, bits);
    hi &= m[0];
    lo &= m[1];
  }

  /** Parses {@code 10.0.0.0/8}, {@code 10.0.0.1}, {@code fd7a::1/128}; empty when malformed. */
  public static Optional<Cidr> parse(String text) {
    if (text == null || text.isEmpty()) {
      return Optional.empty();
    }
    String s = text.trim();
    int slash = s.indexOf('/');
    String addr = slash < 0 ? s : s.substring(0, slash);
    // Only literals: InetAddress.getByName would otherwise resolve host names.
    if (!addr.matches("[0-9.]+") && !addr.matches("[0-9a-fA-F:.]+")) {
      return Optional.empty();
    }
    if (addr.indexOf(':') < 0 && addr.chars().filter(c -> c == '.').count() != 3) {
      return Optional.empty();
    }
    byte[] b;
    try {
      b = InetAddress.getByName(addr).getAddress();
    } catch (UnknownHostException | SecurityException e) {
      return Optional.empty();
    }
    boolean v4 = b.length == 4;
    int bits;
    try {
      bits = slash < 0 ? (v4 ? 32 : 128) : Integer.parseInt(s.substring(slash + 1));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
    if (bits < 0 || bits > (v4 ? 32 : 128)) {
      return Optional.empty();
    }
    long hi = 0;
    long lo = 0;
    if (v4) {
      for (byte x : b) {
        lo = (lo << 8) | (x & 0xff);
      }
    } else {
      for (int i = 0; i < 8; i++) {
        hi = (hi << 8) | (b[i] & 0xff);
        lo = (lo << 8) | (b[i + 8] & 0xff);
      }
    }
    return Optional.of(new Cidr(v4, hi, lo, bits));
  }

  private static long[] masks(boolean v4, int bits) {
    if (v4) {
      long m = bits == 0 ? 0 : (0xffffffffL << (32 - bits)) & 0xffffffffL;
      return new long[] {0, m};
    }
    long mh = bits >= 64 ? -1L : bits == 0 ? 0 : -1L << (64 - bits);
    long ml = bits <= 64 ? 0 : bits == 128 ? -1L : -1L << (128 - bits);
    return new long[] {mh, ml};
  }

  public boolean isHost() {
    return bits == (v4 ? 32 : 128);
  }

  /** Whether {@code other} lies entirely inside this prefix. */
  public boolean contains(Cidr other) {
    if (other.v4 != v4 || other.bits < bits) {
      return false;
    }
    long[] m = masks(v4, bits);
    return (other.hi & m[0]) == hi && (other.lo & m[1]) == lo;
  }

  /** Whether the two prefixes share at least one address. */
  public boolean overlaps(Cidr other) {
    return contains(other) || other.contains(this);
  }

  /** First address as a host prefix. */
  public Cidr first() {
    return new Cidr(v4, hi, lo, v4 ? 32 : 128);
  }

  /** Last address as a host prefix. */
  public Cidr last() {
    long[] m = masks(v4, bits);
    long h = v4 ? 0 : hi | ~m[0];
    long l = v4 ? (lo | ~m[1]) & 0xffffffffL : lo | ~m[1];
    return new Cidr(v4, h, l, v4 ? 32 : 128);
  }

  @Override
  public int compareTo(Cidr o) {
    if (v4 != o.v4) {
      return v4 ? -1 : 1;
    }
    int c = Long.compareUnsigned(hi, o.hi);
    if (c == 0) {
      c = Long.compareUnsigned(lo, o.lo);
    }
    return c != 0 ? c : Integer.compare(bits, o.bits);
  }

  /** Canonical text: host prefixes without a length, others as {@code addr/len}. */
  @Override
  public String toString() {
    String a;
    if (v4) {
      a = ((lo >>> 24) & 0xff) + "." + ((lo >>> 16) & 0xff) + "." + ((lo >>> 8) & 0xff) + "." + (lo & 0xff);
    } else {
      byte[] b = new byte[16];
      for (int i = 0; i < 8; i++) {
        b[i] = (byte) (hi >>> (56 - 8 * i));
        b[i + 8] = (byte) (lo >>> (56 - 8 * i));
      }
      a = v6Text(b);
    }
    return isHost() ? a : a + "/" + bits;
  }

  /** RFC 5952 text: lower case, longest run of zero groups compressed. */
  private static String v6Text(byte[] b) {
    int[] g = new int[8];
    for (int i = 0; i < 8; i++) {
      g[i] = ((b[2 * i] & 0xff) << 8) | (b[2 * i + 1] & 0xff);
    }
    int bestStart = -1;
    int bestLen = 1;
    for (int i = 0; i < 8; ) {
      if (g[i] != 0) {
        i++;
        continue;
      }
      int j = i;
      while (j < 8 && g[j] == 0) {
        j++;
      }
      if (j - i > bestLen) {
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
}
