package dev.tessera.compiler.pass;

import dev.tessera.compiler.inventory.InventoryNode;
import dev.tessera.compiler.ipset.IpSet;
import dev.tessera.compiler.ir.AppClause;
import dev.tessera.compiler.ir.Clause;
import dev.tessera.compiler.ir.Destination;
import dev.tessera.compiler.ir.ResolvedRule;
import dev.tessera.compiler.pass.Projection.CapPiece;
import dev.tessera.compiler.pass.Projection.Piece;
import dev.tessera.enforcer.format.IpPrefix;
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
 * Ids are name ranks, so a join or leave shifts the later ids by one ({@link IdShift}).
 * Then every address set computed from the inventory differs between the two inventories only in
 * X's addresses (old and new), so:
 *
 * <ul>
 *   <li>a rule whose resolved sources are unchanged delivers the same pieces to every node but X
 *       and the nodes of X's user (autogroup:self intersects sources with the user's addresses);
 *       a rule whose sources changed is re-delivered to all its receivers (if one of its clauses is
 *       {@code *}, every node: the caller falls back);
 *   <li>the set D of those nodes gets fresh pieces; every other node keeps its piece list;
 *   <li>a node outside D keeps its incoming set except for X's bit, which is set exactly when one
 *       of its pieces has a source overlapping X's new addresses, i.e. when it receives a rule whose
 *       sources overlap them ({@code receiversOf});
 *   <li>the outgoing relation (the transpose) keeps every old row except, for each node a of D,
 *       bit a where a's incoming row changed, and X's row (column x of the incoming relation);
 *   <li>peers are the union of the two rows plus exit-node use, rebuilt only for rows that
 *       changed; routes accepted from router peers are recomputed only for D, for nodes whose set
 *       of router peers changed, and for the nodes gained or lost by a router in D's reachers;
 *       everyone else keeps its route lists.
 * </ul>
 *
 * The property test {@code IncrementalUpdateTest} checks the result against a full compile.
 */
public final class ProjectionPatch {
  private final Identities ids;
  private final NodeIndex index;
  private final List<ResolvedRule> rules;
  private final ProjectPerNode helper;
  private final Map<IpSet, BitSet> originCache = new HashMap<>();
  private final Map<String, IpSet> userAddrCache = new HashMap<>();

  private ProjectionPatch(Identities ids, List<ResolvedRule> rules) {
    this.ids = ids;
    this.index = ids.index();
    this.rules = rules;
    this.helper = new ProjectPerNode(ids, rules);
  }

  /**
   * Patches {@code old} (with its incoming relation {@code oldIncoming} and that relation's
   * transpose {@code oldOutgoing}, over {@code oldIds}) for the new identities and rules after node
   * {@code changed} joined, changed or left; {@code null} when
   * the preconditions above do not hold or the change touches too many nodes to be worth it.
   */
  public static ProjectPerNode.Result patch(Identities ids, List<ResolvedRule> rules, Identities oldIds,
      List<ResolvedRule> oldRules, Projection old, List<BitSet> oldIncoming, List<BitSet> oldOutgoing,
      String changed) {
    return new ProjectionPatch(ids, rules).run(oldIds, oldRules, old, oldIncoming, oldOutgoing, changed);
  }

  private ProjectPerNode.Result run(Identities oldIds, List<ResolvedRule> oldRules, Projection old,
      List<BitSet> oldIncoming, List<BitSet> oldOutgoing, String changed) {
    NodeIndex oi = oldIds.index();
    int n = index.size();
    int x = index.id(changed); // -1: X left (or is dropped from compilation now)
    int xOld = oi.id(changed); // -1: X joined (or was dropped before)
    if (x < 0 && xOld < 0) {
      return null; // nothing of X is compiled on either side: the full pass is trivially right
    }
    int expectOld = x < 0 ? n + 1 : xOld < 0 ? n - 1 : n;
    if (oi.size() != expectOld || rules.size() != oldRules.size()) {
      return null; // an unexpected node set: full pass
    }
    InventoryNode xNode = x >= 0 ? index.node(x) : null;
    InventoryNode xOldNode = xOld >= 0 ? oi.node(xOld) : null;
    if (xNode != null && !xNode.routes().isEmpty() || xOldNode != null && !xOldNode.routes().isEmpty()) {
      return null;
    }
    if (x >= 0) {
      BitSet holders = index.nodesWithAddressIn(index.addresses(x));
      holders.clear(x);
      if (!holders.isEmpty()) {
        return null;
      }
    }
    if (xOld >= 0) {
      BitSet oldHolders = oi.nodesWithAddressIn(oi.addresses(xOld));
      oldHolders.clear(xOld);
      if (!oldHolders.isEmpty()) {
        return null;
      }
    }
    // Ids are name ranks: a join at rank x shifts every later id up by one, a leave at old rank
    // xOld shifts every later id down by one, a change keeps them.
    IdShift shift = x < 0 ? IdShift.leave(xOld) : xOld < 0 ? IdShift.join(x) : IdShift.NONE;

    // D: nodes whose pieces may change. X and its user's nodes (autogroup:self) may change in any
    // rule; every other node of D only in the rules whose sources changed.
    BitSet anyRule = new BitSet();
    if (x >= 0) {
      anyRule.set(x);
    }
    if (xOldNode != null && xOldNode.user().isPresent() && !xOldNode.isTagged()) {
      anyRule.or(ids.nodesOfUser(xOldNode.user().get()));
    }
    if (xNode != null && xNode.user().isPresent() && !xNode.isTagged()) {
      anyRule.or(ids.nodesOfUser(xNode.user().get()));
    }
    BitSet dirty = (BitSet) anyRule.clone();
    List<Integer> changedRules = new ArrayList<>();
    for (int r = 0; r < rules.size(); r++) {
      if (!rules.get(r).sources().equals(oldRules.get(r).sources())) {
        changedRules.add(r);
        BitSet rec = receiversOf(rules.get(r));
        if (rec == null) {
          return null; // a * destination: every node's filter changes anyway
        }
        dirty.or(rec);
      }
    }
    if (n >= 64 && dirty.cardinality() > n / 4) {
      return null;
    }

    // Pieces: fresh for D, the old lists (id-free) for everyone else.
    List<List<Piece>> pieces = new ArrayList<>(n);
    List<List<CapPiece>> caps = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      if (anyRule.get(i)) {
        List<Piece> ps = new ArrayList<>();
        List<CapPiece> cs = new ArrayList<>();
        for (int r = 0; r < rules.size(); r++) {
          deliver(i, r, ps, cs);
        }
        pieces.add(ps);
        caps.add(cs);
      } else if (dirty.get(i)) {
        int o = shift.oldId(i);
        List<Piece> ps = new ArrayList<>();
        List<CapPiece> cs = new ArrayList<>();
        merge(i, changedRules, old.pieces().get(o), old.caps().get(o), ps, cs);
        pieces.add(ps);
        caps.add(cs);
      } else {
        int o = shift.oldId(i);
        pieces.add(old.pieces().get(o));
        caps.add(old.caps().get(o));
      }
    }

    // Incoming: exact for D; for others the old set remapped, with X's bit from receivers.
    BitSet xReceivers = new BitSet();
    IpSet xAddrs = x >= 0 ? index.addresses(x) : IpSet.EMPTY;
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
    List<BitSet> incoming = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      BitSet in;
      if (dirty.get(i)) {
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
      } else {
        BitSet before = oldIncoming.get(shift.oldId(i));
        if (shift.delta() == 0 && before.get(x) == xReceivers.get(i)) {
          in = before; // unchanged: share the (never modified) old set
        } else {
          in = shift.remap(before);
          if (x >= 0) {
            in.set(x, xReceivers.get(i));
          }
        }
      }
      incoming.add(in);
    }

    // Outgoing (the transpose), patched rather than transposed again: a row of the incoming
    // relation changed only for D (fresh) and, elsewhere, in X's bit. So every node's old outgoing
    // row carries over (remapped), with bit a flipped where row a of D changed, and X's row is
    // column x of the new incoming relation.
    List<BitSet> outgoing = new ArrayList<>(n);
    boolean[] copied = new boolean[n];
    for (int i = 0; i < n; i++) {
      outgoing.add(i == x && shift.delta() > 0 ? new BitSet() : oldOutgoing.get(shift.oldId(i)));
    }
    for (int a = dirty.nextSetBit(0); a >= 0; a = dirty.nextSetBit(a + 1)) {
      BitSet diff = a == x && shift.delta() > 0 ? new BitSet() : shift.remap(oldIncoming.get(shift.oldId(a)));
      diff.xor(incoming.get(a));
      for (int i = diff.nextSetBit(0); i >= 0; i = diff.nextSetBit(i + 1)) {
        if (i != x) {
          if (!copied[i]) {
            outgoing.set(i, shift.remap(outgoing.get(i)));
            copied[i] = true;
          }
          outgoing.get(i).flip(a);
        }
      }
    }
    for (int i = 0; i < n; i++) {
      if (!copied[i] && i != x && shift.delta() != 0) {
        outgoing.set(i, shift.remap(outgoing.get(i)));
      }
    }
    if (x >= 0) {
      BitSet column = new BitSet();
      for (int a = 0; a < n; a++) {
        if (incoming.get(a).get(x)) {
          column.set(a);
        }
      }
      outgoing.set(x, column);
    }

    // Peers, exactly as ProjectPerNode does from the incoming relation.
    IpSet.Builder internetSources = IpSet.builder();
    for (ResolvedRule rule : rules) {
      if (rule.sources().isEmpty()) {
        continue;
      }
      for (Clause c : rule.clauses()) {
        if (c.destination() instanceof Destination.Any || c.destination() instanceof Destination.Internet) {
          internetSources.addAll(rule.sources());
          break;
        }
      }
    }
    BitSet internetUsers = index.nodesWithAddressIn(internetSources.build());
    BitSet exits = new BitSet();
    for (int r : index.routers()) {
      if (index.node(r).isExitNode()) {
        exits.set(r);
      }
    }
    List<BitSet> peers;
    if (shift.delta() == 0 && internetUsers.equals(old.internetUsers())) {
      // Ids and exit-node use unchanged: a node whose two relation rows are the very same objects
      // keeps its peer set object too (which lets the caller skip it by identity).
      peers = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        if (incoming.get(i) == oldIncoming.get(i) && outgoing.get(i) == oldOutgoing.get(i)) {
          peers.add(old.peers().get(i));
        } else {
          BitSet p = (BitSet) incoming.get(i).clone();
          p.or(outgoing.get(i));
          if (exits.get(i)) {
            p.or(internetUsers);
          }
          if (internetUsers.get(i)) {
            p.or(exits);
          }
          p.clear(i);
          peers.add(p);
        }
      }
    } else {
      peers = ProjectPerNode.peersOf(incoming, outgoing, exits, internetUsers);
    }

    // Routes: recompute where own pieces, a router peer's pieces, or which routers are peers
    // changed. Routers are the same nodes in the same slots (X is not one), and exit-node use
    // (internetUsers) changes only for X, which is in D.
    // A router in D may now be reachable, through a route, by other nodes than before: those
    // nodes (the difference of its old and new reachers) accept different routes from it.
    BitSet reroute = (BitSet) dirty.clone();
    Map<Integer, Map<IpPrefix, BitSet>> reachers = new HashMap<>();
    Map<IpSet, BitSet> oldOrigin = new HashMap<>();
    for (int r : index.routers()) {
      if (dirty.get(r)) {
        Map<IpPrefix, BitSet> now = reachers.computeIfAbsent(r, q -> reachersOf(index, q, pieces.get(q),
            this::originating));
        Map<IpPrefix, BitSet> before = reachersOf(oi, shift.oldId(r), old.pieces().get(shift.oldId(r)),
            set -> oldOrigin.computeIfAbsent(set, oi::nodesOriginating));
        for (Map.Entry<IpPrefix, BitSet> e : now.entrySet()) {
          BitSet diff = shift.remap(before.get(e.getKey()));
          diff.xor(e.getValue());
          reroute.or(diff);
        }
      }
    }
    Map<IpPrefix, Integer> primaryRouters = ProjectPerNode.primaryRouters(index);
    List<List<IpPrefix>[]> peerRoutes = new ArrayList<>(n);
    // Routers' new and old ids as primitive arrays: this check runs for every node.
    int[] routersNow = index.routers().stream().mapToInt(Integer::intValue).toArray();
    int[] routersBefore = new int[routersNow.length];
    for (int k = 0; k < routersNow.length; k++) {
      routersBefore[k] = shift.oldId(routersNow[k]);
    }
    for (int i = 0; i < n; i++) {
      if (!reroute.get(i)) {
        int o = shift.oldId(i);
        BitSet now = peers.get(i);
        BitSet before = old.peers().get(o);
        boolean sameRouterPeers = true;
        for (int k = 0; now != before && k < routersNow.length; k++) {
          if (now.get(routersNow[k]) != before.get(routersBefore[k])) {
            sameRouterPeers = false;
            break;
          }
        }
        if (sameRouterPeers) {
          peerRoutes.add(old.peerRoutes().get(o));
          continue;
        }
      }
      peerRoutes.add(ProjectPerNode.peerRoutesOf(index, i, peers.get(i), pieces, caps, internetUsers, primaryRouters,
          p -> reachers.computeIfAbsent(p, q -> reachersOf(index, q, pieces.get(q), this::originating))));
    }
    return new ProjectPerNode.Result(new Projection(pieces, caps, peers, peerRoutes, internetUsers),
        List.copyOf(incoming), List.copyOf(outgoing));
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
        case Destination.Self s -> { }
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

  private IpSet userAddresses(String user) {
    return userAddrCache.computeIfAbsent(user, u -> index.addressesOf(ids.nodesOfUser(u)));
  }

  /**
   * Node i's new pieces when only {@code changedRules} (ascending) deliver differently: its old
   * pieces of every other rule, in place (lists are in rule order), and fresh ones for those.
   */
  private void merge(int i, List<Integer> changedRules, List<Piece> oldPieces, List<CapPiece> oldCaps,
      List<Piece> pieces, List<CapPiece> caps) {
    int k = 0;
    int kc = 0;
    for (int r : changedRules) {
      while (k < oldPieces.size() && oldPieces.get(k).rule() < r) {
        pieces.add(oldPieces.get(k++));
      }
      while (k < oldPieces.size() && oldPieces.get(k).rule() == r) {
        k++;
      }
      while (kc < oldCaps.size() && oldCaps.get(kc).rule() < r) {
        caps.add(oldCaps.get(kc++));
      }
      while (kc < oldCaps.size() && oldCaps.get(kc).rule() == r) {
        kc++;
      }
      deliver(i, r, pieces, caps);
    }
    pieces.addAll(oldPieces.subList(k, oldPieces.size()));
    caps.addAll(oldCaps.subList(kc, oldCaps.size()));
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
            IpSet srcs = rule.sources().intersect(userAddresses(node.user().orElseThrow()));
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
            caps.add(new CapPiece(r, app.capability(), app.values(), rule.sources(), index.addressPrefixes(i)));
        case Destination.Nodes d -> {
          if (d.nodes().get(i)) {
            caps.add(new CapPiece(r, app.capability(), app.values(), rule.sources(), index.addressPrefixes(i)));
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
            IpSet srcs = rule.sources().intersect(userAddresses(node.user().orElseThrow()));
            if (!srcs.isEmpty()) {
              caps.add(new CapPiece(r, app.capability(), app.values(), srcs, index.addressPrefixes(i)));
            }
          }
        }
        case Destination.Internet x -> { }
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

  /** Per approved subnet route of router {@code r} (in {@code idx}), the nodes that may reach it. */
  private static Map<IpPrefix, BitSet> reachersOf(NodeIndex idx, int r, List<Piece> own,
      Function<IpSet, BitSet> originating) {
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
