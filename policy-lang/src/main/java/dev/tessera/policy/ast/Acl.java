package dev.tessera.policy.ast;

import java.util.List;
import java.util.Optional;

/**
 * An {@code acls} entry. {@code proto} empty means Tailscale's default (TCP, UDP, ICMP, ICMPv6).
 * {@code srcPosture} empty means "no own posture": {@code defaultSrcPosture} applies.
 */
public record Acl(
    AclAction action,
    List<Selector> src,
    List<AclDestination> dst,
    Optional<Protocol> proto,
    List<PostureRef> srcPosture,
    SourceSpan span)
    implements Located {
  public Acl {
    src = List.copyOf(src);
    dst = List.copyOf(dst);
    srcPosture = List.copyOf(srcPosture);
  }
}
