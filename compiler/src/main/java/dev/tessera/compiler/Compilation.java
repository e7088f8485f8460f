package dev.tessera.compiler;

import dev.tessera.compiler.incremental.Change;
import dev.tessera.compiler.incremental.IncrementalCompiler;
import dev.tessera.compiler.inventory.Inventory;
import dev.tessera.compiler.inventory.InventoryNode;
import dev.tessera.compiler.ir.ResolvedRule;
import dev.tessera.compiler.pass.Front;
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
 *
 * <p>The members that name {@code pass} types (marked {@code @SuppressWarnings("exports")}) serve
 * the incremental compiler in this module and the modules {@code pass} is exported to; other
 * clients cannot name their types.
 */
public final class Compilation {
  private final Policy policy;
  private final Inventory inventory;

  /** Passes 1 to 4: identities, rules, projection and the peer relation (kept for updates). */
  private final Front front;

  private final CompiledFilter[] filters;
  private final String[] hashes;
  private final List<Diagnostic> diagnostics;

  /** The normalizer that built (or carried over the shared values of) the filters; for updates. */
  private final Normalize normalize;

  private List<String> changed;

  Compilation(
      Policy policy,
      Inventory inventory,
      Front front,
      CompiledFilter[] filters,
      Normalize normalize) {
    this(policy, inventory, front, filters, normalize, null, null);
  }

  /**
   * A compilation of {@code front}'s passes with {@code filters} by node id (handed over, not
   * copied), as {@link dev.tessera.compiler.incremental.IncrementalCompiler} builds it: {@code
   * knownHashes} (null, or by node id, null where not known) are content hashes carried over for
   * filters that did not change; {@code changed} (null: every node) are the nodes whose filter
   * changed.
   */
  @SuppressWarnings("exports")
  public Compilation(
      Policy policy,
      Inventory inventory,
      Front front,
      CompiledFilter[] filters,
      Normalize normalize,
      String[] knownHashes,
      List<String> changed) {
    this.normalize = normalize;
    this.policy = policy;
    this.inventory = inventory;
    this.front = front;
    this.filters = filters;
    this.hashes = knownHashes == null ? new String[filters.length] : knownHashes.clone();
    this.diagnostics = List.copyOf(front.diagnostics());
    if (changed != null) {
      setChanged(changed);
    }
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
  @SuppressWarnings("exports")
  public Identities identities() {
    return front.ids();
  }

  /** The node index: node ids used by {@link ResolvedRule}'s bit sets. */
  @SuppressWarnings("exports")
  public NodeIndex index() {
    return front.ids().index();
  }

  /** The resolved rules: acls in order, then grants in order. */
  public List<ResolvedRule> rules() {
    return front.rules();
  }

  /** The projection pass output (pieces, peers, exit-node users). */
  @SuppressWarnings("exports")
  public Projection projection() {
    return front.projection();
  }

  /** Passes 1 to 4's output (for the incremental compiler). */
  @SuppressWarnings("exports")
  public Front front() {
    return front;
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
    int id = index().id(node);
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
    int id = index().id(node);
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
      if (i < index().size()) {
        out.add(index().node(i).name());
      }
    }
    Collections.sort(out);
    return out;
  }

  /**
   * Recompiles after {@code changed} joined (new name) or changed (same name). The result equals a
   * full {@link Compiler#compile} of the new inventory (checked by tests); content hashes of
   * unchanged filters are carried over and {@link #changedNodes()} lists the filters that changed.
   */
  public Compilation update(InventoryNode changed) {
    return IncrementalCompiler.apply(this, new Change.Upsert(changed));
  }

  /**
   * Recompiles after the node named {@code name} left the inventory. Like {@link #update}, the
   * result equals a full {@link Compiler#compile} of the new inventory; {@link #changedNodes()}
   * lists the remaining nodes whose filter changed (the node that left has no filter any more). A
   * name not in the inventory changes nothing.
   */
  public Compilation remove(String name) {
    return IncrementalCompiler.apply(this, new Change.Leave(name));
  }

  /**
   * The compilation of inventory {@code next}, reached by {@link #update} and {@link #remove}
   * steps, when {@code next} has the same users (logins and roles) and differs from this
   * compilation's inventory in at most {@code maxNodes} nodes; empty otherwise, or when a step
   * reports an error (then compile {@code next} in full, which also gives an exact report). For a
   * long-running server whose inventory file changes a node at a time.
   *
   * <p>Nodes are compared by content, not by where the file writes them: a node that only moved
   * (lines added above it) is not a change, and the result keeps this compilation's entry for it,
   * with the old position (positions only locate diagnostics). {@link #changedNodes()} of the
   * result holds every node whose filter changed in some step (a superset of those that differ from
   * this compilation's, when a later step changes one back), without the nodes that left.
   */
  public Optional<Compilation> updateTo(Inventory next, int maxNodes) {
    if (!roles(inventory.users()).equals(roles(next.users()))) {
      return Optional.empty();
    }
    java.util.Map<String, InventoryNode> before = new java.util.HashMap<>();
    for (InventoryNode n : inventory.nodes()) {
      if (before.put(n.name(), n) != null) {
        return Optional.empty(); // duplicate names: no one-to-one diff
      }
    }
    List<InventoryNode> changedOrJoined = new ArrayList<>();
    java.util.Set<String> seen = new java.util.HashSet<>();
    for (InventoryNode n : next.nodes()) {
      if (!seen.add(n.name())) {
        return Optional.empty();
      }
      InventoryNode was = before.get(n.name());
      if (was == null || !sameContent(was, n)) {
        changedOrJoined.add(n);
      }
    }
    List<String> left = new ArrayList<>();
    for (String name : before.keySet()) {
      if (!seen.contains(name)) {
        left.add(name);
      }
    }
    if (changedOrJoined.size() + left.size() > maxNodes) {
      return Optional.empty();
    }
    Collections.sort(left); // a fixed order of steps, whatever the map's
    Compilation c = this;
    java.util.Set<String> changed = new java.util.TreeSet<>();
    for (String name : left) {
      c = c.remove(name);
      if (c.hasErrors()) {
        return Optional.empty();
      }
      changed.remove(name);
      changed.addAll(c.changedNodes());
    }
    for (InventoryNode n : changedOrJoined) {
      c = c.update(n);
      if (c.hasErrors()) {
        return Optional.empty();
      }
      changed.addAll(c.changedNodes());
    }
    if (c != this) {
      c.setChanged(new ArrayList<>(changed));
    } else {
      // Nothing to do: the same compilation, nothing changed.
      c = new Compilation(policy, inventory, front, filters, normalize, hashSnapshot(), List.of());
    }
    return Optional.of(c);
  }

  private static java.util.Map<String, dev.tessera.compiler.inventory.Role> roles(
      List<dev.tessera.compiler.inventory.InventoryUser> users) {
    java.util.Map<String, dev.tessera.compiler.inventory.Role> m = new java.util.HashMap<>();
    for (var u : users) {
      m.put(u.login(), u.role());
    }
    return m;
  }

  /** Equal but for the position in the file. */
  private static boolean sameContent(InventoryNode a, InventoryNode b) {
    return a == b
        || a.name().equals(b.name())
            && a.user().equals(b.user())
            && a.tags().equals(b.tags())
            && a.ips().equals(b.ips())
            && a.key().equals(b.key())
            && a.posture().equals(b.posture())
            && a.routes().equals(b.routes());
  }

  /**
   * After {@link #update} or {@link #remove}: the nodes (sorted) whose filter differs from the
   * previous compilation's, including a node that joined (not one that left). For a full compile:
   * every node.
   */
  public synchronized List<String> changedNodes() {
    return changed == null ? nodeNames() : changed;
  }

  synchronized void setChanged(List<String> names) {
    List<String> sorted = new ArrayList<>(names);
    Collections.sort(sorted);
    changed = List.copyOf(sorted);
  }

  /** The normalizer that built the filters (for the incremental compiler). */
  @SuppressWarnings("exports")
  public Normalize normalize() {
    return normalize;
  }

  /** The cached hashes by node id (null where not computed yet), copied under the lock. */
  public synchronized String[] hashSnapshot() {
    return hashes.clone();
  }

  /** The filter of node id {@code id} ({@link #index()}). */
  public CompiledFilter filterAt(int id) {
    return filters[id];
  }
}
