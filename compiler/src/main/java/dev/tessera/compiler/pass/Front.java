package dev.tessera.compiler.pass;

import dev.tessera.compiler.inventory.Inventory;
import dev.tessera.compiler.ir.ResolvedRule;
import dev.tessera.policy.ast.Policy;
import dev.tessera.policy.ast.Section;
import dev.tessera.policy.diag.Diagnostic;
import dev.tessera.policy.diag.Diagnostics;
import java.util.BitSet;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * Output of passes 1 to 4 (everything but normalize/emit), shared by the full compile and the
 * incremental compiler: identities, resolved rules, the projection with the incoming half of the
 * peer relation and its transpose, and the diagnostics of every pass.
 */
public record Front(
    Identities ids,
    List<ResolvedRule> rules,
    Projection projection,
    List<BitSet> incoming,
    List<BitSet> outgoing,
    List<Diagnostic> diagnostics) {

  /** Passes 1 to 4 from scratch. */
  public static Front run(Policy policy, Inventory inventory) {
    return run(policy, inventory, ProjectPerNode::runWithIncoming, ids -> null, null);
  }

  /**
   * Passes 1 to 4; {@code project} is pass 4 (the full pass, or a patch of a previous projection),
   * passes 2 and 3 reuse what {@code reuse} gives for the new identities (null: nothing) and pass 1
   * what {@code previousIds} (the previous compilation's identities of the same policy; null:
   * nothing) derived for unchanged nodes.
   */
  public static Front run(
      Policy policy,
      Inventory inventory,
      BiFunction<Identities, List<ResolvedRule>, ProjectPerNode.Result> project,
      Function<Identities, Reuse> reuse,
      Identities previousIds) {
    Diagnostics diags = new Diagnostics();
    if (!policy.has(Section.ACLS) && !policy.has(Section.GRANTS)) {
      // Ambiguity 8 (docs/semantics.md): headscale allows all here; Tessera denies all.
      diags.warning(
          "no-rules",
          "the policy has neither acls nor grants: every node denies all inbound traffic",
          policy.span(),
          "add \"acls\" or \"grants\"; Tessera never infers allow-all");
    }
    Inventory hosted = ServiceHosting.apply(policy, inventory, diags);
    Identities ids = ResolveIdentities.run(policy, hosted, diags, previousIds);
    Reuse previous = reuse.apply(ids);
    List<ResolvedRule> expanded = ExpandSelectors.run(policy, ids, diags, previous);
    List<ResolvedRule> rules = ApplyPosture.run(expanded, policy, ids, diags, previous);
    ProjectPerNode.Result proj = project.apply(ids, rules);
    return new Front(
        ids, rules, proj.projection(), proj.incoming(), proj.outgoing(), diags.sorted());
  }
}
