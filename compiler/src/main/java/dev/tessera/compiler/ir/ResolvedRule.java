package dev.tessera.compiler.ir;

import dev.tessera.compiler.ipset.IpSet;
import dev.tessera.enforcer.format.RuleOrigin;
import dev.tessera.net.IpPrefix;
import dev.tessera.policy.ast.PostureRef;
import dev.tessera.policy.ast.Selector;
import dev.tessera.policy.ast.SourceSpan;
import java.util.BitSet;
import java.util.List;

/**
 * One acl or grant after identity resolution, selector expansion and posture: the compiler's public
 * intermediate form, used by {@code policyc explain}, policy tests and the auditor views.
 *
 * @param origin where it came from (file:line:col, kind, index); the same origin the compiled
 *     FilterRules carry
 * @param span the rule's source span
 * @param src the source selectors as written
 * @param sourceNodes nodes matched by the sources as devices, before posture (by id in {@code
 *     Compilation.nodes()}); includes devices matched through an IP, CIDR, host or {@code *}
 * @param selected every source address before posture (device addresses, CIDRs, routes)
 * @param posture the postures that apply: the rule's own srcPosture, else defaultSrcPosture (empty:
 *     none); a source device passes if it satisfies any of them
 * @param postureFailed devices (of all nodes) failing {@code posture}; their addresses are cut out
 *     of the sources
 * @param sources the final source set: {@code selected} minus the addresses of {@code
 *     postureFailed}
 * @param clauses the packet clauses
 * @param apps the app capability clauses
 */
public record ResolvedRule(
    RuleOrigin origin,
    SourceSpan span,
    List<Selector> src,
    BitSet sourceNodes,
    IpSet selected,
    List<PostureRef> posture,
    BitSet postureFailed,
    IpSet sources,
    List<Clause> clauses,
    List<AppClause> apps) {

  public ResolvedRule {
    src = List.copyOf(src);
    posture = List.copyOf(posture);
    clauses = List.copyOf(clauses);
    apps = List.copyOf(apps);
  }

  /** True if some clause targets autogroup:internet (exit node use). */
  public boolean grantsInternet() {
    return clauses.stream().anyMatch(c -> c.destination() instanceof Destination.Internet);
  }

  /** The final sources as minimal CIDRs (cached by the compiler; see {@code Compilation}). */
  public List<IpPrefix> sourcePrefixes() {
    return sources.toPrefixes();
  }
}
