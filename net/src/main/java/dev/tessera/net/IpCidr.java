package dev.tessera.net;

/**
 * An address with a prefix length, host bits kept as written, like Go's {@code netip.Prefix}: an
 * interface address {@code 10.0.0.1/24} needs its host bits, and a policy prints {@code 10.1.2.3/8}
 * back as written. {@link #masked()} gives the network, an {@link IpPrefix}.
 *
 * <p>Text is {@code address/length} or a bare address, which means a single host (/32 or /128). The
 * length is decimal without a sign or leading zeros, as in {@code netip.ParsePrefix}.
 */
public record IpCidr(IpAddress address, int bits) {

  public IpCidr {
    if (bits < 0 || bits > address.bitLength()) {
      throw new IllegalArgumentException(
          "prefix length " + bits + " out of range 0.." + address.bitLength());
    }
  }

  /** A single-address prefix (/32 or /128). */
  public static IpCidr host(IpAddress address) {
    return new IpCidr(address, address.bitLength());
  }

  /**
   * Parses {@code address/length} or a bare address; throws IllegalArgumentException whose message
   * quotes the text and says what is wrong with it.
   */
  public static IpCidr parse(String text) {
    if (text == null) {
      throw new IllegalArgumentException("not an IP prefix: null");
    }
    int slash = text.indexOf('/');
    if (slash < 0) {
      return host(IpAddress.parse(text));
    }
    IpAddress a = IpAddress.parse(text.substring(0, slash));
    int bits = length(text, slash + 1, a.bitLength());
    return new IpCidr(a, bits);
  }

  /** Parses like {@link #parse}, or returns null when {@code text} is not a prefix. */
  public static IpCidr tryParse(String text) {
    if (text == null) {
      return null;
    }
    int slash = text.indexOf('/');
    IpAddress a = IpAddress.tryParse(slash < 0 ? text : text.substring(0, slash));
    if (a == null) {
      return null;
    }
    if (slash < 0) {
      return host(a);
    }
    try {
      return new IpCidr(a, length(text, slash + 1, a.bitLength()));
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  private static int length(String text, int from, int max) {
    String b = text.substring(from);
    if (b.isEmpty()) {
      throw new IllegalArgumentException("no prefix length after '/' in \"" + text + "\"");
    }
    for (int i = 0; i < b.length(); i++) {
      if (b.charAt(i) < '0' || b.charAt(i) > '9') {
        throw new IllegalArgumentException("prefix length is not a number in \"" + text + "\"");
      }
    }
    if (b.length() > 1 && b.charAt(0) == '0') {
      throw new IllegalArgumentException("prefix length has a leading zero in \"" + text + "\"");
    }
    if (b.length() > 3 || Integer.parseInt(b) > max) {
      throw new IllegalArgumentException(
          "prefix length " + b + " is over " + max + " in \"" + text + "\"");
    }
    return Integer.parseInt(b);
  }

  /** True for a /32 or /128. */
  public boolean isHost() {
    return bits == address.bitLength();
  }

  public boolean isIpv6() {
    return address.ipv6();
  }

  /** The network: host bits cleared. */
  public IpPrefix masked() {
    return IpPrefix.of(address, bits);
  }

  /** True if the address has bits set beyond the prefix length. */
  public boolean hasHostBits() {
    return !masked().address().equals(address);
  }

  /**
   * The bare address for a single host (/32 or /128), else {@code address/length}: how a policy
   * writes an address or a CIDR ({@code 10.0.0.1}, {@code 10.1.2.3/8}).
   */
  public String toCompactString() {
    return isHost() ? address.toString() : toString();
  }

  /** {@code address/length}, the address as {@link IpAddress#toString()} prints it. */
  @Override
  public String toString() {
    return address + "/" + bits;
  }

  /**
   * {@code address/length} with {@link IpAddress#toMixedString()}: an IPv4-mapped address keeps its
   * dotted tail, as {@code wg} and Go's {@code netip} print it.
   */
  public String toMixedString() {
    return address.toMixedString() + "/" + bits;
  }
}
