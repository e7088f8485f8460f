package dev.tessera.net;

import java.util.List;
import java.util.Map;

/**
 * IANA protocol numbers: the ones filters treat specially, the default protocol set, and the names
 * Tailscale's policy syntax accepts for them (KB 1337, {@code proto}).
 */
public final class IpProtocol {
  private IpProtocol() {}

  public static final int ICMP = 1;
  public static final int TCP = 6;
  public static final int UDP = 17;
  public static final int ICMPV6 = 58;
  public static final int SCTP = 132;

  /**
   * What a filter rule without protocols means: TCP, UDP, ICMP and ICMPv6, as Tailscale's client
   * expands an empty {@code IPProto} (tailcfg.FilterRule).
   */
  public static final List<Integer> DEFAULT = List.of(ICMP, TCP, UDP, ICMPV6);

  /** The policy syntax's protocol names (lower case) and their numbers. */
  public static final Map<String, Integer> NAMES =
      Map.ofEntries(
          Map.entry("icmp", ICMP),
          Map.entry("igmp", 2),
          Map.entry("ipv4", 4),
          Map.entry("ip-in-ip", 4),
          Map.entry("tcp", TCP),
          Map.entry("egp", 8),
          Map.entry("igp", 9),
          Map.entry("udp", UDP),
          Map.entry("gre", 47),
          Map.entry("esp", 50),
          Map.entry("ah", 51),
          Map.entry("ipv6-icmp", ICMPV6),
          Map.entry("sctp", SCTP),
          Map.entry("fc", 133));

  /** Protocols whose packets carry the ports a filter matches on: TCP, UDP, SCTP. */
  public static boolean hasPorts(int protocol) {
    return protocol == TCP || protocol == UDP || protocol == SCTP;
  }

  /** The policy-syntax name of a protocol number ({@code ipv4} for 4), or the number itself. */
  public static String name(int protocol) {
    return switch (protocol) {
      case ICMP -> "icmp";
      case 2 -> "igmp";
      case 4 -> "ipv4";
      case TCP -> "tcp";
      case 8 -> "egp";
      case 9 -> "igp";
      case UDP -> "udp";
      case 47 -> "gre";
      case 50 -> "esp";
      case 51 -> "ah";
      case ICMPV6 -> "ipv6-icmp";
      case SCTP -> "sctp";
      case 133 -> "fc";
      default -> Integer.toString(protocol);
    };
  }
}
