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

/**
 * Pass 4 patched after one node X joined or changed: the {@link ProjectPerNode} result for the new
 * inventory, computed from the previous one. Internal to the compiler's incremental path.
 *
 * <p>Why it is exact. Preconditions (else {@code null}: the caller runs the full pass): the node
 * set is the old one plus at most X; X has no approved routes before or after (a router changes
 * prefix receivers, reachers and HA primaries everywhere); X's addresses belong to no other node.
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
 *   <li>peers are rebuilt from the incoming sets (transpose, exit nodes); routes accepted from
 *       router peers are recomputed only for nodes whose peers changed, D, and the peers of routers
 *       in D (their reachers changed); everyone else keeps its route lists.
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
   * Patches {@code old} (with its incoming relation {@code oldIncoming}, over {@code oldIds}) for
   * the new identities and rules after node {@code changed} joined or changed; {@code null} when
   * the preconditions above do not hold or the change touches too many nodes to be worth it.
   */
  public static ProjectPerNode.Result patch(Identities ids, List<ResolvedRule> rules, Identities oldIds,
      List<ResolvedRule> oldRules, Projection old, List<BitSet> oldIncoming, String changed) {
    return new ProjectionPatch(ids, rules).run(oldIds, oldRules, old, oldIncoming, changed);
  }

  private ProjectPerNode.Result run(Identities oldIds, List<ResolvedRule> oldRules, Projection old,
      List<BitSet> oldIncoming, String changed) {
    NodeIndex oi = oldIds.index();
    int n = index.size();
    int x = index.id(changed);
    int xOld = oi.id(changed);
    if (x < 0 || oi.size() != (xOld < 0 ? n - 1 : n) || rules.size() != oldRules.size()) {
      return null; // X dropped (tag not owned) or an unexpected node set: full pass
    }
    InventoryNode xNode = index.node(x);
    if (!xNode.routes().isEmpty() || (xOld >= 0 && !oi.node(xOld).routes().isEmpty())) {
      return null;
    }
    BitSet holders = index.nodesWithAddressIn(index.addresses(x));
    holders.clear(x);
    if (!holders.isEmpty()) {
      return null;
    }
    if (xOld >= 0) {
      BitSet oldHolders = oi.nodesWithAddressIn(oi.addresses(xOld));
      oldHolders.clear(xOld);
      if (!oldHolders.isEmpty()) {
        return null;
      }
    }
    // New id -> old id: ids are name ranks, so a join at rank x shifts every later id by one.
    boolean join = xOld < 0;

    // D: nodes whose pieces may change. X and its user's nodes (autogroup:self) may change in any
    // rule; every other node of D only in the rules whose sources changed.
    BitSet anyRule = new BitSet();
    anyRule.set(x);
    if (xOld >= 0 && oi.node(xOld).user().isPresent() && !oi.node(xOld).isTagged()) {
      anyRule.or(ids.nodesOfUser(oi.node(xOld).user().get()));
    }
    if (xNode.user().isPresent() && !xNode.isTagged()) {
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
        int o = oldId(i, x, join);
        List<Piece> ps = new ArrayList<>();
        List<CapPiece> cs = new ArrayList<>();
        merge(i, changedRules, old.pieces().get(o), old.caps().get(o), ps, cs);
        pieces.add(ps);
        caps.add(cs);
      } else {
        int o = oldId(i, x, join);
        pieces.add(old.pieces().get(o));
        caps.add(old.caps().get(o));
      }
    }

    // Incoming: exact for D; for others the old set remapped, with X's bit from receivers.
    BitSet xReceivers = new BitSet();
    IpSet xAddrs = index.addresses(x);
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
        in = remap(oldIncoming.get(oldId(i, x, join)), x, join);
        in.set(x, xReceivers.get(i));
      }
      incoming.add(in);
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
    List<BitSet> peers = ProjectPerNode.peersOf(incoming, exits, internetUsers);

    // Routes: recompute where peers, own pieces, or a router peer's pieces changed.
    BitSet reroute = (BitSet) dirty.clone();
    for (int r : index.routers()) {
      if (dirty.get(r)) {
        reroute.or(peers.get(r));
        reroute.or(remap(old.peers().get(oldId(r, x, join)), x, join));
      }
    }
    Map<IpPrefix, Integer> primaryRouters = new HashMap<>();
    for (int r : index.routers()) {
      for (IpPrefix route : index.node(r).subnetRoutes()) {
        primaryRouters.merge(route, r,
            (a, b) -> index.node(a).name().compareTo(index.node(b).name()) <= 0 ? a : b);
      }
    }
    Map<Integer, Map<IpPrefix, BitSet>> reachers = new HashMap<>();
    List<List<IpPrefix>[]> peerRoutes = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      if (!reroute.get(i)) {
        int o = oldId(i, x, join);
        if (peers.get(i).equals(remap(old.peers().get(o), x, join))) {
          peerRoutes.add(old.peerRoutes().get(o));
          continue;
        }
      }
      peerRoutes.add(routesOf(i, peers.get(i), pieces, caps, internetUsers, primaryRouters, reachers));
    }
    return new ProjectPerNode.Result(new Projection(pieces, caps, peers, peerRoutes, internetUsers),
        List.copyOf(incoming));
  }

  private static int oldId(int i, int x, boolean join) {
    return join && i > x ? i - 1 : i;
  }

  /** An old-id bit set in new ids: after a join at rank x, bits at x and above move up by one. */
  private static BitSet remap(BitSet old, int x, boolean join) {
    if (!join) {
      return (BitSet) old.clone();
    }
    BitSet out = old.get(0, x);
    for (int b = old.nextSetBit(x); b >= 0; b = old.nextSetBit(b + 1)) {
      out.set(b + 1);
    }
    return out;
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

  /** Routes node i accepts from each of its peers, as {@link ProjectPerNode} computes them. */
  private List<IpPrefix>[] routesOf(int i, BitSet ps, List<List<Piece>> pieces, List<List<CapPiece>> caps,
      BitSet internetUsers, Map<IpPrefix, Integer> primaryRouters, Map<Integer, Map<IpPrefix, BitSet>> reachers) {
    @SuppressWarnings("unchecked")
    List<IpPrefix>[] routes = new List[ps.cardinality()];
    int k = 0;
    for (int p = ps.nextSetBit(0); p >= 0; p = ps.nextSetBit(p + 1), k++) {
      InventoryNode peer = index.node(p);
      if (peer.routes().isEmpty()) {
        routes[k] = List.of();
        continue;
      }
      int router = p;
      Map<IpPrefix, BitSet> m = reachers.computeIfAbsent(p, q -> reachersOf(router, pieces.get(router)));
      List<IpPrefix> rs = new ArrayList<>();
      for (IpPrefix route : peer.subnetRoutes()) {
        if (primaryRouters.get(route) != p) {
          continue;
        }
        if (m.get(route).get(i) || ProjectPerNode.admits(pieces.get(i), caps.get(i), route)) {
          rs.add(route);
        }
      }
      if (peer.isExitNode() && internetUsers.get(i)) {
        for (IpPrefix route : peer.routes()) {
          if (route.bits() == 0) {
            rs.add(route);
          }
        }
      }
      rs.sort(null);
      routes[k] = List.copyOf(rs);
    }
    return routes;
  }

  private Map<IpPrefix, BitSet> reachersOf(int r, List<Piece> own) {
    Map<IpPrefix, BitSet> m = new HashMap<>();
    for (IpPrefix route : index.node(r).subnetRoutes()) {
      BitSet who = new BitSet();
      IpSet last = null;
      for (Piece p : own) {
        if (p.sources() != last && (route.contains(p.dst()) || p.dst().contains(route))) {
          who.or(originating(p.sources()));
          last = p.sources();
        }
      }
      m.put(route, who);
    }
    return m;
  }
}
