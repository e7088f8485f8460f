package dev.tessera.policy.ast;

import dev.tessera.net.IpAddress;
import dev.tessera.net.IpCidr;
import java.util.Optional;

/**
 * An IPv4 or IPv6 prefix as written: address plus prefix length. A single address is a prefix of
 * full length (/32 or /128). The address is kept as written (not masked), as Go's netip.ParsePrefix
 * does, so {@code 10.1.2.3/8} prints back unchanged; {@link #masked()} gives the network.
 *
 * <p>Fields follow net's {@link IpAddress} (v4 in the low 32 bits of {@code lo}); parsing and
 * printing are net's ({@link IpCidr}, strict like Go's netip: IPv4 needs four decimal octets
 * without leading zeros; IPv6 zones such as {@code %eth0} are rejected).
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
    dev.tessera.net.IpPrefix n = network();
    return new IpPrefix(version, n.hi(), n.lo(), bits);
  }

  /** True if the address has host bits set beyond the prefix length. */
  public boolean hasHostBits() {
    return !masked().equals(this);
  }

  /** True if every address of {@code other} is inside this prefix (same family). */
  public boolean contains(IpPrefix other) {
    return network().contains(other.network());
  }

  /** Parses an address ({@code 10.0.0.1}, {@code fd7a::1}) or a prefix ({@code 10.0.0.0/8}). */
  public static Optional<IpPrefix> parse(String text) {
    IpCidr c = IpCidr.tryParse(text);
    return c == null ? Optional.empty() : Optional.of(of(c.address(), c.bits()));
  }

  /** Parses a single address as a full-length prefix. */
  public static Optional<IpPrefix> parseAddress(String s) {
    IpAddress a = IpAddress.tryParse(s);
    return a == null ? Optional.empty() : Optional.of(of(a, a.bitLength()));
  }

  private static IpPrefix of(IpAddress a, int bits) {
    return new IpPrefix(a.ipv6() ? 6 : 4, a.hi(), a.lo(), bits);
  }

  /** The address as written (host bits kept). */
  public IpAddress address() {
    return new IpAddress(version == 6, hi, lo);
  }

  /** The network as net's canonical prefix (host bits cleared). */
  public dev.tessera.net.IpPrefix network() {
    return dev.tessera.net.IpPrefix.of(address(), bits);
  }

  /** The address part only, canonical (RFC 5952 for IPv6). */
  public String addressString() {
    return address().toString();
  }

  /** Canonical text: the bare address for a full-length prefix, else {@code addr/bits}. */
  @Override
  public String toString() {
    return isSingleAddress() ? addressString() : addressString() + "/" + bits;
  }
}
