package dev.tessera.compiler.pass;

import dev.tessera.compiler.CompilerCodes;
import dev.tessera.compiler.ipset.IpSet;
import dev.tessera.compiler.ir.AppClause;
import dev.tessera.compiler.ir.Clause;
import dev.tessera.compiler.ir.Destination;
import dev.tessera.compiler.ir.ResolvedRule;
import dev.tessera.policy.ast.Policy;
import dev.tessera.policy.ast.Selector;
import dev.tessera.policy.diag.Diagnostic;
import dev.tessera.policy.diag.Diagnostics;
import java.util.BitSet;
import java.util.List;

/**
 * What passes 2 and 3 may take over from a previous compilation of the same policy when one node X
 * joined, changed or left (used by {@code Compilation.update} and {@code remove}).
 *
 * <p>Why reuse is exact. A rule's selected addresses are the union of: fixed sets (hosts, ipsets,
 * prefixes, ranges, danger-all: the policy alone), {@code *} (the tailnet ranges plus every node's
 * addresses and subnet routes), and every address of the devices its identity selectors (users,
 * groups, tags, autogroups) match. Preconditions (checked by {@link #of}): X has no approved routes
 * before or after (subnet routes do not change) and no other node holds one of X's addresses. Then
 * the selected set is unchanged when the identity-matched devices are the same (compared in new
 * ids), X is not among them on either side with addresses that changed (or joined or left), and the
 * rule has no {@code *} source while X's addresses changed. The previous set object is then kept,
 * which also lets later passes recognise it by identity. Posture: the failing devices change at
 * most in X's bit (X is evaluated, every other node's bit is carried over), and the addresses cut
 * out of the sources change only if X fails on either side, unless it fails on both with the same
 * addresses.
 *
 * @param oldRules the previous compilation's rules (same policy, so the same rules in the same
 *     order)
 * @param shift old ids to new ids
 * @param x X's new id, -1 if it left (or is dropped now)
 * @param xOld X's old id, -1 if it joined (or was dropped before)
 * @param addressesChanged X's addresses differ between the two sides (always true for a join or
 *     leave)
 * @param xAddresses X's addresses on both sides (their union): the only addresses in which a rule's
 *     selected and posture-cut sets can differ from before, as no other node holds any of them
 * @param wholeRules whether pass 2 may carry whole rules over ({@link #sameRule}): only when the
 *     previous compilation reported no unresolved name, so skipping a rule's expansion cannot skip
 *     a diagnostic
 */
public record Reuse(
    List<ResolvedRule> oldRules,
    ExpandSelectors oldExpander,
    IdShift shift,
    int x,
    int xOld,
    boolean addressesChanged,
    IpSet xAddresses,
    boolean wholeRules) {

  /**
   * The reuse information for node {@code name} between {@code oldIds} and {@code ids}, or null
   * when the preconditions do not hold (then passes 2 and 3 run in full).
   */
  public static Reuse of(
      Policy policy,
      Identities oldIds,
      List<ResolvedRule> oldRules,
      Identities ids,
      String name,
      List<Diagnostic> oldDiagnostics) {
    NodeIndex oi = oldIds.index();
    NodeIndex ni = ids.index();
    int x = ni.id(name);
    int xOld = oi.id(name);
    if (x < 0 && xOld < 0) {
      return null;
    }
    int expectOld = x < 0 ? ni.size() + 1 : xOld < 0 ? ni.size() - 1 : ni.size();
    if (oi.size() != expectOld) {
      return null;
    }
    if (x >= 0 && (!ni.node(x).routes().isEmpty() || !alone(ni, x))
        || xOld >= 0 && (!oi.node(xOld).routes().isEmpty() || !alone(oi, xOld))) {
      return null;
    }
    IdShift shift = IdShift.between(oi, ni, name);
    if (shift == null) {
      return null;
    }
    boolean changed = x < 0 || xOld < 0 || !ni.addresses(x).equals(oi.addresses(xOld));
    // Old node sets only (no address sets); diagnostics were reported by the previous compilation.
    ExpandSelectors oldExpander = new ExpandSelectors(policy, oldIds, new Diagnostics());
    IpSet xAddresses =
        (x >= 0 ? ni.addresses(x) : IpSet.EMPTY)
            .union(xOld >= 0 ? oi.addresses(xOld) : IpSet.EMPTY);
    boolean wholeRules =
        oldDiagnostics.stream().noneMatch(d -> d.code().equals(CompilerCodes.UNRESOLVED));
    return new Reuse(oldRules, oldExpander, shift, x, xOld, changed, xAddresses, wholeRules);
  }

  private static boolean alone(NodeIndex index, int id) {
    BitSet holders = index.nodesWithAddressIn(index.addresses(id));
    holders.clear(id);
    return holders.isEmpty();
  }

  /**
   * May rule {@code r} (sources {@code src}) keep its previous selected set, {@code now} being the
   * expander of the new identities? Only X's membership of a selector can differ between the two
   * sides (every other node is the same object with the same id, and its users, groups and tags are
   * unchanged), so the identity-matched devices are the same unless X's bit differs: two bit tests
   * instead of two set unions per rule.
   */
  boolean sameSelected(int r, List<Selector> src, ExpandSelectors now) {
    if (r >= oldRules.size() || !oldRules.get(r).src().equals(src)) {
      return false;
    }
    if (addressesChanged && src.stream().anyMatch(s -> s instanceof Selector.Wildcard)) {
      return false;
    }
    boolean wasIn = xOld >= 0 && oldExpander.identityMatches(src, xOld);
    boolean isIn = x >= 0 && now.identityMatches(src, x);
    if (wasIn && (x < 0 || addressesChanged)) {
      return false;
    }
    if (isIn && addressesChanged) {
      return false;
    }
    return wasIn == isIn;
  }

  /**
   * Rule {@code r}'s selected set for the new identities, patched from the previous one, when
   * {@link #sameSelected} does not hold; null when it must be built (a {@code *} or danger-all
   * source, whose set depends on every node's addresses and routes). The set is the selectors'
   * fixed address sets F, the addresses of the identity-matched nodes other than X (unchanged, and
   * disjoint from X's: no other node holds them), and X's addresses if X is identity-matched. So
   * the new set is the old one without X's old addresses outside F, plus X's new addresses if X is
   * matched now.
   */
  IpSet patchedSelected(int r, List<Selector> src, ExpandSelectors now) {
    if (r >= oldRules.size() || !oldRules.get(r).src().equals(src)) {
      return null;
    }
    IpSet fixed = IpSet.EMPTY;
    for (Selector s : src) {
      switch (s) {
        case Selector.Wildcard w -> {
          return null;
        }
        case Selector.Auto a when a.group() == dev.tessera.policy.ast.AutoGroup.DANGER_ALL -> {
          return null;
        }
        case Selector.Host h -> fixed = fixed.union(now.prefixSet(s));
        case Selector.IpSet i -> fixed = fixed.union(now.prefixSet(s));
        case Selector.Ip p -> fixed = fixed.union(now.prefixSet(s));
        case Selector.Range g -> fixed = fixed.union(now.prefixSet(s));
        default -> {}
      }
    }
    IpSet out = oldRules.get(r).selected();
    if (xOld >= 0) {
      out = out.subtract(oldExpander.addressesOf(xOld).subtract(fixed));
    }
    if (x >= 0 && now.identityMatches(src, x)) {
      out = out.union(now.addressesOf(x));
    }
    return out;
  }

  /**
   * May rule {@code r} be carried over whole, expansion skipped? Its resolved form depends on the
   * node sets of its selectors ({@code src}, {@code dst}, {@code via}) and, for sources, on the
   * addresses of the devices they select. Every node but X is unchanged, so it is the same rule if
   * X is in each selector on both sides or on neither, and X's addresses are unchanged wherever a
   * source needs them (X matched by a source, or a {@code *} or danger-all source). Selectors that
   * resolve to the same thing whatever the nodes (autogroup:self, internet, shared) always agree.
   */
  boolean sameRule(
      int r, List<Selector> src, List<Selector> dst, List<Selector> via, ExpandSelectors now) {
    if (!wholeRules || r >= oldRules.size() || !oldRules.get(r).src().equals(src)) {
      return false;
    }
    for (Selector s : src) {
      boolean everyone =
          s instanceof Selector.Wildcard
              || s instanceof Selector.Auto a
                  && a.group() == dev.tessera.policy.ast.AutoGroup.DANGER_ALL;
      boolean isIn = now.matchesNode(s, x);
      if (isIn != oldExpander.matchesNode(s, xOld) || (isIn || everyone) && addressesChanged) {
        return false;
      }
    }
    for (List<Selector> list : List.of(dst, via)) {
      for (Selector s : list) {
        if (now.matchesNode(s, x) != oldExpander.matchesNode(s, xOld)) {
          return false;
        }
      }
    }
    return true;
  }

  /**
   * Rule {@code r} as pass 2 would produce it again (see {@link #sameRule}): the previous rule's
   * sources and destinations, node sets carried into the new ids, posture not yet applied.
   */
  ResolvedRule carried(int r) {
    ResolvedRule old = oldRules.get(r);
    List<Clause> clauses = old.clauses();
    List<AppClause> apps = old.apps();
    if (!shift.keepsOldIds()) {
      clauses =
          clauses.stream()
              .map(c -> new Clause(c.protocols(), carry(c.destination()), c.ports()))
              .toList();
      apps =
          apps.stream()
              .map(a -> new AppClause(a.capability(), a.values(), carry(a.destination())))
              .toList();
    }
    return new ResolvedRule(
        old.origin(),
        old.span(),
        old.src(),
        shift.carry(old.sourceNodes()),
        old.selected(),
        old.posture(),
        new BitSet(),
        old.selected(),
        clauses,
        apps);
  }

  private Destination carry(Destination d) {
    return switch (d) {
      case Destination.Nodes n -> new Destination.Nodes(shift.carry(n.nodes()), n.selector());
      case Destination.Prefixes p ->
          p.via().isEmpty()
              ? p
              : new Destination.Prefixes(
                  p.set(), p.prefixes(), p.via().map(shift::carry), p.selector());
      case Destination.Any a -> a;
      case Destination.Self s -> s;
      case Destination.Internet i -> i;
    };
  }
}
