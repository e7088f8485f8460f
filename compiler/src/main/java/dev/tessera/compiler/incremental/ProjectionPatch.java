package dev.tessera.compiler.incremental;

import dev.tessera.compiler.inventory.InventoryNode;
import dev.tessera.compiler.ipset.IpSet;
import dev.tessera.compiler.ir.AppClause;
import dev.tessera.compiler.ir.Clause;
import dev.tessera.compiler.ir.Destination;
import dev.tessera.compiler.ir.ResolvedRule;
import dev.tessera.compiler.pass.IdShift;
import dev.tessera.compiler.pass.Identities;
import dev.tessera.compiler.pass.NodeIndex;
import dev.tessera.compiler.pass.Parallel;
import dev.tessera.compiler.pass.ProjectPerNode;
import dev.tessera.compiler.pass.Projection;
import dev.tessera.compiler.pass.Projection.CapPiece;
import dev.tessera.compiler.pass.Projection.Piece;
import dev.tessera.net.IpPrefix;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Pass 4 patched after one node X joined, changed or left: the {@link ProjectPerNode} result for
 * the new inventory, computed from the previous one. Internal to the compiler's incremental path.
 *
 * <p>Why it is exact. Preconditions (else {@code null}: the caller runs the full pass): the node
 * set is the old one plus at most X; X has no approved routes before or after (a router changes
 * prefix receivers, reachers and HA primaries everywhere); X's addresses belong to no other node.
 * Ids are name ranks, so a join or leave shifts the later ids by one ({@link IdShift}). Then every
 * address set computed from the inventory differs between the two inventories only in X's addresses
 * (old and new), so:
 *
 * <ul>
 *   <li>a rule whose resolved sources are unchanged delivers the same pieces to every node but X
 *       and the nodes of X's user (autogroup:self intersects sources with the user's addresses); a
 *       rule whose sources changed is re-delivered to all its receivers (if one of its clauses is
 *       {@code *}, every node: the caller falls back);
 *   <li>the set D of those nodes gets fresh pieces; every other node keeps its piece list;
 *   <li>a node outside D keeps its incoming set except for X's bit, which is set exactly when one
 *       of its pieces has a source overlapping X's new addresses, i.e. when it receives a rule
 *       whose sources overlap them ({@code receiversOf});
 *   <li>the outgoing relation (the transpose) keeps every old row except, for each node a of D, bit
 *       a where a's incoming row changed, and X's row (column x of the incoming relation);
 *   <li>peers are the union of the two rows plus exit-node use, rebuilt only for rows that changed;
 *       routes accepted from router peers are recomputed only for D, for nodes whose set of router
 *       peers changed, and for the nodes gained or lost by a router in D's reachers; everyone else
 *       keeps its route lists.
 * </ul>
 *
 * The property test {@code IncrementalUpdateTest} checks the result against a full compile.
 */
final class ProjectionPatch {
  private final Identities ids;
  private final NodeIndex index;
  private final List<ResolvedRule> rules;
  private final ProjectPerNode helper;
  // Concurrent: rows of D are built in parallel; every value is a pure function of its key.
  private final Map<IpSet, BitSet> originCache = new java.util.concurrent.ConcurrentHashMap<>();
  private final Map<String, IpSet> userAddrCache = new java.util.concurrent.ConcurrentHashMap<>();
  private final Map<RuleUser, IpSet> selfCache = new java.util.concurrent.ConcurrentHashMap<>();

  private ProjectionPatch(Identities ids, List<ResolvedRule> rules) {
    this.ids = ids;
    this.index = ids.index();
    this.rules = rules;
    this.helper = new ProjectPerNode(ids, rules);
  }

  /**
   * Patches {@code old} (with its incoming relation {@code oldIncoming} and that relation's
   * transpose {@code oldOutgoing}, over {@code oldIds}) for the new identities and rules after node
   * {@code changed} joined, changed or left; {@code null} when the preconditions above do not hold
   * or the change touches too many nodes to be worth it.
   */
  static ProjectPerNode.Result patch(
      Identities ids,
      List<ResolvedRule> rules,
      Identities oldIds,
      List<ResolvedRule> oldRules,
      Projection old,
      List<BitSet> oldIncoming,
      List<BitSet> oldOutgoing,
      String changed) {
    return new ProjectionPatch(ids, rules)
        .run(oldIds, oldRules, old, oldIncoming, oldOutgoing, changed);
  }

  // State of one patch (run builds one per call): the inputs, then each step's results.
  private Projection old;
  private List<ResolvedRule> oldRules;
  private List<BitSet> oldIncoming;
  private List<BitSet> oldOutgoing;
  private NodeIndex oi;
  private int n;

  /** X's new id (-1: X left or is dropped from compilation now) and old id (-1: X joined). */
  private int x;

  private int xOld;
  private InventoryNode xNode;
  private InventoryNode xOldNode;
  private IdShift shift;

  /** X and its user's nodes: their pieces may change in any rule. */
  private BitSet anyRule;

  /** D: nodes whose pieces may change. */
  private BitSet dirty;

  private int[] dirtyIds;

  /** Rules whose resolved sources changed. */
  private final List<Integer> changedRules = new ArrayList<>();

  private List<List<Piece>> pieces;
  private List<List<CapPiece>> caps;

  /** Nodes that receive a rule whose sources overlap X's new addresses. */
  private BitSet xReceivers;

  private IpSet xAddrs;
  private List<BitSet> incoming;

  /**
   * Rows outside D whose incoming row differs from the old one only in X's bit (or relabelling).
   */
  private BitSet fix;

  /** A changed rule's sources became or stopped being empty. */
  private boolean emptinessFlips;

  /** X and the routers whose subnet routes overlap X's addresses (old or new): bits re-decided. */
  private final List<Integer> recheck = new ArrayList<>();

  private BitSet inChanged;
  private List<BitSet> outgoing;
  private BitSet outChanged;
  private BitSet internetUsers;
  private BitSet exits;
  private List<BitSet> peers;
  private BitSet peersChanged;
  private List<Map<IpPrefix, BitSet>> reachers;

  private ProjectPerNode.Result run(
      Identities oldIds,
      List<ResolvedRule> oldRules,
      Projection old,
      List<BitSet> oldIncoming,
      List<BitSet> oldOutgoing,
      String changed) {
    this.old = old;
    this.oldRules = oldRules;
    this.oldIncoming = oldIncoming;
    this.oldOutgoing = oldOutgoing;
    this.oi = oldIds.index();
    this.n = index.size();
    if (!preconditions(changed) || !markDirty()) {
      return null;
    }
    patchPieces();
    patchIncoming();
    patchOutgoing();
    patchPeers();
    List<List<IpPrefix>[]> peerRoutes = patchRoutes();
    return new ProjectPerNode.Result(
        new Projection(pieces, caps, peers, peerRoutes, internetUsers, List.copyOf(reachers)),
        List.copyOf(incoming),
        List.copyOf(outgoing));
  }

  /** The preconditions of the class comment; false: the caller runs the full pass. */
  private boolean preconditions(String changed) {
    x = index.id(changed); // -1: X left (or is dropped from compilation now)
    xOld = oi.id(changed); // -1: X joined (or was dropped before)
    if (x < 0 && xOld < 0) {
      return false; // nothing of X is compiled on either side: the full pass is trivially right
    }
    int expectOld = x < 0 ? n + 1 : xOld < 0 ? n - 1 : n;
    if (oi.size() != expectOld || rules.size() != oldRules.size()) {
      return false; // an unexpected node set: full pass
    }
    xNode = x >= 0 ? index.node(x) : null;
    xOldNode = xOld >= 0 ? oi.node(xOld) : null;
    if (xNode != null && !xNode.routes().isEmpty()
        || xOldNode != null && !xOldNode.routes().isEmpty()) {
      return false;
    }
    if (x >= 0) {
      BitSet holders = index.nodesWithAddressIn(index.addresses(x));
      holders.clear(x);
      if (!holders.isEmpty()) {
        return false;
      }
    }
    if (xOld >= 0) {
      BitSet oldHolders = oi.nodesWithAddressIn(oi.addresses(xOld));
      oldHolders.clear(xOld);
      if (!oldHolders.isEmpty()) {
        return false;
      }
    }
    // Ids are stable (NodeIndex): a join takes the next id, a leave hands its id to the last node.
    shift = IdShift.between(oi, index, changed);
    if (shift == null) {
      return false; // ids not carried over from the old index (a fresh index): full pass
    }
    if (old.reachers().size() != index.routers().size()) {
      return false; // router slots do not correspond (not expected: X is no router): full pass
    }

    return true;
  }

  /**
   * D and the changed rules; false when a changed rule has a {@code *} destination or D is over
   * half the nodes.
   */
  private boolean markDirty() {
    // D: nodes whose pieces may change. X and its user's nodes (autogroup:self) may change in any
    // rule; every other node of D only in the rules whose sources changed.
    anyRule = new BitSet();
    if (x >= 0) {
      anyRule.set(x);
    }
    if (xOldNode != null && xOldNode.user().isPresent() && !xOldNode.isTagged()) {
      anyRule.or(ids.nodesOfUser(xOldNode.user().get()));
    }
    if (xNode != null && xNode.user().isPresent() && !xNode.isTagged()) {
      anyRule.or(ids.nodesOfUser(xNode.user().get()));
    }
    dirty = (BitSet) anyRule.clone();
    for (int r = 0; r < rules.size(); r++) {
      if (!rules.get(r).sources().equals(oldRules.get(r).sources())) {
        changedRules.add(r);
        BitSet rec = receiversOf(rules.get(r));
        if (rec == null) {
          return false; // a * destination: every node's filter changes anyway
        }
        dirty.or(rec);
      }
    }
    if (n >= 64 && dirty.cardinality() > n / 2) {
      return false;
    }

    return true;
  }

  /** Pieces and cap pieces: fresh for D, carried for everyone else. */
  private void patchPieces() {
    // Every per-node list starts as the old one in new id positions (IdShift: at most one element
    // moves) and only the rows that can differ are recomputed: the work follows what changed, not
    // the node count.
    // Pieces: fresh for D, the old lists (id-free) for everyone else.
    pieces = carried(old.pieces(), shift);
    caps = carried(old.caps(), shift);
    // Rows of D in parallel (each task writes only its own slot; the caches are concurrent and hold
    // pure values), then stored in order.
    dirtyIds = dirty.stream().toArray();
    @SuppressWarnings("unchecked")
    List<Piece>[] newPieces = new List[dirtyIds.length];
    @SuppressWarnings("unchecked")
    List<CapPiece>[] newCaps = new List[dirtyIds.length];
    Parallel.forEachNode(
        dirtyIds.length,
        k -> {
          int i = dirtyIds[k];
          List<Piece> ps = new ArrayList<>();
          List<CapPiece> cs = new ArrayList<>();
          if (anyRule.get(i)) {
            for (int r = 0; r < rules.size(); r++) {
              deliver(i, r, ps, cs);
            }
          } else {
            int o = shift.oldId(i);
            merge(i, changedRules, oldRules, old.pieces().get(o), old.caps().get(o), ps, cs);
          }
          newPieces[k] = ps;
          newCaps[k] = cs;
        });
    for (int k = 0; k < dirtyIds.length; k++) {
      pieces.set(dirtyIds[k], newPieces[k]);
      caps.set(dirtyIds[k], newCaps[k]);
    }
  }

  /** The incoming relation: rows of D re-decided, X's bit fixed elsewhere. */
  private void patchIncoming() {
    // Incoming: exact for D; for others the old set remapped, with X's bit from receivers.
    xReceivers = new BitSet();
    xAddrs = x >= 0 ? index.addresses(x) : IpSet.EMPTY;
    for (ResolvedRule rule : rules) {
      if (!rule.sources().isEmpty() && rule.sources().overlaps(xAddrs)) {
        BitSet rec = receiversOf(rule);
        if (rec == null) {
          xReceivers.set(0, n);
          break;
        }
        xReceivers.or(rec);
      }
    }
    incoming = carried(oldIncoming, shift);
    // Rows outside D differ from the old ones only in X's bit: where X now reaches them
    // (xReceivers) differs from where it reached them before (the old column of X, its outgoing
    // row). On a leave, rows holding the bit of X or of the moved node are relabelled.
    fix = new BitSet();
    if (x >= 0) {
      fix.or(xReceivers);
      if (xOld >= 0) {
        fix.xor(shift.remap(oldOutgoing.get(xOld)));
      }
    }
    if (!shift.keepsOldIds()) {
      fix.or(shift.remap(oldOutgoing.get(shift.at())));
      fix.or(shift.remap(oldOutgoing.get(shift.last())));
      if (shift.at() < n) {
        fix.set(shift.at()); // the moved node's own row (its bits may need relabelling too)
      }
    }
    fix.andNot(dirty);
    for (int i = fix.nextSetBit(0); i >= 0; i = fix.nextSetBit(i + 1)) {
      BitSet in = shift.remap(oldIncoming.get(shift.oldId(i)));
      if (x >= 0) {
        in.set(x, xReceivers.get(i));
      }
      incoming.set(i, in);
    }
    patchDirtyIncoming();
  }

  /** Incoming rows of D. */
  private void patchDirtyIncoming() {
    // A node of D outside anyRule has the same pieces as before but for the sources of changed
    // rules, which differ only inside X's addresses (old and new; no other node holds one). Unless
    // a changed rule's sources became or stopped being empty (pieces appear or vanish), its
    // incoming row thus differs from the old one at most in X's bit and in the bits of routers
    // whose
    // subnet routes overlap X's addresses: those are re-decided from its pieces, the rest carried.
    emptinessFlips = false;
    for (int r : changedRules) {
      emptinessFlips |= rules.get(r).sources().isEmpty() != oldRules.get(r).sources().isEmpty();
    }
    IpSet xBoth = xAddrs.union(xOld >= 0 ? oi.addresses(xOld) : IpSet.EMPTY);
    if (x >= 0) {
      recheck.add(x);
    }
    for (int r : index.routers()) {
      if (index.subnetRoutes(r).overlaps(xBoth)) {
        recheck.add(r);
      }
    }
    boolean flips = emptinessFlips;
    BitSet changedSet = new BitSet();
    changedRules.forEach(changedSet::set);
    BitSet[] newIncoming = new BitSet[dirtyIds.length];
    Parallel.forEachNode(
        dirtyIds.length,
        k -> {
          int i = dirtyIds[k];
          BitSet in;
          if (!anyRule.get(i) && !flips) {
            in = shift.remap(oldIncoming.get(shift.oldId(i)));
            for (int b : recheck) {
              in.set(b, originatesAny(b, pieces.get(i), caps.get(i), changedSet));
            }
          } else {
            in = new BitSet();
            IpSet last = null;
            for (Piece p : pieces.get(i)) {
              if (p.sources() != last) {
                in.or(originating(p.sources()));
                last = p.sources();
              }
            }
            for (CapPiece c : caps.get(i)) {
              in.or(originating(c.sources()));
            }
          }
          newIncoming[k] = in;
        });
    for (int k = 0; k < dirtyIds.length; k++) {
      incoming.set(dirtyIds[k], newIncoming[k]);
    }
    inChanged = (BitSet) dirty.clone();
    inChanged.or(fix);
  }

  /** The outgoing relation (the transpose of incoming), patched row by row. */
  private void patchOutgoing() {
    // Outgoing (the transpose), patched rather than transposed again: rows of D changed anywhere,
    // so each bit that flipped in such a row a flips bit a of the corresponding outgoing row; other
    // rows changed only in X's bit, which only X's own outgoing row (column x of the new incoming
    // relation) reflects. On a leave, rows holding the bit of X or of the moved node are
    // relabelled.
    outgoing = carried(oldOutgoing, shift);
    outChanged = new BitSet();
    for (int a = dirty.nextSetBit(0); a >= 0; a = dirty.nextSetBit(a + 1)) {
      BitSet diff =
          a == x && shift.delta() > 0 ? new BitSet() : shift.remap(oldIncoming.get(shift.oldId(a)));
      diff.xor(incoming.get(a));
      for (int i = diff.nextSetBit(0); i >= 0; i = diff.nextSetBit(i + 1)) {
        if (i != x) {
          if (!outChanged.get(i)) {
            outgoing.set(i, shift.remap(oldOutgoing.get(shift.oldId(i))));
            outChanged.set(i);
          }
          outgoing.get(i).flip(a);
        }
      }
    }
    if (!shift.keepsOldIds()) {
      BitSet relabel = shift.remap(oldIncoming.get(shift.at()));
      relabel.or(shift.remap(oldIncoming.get(shift.last())));
      if (shift.at() < n) {
        relabel.set(shift.at());
      }
      relabel.andNot(outChanged);
      for (int i = relabel.nextSetBit(0); i >= 0; i = relabel.nextSetBit(i + 1)) {
        outgoing.set(i, shift.carry(oldOutgoing.get(shift.oldId(i))));
        outChanged.set(i);
      }
    }
    if (x >= 0) {
      BitSet column = (BitSet) xReceivers.clone();
      column.andNot(dirty);
      for (int a = dirty.nextSetBit(0); a >= 0; a = dirty.nextSetBit(a + 1)) {
        if (incoming.get(a).get(x)) {
          column.set(a);
        }
      }
      outgoing.set(x, column);
      outChanged.set(x);
    }
  }

  /** Peers and exit-node use. */
  private void patchPeers() {
    // Peers, exactly as ProjectPerNode does from the incoming relation.
    IpSet.Builder internetSources = IpSet.builder();
    for (ResolvedRule rule : rules) {
      if (rule.sources().isEmpty()) {
        continue;
      }
      for (Clause c : rule.clauses()) {
        if (c.destination() instanceof Destination.Any
            || c.destination() instanceof Destination.Internet) {
          internetSources.addAll(rule.sources());
          break;
        }
      }
    }
    internetUsers = index.nodesWithAddressIn(internetSources.build());
    exits = new BitSet();
    for (int r : index.routers()) {
      if (index.node(r).isExitNode()) {
        exits.set(r);
      }
    }
    if (shift.sameAfterRemap(old.internetUsers(), internetUsers)) {
      // Exit-node use unchanged: a row's peer set changes only where one of its relation rows did
      // (peers are symmetric, so on a leave the rows holding the bit of X or of the moved node are
      // the peer rows of those two); every other row keeps its old set object.
      peers = carried(old.peers(), shift);
      peersChanged = (BitSet) inChanged.clone();
      peersChanged.or(outChanged);
      BitSet relabel = new BitSet();
      if (!shift.keepsOldIds()) {
        relabel.or(shift.remap(old.peers().get(shift.at())));
        relabel.or(shift.remap(old.peers().get(shift.last())));
        if (shift.at() < n) {
          relabel.set(shift.at());
        }
        relabel.andNot(peersChanged);
      }
      for (int i = relabel.nextSetBit(0); i >= 0; i = relabel.nextSetBit(i + 1)) {
        peers.set(i, shift.carry(old.peers().get(shift.oldId(i))));
      }
      for (int i = peersChanged.nextSetBit(0); i >= 0; i = peersChanged.nextSetBit(i + 1)) {
        BitSet p = (BitSet) incoming.get(i).clone();
        p.or(outgoing.get(i));
        if (exits.get(i)) {
          p.or(internetUsers);
        }
        if (internetUsers.get(i)) {
          p.or(exits);
        }
        p.clear(i);
        peers.set(i, p);
      }
    } else {
      peers = ProjectPerNode.peersOf(incoming, outgoing, exits, internetUsers);
      peersChanged = new BitSet();
      peersChanged.set(0, n);
    }
  }

  /** Routes accepted from each router, per node. */
  private List<List<IpPrefix>[]> patchRoutes() {
    // Routes: recompute where own pieces, a router peer's pieces, or which routers are peers
    // changed. Routers are the same nodes in the same slots (X is not one), and exit-node use
    // (internetUsers) changes only for X, which is in D.
    // A router in D may now be reachable, through a route, by other nodes than before: those
    // nodes (the difference of its old and new reachers) accept different routes from it.
    // Own pieces decide which routes a node accepts by whether their sources overlap a route. For a
    // node of D outside anyRule those sources changed only inside X's addresses, so unless pieces
    // appeared or vanished, or a subnet route overlaps X's addresses, that answer is unchanged.
    boolean routeNearX = false;
    for (int b : recheck) {
      routeNearX |= b != x;
    }
    BitSet reroute = (BitSet) (emptinessFlips || routeNearX ? dirty : anyRule).clone();
    // Reachers (who may reach each route of each router) carried from the previous projection.
    // A router outside anyRule has the same pieces but, if it is in D, for changed rules' sources,
    // which differ only inside X's addresses (unless pieces appear or vanish); and every node but
    // X is unchanged. So who originates those sources, and who reaches its routes, can differ only
    // in the bits of X and of the routers whose routes overlap X's addresses (recheck): those are
    // re-decided, the rest carried. A router in anyRule is computed afresh.
    // A router of D may now be reachable by other nodes than before: those rows are rerouted.
    reachers = new ArrayList<>(index.routers().size());
    for (int slot = 0; slot < index.routers().size(); slot++) {
      int q = index.routers().get(slot);
      Map<IpPrefix, BitSet> before = old.reachers().get(slot);
      Map<IpPrefix, BitSet> now;
      if (anyRule.get(q) || emptinessFlips) {
        now = reachersOf(index, q, pieces.get(q), this::originating);
      } else {
        now = new HashMap<>();
        for (Map.Entry<IpPrefix, BitSet> e : before.entrySet()) {
          BitSet was = e.getValue();
          BitSet b = shift.carry(was);
          for (int c : recheck) {
            boolean v = originatesTowards(c, pieces.get(q), e.getKey());
            if (v != b.get(c)) {
              b = b == was ? (BitSet) was.clone() : b;
              b.set(c, v);
            }
          }
          now.put(e.getKey(), b);
        }
      }
      reachers.add(now);
      if (dirty.get(q)) {
        for (Map.Entry<IpPrefix, BitSet> e : now.entrySet()) {
          BitSet diff = shift.remap(before.get(e.getKey()));
          diff.xor(e.getValue());
          reroute.or(diff);
        }
      }
    }
    Map<IpPrefix, Integer> primaryRouters = ProjectPerNode.primaryRouters(index);
    // A row keeps its accepted routes unless it is rerouted or its router peers changed.
    List<List<IpPrefix>[]> peerRoutes = carried(old.peerRoutes(), shift);
    // Which rows gained or lost a router peer: peers are symmetric, so those are the bits that
    // changed in the routers' own peer rows (a few dozen rows, not one test per row and router).
    // With X not a router, only X's row (rerouted anyway) is expected here; kept as an exact guard.
    BitSet routerPeerChanged = new BitSet();
    for (int r : index.routers()) {
      BitSet now = peers.get(r);
      BitSet was = old.peers().get(shift.oldId(r));
      if (now != was) {
        BitSet d = shift.remap(was);
        d.xor(now);
        routerPeerChanged.or(d);
      }
    }
    BitSet redo = (BitSet) peersChanged.clone();
    redo.or(reroute);
    for (int i = redo.nextSetBit(0); i >= 0; i = redo.nextSetBit(i + 1)) {
      boolean keep = !reroute.get(i) && !(i == x && shift.delta() > 0) && !routerPeerChanged.get(i);
      if (!keep) {
        peerRoutes.set(
            i,
            ProjectPerNode.peerRoutesOf(
                index, i, peers.get(i), pieces, caps, internetUsers, primaryRouters, reachers));
      }
    }
    return peerRoutes;
  }

  /**
   * The old per-node list in new id positions ({@link IdShift}): the same elements, with the last
   * one moved into a left node's place, or an empty slot (null) at the end for a joined node, which
   * the caller fills.
   */
  private static <T> List<T> carried(List<T> old, IdShift shift) {
    List<T> out = new ArrayList<>(old.size() + 1);
    out.addAll(old);
    if (shift.delta() > 0) {
      out.add(null);
    } else if (shift.delta() < 0) {
      T moved = out.remove(shift.last());
      if (shift.at() != shift.last()) {
        out.set(shift.at(), moved);
      }
    }
    return out;
  }

  /**
   * Does node {@code b} originate traffic from some source set of these pieces ({@link
   * NodeIndex#nodesOriginating})?
   */
  private boolean originatesAny(int b, List<Piece> ps, List<CapPiece> cs, BitSet changed) {
    IpSet own = index.addresses(b);
    IpSet routes = index.subnetRoutes(b);
    // Pieces of the changed rules first: where X's bit is concerned, their sources are the ones
    // that gained or lost X's addresses, so a yes usually comes from them without a full scan.
    for (int pass = 0; pass < 2; pass++) {
      IpSet last = null;
      for (Piece p : ps) {
        IpSet s = p.sources();
        if (changed.get(p.rule()) == (pass == 0) && s != last) {
          if (s.overlaps(own) || s.overlaps(routes)) {
            return true;
          }
          last = s;
        }
      }
    }
    for (CapPiece c : cs) {
      if (c.sources().overlaps(own) || c.sources().overlaps(routes)) {
        return true;
      }
    }
    return false;
  }

  private BitSet originating(IpSet s) {
    return originCache.computeIfAbsent(s, index::nodesOriginating);
  }

  /**
   * Nodes receiving at least one piece or cap piece of {@code rule} when its sources are not empty
   * (also used for a rule whose sources just became empty: its former receivers); null if every
   * node does.
   */
  private BitSet receiversOf(ResolvedRule rule) {
    BitSet out = new BitSet();
    List<Destination> dsts = new ArrayList<>();
    for (Clause c : rule.clauses()) {
      dsts.add(c.destination());
    }
    for (AppClause a : rule.apps()) {
      dsts.add(a.destination());
    }
    for (Destination d : dsts) {
      switch (d) {
        case Destination.Any a -> {
          return null;
        }
        case Destination.Nodes ns -> out.or(ns.nodes());
        case Destination.Prefixes p -> out.or(helper.prefixReceivers(p));
        // Only nodes of users whose addresses overlap the sources' change: X's user, already in D.
        // For X's bit in other nodes' incoming sets: self sources are the owner's own addresses.
        case Destination.Self s -> {}
        case Destination.Internet i -> {
          for (int e : index.routers()) {
            if (!ProjectPerNode.internetPrefixes(index.node(e)).isEmpty()) {
              out.set(e);
            }
          }
        }
      }
    }
    return out;
  }

  private record RuleUser(int rule, String user) {}

  /**
   * A rule's sources inside one user's addresses (autogroup:self), shared by that user's devices.
   */
  private IpSet selfSources(int r, String user) {
    return selfCache.computeIfAbsent(
        new RuleUser(r, user), k -> rules.get(r).sources().intersect(userAddresses(user)));
  }

  private IpSet userAddresses(String user) {
    return userAddrCache.computeIfAbsent(user, u -> index.addressesOf(ids.nodesOfUser(u)));
  }

  /**
   * Node i's new pieces when only {@code changedRules} (ascending) deliver differently: its old
   * pieces of every other rule, in place (lists are in rule order), and new ones for those. Node i
   * is not X (nor one of X's user's devices), so a changed rule delivers to it exactly the pieces
   * it did, only with the new sources ({@link #withSources}); when that cannot be shown, they are
   * delivered afresh.
   */
  private void merge(
      int i,
      List<Integer> changedRules,
      List<ResolvedRule> oldRules,
      List<Piece> oldPieces,
      List<CapPiece> oldCaps,
      List<Piece> pieces,
      List<CapPiece> caps) {
    int k = 0;
    int kc = 0;
    for (int r : changedRules) {
      while (k < oldPieces.size() && oldPieces.get(k).rule() < r) {
        pieces.add(oldPieces.get(k++));
      }
      int from = k;
      while (k < oldPieces.size() && oldPieces.get(k).rule() == r) {
        k++;
      }
      while (kc < oldCaps.size() && oldCaps.get(kc).rule() < r) {
        caps.add(oldCaps.get(kc++));
      }
      int fromCaps = kc;
      while (kc < oldCaps.size() && oldCaps.get(kc).rule() == r) {
        kc++;
      }
      if (!withSources(
          r, oldRules.get(r).sources(), oldPieces, from, k, oldCaps, fromCaps, kc, pieces, caps)) {
        deliver(i, r, pieces, caps);
      }
    }
    pieces.addAll(oldPieces.subList(k, oldPieces.size()));
    caps.addAll(oldCaps.subList(kc, oldCaps.size()));
  }

  /**
   * Appends rule r's old pieces and cap pieces of a node with the rule's new sources, if every one
   * of them carries the rule's old sources as they are (not an autogroup:self part of them) and the
   * sources are non-empty on both sides; else appends nothing and returns false. Which pieces a
   * node receives depends on the rule's destinations and the node's own addresses and routes, never
   * on the sources (only their emptiness), so the pieces are those deliver would make.
   */
  private boolean withSources(
      int r,
      IpSet oldSources,
      List<Piece> old,
      int from,
      int to,
      List<CapPiece> oldCaps,
      int capsFrom,
      int capsTo,
      List<Piece> pieces,
      List<CapPiece> caps) {
    IpSet now = rules.get(r).sources();
    if (oldSources.isEmpty() || now.isEmpty()) {
      return false;
    }
    for (int k = from; k < to; k++) {
      if (old.get(k).sources() != oldSources) {
        return false;
      }
    }
    for (int k = capsFrom; k < capsTo; k++) {
      if (oldCaps.get(k).sources() != oldSources) {
        return false;
      }
    }
    for (int k = from; k < to; k++) {
      Piece p = old.get(k);
      pieces.add(new Piece(r, p.protocols(), now, p.dst(), p.ports()));
    }
    for (int k = capsFrom; k < capsTo; k++) {
      CapPiece c = oldCaps.get(k);
      caps.add(new CapPiece(r, c.capability(), c.values(), now, c.dsts()));
    }
    return true;
  }

  /** Node i's pieces and cap pieces of rule r, in the order {@link ProjectPerNode} appends them. */
  private void deliver(int i, int r, List<Piece> pieces, List<CapPiece> caps) {
    InventoryNode node = index.node(i);
    boolean member = ids.members().get(i);
    ResolvedRule rule = rules.get(r);
    if (rule.sources().isEmpty()) {
      return;
    }
    for (Clause c : rule.clauses()) {
      switch (c.destination()) {
        case Destination.Any a -> {
          pieces.add(new Piece(r, c.protocols(), rule.sources(), IpPrefix.ALL_V4, c.ports()));
          pieces.add(new Piece(r, c.protocols(), rule.sources(), IpPrefix.ALL_V6, c.ports()));
        }
        case Destination.Nodes d -> {
          if (d.nodes().get(i)) {
            for (IpPrefix own : index.addressPrefixes(i)) {
              pieces.add(new Piece(r, c.protocols(), rule.sources(), own, c.ports()));
            }
          }
        }
        case Destination.Prefixes p -> {
          if (receives(i, p)) {
            for (IpPrefix dst : p.prefixes()) {
              if (helper.relevant(i, dst, p)) {
                pieces.add(new Piece(r, c.protocols(), rule.sources(), dst, c.ports()));
              }
            }
          }
        }
        case Destination.Self s -> {
          if (member) {
            IpSet srcs = selfSources(r, node.user().orElseThrow());
            if (!srcs.isEmpty()) {
              for (IpPrefix a : index.addressPrefixes(i)) {
                pieces.add(new Piece(r, c.protocols(), srcs, a, c.ports()));
              }
            }
          }
        }
        case Destination.Internet x -> {
          if (!node.routes().isEmpty()) {
            for (IpPrefix dst : ProjectPerNode.internetPrefixes(node)) {
              pieces.add(new Piece(r, c.protocols(), rule.sources(), dst, c.ports()));
            }
          }
        }
      }
    }
    for (AppClause app : rule.apps()) {
      switch (app.destination()) {
        case Destination.Any a ->
            caps.add(
                new CapPiece(
                    r, app.capability(), app.values(), rule.sources(), index.addressPrefixes(i)));
        case Destination.Nodes d -> {
          if (d.nodes().get(i)) {
            caps.add(
                new CapPiece(
                    r, app.capability(), app.values(), rule.sources(), index.addressPrefixes(i)));
          }
        }
        case Destination.Prefixes p -> {
          if (receives(i, p)) {
            List<IpPrefix> ds = new ArrayList<>();
            for (IpPrefix dst : p.prefixes()) {
              if (helper.relevant(i, dst, p)) {
                ds.add(dst);
              }
            }
            caps.add(new CapPiece(r, app.capability(), app.values(), rule.sources(), ds));
          }
        }
        case Destination.Self s -> {
          if (member) {
            IpSet srcs = selfSources(r, node.user().orElseThrow());
            if (!srcs.isEmpty()) {
              caps.add(
                  new CapPiece(r, app.capability(), app.values(), srcs, index.addressPrefixes(i)));
            }
          }
        }
        case Destination.Internet x -> {}
      }
    }
  }

  /** Same test as {@link ProjectPerNode#prefixReceivers}, for one node. */
  private boolean receives(int i, Destination.Prefixes p) {
    if (index.addresses(i).overlaps(p.set())) {
      return true;
    }
    if (index.node(i).routes().isEmpty()) {
      return false;
    }
    if (p.via().isPresent() && !p.via().get().get(i)) {
      return false;
    }
    return index.subnetRoutes(i).overlaps(p.set());
  }

  /**
   * Does node {@code c} originate the sources of one of {@code own} (a router's pieces) towards
   * {@code route}: is it in that route's {@link #reachersOf} set? One node's bit of it, without
   * building the set.
   */
  private boolean originatesTowards(int c, List<Piece> own, IpPrefix route) {
    IpSet addrs = index.addresses(c);
    IpSet routes = index.subnetRoutes(c);
    IpSet last = null;
    for (Piece p : own) {
      IpSet s = p.sources();
      if (s != last && (route.contains(p.dst()) || p.dst().contains(route))) {
        if (s.overlaps(addrs) || s.overlaps(routes)) {
          return true;
        }
        last = s;
      }
    }
    return false;
  }

  /**
   * Per approved subnet route of router {@code r} (in {@code idx}), the nodes that may reach it.
   */
  private static Map<IpPrefix, BitSet> reachersOf(
      NodeIndex idx, int r, List<Piece> own, Function<IpSet, BitSet> originating) {
    Map<IpPrefix, BitSet> m = new HashMap<>();
    for (IpPrefix route : idx.node(r).subnetRoutes()) {
      BitSet who = new BitSet();
      IpSet last = null;
      for (Piece p : own) {
        if (p.sources() != last && (route.contains(p.dst()) || p.dst().contains(route))) {
          who.or(originating.apply(p.sources()));
          last = p.sources();
        }
      }
      m.put(route, who);
    }
    return m;
  }
}
