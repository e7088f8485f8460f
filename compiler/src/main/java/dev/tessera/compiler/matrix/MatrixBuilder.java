package dev.tessera.compiler.matrix;

import dev.tessera.compiler.matrix.CompiledNetwork.FilterRule;
import dev.tessera.compiler.matrix.CompiledNetwork.NodeInfo;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads an access matrix off compiled per-node filters.
 *
 * <p>Design: a node's compiled filter says, for inbound packets, which source prefixes may
 * reach which of its destination prefixes on which protocols and ports. Enumerating that
 * table per destination node gives one column of the matrix: every source node whose address
 * lies in a rule's source prefixes gets the rule's protocols and ports, tagged with the rule's
 * origins. The builder does not interpret the policy and adds no semantics of its own, so the
 * matrix cannot disagree with what the enforcer's Matcher allows (the tests check a sample of
 * cells against the Matcher packet by packet).
 *
 * <p>Address families: sources and destinations are matched per family (a packet never mixes
 * them, and the Matcher never matches across them); a cell is the union over families, so a
 * source is in a cell when any of its addresses is admitted to an address of the destination.
 *
 * <p>Destinations other than the node itself: a rule destination inside one of the node's
 * approved subnet routes becomes a SUBNET column ("office-printer via office-router"). A cell of
 * a SUBNET column holds what is allowed to every address of that prefix: each rule whose
 * destination contains the prefix (so {@code *} and a /24 rule both reach the printer's /32). Exit routes are internet
 * access and are not shown (Tailscale emits no filter rule for autogroup:internet).
 *
 * <p>Sources outside the tailnet ranges (a subnet behind a router when the source is {@code *},
 * a host alias, {@code autogroup:danger-all}) become EXTERNAL rows.
 */
public final class MatrixBuilder {

  private final CompiledNetwork network;
  private final List<NodeInfo> nodes;
  private final Cidr[] hostIps;
  private final int[] hostNode;

  public MatrixBuilder(CompiledNetwork network) {
    this.network = network;
    this.nodes = network.nodes();
    List<Map.Entry<Cidr, Integer>> ips = new ArrayList<>();
    for (int i = 0; i < nodes.size(); i++) {
      for (Cidr ip : nodes.get(i).ips()) {
        ips.add(Map.entry(ip, i));
      }
    }
    ips.sort(Map.Entry.comparingByKey());
    hostIps = new Cidr[ips.size()];
    hostNode = new int[ips.size()];
    for (int i = 0; i < ips.size(); i++) {
      hostIps[i] = ips.get(i).getKey();
      hostNode[i] = ips.get(i).getValue();
    }
  }

  /** One destination node's share of the matrix: cells by destination id, then source id. */
  public record Column(Map<String, Map<String, List<int[]>>> pieces, Map<String, Endpoint> endpoints) {}

  /**
   * The node-level matrix. Columns are independent (each is one node's filter), so they are
   * read in parallel; the result does not depend on the order they finish in.
   */
  public AccessMatrix build(String title, List<String> notes) {
    record Done(Map<String, Map<String, Cell>> cells, Map<String, Endpoint> endpoints) {}
    List<Done> done = java.util.stream.IntStream.range(0, nodes.size()).parallel()
        .mapToObj(d -> {
          Column c = column(d);
          Map<String, Map<String, Cell>> cells = new HashMap<>();
          c.pieces().forEach((dst, bySrc) -> {
            Map<String, Cell> m = cells.computeIfAbsent(dst, k -> new HashMap<>());
            bySrc.forEach((src, pieces) -> {
              Cell cell = Cell.combine(1, pieces, false);
              if (!cell.isEmpty()) {
                m.put(src, cell);
              }
            });
          });
          return new Done(cells, c.endpoints());
        })
        .toList();
    Map<String, Endpoint> endpoints = new HashMap<>();
    for (NodeInfo n : nodes) {
      endpoints.put(n.name(), nodeEndpoint(n));
    }
    done.forEach(x -> endpoints.putAll(x.endpoints()));
    List<Endpoint> sources = new ArrayList<>();
    List<Endpoint> destinations = new ArrayList<>();
    for (Endpoint e : endpoints.values()) {
      switch (e.kind()) {
        case NODE -> {
          sources.add(e);
          destinations.add(e);
        }
        case EXTERNAL -> sources.add(e);
        case SUBNET -> destinations.add(e);
        case GROUP -> throw new IllegalStateException("group endpoint at node level");
      }
    }
    sources.sort(ENDPOINT_ORDER);
    destinations.sort(ENDPOINT_ORDER);
    Map<String, Integer> srcIdx = index(sources);
    Map<String, Integer> dstIdx = index(destinations);
    Map<Long, Cell> cells = new java.util.TreeMap<>();
    for (Done x : done) {
      x.cells().forEach((dst, bySrc) -> {
        int di = dstIdx.get(dst);
        bySrc.forEach((src, cell) -> cells.put(AccessMatrix.key(srcIdx.get(src), di), cell));
      });
    }
    return new AccessMatrix(title, Grouping.By.NODE, sources, destinations, network.rules(), cells, notes);
  }

  private static Map<String, Integer> index(List<Endpoint> list) {
    Map<String, Integer> m = new HashMap<>();
    for (int i = 0; i < list.size(); i++) {
      m.put(list.get(i).id(), i);
    }
    return m;
  }

  /**
   * Endpoint order, independent of inventory order: untagged nodes by user then name, tagged
   * nodes by first tag then name, subnets by router then prefix, external sources by prefix.
   */
  public static final Comparator<Endpoint> ENDPOINT_ORDER =
      Comparator.comparingInt((Endpoint e) -> kindRank(e))
          .thenComparing(Endpoint::section)
          .thenComparing(Endpoint::via)
          .thenComparing(e -> e.addresses().isEmpty() || e.kind() == Endpoint.Kind.NODE ? "" : sortKey(e))
          .thenComparing(Endpoint::id);

  private static int kindRank(Endpoint e) {
    return switch (e.kind()) {
      case GROUP -> 0;
      case NODE -> e.tagged() ? 2 : 1;
      case SUBNET -> 3;
      case EXTERNAL -> 4;
    };
  }

  private static String sortKey(Endpoint e) {
    // Zero-padded numeric key so 10.10.0.9 sorts before 10.10.0.20.
    Cidr c = Cidr.parse(e.addresses().getFirst()).orElse(null);
    if (c == null) {
      return e.addresses().getFirst();
    }
    return String.format("%c%016x%016x%03d", c.v4() ? '4' : '6', c.hi(), c.lo(), c.bits());
  }

  /** The endpoint of an inventory node. */
  public static Endpoint nodeEndpoint(NodeInfo n) {
    return Endpoint.node(
        n.name(), n.tags().isEmpty() ? n.user() : "", n.tags(),
        n.tags().isEmpty() ? n.groups() : List.of(),
        n.ips().stream().map(Cidr::toString).toList());
  }

  /** Normalizes the raw pieces of one (source, destination) pair into a cell. */
  public static Cell normalize(List<int[]> pieces) {
    return Cell.combine(1, pieces, false);
  }

  /** Cells of the column(s) enforced by destination node {@code d}, as raw pieces. */
  public Column column(int d) {
    return column(d, null);
  }

  /** The nodes with an address in any source prefix of {@code rules}. */
  public BitSet sourceNodes(List<FilterRule> rules) {
    BitSet out = new BitSet(nodes.size());
    for (FilterRule r : rules) {
      for (Cidr p : r.sources()) {
        matchNodes(p, out);
      }
    }
    return out;
  }

  /**
   * As {@link #column(int)}, restricted to the source nodes in {@code only} (null: all);
   * sources outside the tailnet are always included. The diff uses this to look only at the
   * sources of the rules that changed.
   */
  public Column column(int d, BitSet only) {
    NodeInfo dst = nodes.get(d);
    List<FilterRule> rules = network.filter(d);
    Map<String, Map<String, List<int[]>>> pieces = new LinkedHashMap<>();
    Map<String, Endpoint> endpoints = new HashMap<>();
    // Pass 1: the subnet endpoints of this node, so that pass 2 can credit a rule to every
    // subnet endpoint its destination covers (a /24 rule also reaches the printer's /32).
    TreeMap<Cidr, Endpoint> subnets = new TreeMap<>();
    List<Cidr> routes = dst.subnetRoutes();
    if (!routes.isEmpty()) {
      for (FilterRule rule : rules) {
        for (CompiledNetwork.Dst t : rule.destinations()) {
          Cidr q = t.prefix();
          for (Cidr r : routes) {
            if (r.contains(q)) {
              subnets.computeIfAbsent(q, x -> subnet(x, dst));
            } else if (q.contains(r)) {
              subnets.computeIfAbsent(r, x -> subnet(x, dst));
            }
          }
        }
      }
    }
    Endpoint self = nodeEndpoint(dst);
    BitSet src4 = new BitSet(nodes.size());
    BitSet src6 = new BitSet(nodes.size());
    List<Endpoint> externals = new ArrayList<>();
    List<Endpoint> targets = new ArrayList<>();
    for (FilterRule rule : rules) {
      // Sources per address family: a packet's source and destination are always of one family.
      src4.clear();
      src6.clear();
      externals.clear();
      for (Cidr p : rule.sources()) {
        matchNodes(p, p.v4() ? src4 : src6);
        if (!Cidr.TAILNET_V4.contains(p) && !Cidr.TAILNET_V6.contains(p) && !isNodeAddress(p)) {
          externals.add(external(p));
        }
      }
      if (only != null) {
        src4.and(only);
        src6.and(only);
      }
      if (src4.isEmpty() && src6.isEmpty() && externals.isEmpty()) {
        continue;
      }
      for (CompiledNetwork.Dst t : rule.destinations()) {
        Cidr q = t.prefix();
        List<int[]> facts = facts(rule, t);
        if (facts.isEmpty()) {
          continue;
        }
        targets.clear();
        for (Cidr ip : dst.ips()) {
          if (q.contains(ip)) {
            targets.add(self);
            break;
          }
        }
        for (Map.Entry<Cidr, Endpoint> sn : subnets.entrySet()) {
          if (q.contains(sn.getKey())) {
            targets.add(sn.getValue());
          }
        }
        BitSet srcs = q.v4() ? src4 : src6;
        for (Endpoint de : targets) {
          if (de.kind() != Endpoint.Kind.NODE) {
            endpoints.put(de.id(), de);
          }
          Map<String, List<int[]>> col = pieces.computeIfAbsent(de.id(), k -> new HashMap<>());
          for (int s = srcs.nextSetBit(0); s >= 0; s = srcs.nextSetBit(s + 1)) {
            col.computeIfAbsent(nodes.get(s).name(), k -> new ArrayList<>()).addAll(facts);
          }
          for (Endpoint ex : externals) {
            if (Cidr.parse(ex.addresses().getFirst()).orElseThrow().v4() != q.v4()) {
              continue;
            }
            endpoints.put(ex.id(), ex);
            col.computeIfAbsent(ex.id(), k -> new ArrayList<>()).addAll(facts);
          }
        }
      }
    }
    return new Column(pieces, endpoints);
  }

  /**
   * {proto, first, last, 1, origin} for each protocol of a rule at one destination, following
   * the Matcher's port semantics: TCP, UDP and SCTP match the range; ICMP on IPv4 and ICMPv6 on
   * IPv6 ignore it; any other protocol (ICMPv6 numbers on IPv4 included) matches only an
   * all-ports destination.
   */
  private static List<int[]> facts(FilterRule rule, CompiledNetwork.Dst target) {
    List<int[]> out = new ArrayList<>(rule.protocols().size());
    boolean all = target.first() == 0 && target.last() == 65535;
    boolean v4 = target.prefix().v4();
    for (int proto : rule.protocols()) {
      if (Protocols.hasPorts(proto)) {
        out.add(new int[] {proto, target.first(), target.last(), 1, rule.origin()});
      } else if (all || (v4 && proto == Protocols.ICMP) || (!v4 && proto == Protocols.ICMPV6)) {
        out.add(new int[] {proto, 0, 65535, 1, rule.origin()});
      }
    }
    return out;
  }

  private Endpoint subnet(Cidr s, NodeInfo router) {
    String alias = network.hostNames().get(s);
    String label = (alias == null ? s.toString() : alias + " (" + s + ")") + " via " + router.name();
    return new Endpoint("subnet:" + s + "@" + router.name(), label, Endpoint.Kind.SUBNET, "",
        List.of(), List.of(), List.of(s.toString()), router.name(), List.of());
  }

  private Endpoint external(Cidr p) {
    String alias = network.hostNames().get(p);
    String label = p.bits() == 0 ? "any address (" + p + ")" : alias == null ? p.toString() : alias + " (" + p + ")";
    return new Endpoint("external:" + p, label, Endpoint.Kind.EXTERNAL, "", List.of(), List.of(),
        List.of(p.toString()), "", List.of());
  }

  private boolean isNodeAddress(Cidr p) {
    return p.isHost() && Arrays.binarySearch(hostIps, p) >= 0;
  }

  /** Sets the nodes with an address inside {@code p}: binary search, then a forward scan. */
  private void matchNodes(Cidr p, BitSet out) {
    Cidr first = p.first();
    int lo = 0;
    int hi = hostIps.length;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (hostIps[mid].compareTo(first) < 0) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    for (int i = lo; i < hostIps.length && p.contains(hostIps[i]); i++) {
      out.set(hostNode[i]);
    }
  }
}
