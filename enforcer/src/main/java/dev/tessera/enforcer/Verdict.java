package dev.tessera.enforcer;

/**
 * The enforcer's answer for one packet: accept or drop, and why. One constant per (action, reason)
 * so that returning a verdict allocates nothing and counters can be indexed by {@link #ordinal()}.
 * {@link #code()} is the stable reason code for logs and metrics.
 */
public enum Verdict {
  /**
   * Inbound packet that starts (or picks up) a flow and matched a rule; the flow is now tracked.
   */
  ACCEPT_RULE(true, "rule"),
  /** Inbound packet of a tracked flow that a rule admitted, still allowed by the current rules. */
  ACCEPT_ESTABLISHED(true, "established"),
  /** Inbound packet of a flow this node opened (a reply). */
  ACCEPT_REPLY(true, "reply"),
  /** Inbound ICMP error quoting a packet of a tracked flow. */
  ACCEPT_ICMP_RELATED(true, "icmp-related"),
  /** Inbound non-first fragment whose first fragment was accepted. */
  ACCEPT_FRAGMENT(true, "fragment"),
  /** Outbound packet (outbound is not filtered; it records connection-tracking state). */
  ACCEPT_OUTBOUND(true, "outbound"),

  /** No rule allows this new inbound flow. */
  DROP_NO_RULE(false, "no-rule"),
  /** Packet of a tracked inbound flow whose rule was removed by a filter update. */
  DROP_REVOKED(false, "revoked"),
  /** Inbound echo reply matching no echo request this node sent. */
  DROP_UNSOLICITED_REPLY(false, "unsolicited-reply"),
  /** Inbound ICMP error whose quoted packet is well formed but belongs to no tracked flow. */
  DROP_ICMP_UNTRACKED(false, "icmp-untracked"),
  /**
   * Inbound ICMP error whose quoted packet is garbage (truncated, wrong addresses, error about an
   * error).
   */
  DROP_ICMP_BAD_QUOTE(false, "icmp-bad-quote"),
  /**
   * Non-first fragment with no accepted first fragment, or a fragment that could rewrite the L4
   * header.
   */
  DROP_FRAGMENT(false, "fragment"),
  /** Packet shorter than its headers claim (or empty). */
  DROP_TRUNCATED(false, "truncated"),
  /**
   * Malformed IP or transport header (IHL &lt; 5, lengths that disagree, bad TCP data offset, ...).
   */
  DROP_BAD_HEADER(false, "bad-header"),
  /** IPv6 extension header chain that is too long, out of order or runs past the packet. */
  DROP_BAD_EXTENSION(false, "bad-extension"),
  /**
   * A new flow, and the connection-tracking window it hashes to holds only established flows (or
   * ones of peers holding fewer flows): nothing may be evicted for it (Linux early drop).
   */
  DROP_CONNTRACK_FULL(false, "conntrack-full"),
  /** A new inbound flow from a peer that already holds its quota of tracked flows. */
  DROP_PEER_FLOW_LIMIT(false, "peer-flow-limit"),
  /** Not IPv4 or IPv6. */
  DROP_UNSUPPORTED(false, "unsupported");

  private final boolean accepted;
  private final String code;

  Verdict(boolean accepted, String code) {
    this.accepted = accepted;
    this.code = code;
  }

  public boolean accepted() {
    return accepted;
  }

  public boolean dropped() {
    return !accepted;
  }

  /** Stable reason code, e.g. {@code "no-rule"}. */
  public String code() {
    return code;
  }

  private static final Verdict[] VALUES = values();

  static Verdict ofOrdinal(int i) {
    return VALUES[i];
  }
}
