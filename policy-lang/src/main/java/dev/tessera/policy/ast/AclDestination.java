package dev.tessera.policy.ast;

/** One ACL {@code dst} entry, {@code target:ports} (split at the last colon; {@code [v6]:p} ok). */
public record AclDestination(Selector target, PortSpec ports, SourceSpan span) implements Located {
  /** {@code target:ports}, with brackets around a bare IPv6 address. */
  public String text() {
    String t = target.text();
    if (target instanceof Selector.Ip p && p.cidr().isIpv6() && p.cidr().isHost()) {
      t = "[" + t + "]";
    }
    return t + ":" + ports;
  }
}
