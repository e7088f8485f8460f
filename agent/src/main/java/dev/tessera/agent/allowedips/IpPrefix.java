package dev.tessera.agent.allowedips;

import dev.tessera.net.IpAddress;
import dev.tessera.net.IpCidr;
import java.net.Inet4Address;
import java.net.InetAddress;

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

  /**
   * Parses {@code addr/bits}, or a bare address (a host prefix), with net's parser: only IP
   * literals, never a lookup; IPv4-mapped literals stay IPv6. Throws IllegalArgumentException
   * naming the bad text and what is wrong with it.
   */
  public static IpPrefix parse(String text) {
    IpCidr c = IpCidr.parse(text.strip());
    return new IpPrefix(c.address().toInetAddress(), c.bits());
  }

  public boolean isIpv4() {
    return address instanceof Inet4Address;
  }

  /**
   * {@code addr/bits} as wg prints it (net's text; an IPv4-mapped address keeps its dotted tail).
   */
  @Override
  public String toString() {
    return IpAddress.of(address).toMixedString() + "/" + bits;
  }

  private static InetAddress mask(InetAddress a, int bits) {
    return dev.tessera.net.IpPrefix.of(IpAddress.of(a), bits).address().toInetAddress();
  }
}
