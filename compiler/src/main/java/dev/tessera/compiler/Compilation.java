package dev.tessera.compiler;

import dev.tessera.compiler.inventory.Inventory;
import dev.tessera.compiler.inventory.InventoryNode;
import dev.tessera.compiler.ir.ResolvedRule;
import dev.tessera.compiler.pass.Identities;
import dev.tessera.compiler.pass.NodeIndex;
import dev.tessera.compiler.pass.Normalize;
import dev.tessera.compiler.pass.Projection;
import dev.tessera.enforcer.format.CompiledFilter;
import dev.tessera.enforcer.format.FilterCodec;
import dev.tessera.policy.ast.Policy;
import dev.tessera.policy.diag.Diagnostic;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The result of {@link Compiler#compile}: per-node filters (with peers), content hashes,
 * diagnostics and the resolved-rule IR. Immutable; {@link #update} returns a new compilation.
 */
public final class Compilation {
  private final Policy policy;
  private final Inventory inventory;
  private final Identities identities;
  private final List<ResolvedRule> rules;
  private final Projection projection;
  /** Per node, the incoming half of the peer relation (see ProjectPerNode.Result); for updates. */
  private final List<BitSet> incoming;
  /** Its transpose (per node, the nodes it may send to); for updates. */
  private final List<BitSet> outgoing;
  private final CompiledFilter[] filters;
  private final String[] hashes;
  private final List<Diagnostic> diagnostics;
  /** The normalizer that built (or carried over the shared values of) the filters; for updates. */
  private final Normalize normalize;
  private List<String> changed;

  Compilation(Policy policy, Inventory inventory, Identities identities, List<ResolvedRule> rules,
      Projection projection, List<BitSet> incoming, List<BitSet> outgoing, CompiledFilter[] filters,
      List<Diagnostic> diagnostics, Normalize normalize) {
    this.normalize = normalize;
    this.incoming = incoming;
    this.outgoing = outgoing;
    this.policy = policy;
    this.inventory = inventory;
    this.identities = identities;
    this.rules = List.copyOf(rules);
    this.projection = projection;
    this.filters = filters;
    this.hashes = new String[filters.length];
    this.diagnostics = List.copyOf(diagnostics);
  }

  public Policy policy() {
    return policy;
  }

  public Inventory inventory() {
    return inventory;
  }

  public List<Diagnostic> diagnostics() {
    return diagnostics;
  }

  public boolean hasErrors() {
    return diagnostics.stream().anyMatch(Diagnostic::isError);
  }

  /** The identities pass output (node index, users, groups, tags). */
  public Identities identities() {
    return identities;
  }

  /** The node index: node ids used by {@link ResolvedRule}'s bit sets. */
  public NodeIndex index() {
    return identities.index();
  }

  /** The resolved rules: acls in order, then grants in order. */
  public List<ResolvedRule> rules() {
    return rules;
  }

  /** The projection pass output (pieces, peers, exit-node users). */
  public Projection projection() {
    return projection;
  }

  /** Compiled nodes sorted by name. */
  public List<String> nodeNames() {
    List<String> names = new ArrayList<>(filters.length);
    for (CompiledFilter f : filters) {
      names.add(f.node());
    }
    Collections.sort(names);
    return List.copyOf(names);
  }

  public Optional<CompiledFilter> filter(String node) {
    int id = identities.index().id(node);
    return id < 0 ? Optional.empty() : Optional.of(filters[id]);
  }

  /** Every node's filter, sorted by node name. */
  public SortedMap<String, CompiledFilter> filters() {
    TreeMap<String, CompiledFilter> m = new TreeMap<>();
    for (CompiledFilter f : filters) {
      m.put(f.node(), f);
    }
    return Collections.unmodifiableSortedMap(m);
  }

  /** SHA-256 (hex) of the node's encoded filter, computed once on first use. */
  public synchronized String hash(String node) {
    int id = identities.index().id(node);
    if (id < 0) {
      throw new IllegalArgumentException("no node named " + node);
    }
    if (hashes[id] == null) {
      hashes[id] = FilterCodec.sha256Hex(filters[id]);
    }
    return hashes[id];
  }

  /** Names of the nodes a source device set refers to (for explain and reports). */
  public List<String> names(BitSet ids) {
    List<String> out = new ArrayList<>();
    for (int i = ids.nextSetBit(0); i >= 0; i = ids.nextSetBit(i + 1)) {
      if (i < identities.index().size()) {
        out.add(identities.index().node(i).name());
      }
    }
    Collections.sort(out);
    return out;
  }

  /**
   * Recompiles after {@code changed} joined (new name) or changed (same name). The result equals
   * a full {@link Compiler#compile} of the new inventory (checked by tests); content hashes of
   * unchanged filters are carried over and {@link #changedNodes()} lists the filters that changed.
   */
  public Compilation update(InventoryNode changed) {
    return Incremental.update(this, changed);
  }

  /**
   * Recompiles after the node named {@code name} left the inventory. Like {@link #update}, the
   * result equals a full {@link Compiler#compile} of the new inventory; {@link #changedNodes()}
   * lists the remaining nodes whose filter changed (the node that left has no filter any more). A
   * name not in the inventory changes nothing.
   */
  public Compilation remove(String name) {
    return Incremental.remove(this, name);
  }

  /**
   * After {@link #update} or {@link #remove}: the nodes (sorted) whose filter differs from the
   * previous compilation's, including a node that joined (not one that left). For a full
   * compile: every node.
   */
  public synchronized List<String> changedNodes() {
    return changed == null ? nodeNames() : changed;
  }

  synchronized void setChanged(List<String> names) {
    List<String> sorted = new ArrayList<>(names);
    Collections.sort(sorted);
    changed = List.copyOf(sorted);
  }

  Normalize normalize() {
    return normalize;
  }

  /** The cached hashes by node id (null where not computed yet), copied under the lock. */
  synchronized String[] hashSnapshot() {
    return hashes.clone();
  }

  List<BitSet> incoming() {
    return incoming;
  }

  List<BitSet> outgoing() {
    return outgoing;
  }

  CompiledFilter[] rawFilters() {
    return filters;
  }

  String[] rawHashes() {
    return hashes;
  }
}
