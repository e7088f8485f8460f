package dev.tessera.compiler.matrix;

import dev.tessera.net.IpProtocol;

/** The order the matrix views list protocols in. */
public final class Protocols {
  private Protocols() {}

  /** Display order: tcp, udp, sctp, icmp, ipv6-icmp, then the rest by number. */
  public static int displayRank(int proto) {
    return switch (proto) {
      case IpProtocol.TCP -> 0;
      case IpProtocol.UDP -> 1;
      case IpProtocol.SCTP -> 2;
      case IpProtocol.ICMP -> 3;
      case IpProtocol.ICMPV6 -> 4;
      default -> 5 + proto;
    };
  }
}
