package dev.tessera.compiler.pass;

import dev.tessera.compiler.ir.ResolvedRule;
import dev.tessera.policy.ast.Policy;
import dev.tessera.policy.ast.Selector;
import dev.tessera.policy.diag.Diagnostics;
import dev.tessera.compiler.ipset.IpSet;
import java.util.BitSet;
import java.util.List;

/**
 * What passes 2 and 3 may take over from a previous compilation of the same policy when one node
 * X joined, changed or left (used by {@code Compilation.update} and {@code remove}).
 *
 * <p>Why reuse is exact. A rule's selected addresses are the union of: fixed sets (hosts, ipsets,
 * prefixes, ranges, danger-all: the policy alone), {@code *} (the tailnet ranges plus every node's
 * addresses and subnet routes), and every address of the devices its identity selectors (users,
 * groups, tags, autogroups) match. Preconditions (checked by {@link #of}): X has no approved
 * routes before or after (subnet routes do not change) and no other node holds one of X's
 * addresses. Then the selected set is unchanged when the identity-matched devices are the same
 * (compared in new ids), X is not among them on either side with addresses that changed (or
 * joined or left), and the rule has no {@code *} source while X's addresses changed. The previous
 * set object is then kept, which also lets later passes recognise it by identity. Posture: the
 * failing devices change at most in X's bit (X is evaluated, every other node's bit is carried
 * over), and the addresses cut out of the sources change only if X fails on either side, unless
 * it fails on both with the same addresses.
 *
 * @param oldRules the previous compilation's rules (same policy, so the same rules in the same order)
 * @param shift old ids to new ids
 * @param x X's new id, -1 if it left (or is dropped now)
 * @param xOld X's old id, -1 if it joined (or was dropped before)
 * @param addressesChanged X's addresses differ between the two sides (always true for a join or leave)
 * @param xAddresses X's addresses on both sides (their union): the only addresses in which a rule's
 *     selected and posture-cut sets can differ from before, as no other node holds any of them
 */
public record Reuse(List<ResolvedRule> oldRules, ExpandSelectors oldExpander, IdShift shift, int x, int xOld,
    boolean addressesChanged, IpSet xAddresses) {

  /**
   * The reuse information for node {@code name} between {@code oldIds} and {@code ids}, or null
   * when the preconditions do not hold (then passes 2 and 3 run in full).
   */
  public static Reuse of(Policy policy, Identities oldIds, List<ResolvedRule> oldRules, Identities ids,
      String name) {
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
    IpSet xAddresses = (x >= 0 ? ni.addresses(x) : IpSet.EMPTY).union(xOld >= 0 ? oi.addresses(xOld) : IpSet.EMPTY);
    return new Reuse(oldRules, oldExpander, shift, x, xOld, changed, xAddresses);
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
}
