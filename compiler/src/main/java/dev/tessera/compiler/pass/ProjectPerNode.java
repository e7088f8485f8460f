package dev.tessera.compiler.pass;

import dev.tessera.compiler.inventory.InventoryNode;
import dev.tessera.compiler.ipset.IpSet;
import dev.tessera.compiler.ir.AppClause;
import dev.tessera.compiler.ir.Clause;
import dev.tessera.compiler.ir.Destination;
import dev.tessera.compiler.ir.ResolvedRule;
import dev.tessera.compiler.pass.Projection.CapPiece;
import dev.tessera.compiler.pass.Projection.Piece;
import dev.tessera.net.IpPrefix;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Pass 4: which node enforces what (semantics reference, sections 5 and 7).
 *
 * <ul>
 *   <li>A node receives the clauses whose destinations include its addresses ({@code *}, its
 *       user/tag/autogroup, a CIDR covering one of its addresses) or overlap its approved subnet
 *       routes; a CIDR destination is kept as written on every such node.
 *   <li>{@code autogroup:self} is resolved per destination node D: the sources are the rule's
 *       sources restricted to the addresses of D's user's untagged devices.
 *   <li>{@code autogroup:internet} gives no clause. Its sources, and those of any {@code *}
 *       destination (as Tailscale's default allow-all policy lets everyone use exit nodes), may use
 *       exit nodes: they receive exit nodes' default routes and become their peers.
 *   <li>Peers: A and B are peers when a clause on one of them has a source address (or a subnet
 *       route) of the other. A accepts a subnet route from router R when A may reach it (a clause
 *       on R with A among the sources and a destination overlapping the route) or A's own filter
 *       admits sources inside it.
 * </ul>
 *
 * Cost: clause deliveries are enumerated from the clause's node set, never by scanning all rules
 * per node, so the work is proportional to the output (pieces and peer pairs).
 */
public final class ProjectPerNode {
  private final Identities ids;
  private final NodeIndex index;
  private final List<ResolvedRule> rules;
  private final Map<IpSet, BitSet> originCache = new ConcurrentHashMap<>();

  /**
   * Set by {@link #project()}: per node, the nodes whose traffic its pieces admit (before
   * transposing).
   */
  private List<BitSet> incoming;

  /**
   * Set by {@link #project()}: the transpose of {@link #incoming} (per node, whom it may send to).
   */
  private List<BitSet> outgoing;

  /**
   * The projection plus, per node, the incoming half of the peer relation (nodes that may send to
   * it) and its transpose (nodes it may send to), which {@link ProjectionPatch} needs to patch
   * peers after one node changes.
   */
  public record Result(Projection projection, List<BitSet> incoming, List<BitSet> outgoing) {}

  public ProjectPerNode(Identities ids, List<ResolvedRule> rules) {
    this.ids = ids;
    this.index = ids.index();
    this.rules = rules;
  }

  public static Projection run(Identities ids, List<ResolvedRule> rules) {
    return new ProjectPerNode(ids, rules).project();
  }

  /**
   * {@link #run} plus the peer relation's halves (kept by {@code Compilation} for incremental
   * updates).
   */
  public static Result runWithIncoming(Identities ids, List<ResolvedRule> rules) {
    ProjectPerNode p = new ProjectPerNode(ids, rules);
    Projection proj = p.project();
    return new Result(proj, List.copyOf(p.incoming), List.copyOf(p.outgoing));
  }

  private final Map<String, IpSet> userAddrCache = new HashMap<>();

  IpSet userAddresses(String user, BitSet own) {
    return userAddrCache.computeIfAbsent(user, u -> index.addressesOf(own));
  }

  /** Nodes whose traffic may carry a source address in {@code set} (cached per set). */
  BitSet originating(IpSet set) {
    return originCache.computeIfAbsent(set, index::nodesOriginating);
  }

  private Projection project() {
    int n = index.size();
    List<List<Piece>> pieces = new ArrayList<>(n);
    List<List<CapPiece>> caps = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      pieces.add(new ArrayList<>());
      caps.add(new ArrayList<>());
    }
    BitSet all = new BitSet();
    all.set(0, n);
    IpSet.Builder internetSources = IpSet.builder();
    for (int r = 0; r < rules.size(); r++) {
      ResolvedRule rule = rules.get(r);
      if (rule.sources().isEmpty()) {
        continue;
      }
      for (Clause c : rule.clauses()) {
        switch (c.destination()) {
          case Destination.Any a -> {
            internetSources.addAll(rule.sources());
            for (int i = 0; i < n; i++) {
              pieces
                  .get(i)
                  .add(new Piece(r, c.protocols(), rule.sources(), IpPrefix.ALL_V4, c.ports()));
              pieces
                  .get(i)
                  .add(new Piece(r, c.protocols(), rule.sources(), IpPrefix.ALL_V6, c.ports()));
            }
          }
          case Destination.Nodes d -> {
            BitSet ns = d.nodes();
            for (int i = ns.nextSetBit(0); i >= 0; i = ns.nextSetBit(i + 1)) {
              for (IpPrefix own : index.addressPrefixes(i)) {
                pieces.get(i).add(new Piece(r, c.protocols(), rule.sources(), own, c.ports()));
              }
            }
          }
          case Destination.Prefixes p -> {
            BitSet receivers = prefixReceivers(p);
            for (int i = receivers.nextSetBit(0); i >= 0; i = receivers.nextSetBit(i + 1)) {
              for (IpPrefix dst : p.prefixes()) {
                if (relevant(i, dst, p)) {
                  pieces.get(i).add(new Piece(r, c.protocols(), rule.sources(), dst, c.ports()));
                }
              }
            }
          }
          case Destination.Self s -> {
            for (Map.Entry<String, BitSet> e : ids.userNodes().entrySet()) {
              BitSet own = e.getValue();
              IpSet srcs = rule.sources().intersect(userAddresses(e.getKey(), own));
              if (srcs.isEmpty()) {
                continue;
              }
              for (int i = own.nextSetBit(0); i >= 0; i = own.nextSetBit(i + 1)) {
                for (IpPrefix a : index.addressPrefixes(i)) {
                  pieces.get(i).add(new Piece(r, c.protocols(), srcs, a, c.ports()));
                }
              }
            }
          }
          case Destination.Internet x -> {
            internetSources.addAll(rule.sources());
            // SaaS captures (headscale issue 3212): an exit node with approved default routes
            // enforces internet use as a rule whose destinations are the public address space.
            for (int e : index.routers()) {
              for (IpPrefix dst : internetPrefixes(index.node(e))) {
                pieces.get(e).add(new Piece(r, c.protocols(), rule.sources(), dst, c.ports()));
              }
            }
          }
        }
      }
      for (AppClause app : rule.apps()) {
        deliverCap(r, rule, app, caps);
      }
    }

    // Exit-node users: nodes whose addresses fall in the sources of internet (or *) clauses.
    BitSet internetUsers = index.nodesWithAddressIn(internetSources.build());
    BitSet exits = new BitSet();
    for (int r : index.routers()) {
      if (index.node(r).isExitNode()) {
        exits.set(r);
      }
    }

    // Peers: incoming relation from each node's own pieces, then its transpose. Per node and
    // independent (the origin cache is concurrent): spread over the cores.
    BitSet[] in = new BitSet[n];
    Parallel.forEachNode(n, i -> in[i] = incomingOf(pieces.get(i), caps.get(i)));
    List<BitSet> incoming = Arrays.asList(in);
    this.incoming = incoming;
    this.outgoing = transpose(incoming);
    List<BitSet> peers = peersOf(incoming, outgoing, exits, internetUsers);

    // Routes accepted from each router peer.
    List<Map<IpPrefix, BitSet>> reachers = new ArrayList<>();
    for (int r : index.routers()) {
      Map<IpPrefix, BitSet> m = new HashMap<>();
      for (IpPrefix route : index.node(r).subnetRoutes()) {
        BitSet who = new BitSet();
        IpSet last = null;
        for (Piece p : pieces.get(r)) {
          if (p.sources() != last && (route.contains(p.dst()) || p.dst().contains(route))) {
            who.or(originating(p.sources()));
            last = p.sources();
          }
        }
        m.put(route, who);
      }
      reachers.add(m); // slot order: index.routers() is by slot
    }
    Map<IpPrefix, Integer> primaryRouters = primaryRouters(index);
    @SuppressWarnings("unchecked")
    List<IpPrefix>[][] routes = new List[n][];
    Parallel.forEachNode(
        n,
        i ->
            routes[i] =
                peerRoutesOf(
                    index, i, peers.get(i), pieces, caps, internetUsers, primaryRouters, reachers));
    List<List<IpPrefix>[]> peerRoutes = Arrays.asList(routes);
    return new Projection(pieces, caps, peers, peerRoutes, internetUsers, List.copyOf(reachers));
  }

  /** Nodes whose traffic a node's pieces and cap pieces admit. */
  private BitSet incomingOf(List<Piece> pieces, List<CapPiece> caps) {
    BitSet in = new BitSet();
    IpSet last = null;
    for (Piece p : pieces) {
      if (p.sources() != last) {
        in.or(originating(p.sources()));
        last = p.sources();
      }
    }
    for (CapPiece c : caps) {
      in.or(originating(c.sources()));
    }
    return in;
  }

  /**
   * A route approved on several routers (high availability) is announced by one primary: the first
   * such router by node name (Tailscale elects by registration and failover, which the inventory
   * does not record).
   */
  public static Map<IpPrefix, Integer> primaryRouters(NodeIndex index) {
    Map<IpPrefix, Integer> primary = new HashMap<>();
    for (int r : index.routers()) {
      for (IpPrefix route : index.node(r).subnetRoutes()) {
        primary.merge(
            route, r, (a, b) -> index.node(a).name().compareTo(index.node(b).name()) <= 0 ? a : b);
      }
    }
    return primary;
  }

  /**
   * The routes node {@code i} accepts from each router among its peers {@code ps}, by router slot
   * (see {@link Projection#peerRoutes()}). {@code reachers}: router slot -> route -> nodes that may
   * reach it through a clause on the router ({@link Projection#reachers()}).
   */
  public static List<IpPrefix>[] peerRoutesOf(
      NodeIndex index,
      int i,
      BitSet ps,
      List<List<Piece>> pieces,
      List<List<CapPiece>> caps,
      BitSet internetUsers,
      Map<IpPrefix, Integer> primaryRouters,
      List<Map<IpPrefix, BitSet>> reachers) {
    List<Integer> routers = index.routers();
    @SuppressWarnings("unchecked")
    List<IpPrefix>[] routes = new List[routers.size()];
    Arrays.fill(routes, List.of());
    for (int slot = 0; slot < routes.length; slot++) {
      int p = routers.get(slot);
      if (!ps.get(p)) {
        continue;
      }
      InventoryNode peer = index.node(p);
      List<IpPrefix> rs = new ArrayList<>();
      Map<IpPrefix, BitSet> m = reachers.get(slot);
      for (IpPrefix route : peer.subnetRoutes()) {
        if (primaryRouters.get(route) != p) {
          continue; // HA: only the primary router of a route announces it to peers
        }
        if (m.get(route).get(i) || admits(pieces.get(i), caps.get(i), route)) {
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
      routes[slot] = List.copyOf(rs);
    }
    return routes;
  }

  /**
   * Peers are symmetric: a node peers with every node that may send to it and every node it may
   * send to, exit nodes with the nodes allowed to use them, and never with itself. {@code incoming}
   * holds, per node, the nodes whose packets its filter admits; {@code outgoing} is its transpose.
   */
  public static List<BitSet> peersOf(
      List<BitSet> incoming, List<BitSet> outgoing, BitSet exits, BitSet internetUsers) {
    int n = incoming.size();
    List<BitSet> peers = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      BitSet p = (BitSet) incoming.get(i).clone();
      p.or(outgoing.get(i));
      peers.add(p);
    }
    for (int e = exits.nextSetBit(0); e >= 0; e = exits.nextSetBit(e + 1)) {
      peers.get(e).or(internetUsers);
      for (int a = internetUsers.nextSetBit(0); a >= 0; a = internetUsers.nextSetBit(a + 1)) {
        peers.get(a).set(e);
      }
    }
    for (int i = 0; i < n; i++) {
      peers.get(i).clear(i);
    }
    return peers;
  }

  /**
   * The transpose of a relation over node ids: bit i of row a iff bit a of row i. Built as one word
   * matrix (n x ceil(n/64) longs; 12.5 MB at 10k nodes): on BitSets each scattered single-bit write
   * costs a bounds check and possibly a resize. One pass over the set bits.
   */
  static List<BitSet> transpose(List<BitSet> rel) {
    int n = rel.size();
    int words = (n + 63) >>> 6;
    long[][] m = new long[n][words];
    for (int i = 0; i < n; i++) {
      long[] row = rel.get(i).toLongArray();
      int w = i >>> 6;
      long bit = 1L << i;
      for (int k = 0; k < row.length; k++) {
        long x = row[k];
        while (x != 0) {
          int a = (k << 6) + Long.numberOfTrailingZeros(x);
          x &= x - 1;
          m[a][w] |= bit;
        }
      }
    }
    List<BitSet> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(BitSet.valueOf(m[i]));
      m[i] = null;
    }
    return out;
  }

  /** IPv4 public space: everything but RFC 1918, CGNAT (RFC 6598) and link-local, as SaaS emits. */
  static final IpSet INTERNET_V4 =
      IpSet.of(IpPrefix.ALL_V4)
          .subtract(
              IpSet.of(
                  IpPrefix.parse("10.0.0.0/8"),
                  IpPrefix.parse("100.64.0.0/10"),
                  IpPrefix.parse("169.254.0.0/16"),
                  IpPrefix.parse("172.16.0.0/12"),
                  IpPrefix.parse("192.168.0.0/16")));

  /** IPv6 public space: global unicast 2000::/3, as SaaS emits. */
  static final IpSet INTERNET_V6 = IpSet.of(IpPrefix.parse("2000::/3"));

  /**
   * The internet destinations an exit node enforces: per family, only if it has that default route.
   */
  public static List<IpPrefix> internetPrefixes(InventoryNode node) {
    IpSet.Builder b = IpSet.builder();
    for (IpPrefix r : node.routes()) {
      if (r.bits() == 0) {
        b.addAll(r.ipv6() ? INTERNET_V6 : INTERNET_V4);
      }
    }
    return b.build().toPrefixes();
  }

  /** Does node's own filter admit sources inside {@code route}? */
  static boolean admits(List<Piece> own, List<CapPiece> caps, IpPrefix route) {
    for (CapPiece c : caps) {
      if (c.sources().overlaps(route)) {
        return true;
      }
    }
    IpSet last = null;
    for (Piece p : own) {
      if (p.sources() != last) {
        last = p.sources();
        if (p.sources().overlaps(route)) {
          return true;
        }
      }
    }
    return false;
  }

  /** Nodes owning an address inside the prefixes, and routers whose subnet routes overlap them. */
  public BitSet prefixReceivers(Destination.Prefixes p) {
    BitSet out = index.nodesWithAddressIn(p.set());
    for (int r : index.routers()) {
      if (p.via().isPresent() && !p.via().get().get(r)) {
        continue;
      }
      if (index.subnetRoutes(r).overlaps(p.set())) {
        out.set(r);
      }
    }
    return out;
  }

  public boolean relevant(int node, IpPrefix dst, Destination.Prefixes p) {
    if (index.addresses(node).overlaps(dst)) {
      return true;
    }
    boolean viaOk = p.via().isEmpty() || p.via().get().get(node);
    return viaOk && index.subnetRoutes(node).overlaps(dst);
  }

  private void deliverCap(int r, ResolvedRule rule, AppClause app, List<List<CapPiece>> caps) {
    int n = index.size();
    switch (app.destination()) {
      // Capture: a cap grant to * names each node's own addresses on that node.
      case Destination.Any a -> {
        for (int i = 0; i < n; i++) {
          caps.get(i)
              .add(
                  new CapPiece(
                      r, app.capability(), app.values(), rule.sources(), index.addressPrefixes(i)));
        }
      }
      case Destination.Nodes d -> {
        for (int i = d.nodes().nextSetBit(0); i >= 0; i = d.nodes().nextSetBit(i + 1)) {
          caps.get(i)
              .add(
                  new CapPiece(
                      r, app.capability(), app.values(), rule.sources(), index.addressPrefixes(i)));
        }
      }
      case Destination.Prefixes p -> {
        BitSet receivers = prefixReceivers(p);
        for (int i = receivers.nextSetBit(0); i >= 0; i = receivers.nextSetBit(i + 1)) {
          List<IpPrefix> ds = new ArrayList<>();
          for (IpPrefix dst : p.prefixes()) {
            if (relevant(i, dst, p)) {
              ds.add(dst);
            }
          }
          caps.get(i).add(new CapPiece(r, app.capability(), app.values(), rule.sources(), ds));
        }
      }
      case Destination.Self s -> {
        for (BitSet own : ids.userNodes().values()) {
          IpSet srcs = rule.sources().intersect(index.addressesOf(own));
          if (srcs.isEmpty()) {
            continue;
          }
          for (int i = own.nextSetBit(0); i >= 0; i = own.nextSetBit(i + 1)) {
            caps.get(i)
                .add(
                    new CapPiece(
                        r, app.capability(), app.values(), srcs, index.addressPrefixes(i)));
          }
        }
      }
      case Destination.Internet x -> {}
    }
  }
}
