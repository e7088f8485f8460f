package dev.tessera.compiler.pass;

import dev.tessera.compiler.CompilerCodes;
import dev.tessera.compiler.ipset.IpSet;
import dev.tessera.compiler.ir.ResolvedRule;
import dev.tessera.policy.ast.Policy;
import dev.tessera.policy.ast.PostureDef;
import dev.tessera.policy.ast.PostureRef;
import dev.tessera.policy.diag.Diagnostics;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Pass 3: device posture (semantics reference, section 6). A rule's effective postures are its own
 * {@code srcPosture}, else {@code defaultSrcPosture}; a source device passes when it satisfies
 * <em>any</em> of them. Failing devices are left out of the sources: their addresses are cut out of
 * the rule's source set, whichever selector brought them in (a user, a tag, or an IP/CIDR/{@code *}
 * that covers them), so a device that fails posture cannot reach the destination through any
 * spelling of the source. Addresses that are not devices (subnet routes, external CIDRs) pass on
 * the address alone, as in Tailscale.
 */
public final class ApplyPosture {
  private ApplyPosture() {}

  public static List<ResolvedRule> run(
      List<ResolvedRule> rules, Policy policy, Identities ids, Diagnostics diags) {
    return run(rules, policy, ids, diags, null);
  }

  /**
   * {@link #run}, carrying the failing devices and cut sources over from a previous compilation
   * where one node's change allows it ({@link Reuse}; null: evaluate every node).
   */
  public static List<ResolvedRule> run(
      List<ResolvedRule> rules, Policy policy, Identities ids, Diagnostics diags, Reuse reuse) {
    Map<String, PostureDef> defs = new HashMap<>();
    for (PostureDef d : policy.postures()) {
      defs.put(d.name(), d);
    }
    NodeIndex index = ids.index();
    Map<String, BitSet> passCache = new HashMap<>();
    Map<List<String>, BitSet> failCache = new HashMap<>();
    Map<List<String>, IpSet> failAddrCache = new HashMap<>();
    List<ResolvedRule> out = new ArrayList<>(rules.size());
    for (int ri = 0; ri < rules.size(); ri++) {
      ResolvedRule r = rules.get(ri);
      if (r.posture().isEmpty()) {
        out.add(r);
        continue;
      }
      List<String> key = r.posture().stream().map(PostureRef::name).sorted().distinct().toList();
      ResolvedRule before = reuse == null ? null : reuse.oldRules().get(ri);
      BitSet failed =
          failCache.computeIfAbsent(
              key,
              k -> {
                if (before != null) {
                  // Every node but X keeps its outcome: carry the old set over and evaluate X
                  // alone.
                  // Undefined postures are reported exactly as the full evaluation reports them.
                  for (PostureRef ref : r.posture()) {
                    passCache.computeIfAbsent(
                        ref.name(),
                        n -> {
                          if (!defs.containsKey(n)) {
                            diags.error(
                                CompilerCodes.UNRESOLVED,
                                "posture \"posture:" + n + "\" is not defined",
                                ref.span());
                          }
                          return new BitSet();
                        });
                  }
                  BitSet f = reuse.shift().remap(before.postureFailed());
                  if (reuse.x() >= 0) {
                    boolean passes = false;
                    for (PostureRef ref : r.posture()) {
                      PostureDef def = defs.get(ref.name());
                      passes |= def != null && PostureEvaluator.passes(def, index.node(reuse.x()));
                    }
                    f.set(reuse.x(), !passes);
                  }
                  return f;
                }
                BitSet pass = new BitSet();
                for (PostureRef ref : r.posture()) {
                  pass.or(
                      passCache.computeIfAbsent(
                          ref.name(),
                          n -> {
                            PostureDef def = defs.get(n);
                            BitSet b = new BitSet();
                            if (def == null) {
                              diags.error(
                                  CompilerCodes.UNRESOLVED,
                                  "posture \"posture:" + n + "\" is not defined",
                                  ref.span());
                              return b; // an undefined posture passes no one: fail closed
                            }
                            for (int i = 0; i < index.size(); i++) {
                              if (PostureEvaluator.passes(def, index.node(i))) {
                                b.set(i);
                              }
                            }
                            return b;
                          }));
                }
                BitSet f = new BitSet();
                f.set(0, index.size());
                f.andNot(pass);
                return f;
              });
      IpSet sources;
      if (before != null
          && r.selected() == before.selected()
          && sameCut(reuse, before.postureFailed(), failed)) {
        sources = before.sources();
      } else if (before != null) {
        // Selected and cut sets differ from before only inside X's addresses (Reuse): patch the
        // old sources there instead of cutting thousands of failing addresses out again.
        IpSet inside = r.selected().intersect(reuse.xAddresses());
        if (reuse.x() >= 0 && failed.get(reuse.x())) {
          inside = inside.subtract(index.addresses(reuse.x()));
        }
        sources = before.sources().subtract(reuse.xAddresses()).union(inside);
      } else {
        sources =
            r.selected()
                .subtract(failAddrCache.computeIfAbsent(key, k -> index.addressesOf(failed)));
      }
      out.add(
          new ResolvedRule(
              r.origin(),
              r.span(),
              r.src(),
              r.sourceNodes(),
              r.selected(),
              r.posture(),
              failed,
              sources,
              r.clauses(),
              r.apps()));
    }
    return out;
  }

  /**
   * Are the addresses of the failing devices the same on both sides? Only X's bit can differ; the
   * cut changes if X fails on either side, unless it fails on both with the same addresses.
   */
  private static boolean sameCut(Reuse reuse, BitSet failedBefore, BitSet failedNow) {
    boolean was = reuse.xOld() >= 0 && failedBefore.get(reuse.xOld());
    boolean is = reuse.x() >= 0 && failedNow.get(reuse.x());
    return !was && !is || was && is && !reuse.addressesChanged();
  }
}
