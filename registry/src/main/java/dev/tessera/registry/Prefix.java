package dev.tessera.registry;

import dev.tessera.net.IpAddress;
import dev.tessera.net.IpPrefix;
import java.math.BigInteger;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.Optional;

/**
 * An IP prefix in canonical form (host bits zero), IPv4 or IPv6: what routes and address pools are.
 * Parsed from literals only, never through DNS.
 */
public record Prefix(InetAddress address, int length) {

  public Prefix {
    int max = address.getAddress().length * 8;
    if (length < 0 || length > max) {
      throw new IllegalArgumentException("prefix length " + length + " out of 0.." + max);
    }
  }

  /**
   * Parses {@code 10.0.0.0/24} or {@code fd00::/64} with net's parser; empty if malformed, if the
   * length is missing or if host bits are set.
   */
  public static Optional<Prefix> parse(String text) {
    IpPrefix p = text == null || text.indexOf('/') < 0 ? null : IpPrefix.tryParse(text);
    return p == null
        ? Optional.empty()
        : Optional.of(new Prefix(p.address().toInetAddress(), p.bits()));
  }

  public boolean isIpv4() {
    return address instanceof Inet4Address;
  }

  public int bits() {
    return address.getAddress().length * 8;
  }

  /** How many addresses the prefix holds. */
  public BigInteger size() {
    return BigInteger.ONE.shiftLeft(bits() - length);
  }

  /** The address as an unsigned number. */
  public BigInteger value() {
    return new BigInteger(1, address.getAddress());
  }

  /** The first address of the prefix as a number (the address with host bits cleared). */
  public BigInteger base() {
    BigInteger v = value();
    return v.shiftRight(bits() - length).shiftLeft(bits() - length);
  }

  /** The address {@code offset} after the first one. */
  public InetAddress at(BigInteger offset) {
    return toAddress(base().add(offset), bits() / 8);
  }

  public boolean contains(InetAddress a) {
    if (a.getAddress().length * 8 != bits()) {
      return false;
    }
    BigInteger v = new BigInteger(1, a.getAddress());
    return v.shiftRight(bits() - length).equals(base().shiftRight(bits() - length));
  }

  static InetAddress toAddress(BigInteger value, int bytes) {
    byte[] raw = value.toByteArray();
    byte[] out = new byte[bytes];
    int n = Math.min(raw.length, bytes);
    System.arraycopy(raw, raw.length - n, out, bytes - n, n);
    try {
      return InetAddress.getByAddress(out);
    } catch (java.net.UnknownHostException e) {
      throw new AssertionError(e); // only thrown for a wrong length
    }
  }

  /** Canonical text: {@code 100.64.0.0/10}, {@code fd7a:115c:a1e0::/48}. */
  @Override
  public String toString() {
    return format(address) + "/" + length;
  }

  /** An address in canonical text (net's: RFC 5952 for IPv6). */
  public static String format(InetAddress a) {
    return IpAddress.of(a).toString();
  }
}
