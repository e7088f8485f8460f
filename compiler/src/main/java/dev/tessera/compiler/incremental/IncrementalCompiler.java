package dev.tessera.compiler.incremental;

import dev.tessera.compiler.Compilation;
import dev.tessera.compiler.Compiler;
import dev.tessera.compiler.inventory.Inventory;
import dev.tessera.compiler.ipset.IpSet;
import dev.tessera.compiler.pass.Front;
import dev.tessera.compiler.pass.IdShift;
import dev.tessera.compiler.pass.NodeIndex;
import dev.tessera.compiler.pass.Normalize;
import dev.tessera.compiler.pass.Parallel;
import dev.tessera.compiler.pass.ProjectPerNode;
import dev.tessera.compiler.pass.Projection;
import dev.tessera.compiler.pass.Projection.CapPiece;
import dev.tessera.compiler.pass.Projection.Piece;
import dev.tessera.compiler.pass.Reuse;
import dev.tessera.enforcer.format.CompiledFilter;
import dev.tessera.enforcer.format.Peer;
import dev.tessera.net.IpPrefix;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The incremental compiler: {@link #apply} recompiles a {@link Compilation} after one node joins,
 * changes or leaves ({@link Change}) and returns the new compilation, whose {@link
 * Compilation#changedNodes()} are exactly the nodes whose filter changed. Its contract, checked by
 * {@code IncrementalUpdateTest}: the result equals a full {@link Compiler#compile} of the new
 * inventory. {@link Compilation#update} and {@link Compilation#remove} call it.
 *
 * <p>Design note. A node's filter is a pure function of what {@link Normalize#build} reads: its
 * name and addresses, its pieces and cap pieces (rule index, protocols, sources, destination,
 * ports), its peer set, the routes it accepts from each peer, and each peer's name, key and
 * addresses (rule origins come from the policy, which does not change). Strategy:
 *
 * <p>Node ids are stable across updates ({@link NodeIndex}): a joined node takes the next id, a
 * left node's id goes to the node with the last id, a change keeps every id ({@link IdShift}). So
 * every per-node result of the previous compilation (bit sets over ids, per-node lists) carries
 * over as it is, or with two bits moved, instead of being shifted; name order, which the output
 * needs, comes from {@link NodeIndex#rank}.
 *
 * <ol>
 *   <li>Pass 1 (identities) runs again on the new inventory, but the node index takes every
 *       unchanged node's derived sets (addresses and their prefix form, routes) from the previous
 *       index (same {@code InventoryNode} object, so equal values; shared objects also make the
 *       comparisons below identity checks); when no id moved it also shares the name map, the
 *       address index and the membership sets (patched copy-on-write for X), and unchanged nodes
 *       that passed the tag check without a warning are not checked again. Passes 2 and 3
 *       (selectors, posture) run with {@link Reuse}: a rule is carried over whole when X is in each
 *       of its selectors on both sides or on neither (and X's addresses did not change where its
 *       sources need them); otherwise it keeps its previous source address set (the same object)
 *       unless X's membership or addresses make it differ; posture is evaluated for X alone, and a
 *       rule's cut sources are patched inside X's addresses rather than recomputed. Which rules X
 *       touches is thus read off the rules (their resolved sources changed) rather than predicted.
 *   <li>Pass 4 (projection) is patched by {@link ProjectionPatch}: every per-node list starts as
 *       the old one and only rows that can differ are recomputed: pieces for the nodes receiving a
 *       rule whose sources changed, for X and for its user's nodes (autogroup:self); incoming rows
 *       of those nodes (re-deciding only X's bit and routers near X's addresses where pieces merely
 *       changed sources) and X's bit elsewhere; the outgoing relation (the transpose) where rows
 *       changed; peers and routes only for rows whose relation rows changed. When its preconditions
 *       fail (the node is or was a subnet router or exit node, its addresses collide, a changed
 *       rule has a {@code *} destination, or more than half of the nodes are touched) the full pass
 *       runs instead.
 *   <li>Pass 5 (normalize/emit) runs only for nodes whose inputs differ from the previous
 *       compilation's, in parallel. Every other node keeps its previous {@link CompiledFilter}
 *       object and its cached content hash. The new normalizer starts from the previous one's peer
 *       entries (for peers whose name, key and addresses are unchanged) and source lists ({@link
 *       Normalize#carryOver}); a node whose peer inputs (peer set, peers' entries, accepted routes)
 *       are unchanged keeps its previous peer list object, and one whose peer set differs in a few
 *       peers gets the previous list patched ({@link Normalize.PeerPatch}): a rebuilt filter then
 *       shares every unchanged part with the filter it replaces, so building it skips the peer walk
 *       and comparing it with the previous one (in the same parallel task) is mostly identity
 *       checks.
 *   <li>A rebuilt filter that comes out equal to the previous one is not reported as changed, so
 *       {@link Compilation#changedNodes()} is exact: the filters a server must re-sign and push.
 * </ol>
 *
 * A node leaving ({@link #remove}) takes the same path with the node absent from the new side.
 *
 * <p>Invariant checked by {@code IncrementalUpdateTest}: the result equals a full {@link
 * Compiler#compile} of the new inventory, filter for filter and byte for byte, changedNodes() is
 * exactly the set of nodes whose filter differs, and the patched projection equals the full pass.
 * Cost: pass 1 over the node list, passes 2 and 3 on X's memberships plus address sets for the
 * rules X touches, the patch (proportional to the touched nodes' pieces plus word operations over
 * the changed relation rows), an identity-first comparison per node, and normalize for the touched
 * nodes. When one node joins a group used by many rules, many filters really change (their SrcIPs),
 * and that output bounds the cost.
 */
public final class IncrementalCompiler {
  private IncrementalCompiler() {}

  /**
   * {@code old} recompiled after {@code change}; {@link Compilation#changedNodes()} lists the
   * filters that changed.
   */
  public static Compilation apply(Compilation old, Change change) {
    Inventory inventory =
        switch (change) {
          case Change.Upsert u -> old.inventory().withNode(u.node());
          case Change.Leave l -> old.inventory().withoutNode(l.name());
        };
    return apply(old, inventory, change.name());
  }

  /**
   * {@code inventory} is the old one with only the node named {@code name} added, replaced or
   * removed.
   */
  private static Compilation apply(Compilation old, Inventory inventory, String name) {
    Front oldFront = old.front();
    Front front =
        Front.run(
            old.policy(),
            inventory,
            (ids, rules) -> {
              ProjectPerNode.Result patched =
                  oldFront.incoming() == null
                      ? null
                      : ProjectionPatch.patch(
                          ids,
                          rules,
                          old.identities(),
                          old.rules(),
                          old.projection(),
                          oldFront.incoming(),
                          oldFront.outgoing(),
                          name);
              return patched != null ? patched : ProjectPerNode.runWithIncoming(ids, rules);
            },
            ids ->
                Reuse.of(old.policy(), old.identities(), old.rules(), ids, name, old.diagnostics()),
            old.identities());
    Ids m = Ids.between(old.index(), front.ids().index(), name);
    Normalize norm = new Normalize(m.ni(), front.rules());
    if (old.normalize() != null) {
      norm.carryOver(old.normalize(), m.toOld(), m.peerEntryChanged());
    }
    CompiledFilter[] built = rebuild(old, front, m, norm);
    norm.detach();
    int n = m.ni().size();
    CompiledFilter[] filters = new CompiledFilter[n];
    String[] hashes = new String[n];
    String[] oldHashes = old.hashSnapshot();
    List<String> changedNodes = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      CompiledFilter f = built[i];
      if (f == null) {
        filters[i] = old.filterAt(m.toOld()[i]);
        hashes[i] = oldHashes[m.toOld()[i]];
      } else {
        filters[i] = f;
        changedNodes.add(f.node());
      }
    }
    return new Compilation(old.policy(), inventory, front, filters, norm, hashes, changedNodes);
  }

  /**
   * How node ids of the old and new index correspond: {@code toOld} (new id to old id, -1 for a
   * node that joined or was dropped before) and {@code toNew}; {@code shift} when the ids moved by
   * the one {@link IdShift} of this join, change or leave (null for a fresh index); and the new ids
   * whose peer entry (name, key, addresses) differs from before (at most the changed node).
   */
  private record Ids(
      NodeIndex ni,
      NodeIndex oi,
      int[] toOld,
      int[] toNew,
      IdShift shift,
      boolean sameIds,
      BitSet peerEntryChanged,
      int[] entryChangedIds) {

    static Ids between(NodeIndex oi, NodeIndex ni, String name) {
      int n = ni.size();
      // Ids are stable across updates (NodeIndex): normally the one IdShift of this join, change or
      // leave, checked node by node; otherwise (a fresh index) a name lookup per node.
      int[] toOld = new int[n];
      int xNew = ni.id(name);
      IdShift shift = IdShift.between(oi, ni, name);
      for (int i = 0; i < n; i++) {
        toOld[i] =
            shift == null
                ? oi.id(ni.node(i).name())
                : i == xNew && shift.delta() > 0 ? -1 : shift.oldId(i);
      }
      int[] toNew = new int[oi.size()];
      Arrays.fill(toNew, -1);
      for (int i = 0; i < n; i++) {
        if (toOld[i] >= 0) {
          toNew[toOld[i]] = i;
        }
      }
      BitSet peerEntryChanged = new BitSet();
      for (int i = 0; i < n; i++) {
        int o = toOld[i];
        if (o < 0
            || ni.node(i) != oi.node(o)
                && (!ni.node(i).key().equals(oi.node(o).key())
                    || !ni.addressPrefixes(i).equals(oi.addressPrefixes(o)))) {
          peerEntryChanged.set(i);
        }
      }
      boolean sameIds = shift != null && shift.keepsOldIds(); // every surviving node kept its id
      return new Ids(
          ni,
          oi,
          toOld,
          toNew,
          shift,
          sameIds,
          peerEntryChanged,
          peerEntryChanged.stream().toArray());
    }
  }

  /**
   * The rebuilt filters by new node id: null where the node keeps its previous filter (its inputs
   * are unchanged, or the rebuilt filter equals the previous one). Which nodes to rebuild is
   * decided sequentially (SameSet is not thread-safe), then the rebuilds and their comparison with
   * the previous filter run in parallel ({@link Normalize#build} is thread-safe; the carried-over
   * peer entries and source lists make equal parts the same objects, so the comparison is mostly
   * identity checks). A node rebuilt for its rules alone keeps its previous peer list (the same
   * object).
   */
  private static CompiledFilter[] rebuild(Compilation old, Front front, Ids m, Normalize norm) {
    int n = m.ni().size();
    Projection np = front.projection();
    Projection op = old.projection();
    SameSet same = new SameSet();
    BitSet rebuild = new BitSet();
    BitSet keepPeers = new BitSet();
    for (int i = 0; i < n; i++) {
      int o = m.toOld()[i];
      if (o < 0) {
        rebuild.set(i);
        continue;
      }
      boolean pieces = samePieces(i, o, m.ni(), m.oi(), np, op, same);
      boolean peers = samePeers(i, o, m, np, op);
      if (!pieces || !peers) {
        rebuild.set(i);
        keepPeers.set(i, peers);
      }
    }
    int[] todo = rebuild.stream().toArray();
    CompiledFilter[] out = new CompiledFilter[n];
    Parallel.forEachNode(
        todo.length,
        k -> {
          int i = todo[k];
          int o = m.toOld()[i];
          CompiledFilter before = o < 0 ? null : old.filterAt(o);
          CompiledFilter f;
          // Filter rules of policy rules whose pieces the projection patch carried over (the same
          // objects) are taken from the previous filter; only the others are built again.
          Normalize.RuleBase rulesBefore =
              o < 0 ? null : new Normalize.RuleBase(before.rules(), op.pieces().get(o));
          if (o >= 0 && keepPeers.get(i)) {
            f = norm.build(i, np, before.peers(), null, rulesBefore);
          } else {
            // A peer set that differs from before in a few peers (X joined, left or changed) is
            // patched from the previous list rather than rebuilt from thousands of bits.
            Normalize.PeerPatch patch = o < 0 ? null : peerPatch(i, o, m, np, op, before.peers());
            f = norm.build(i, np, null, patch, rulesBefore);
          }
          out[i] = before != null && f.equals(before) ? null : f; // distinct i per task: no race
        });
    return out;
  }

  /**
   * Are the inputs of {@link Normalize#build}'s rules and cap grants for new node {@code i} (its
   * addresses, pieces and cap pieces) those of old node {@code o}?
   */
  private static boolean samePieces(
      int i, int o, NodeIndex ni, NodeIndex oi, Projection np, Projection op, SameSet same) {
    if (!ni.addressPrefixes(i).equals(oi.addressPrefixes(o))) {
      return false;
    }
    List<Piece> a = np.pieces().get(i);
    List<Piece> b = op.pieces().get(o);
    if (a.size() != b.size()) {
      return false;
    }
    // The projection patch hands over untouched nodes' lists as the same objects: nothing to
    // compare.
    for (int k = 0; a != b && k < a.size(); k++) {
      Piece x = a.get(k);
      Piece y = b.get(k);
      if (x.rule() != y.rule()
          || !x.dst().equals(y.dst())
          || !x.ports().equals(y.ports())
          || !x.protocols().equals(y.protocols())
          || !same.test(x.sources(), y.sources())) {
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
      if (x.rule() != y.rule()
          || !x.capability().equals(y.capability())
          || !x.values().equals(y.values())
          || !x.dsts().equals(y.dsts())
          || !same.test(x.sources(), y.sources())) {
        return false;
      }
    }
    return true;
  }

  /**
   * Are the inputs of {@link Normalize#build}'s peer list for new node {@code i} (its peer set,
   * each peer's entry, the routes accepted from each) those of old node {@code o}?
   */
  private static boolean samePeers(int i, int o, Ids m, Projection np, Projection op) {
    int[] toOld = m.toOld();
    IdShift shift = m.shift();
    int[] entryChanged = m.entryChangedIds();
    boolean sameIds = m.sameIds();
    BitSet pn = np.peers().get(i);
    BitSet po = op.peers().get(o);
    for (int p : entryChanged) { // a bit test each: intersects() would scan every word, per node
      if (pn.get(p)) {
        return false;
      }
    }
    if (sameIds) {
      if (!pn.equals(po)) {
        return false;
      }
    } else if (shift != null) {
      // Word-level remap instead of a walk over thousands of peer bits. A node that left must not
      // have been a peer (remap drops its bit); a node that joined has no bit in the remapped set.
      if (shift.delta() < 0 && po.get(shift.at()) || !shift.sameAfterRemap(po, pn)) {
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
    // Peers now correspond one to one.
    return sameRoutes(i, o, m, np, op);
  }

  /**
   * Does new node {@code i} accept the same routes from every router as old node {@code o}? Routes
   * are kept by router slot on each side: every non-empty route list must equal its counterpart's
   * (a non-peer's slot is empty).
   */
  private static boolean sameRoutes(int i, int o, Ids m, Projection np, Projection op) {
    NodeIndex ni = m.ni();
    NodeIndex oi = m.oi();
    int[] toOld = m.toOld();
    int[] toNew = m.toNew();
    List<IpPrefix>[] rn = np.peerRoutes().get(i);
    List<IpPrefix>[] ro = op.peerRoutes().get(o);
    if (rn == ro) {
      return true; // carried over by the projection patch (router slots are stable)
    }
    for (int s = 0; s < rn.length; s++) {
      if (!rn[s].isEmpty()) {
        int q = toOld[ni.routers().get(s)];
        int so = q < 0 ? -1 : oi.routerSlot(q);
        if (so < 0 || !rn[s].equals(ro[so])) {
          return false;
        }
      }
    }
    for (int s = 0; s < ro.length; s++) {
      if (!ro[s].isEmpty()) {
        int p = toNew[oi.routers().get(s)];
        int sn = p < 0 ? -1 : ni.routerSlot(p);
        if (sn < 0 || !ro[s].equals(rn[sn])) {
          return false;
        }
      }
    }
    return true;
  }

  /**
   * New node {@code i}'s peer list as a patch of old node {@code o}'s ({@code base}), or null when
   * it must be built afresh: the ids must map by one {@link IdShift}, the routes accepted from
   * every router must be unchanged, and at most 16 peers may differ (joined, left, or with a
   * changed entry: name, key or addresses). Every other entry of {@code base} is then exactly the
   * entry a fresh build makes, and the list stays sorted by name.
   */
  private static Normalize.PeerPatch peerPatch(
      int i, int o, Ids m, Projection np, Projection op, List<Peer> base) {
    NodeIndex ni = m.ni();
    NodeIndex oi = m.oi();
    IdShift shift = m.shift();
    BitSet peerEntryChanged = m.peerEntryChanged();
    if (shift == null || !sameRoutes(i, o, m, np, op)) {
      return null;
    }
    BitSet now = np.peers().get(i);
    BitSet was = op.peers().get(o); // in old ids
    // One copy per node: the peers that differ, then each sorted into added or removed by a bit
    // test; the changed entries (peers on both sides) come from the few nodes of peerEntryChanged.
    // On a leave, the old set in new ids differs from `was` in two bits (IdShift#remap): fixed here
    // rather than remapped in a second copy.
    BitSet differ = (BitSet) now.clone();
    differ.xor(was);
    if (shift.delta() < 0) {
      if (shift.at() != shift.last()) {
        differ.set(shift.at(), now.get(shift.at()) != was.get(shift.last()));
      }
      differ.clear(shift.last());
    }
    int count = differ.cardinality();
    if (count > 16) {
      return null;
    }
    int[] entries = new int[peerEntryChanged.cardinality()];
    int e = 0;
    for (int p = peerEntryChanged.nextSetBit(0); p >= 0; p = peerEntryChanged.nextSetBit(p + 1)) {
      if (now.get(p) && was.get(shift.oldId(p))) {
        entries[e++] = p;
      }
    }
    if (count + e > 16) {
      return null;
    }
    Set<String> drop = new HashSet<>();
    int[] add = new int[count + e];
    int a = 0;
    for (int p = differ.nextSetBit(0); p >= 0; p = differ.nextSetBit(p + 1)) {
      if (now.get(p)) {
        add[a++] = p;
      } else {
        drop.add(ni.node(p).name());
      }
    }
    for (int k = 0; k < e; k++) {
      drop.add(ni.node(entries[k]).name());
      add[a++] = entries[k];
    }
    if (shift.delta() < 0 && op.peers().get(o).get(shift.at())) {
      drop.add(oi.node(shift.at()).name()); // the node that left was a peer
    }
    return new Normalize.PeerPatch(base, drop, Arrays.copyOf(add, a));
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
