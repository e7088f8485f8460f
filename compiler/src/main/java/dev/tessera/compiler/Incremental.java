package dev.tessera.compiler;

import dev.tessera.compiler.inventory.Inventory;
import dev.tessera.compiler.inventory.InventoryNode;
import dev.tessera.compiler.ipset.IpSet;
import dev.tessera.compiler.pass.NodeIndex;
import dev.tessera.compiler.pass.Normalize;
import dev.tessera.compiler.pass.ProjectPerNode;
import dev.tessera.compiler.pass.Projection;
import dev.tessera.compiler.pass.ProjectionPatch;
import dev.tessera.compiler.pass.Projection.CapPiece;
import dev.tessera.compiler.pass.Projection.Piece;
import dev.tessera.enforcer.format.CompiledFilter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Recompilation after one node joins or changes (see {@link Compilation#update}).
 *
 * <p>Design note. A node's filter is a pure function of what {@link Normalize#build} reads: its
 * name and addresses, its pieces and cap pieces (rule index, protocols, sources, destination,
 * ports), its peer set, the routes it accepts from each peer, and each peer's name, key and
 * addresses (rule origins come from the policy, which does not change). Strategy:
 *
 * <ol>
 *   <li>Passes 1 to 3 (identities, selectors, posture) run again on the new inventory
 *       ({@link Compiler#front}): they are cheap next to projection and normalization, and give
 *       the exact new rules, so which rules the node's identity, tags, posture or addresses touch
 *       is read off the rules (their resolved sources changed) rather than predicted.
 *   <li>Pass 4 (projection) is patched by {@link ProjectionPatch}: fresh pieces only for the nodes
 *       receiving a rule whose sources changed, for the node itself and for its user's nodes
 *       (autogroup:self); X's bit in every other node's incoming set from the rules whose sources
 *       cover X; peers rebuilt from the incoming sets; routes recomputed only where peers or
 *       pieces changed. When its preconditions fail (the node is or was a subnet router or exit
 *       node, it was dropped, its addresses collide, a changed rule has a {@code *} destination, or
 *       more than a quarter of the nodes are touched) the full pass runs instead.
 *   <li>Pass 5 (normalize/emit) runs only for nodes whose inputs differ from the previous
 *       compilation's, compared by node name (a join shifts ids). Every other node keeps its
 *       previous {@link CompiledFilter} object and its cached content hash.
 *   <li>A rebuilt filter that comes out equal to the previous one is not reported as changed, so
 *       {@link Compilation#changedNodes()} is exact: the filters a server must re-sign and push.
 * </ol>
 *
 * Invariant checked by {@code IncrementalUpdateTest}: the result equals a full {@link
 * Compiler#compile} of the new inventory, filter for filter and byte for byte, changedNodes() is
 * exactly the set of nodes whose filter differs, and the patched projection equals the full pass.
 * Cost: passes 1 to 3 in full, the patch (proportional to the touched nodes' pieces plus one pass
 * over the peer relation), a comparison linear in the projection, and normalize for the touched
 * nodes. When one node joins a group used by many rules, many filters really change (their
 * SrcIPs), and that output bounds the cost.
 */
final class Incremental {
  private Incremental() {}

  static Compilation update(Compilation old, InventoryNode changed) {
    Inventory inventory = old.inventory().withNode(changed);
    Compiler.Front front = Compiler.front(old.policy(), inventory, (ids, rules) -> {
      ProjectPerNode.Result patched = old.incoming() == null ? null
          : ProjectionPatch.patch(ids, rules, old.identities(), old.rules(), old.projection(), old.incoming(),
              changed.name());
      return patched != null ? patched : ProjectPerNode.runWithIncoming(ids, rules);
    });
    NodeIndex ni = front.ids().index();
    NodeIndex oi = old.index();
    Projection np = front.projection();
    Projection op = old.projection();
    int n = ni.size();

    // New id -> old id (-1 for a node that joined or was dropped before); ids are name ranks.
    int[] toOld = new int[n];
    boolean sameIds = n == oi.size();
    for (int i = 0; i < n; i++) {
      toOld[i] = oi.id(ni.node(i).name());
      sameIds &= toOld[i] == i;
    }
    // Nodes whose peer entry (name, key, addresses) differs from before: at most the changed one.
    BitSet peerEntryChanged = new BitSet();
    for (int i = 0; i < n; i++) {
      int o = toOld[i];
      if (o < 0 || !ni.node(i).key().equals(oi.node(o).key())
          || !ni.addressPrefixes(i).equals(oi.addressPrefixes(o))) {
        peerEntryChanged.set(i);
      }
    }

    SameSet same = new SameSet();
    Normalize norm = new Normalize(ni, front.rules());
    CompiledFilter[] oldFilters = old.rawFilters();
    CompiledFilter[] filters = new CompiledFilter[n];
    String[] carried = new String[n];
    List<String> changedNodes = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int o = toOld[i];
      if (o >= 0 && sameInputs(i, o, ni, oi, np, op, toOld, sameIds, peerEntryChanged, same)) {
        filters[i] = oldFilters[o];
        carried[i] = old.cachedHash(oldFilters[o].node());
        continue;
      }
      CompiledFilter f = norm.build(i, np);
      if (o >= 0 && f.equals(oldFilters[o])) {
        filters[i] = oldFilters[o];
        carried[i] = old.cachedHash(oldFilters[o].node());
      } else {
        filters[i] = f;
        changedNodes.add(f.node());
      }
    }
    Compilation next = new Compilation(old.policy(), inventory, front.ids(), front.rules(), np, front.incoming(), filters,
        front.diagnostics());
    String[] hashes = next.rawHashes();
    for (int i = 0; i < n; i++) {
      if (carried[i] != null) {
        hashes[i] = carried[i];
      }
    }
    next.setChanged(changedNodes);
    return next;
  }

  /** Are the inputs of {@link Normalize#build} for new node {@code i} those of old node {@code o}? */
  private static boolean sameInputs(int i, int o, NodeIndex ni, NodeIndex oi, Projection np, Projection op,
      int[] toOld, boolean sameIds, BitSet peerEntryChanged, SameSet same) {
    if (!ni.addressPrefixes(i).equals(oi.addressPrefixes(o))) {
      return false;
    }
    List<Piece> a = np.pieces().get(i);
    List<Piece> b = op.pieces().get(o);
    if (a.size() != b.size()) {
      return false;
    }
    // The projection patch hands over untouched nodes' lists as the same objects: nothing to compare.
    for (int k = 0; a != b && k < a.size(); k++) {
      Piece x = a.get(k);
      Piece y = b.get(k);
      if (x.rule() != y.rule() || !x.dst().equals(y.dst()) || !x.ports().equals(y.ports())
          || !x.protocols().equals(y.protocols()) || !same.test(x.sources(), y.sources())) {
        return false;
      }
    }
    List<CapPiece> ca = np.caps().get(i);
    List<CapPiece> cb = op.caps().get(o);
    if (ca.size() != cb.size()) {
      return false;
    }
    for (int k = 0; ca != cb && k < ca.size(); k++) {
      CapPiece x = ca.get(k);
      CapPiece y = cb.get(k);
      if (x.rule() != y.rule() || !x.capability().equals(y.capability()) || !x.values().equals(y.values())
          || !x.dsts().equals(y.dsts()) || !same.test(x.sources(), y.sources())) {
        return false;
      }
    }
    BitSet pn = np.peers().get(i);
    BitSet po = op.peers().get(o);
    if (pn.intersects(peerEntryChanged)) {
      return false;
    }
    if (sameIds) {
      if (!pn.equals(po)) {
        return false;
      }
    } else {
      int p = pn.nextSetBit(0);
      int q = po.nextSetBit(0);
      while (p >= 0 && q >= 0) {
        if (toOld[p] != q) {
          return false;
        }
        p = pn.nextSetBit(p + 1);
        q = po.nextSetBit(q + 1);
      }
      if (p >= 0 || q >= 0) {
        return false;
      }
    }
    // Parallel to the peer bits, which now correspond one to one.
    return Arrays.equals(np.peerRoutes().get(i), op.peerRoutes().get(o));
  }

  /**
   * IpSet equality with memory: pieces of one rule share one sources object, so each (new, old)
   * pair of objects is compared by value once.
   */
  private static final class SameSet {
    private final Map<IpSet, IpSet> known = new IdentityHashMap<>();

    boolean test(IpSet now, IpSet before) {
      if (now == before || known.get(now) == before) {
        return true;
      }
      if (!now.equals(before)) {
        return false;
      }
      known.put(now, before);
      return true;
    }
  }
}
