package dev.tessera.net;

/**
 * A canonical IPv4 or IPv6 prefix: the address with its host bits cleared, plus a length. The
 * fields follow {@link IpAddress}: IPv4 in the low 32 bits of {@code lo}, IPv6 as two longs. The
 * constructor rejects host bits that are set, so two equal prefixes always have equal fields (the
 * compiled-filter codec and the content hash rely on this); use {@link #of} to mask instead.
 */
public record IpPrefix(boolean ipv6, long hi, long lo, int bits) implements Comparable<IpPrefix> {

  /** 0.0.0.0/0 */
  public static final IpPrefix ALL_V4 = new IpPrefix(false, 0, 0, 0);

  /** ::/0 */
  public static final IpPrefix ALL_V6 = new IpPrefix(true, 0, 0, 0);

  public IpPrefix {
    int max = ipv6 ? 128 : 32;
    if (bits < 0 || bits > max) {
      throw new IllegalArgumentException("prefix length " + bits + " out of range 0.." + max);
    }
    if (!ipv6 && (hi != 0 || (lo >>> 32) != 0)) {
      throw new IllegalArgumentException("IPv4 prefix must fit in the low 32 bits of lo");
    }
    if (hi != maskHi(ipv6, hi, bits) || lo != maskLo(ipv6, lo, bits)) {
      throw new IllegalArgumentException(
          "prefix "
              + new IpAddress(ipv6, hi, lo)
              + "/"
              + bits
              + " has host bits set (canonical form: "
              + new IpAddress(ipv6, maskHi(ipv6, hi, bits), maskLo(ipv6, lo, bits))
              + "/"
              + bits
              + ")");
    }
  }

  /** The prefix of {@code address} with {@code bits} bits, host bits cleared. */
  public static IpPrefix of(IpAddress address, int bits) {
    int max = address.bitLength();
    if (bits < 0 || bits > max) {
      throw new IllegalArgumentException("prefix length " + bits + " out of range 0.." + max);
    }
    return new IpPrefix(
        address.ipv6(),
        maskHi(address.ipv6(), address.hi(), bits),
        maskLo(address.ipv6(), address.lo(), bits),
        bits);
  }

  /** A single-address prefix (/32 or /128). */
  public static IpPrefix host(IpAddress address) {
    return of(address, address.bitLength());
  }

  public static IpPrefix v4(int addr, int bits) {
    return of(IpAddress.ofV4(addr), bits);
  }

  /**
   * Parses {@code addr/bits} or a bare address (a host prefix); host bits must be clear. Throws
   * IllegalArgumentException whose message quotes the text and says what is wrong with it.
   */
  public static IpPrefix parse(String text) {
    return parse(text, false);
  }

  /** As {@link #parse(String)}; with {@code lenient}, set host bits are cleared instead. */
  public static IpPrefix parse(String text, boolean lenient) {
    IpCidr c = IpCidr.parse(text);
    IpPrefix p = c.masked();
    if (!lenient && c.hasHostBits()) {
      throw new IllegalArgumentException(
          "prefix \"" + text + "\" has host bits set (did you mean " + p + "?)");
    }
    return p;
  }

  /** Parses like {@link #parse(String)}, or returns null when {@code text} is not one. */
  public static IpPrefix tryParse(String text) {
    IpCidr c = IpCidr.tryParse(text);
    return c == null || c.hasHostBits() ? null : c.masked();
  }

  public IpAddress address() {
    return new IpAddress(ipv6, hi, lo);
  }

  public int bitLength() {
    return ipv6 ? 128 : 32;
  }

  public boolean isHost() {
    return bits == (ipv6 ? 128 : 32);
  }

  public boolean contains(IpAddress a) {
    return a.ipv6() == ipv6 && maskHi(ipv6, a.hi(), bits) == hi && maskLo(ipv6, a.lo(), bits) == lo;
  }

  public boolean contains(IpPrefix p) {
    return p.ipv6 == ipv6
        && p.bits >= bits
        && maskHi(ipv6, p.hi, bits) == hi
        && maskLo(ipv6, p.lo, bits) == lo;
  }

  /** IPv4 only: does this prefix contain the int address? */
  public boolean containsV4(int addr) {
    return !ipv6 && maskLo(false, addr & 0xFFFF_FFFFL, bits) == lo;
  }

  /** IPv6 only. */
  public boolean containsV6(long aHi, long aLo) {
    return ipv6 && maskHi(true, aHi, bits) == hi && maskLo(true, aLo, bits) == lo;
  }

  /** The lo half of the highest address (the lowest is the fields themselves). */
  public long lastLo() {
    return lo | ~maskLo(ipv6, -1L, bits) & (ipv6 ? -1L : 0xFFFF_FFFFL);
  }

  /** The hi half of the highest address. */
  public long lastHi() {
    return ipv6 ? hi | ~maskHi(true, -1L, bits) : 0;
  }

  /** The highest address of the prefix. */
  public IpAddress last() {
    return new IpAddress(ipv6, lastHi(), lastLo());
  }

  static long maskHi(boolean ipv6, long hi, int bits) {
    if (!ipv6 || bits >= 64) {
      return hi;
    }
    return bits == 0 ? 0 : hi & (-1L << (64 - bits));
  }

  static long maskLo(boolean ipv6, long lo, int bits) {
    if (!ipv6) {
      return bits == 0 ? 0 : lo & ((0xFFFF_FFFFL << (32 - bits)) & 0xFFFF_FFFFL);
    }
    if (bits <= 64) {
      return 0;
    }
    return bits == 128 ? lo : lo & (-1L << (128 - bits));
  }

  @Override
  public String toString() {
    return address() + "/" + bits;
  }

  /**
   * {@code address/length} with {@link IpAddress#toMixedString()}: an IPv4-mapped address keeps its
   * dotted tail, as {@code wg} and Go's {@code netip} print it.
   */
  public String toMixedString() {
    return address().toMixedString() + "/" + bits;
  }

  /** IPv4 before IPv6, then by address, then shorter prefix first. */
  @Override
  public int compareTo(IpPrefix o) {
    if (ipv6 != o.ipv6) {
      return ipv6 ? 1 : -1;
    }
    int c = Long.compareUnsigned(hi, o.hi);
    if (c == 0) {
      c = Long.compareUnsigned(lo, o.lo);
    }
    return c != 0 ? c : Integer.compare(bits, o.bits);
  }
}
