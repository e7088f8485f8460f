package dev.tessera.compiler;

import dev.tessera.compiler.inventory.Inventory;
import dev.tessera.compiler.pass.ApplyPosture;
import dev.tessera.compiler.pass.ExpandSelectors;
import dev.tessera.compiler.pass.Front;
import dev.tessera.compiler.pass.Normalize;
import dev.tessera.compiler.pass.Parallel;
import dev.tessera.compiler.pass.ProjectPerNode;
import dev.tessera.compiler.pass.Projection;
import dev.tessera.compiler.pass.ResolveIdentities;
import dev.tessera.enforcer.format.CompiledFilter;
import dev.tessera.policy.ast.Policy;

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
 *   <li>{@link ProjectPerNode}: which node enforces which clause; autogroup:self per node; peers
 *       and routes.
 *   <li>{@link Normalize}: per node, minimal sorted CIDRs, merged port ranges, canonical order;
 *       emits the enforcer's records.
 * </ol>
 *
 * Diagnostics from every pass are collected and returned together with whatever could be compiled;
 * callers must not use the filters when {@link Compilation#hasErrors()}. The compiler does not
 * validate the policy itself (policy-lang does); references it cannot resolve produce a diagnostic
 * and match nothing (fail closed).
 */
public final class Compiler {
  private Compiler() {}

  public static Compilation compile(Policy policy, Inventory inventory) {
    Front f = Front.run(policy, inventory);
    Normalize norm = new Normalize(f.ids().index(), f.rules());
    CompiledFilter[] filters = new CompiledFilter[f.ids().index().size()];
    Projection projection = f.projection();
    Parallel.forEachNode(filters.length, i -> filters[i] = norm.build(i, projection));
    return new Compilation(policy, inventory, f, filters, norm);
  }
}
