package dev.tessera.enforcer.format;

import java.util.List;

/** IANA protocol numbers the enforcer treats specially, and the default protocol set. */
public final class IpProtocol {
  private IpProtocol() {}

  public static final int ICMP = 1;
  public static final int TCP = 6;
  public static final int UDP = 17;
  public static final int ICMPV6 = 58;
  public static final int SCTP = 132;

  /**
   * What an empty {@link FilterRule#protocols()} means: TCP, UDP, ICMP and ICMPv6, as Tailscale's
   * client expands an empty {@code IPProto} (tailcfg.FilterRule).
   */
  public static final List<Integer> DEFAULT = List.of(ICMP, TCP, UDP, ICMPV6);

  /** Protocols whose rules match on destination port: TCP, UDP, SCTP. */
  public static boolean hasPorts(int protocol) {
    return protocol == TCP || protocol == UDP || protocol == SCTP;
  }
}
