package dev.tessera.compiler;

import dev.tessera.compiler.inventory.Inventory;
import dev.tessera.compiler.ir.ResolvedRule;
import dev.tessera.compiler.pass.ApplyPosture;
import dev.tessera.compiler.pass.ExpandSelectors;
import dev.tessera.compiler.pass.Identities;
import dev.tessera.compiler.pass.NodeIndex;
import dev.tessera.compiler.pass.Normalize;
import dev.tessera.compiler.pass.Parallel;
import dev.tessera.compiler.pass.ProjectPerNode;
import dev.tessera.compiler.pass.Projection;
import dev.tessera.compiler.pass.ResolveIdentities;
import dev.tessera.compiler.pass.Reuse;
import dev.tessera.enforcer.format.CompiledFilter;
import dev.tessera.policy.ast.Policy;
import dev.tessera.policy.ast.Section;
import dev.tessera.policy.diag.Diagnostic;
import dev.tessera.policy.diag.Diagnostics;
import java.util.BitSet;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * Policy + inventory to one {@link CompiledFilter} per node.
 *
 * <p>Design note: a fixed list of named passes, each a static function of the previous one's
 * output, each testable alone (OPA's compiler stages are the model):
 *
 * <ol>
 *   <li>{@link ResolveIdentities}: users, groups, tags, autogroups, roles to node sets; inventory
 *       tag ownership checked against tagOwners.
 *   <li>{@link ExpandSelectors}: every acl/grant to source address sets and destination clauses.
 *   <li>{@link ApplyPosture}: devices failing the rule's postures cut out of its sources.
 *   <li>{@link ProjectPerNode}: which node enforces which clause; autogroup:self per node;
 *       peers and routes.
 *   <li>{@link Normalize}: per node, minimal sorted CIDRs, merged port ranges, canonical order;
 *       emits the enforcer's records.
 * </ol>
 *
 * Diagnostics from every pass are collected and returned together with whatever could be
 * compiled; callers must not use the filters when {@link Compilation#hasErrors()}. The compiler
 * does not validate the policy itself (policy-lang does); references it cannot resolve produce a
 * diagnostic and match nothing (fail closed).
 */
public final class Compiler {
  private Compiler() {}

  public static Compilation compile(Policy policy, Inventory inventory) {
    Front f = front(policy, inventory, ProjectPerNode::runWithIncoming);
    Normalize norm = new Normalize(f.ids().index(), f.rules());
    CompiledFilter[] filters = new CompiledFilter[f.ids().index().size()];
    Projection projection = f.projection();
    Parallel.forEachNode(filters.length, i -> filters[i] = norm.build(i, projection));
    return new Compilation(policy, inventory, f.ids(), f.rules(), f.projection(), f.incoming(), f.outgoing(), filters,
        f.diagnostics(), norm);
  }

  /** Output of passes 1 to 4, shared by {@link #compile} and {@link Incremental}. */
  record Front(Identities ids, List<ResolvedRule> rules, Projection projection, List<BitSet> incoming,
      List<BitSet> outgoing,
      List<Diagnostic> diagnostics) {}

  /**
   * Passes 1 to 4 (everything but normalize/emit); {@code project} is pass 4 (the full pass, or
   * {@link Incremental}'s patch of a previous projection).
   */
  static Front front(Policy policy, Inventory inventory,
      BiFunction<Identities, List<ResolvedRule>, ProjectPerNode.Result> project) {
    return front(policy, inventory, project, ids -> null, null);
  }

  /** {@link #front}, with passes 2 and 3 reusing what {@code reuse} gives for the new identities and
   * pass 1 what {@code previousIds} (the previous compilation's identities of the same policy;
   * null: nothing) derived for unchanged nodes. */
  static Front front(Policy policy, Inventory inventory,
      BiFunction<Identities, List<ResolvedRule>, ProjectPerNode.Result> project, Function<Identities, Reuse> reuse,
      Identities previousIds) {
    Diagnostics diags = new Diagnostics();
    if (!policy.has(Section.ACLS) && !policy.has(Section.GRANTS)) {
      // Ambiguity 8 (docs/semantics.md): headscale allows all here; Tessera denies all.
      diags.warning("no-rules", "the policy has neither acls nor grants: every node denies all inbound traffic",
          policy.span(), "add \"acls\" or \"grants\"; Tessera never infers allow-all");
    }
    Inventory hosted = dev.tessera.compiler.pass.ServiceHosting.apply(policy, inventory, diags);
    Identities ids = ResolveIdentities.run(policy, hosted, diags, previousIds);
    Reuse previous = reuse.apply(ids);
    List<ResolvedRule> expanded = ExpandSelectors.run(policy, ids, diags, previous);
    List<ResolvedRule> rules = ApplyPosture.run(expanded, policy, ids, diags, previous);
    ProjectPerNode.Result proj = project.apply(ids, rules);
    return new Front(ids, rules, proj.projection(), proj.incoming(), proj.outgoing(), diags.sorted());
  }
}
