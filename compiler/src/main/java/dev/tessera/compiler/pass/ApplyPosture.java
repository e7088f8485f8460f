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
 * Pass 3: device posture (semantics reference, section 6). A rule's effective postures are its
 * own {@code srcPosture}, else {@code defaultSrcPosture}; a source device passes when it satisfies
 * <em>any</em> of them. Failing devices are left out of the sources: their addresses are cut out
 * of the rule's source set, whichever selector brought them in (a user, a tag, or an IP/CIDR/{@code
 * *} that covers them), so a device that fails posture cannot reach the destination through any
 * spelling of the source. Addresses that are not devices (subnet routes, external CIDRs) pass on
 * the address alone, as in Tailscale.
 */
public final class ApplyPosture {
  private ApplyPosture() {}

  public static List<ResolvedRule> run(List<ResolvedRule> rules, Policy policy, Identities ids, Diagnostics diags) {
    Map<String, PostureDef> defs = new HashMap<>();
    for (PostureDef d : policy.postures()) {
      defs.put(d.name(), d);
    }
    NodeIndex index = ids.index();
    Map<String, BitSet> passCache = new HashMap<>();
    Map<List<String>, BitSet> failCache = new HashMap<>();
    Map<List<String>, IpSet> failAddrCache = new HashMap<>();
    List<ResolvedRule> out = new ArrayList<>(rules.size());
    for (ResolvedRule r : rules) {
      if (r.posture().isEmpty()) {
        out.add(r);
        continue;
      }
      List<String> key = r.posture().stream().map(PostureRef::name).sorted().distinct().toList();
      BitSet failed = failCache.computeIfAbsent(key, k -> {
        BitSet pass = new BitSet();
        for (PostureRef ref : r.posture()) {
          pass.or(passCache.computeIfAbsent(ref.name(), n -> {
            PostureDef def = defs.get(n);
            BitSet b = new BitSet();
            if (def == null) {
              diags.error(CompilerCodes.UNRESOLVED, "posture \"posture:" + n + "\" is not defined", ref.span());
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
      IpSet failAddrs = failAddrCache.computeIfAbsent(key, k -> index.addressesOf(failed));
      out.add(new ResolvedRule(r.origin(), r.span(), r.src(), r.sourceNodes(), r.selected(), r.posture(),
          failed, r.selected().subtract(failAddrs), r.clauses(), r.apps()));
    }
    return out;
  }
}
