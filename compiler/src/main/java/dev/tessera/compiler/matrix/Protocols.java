package dev.tessera.compiler.matrix;

/**
 * IANA protocol numbers and the names Tailscale's policy syntax uses for them (see
 * tailscale-policy-semantics.md section 4), for display only.
 */
public final class Protocols {
  public static final int ICMP = 1;
  public static final int TCP = 6;
  public static final int UDP = 17;
  public static final int ICMPV6 = 58;
  public static final int SCTP = 132;

  private Protocols() {}

  /** The policy-syntax name of a protocol number, or the number itself. */
  public static String name(int proto) {
    return switch (proto) {
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
      default -> Integer.toString(proto);
    };
  }

  /** Whether packets of this protocol carry ports the filter looks at. */
  public static boolean hasPorts(int proto) {
    return proto == TCP || proto == UDP || proto == SCTP;
  }

  /** Display order: tcp, udp, sctp, icmp, ipv6-icmp, then the rest by number. */
  public static int displayRank(int proto) {
    return switch (proto) {
      case TCP -> 0;
      case UDP -> 1;
      case SCTP -> 2;
      case ICMP -> 3;
      case ICMPV6 -> 4;
      default -> 5 + proto;
    };
  }
}
