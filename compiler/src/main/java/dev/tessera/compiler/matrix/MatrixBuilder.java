package dev.tessera.compiler.matrix;

import dev.tessera.compiler.inventory.InventoryNode;
import dev.tessera.enforcer.Access;
import dev.tessera.enforcer.AddressBook;
import dev.tessera.enforcer.Admission;
import dev.tessera.enforcer.Reachability;
import dev.tessera.enforcer.format.CompiledFilter;
import dev.tessera.enforcer.format.DstPorts;
import dev.tessera.enforcer.format.FilterRule;
import dev.tessera.net.IpAddress;
import dev.tessera.net.IpPrefix;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;

/**
 * Reads an access matrix off compiled per-node filters by asking the enforcer.
 *
 * <p>Design: each destination node's column is the enforcer's answer to "who can reach this node"
 * ({@link Reachability}, read off the node's {@link dev.tessera.enforcer.Matcher}): source classes
 * (addresses the node's rules treat alike), each admitted on some protocols and ports by some
 * rules. Every node address is put in its class in one merged pass, and a source node's cell is
 * built once per distinct combination of classes (in practice: per distinct group and tag
 * membership), so a column costs its sources' lookups plus a few cells, however many rules there
 * are. The builder adds no semantics of its own: a cell says what the Matcher says for a packet of
 * it ({@code MatrixConformanceTest} checks every cell of the headscale captures and the real-policy
 * corpus against {@code Matcher.explain}).
 *
 * <p>Address families: a packet never mixes them, and the Matcher never matches across them; a cell
 * is the union over families, so a source is in a cell when any of its addresses is admitted to an
 * address of the destination.
 *
 * <p>Destinations other than the node itself: a rule destination inside one of the node's approved
 * subnet routes becomes a SUBNET column ("office-printer via office-router"). A cell of a SUBNET
 * column holds what each rule admits to every address of that prefix ({@link
 * Reachability#toEvery}), so {@code *} and a /24 rule both reach the printer's /32. Exit routes are
 * internet access and are not shown (Tailscale emits no filter rule for autogroup:internet).
 *
 * <p>Sources outside the tailnet ranges named by a rule (a subnet behind a router when the source
 * is {@code *}, a host alias, {@code autogroup:danger-all}) become EXTERNAL rows, holding what each
 * rule admits from every address of that prefix ({@link Admission#accessFromEvery}).
 */
public final class MatrixBuilder {
  /** Tailnet ranges: sources inside them are devices, never external rows. */
  static final IpPrefix TAILNET_V4 = IpPrefix.parse("100.64.0.0/10");

  static final IpPrefix TAILNET_V6 = IpPrefix.parse("fd7a:115c:a1e0::/48");

  private final CompiledNetwork network;
  private final List<InventoryNode> nodes;

  /** Every node address; node i's are entries firstAddress[i] .. firstAddress[i + 1] - 1. */
  private final AddressBook book;

  private final int[] firstAddress;
  private final int[] bookNode;
  private final Set<IpAddress> nodeAddresses = new HashSet<>();
  private final Endpoint[] nodeEndpoints;

  public MatrixBuilder(CompiledNetwork network) {
    this.network = network;
    this.nodes = network.nodes();
    List<IpAddress> all = new ArrayList<>();
    firstAddress = new int[nodes.size() + 1];
    nodeEndpoints = new Endpoint[nodes.size()];
    for (int i = 0; i < nodes.size(); i++) {
      firstAddress[i] = all.size();
      all.addAll(nodes.get(i).ips());
      nodeAddresses.addAll(nodes.get(i).ips());
      nodeEndpoints[i] = nodeEndpoint(nodes.get(i), network::groupsOf);
    }
    firstAddress[nodes.size()] = all.size();
    book = AddressBook.of(all);
    bookNode = new int[all.size()];
    for (int i = 0; i < nodes.size(); i++) {
      Arrays.fill(bookNode, firstAddress[i], firstAddress[i + 1], i);
    }
  }

  /**
   * One destination endpoint's cells: from source nodes (by index into the network's nodes,
   * ascending) and from external source endpoints. Only non-empty cells are held.
   */
  public record Target(
      Endpoint destination,
      int[] sourceNodes,
      Cell[] nodeCells,
      List<Endpoint> externals,
      List<Cell> externalCells) {
    public Target {
      sourceNodes = sourceNodes.clone();
      nodeCells = nodeCells.clone();
      externals = List.copyOf(externals);
      externalCells = List.copyOf(externalCells);
    }

    /** The cell from source node {@code node}, or null. */
    public Cell fromNode(int node) {
      int i = Arrays.binarySearch(sourceNodes, node);
      return i < 0 ? null : nodeCells[i];
    }

    /** The cell from the external endpoint with id {@code id}, or null. */
    public Cell fromExternal(String id) {
      for (int i = 0; i < externals.size(); i++) {
        if (externals.get(i).id().equals(id)) {
          return externalCells.get(i);
        }
      }
      return null;
    }

    int nodeCount() {
      return sourceNodes.length;
    }

    int sourceNode(int k) {
      return sourceNodes[k];
    }

    Cell nodeCell(int k) {
      return nodeCells[k];
    }
  }

  /** The node-level matrix. */
  public AccessMatrix build(String title, List<String> notes) {
    return build(title, notes, Progress.NONE);
  }

  /**
   * The node-level matrix. Columns are independent (each is one node's filter), so they are read in
   * parallel; the result does not depend on the order they finish in.
   */
  public AccessMatrix build(String title, List<String> notes, Progress progress) {
    int n = nodes.size();
    AtomicLong done = new AtomicLong();
    List<List<Target>> columns =
        IntStream.range(0, n)
            .parallel()
            .mapToObj(
                d -> {
                  List<Target> c = column(d);
                  progress.step("matrix", done.incrementAndGet(), n);
                  return c;
                })
            .toList();
    Map<String, Endpoint> srcById = new LinkedHashMap<>();
    Map<String, Endpoint> dstById = new LinkedHashMap<>();
    for (Endpoint e : nodeEndpoints) {
      srcById.put(e.id(), e);
      dstById.put(e.id(), e);
    }
    for (List<Target> col : columns) {
      for (Target t : col) {
        dstById.putIfAbsent(t.destination().id(), t.destination());
        t.externals().forEach(x -> srcById.putIfAbsent(x.id(), x));
      }
    }
    List<Endpoint> sources = new ArrayList<>(srcById.values());
    List<Endpoint> destinations = new ArrayList<>(dstById.values());
    sources.sort(ENDPOINT_ORDER);
    destinations.sort(ENDPOINT_ORDER);
    Map<String, Integer> srcIdx = index(sources);
    Map<String, Integer> dstIdx = index(destinations);
    int[] nodeRow = new int[n];
    for (int i = 0; i < n; i++) {
      nodeRow[i] = srcIdx.get(nodeEndpoints[i].id());
    }
    // Targets in destination order, so that filling rows keeps each row's columns ascending.
    Target[] byColumn = new Target[destinations.size()];
    for (List<Target> col : columns) {
      for (Target t : col) {
        byColumn[dstIdx.get(t.destination().id())] = t;
      }
    }
    int rows = sources.size();
    int[] start = new int[rows + 1];
    for (Target t : byColumn) {
      if (t == null) {
        continue;
      }
      for (int k = 0; k < t.nodeCount(); k++) {
        start[nodeRow[t.sourceNode(k)] + 1]++;
      }
      for (Endpoint x : t.externals()) {
        start[srcIdx.get(x.id()) + 1]++;
      }
    }
    for (int s = 0; s < rows; s++) {
      start[s + 1] += start[s];
    }
    int total = start[rows];
    int[] fill = Arrays.copyOf(start, rows);
    int[] column = new int[total];
    Cell[] cell = new Cell[total];
    for (int d = 0; d < byColumn.length; d++) {
      Target t = byColumn[d];
      if (t == null) {
        continue;
      }
      for (int k = 0; k < t.nodeCount(); k++) {
        int at = fill[nodeRow[t.sourceNode(k)]]++;
        column[at] = d;
        cell[at] = t.nodeCell(k);
      }
      for (int k = 0; k < t.externals().size(); k++) {
        int at = fill[srcIdx.get(t.externals().get(k).id())]++;
        column[at] = d;
        cell[at] = t.externalCells().get(k);
      }
    }
    return AccessMatrix.ofRows(
        title,
        Grouping.By.NODE,
        sources,
        destinations,
        network.rules(),
        notes,
        start,
        column,
        cell);
  }

  private static Map<String, Integer> index(List<Endpoint> list) {
    Map<String, Integer> m = new HashMap<>();
    for (int i = 0; i < list.size(); i++) {
      m.put(list.get(i).id(), i);
    }
    return m;
  }

  /**
   * Endpoint order, independent of inventory order: untagged nodes by user then name, tagged nodes
   * by first tag then name, subnets by router then prefix, external sources by prefix; names in
   * natural order (laptop-2 before laptop-10).
   */
  public static final Comparator<Endpoint> ENDPOINT_ORDER =
      Comparator.comparingInt((Endpoint e) -> kindRank(e))
          .thenComparing(Endpoint::section, NaturalOrder.INSTANCE)
          .thenComparing(Endpoint::via, NaturalOrder.INSTANCE)
          .thenComparing(
              e -> e.addresses().isEmpty() || e.kind() == Endpoint.Kind.NODE ? "" : sortKey(e))
          .thenComparing(Endpoint::id, NaturalOrder.INSTANCE);

  private static int kindRank(Endpoint e) {
    return switch (e.kind()) {
      case GROUP -> 0;
      case NODE -> e.tagged() ? 2 : 1;
      case SUBNET -> 3;
      case EXTERNAL -> 4;
    };
  }

  private static String sortKey(Endpoint e) {
    // Fixed-width hex so that 10.10.0.9 sorts before 10.10.0.20.
    IpPrefix c;
    try {
      c = IpPrefix.parse(e.addresses().getFirst(), true);
    } catch (IllegalArgumentException x) {
      return e.addresses().getFirst();
    }
    return String.format("%c%016x%016x%03d", c.ipv6() ? '6' : '4', c.hi(), c.lo(), c.bits());
  }

  /**
   * The endpoint of an inventory node; {@code groupsOf} gives the policy groups of its owner (a
   * tagged node has none).
   */
  public static Endpoint nodeEndpoint(
      InventoryNode n, java.util.function.Function<String, List<String>> groupsOf) {
    return Endpoint.node(
        n.name(),
        n.owner().orElse(""),
        n.tags(),
        n.owner().map(groupsOf).orElse(List.of()),
        n.ips().stream().map(IpAddress::toString).toList());
  }

  /** A prefix as endpoints print it: a host prefix without its length. */
  static String text(IpPrefix p) {
    return p.isHost() ? p.address().toString() : p.toString();
  }

  /**
   * The destination endpoints node {@code d} enforces, with their cells: the node itself first,
   * then its subnet endpoints by prefix.
   */
  public List<Target> column(int d) {
    InventoryNode dst = nodes.get(d);
    CompiledFilter f = network.filter(d);
    Endpoint self = nodeEndpoints[d];
    if (f.rules().isEmpty()) {
      return List.of(new Target(self, new int[0], new Cell[0], List.of(), List.of()));
    }
    Reachability reach = Reachability.of(network.matcher(d));
    int[] ruleMap = new int[f.rules().size()];
    for (int i = 0; i < ruleMap.length; i++) {
      ruleMap[i] = network.ruleIndex(f.rules().get(i).origin());
    }
    List<IpPrefix> externals = externalSources(f);
    List<Target> out = new ArrayList<>();
    out.add(target(self, dst.ips().stream().map(reach::to).toList(), ruleMap, externals));
    subnets(f, dst)
        .forEach((p, e) -> out.add(target(e, List.of(reach.toEvery(p)), ruleMap, externals)));
    return out;
  }

  /**
   * The subnet endpoints of a router: each rule destination inside one of its routes, and each
   * route inside a rule destination ({@code *} reaches the whole route). Which columns exist is
   * read off the filter; what they admit is the enforcer's answer.
   */
  private TreeMap<IpPrefix, Endpoint> subnets(CompiledFilter f, InventoryNode router) {
    TreeMap<IpPrefix, Endpoint> subnets = new TreeMap<>();
    List<IpPrefix> routes = router.subnetRoutes();
    if (routes.isEmpty()) {
      return subnets;
    }
    for (FilterRule rule : f.rules()) {
      for (DstPorts t : rule.destinations()) {
        IpPrefix q = t.prefix();
        for (IpPrefix r : routes) {
          if (r.contains(q)) {
            subnets.computeIfAbsent(q, x -> subnet(x, router));
          } else if (q.contains(r)) {
            subnets.computeIfAbsent(r, x -> subnet(x, router));
          }
        }
      }
    }
    return subnets;
  }

  /**
   * Source prefixes of the filter's rules outside the tailnet ranges that are not node addresses.
   */
  private List<IpPrefix> externalSources(CompiledFilter f) {
    TreeSet<IpPrefix> out = new TreeSet<>();
    Set<List<IpPrefix>> seen =
        java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    for (FilterRule rule : f.rules()) {
      if (!seen.add(rule.sources())) {
        continue; // the compiler shares one source list between rules and nodes
      }
      for (IpPrefix p : rule.sources()) {
        if (!TAILNET_V4.contains(p)
            && !TAILNET_V6.contains(p)
            && !(p.isHost() && nodeAddresses.contains(p.address()))) {
          out.add(p);
        }
      }
    }
    return List.copyOf(out);
  }

  /**
   * One destination endpoint's cells: what {@code admissions} (one per destination address, or one
   * for a subnet) admit from each source node and external prefix, rules mapped to the policy's.
   */
  private Target target(
      Endpoint destination, List<Admission> admissions, int[] ruleMap, List<IpPrefix> externals) {
    int k = admissions.size();
    Admission.Admitted[] admitted = new Admission.Admitted[k];
    for (int j = 0; j < k; j++) {
      admitted[j] = admissions.get(j).admitted(book);
    }
    Map<Long, Cell> memo = new HashMap<>();
    Map<List<Integer>, Cell> memoWide = new HashMap<>();
    int[] srcs = new int[16];
    Cell[] cells = new Cell[16];
    int found = 0;
    int[] pos = new int[k];
    int[] pairs = new int[8]; // (admission, class), ...
    while (true) {
      // the next source node any admission admits (each list is in book order, i.e. node order)
      int s = Integer.MAX_VALUE;
      for (int j = 0; j < k; j++) {
        if (pos[j] < admitted[j].size()) {
          s = Math.min(s, bookNode[admitted[j].addresses()[pos[j]]]);
        }
      }
      if (s == Integer.MAX_VALUE) {
        break;
      }
      int np = 0;
      boolean narrow = k < 127;
      for (int j = 0; j < k; j++) {
        Admission.Admitted a = admitted[j];
        for (; pos[j] < a.size() && bookNode[a.addresses()[pos[j]]] == s; pos[j]++) {
          if (np + 2 > pairs.length) {
            pairs = Arrays.copyOf(pairs, pairs.length * 2);
          }
          int c = a.classes()[pos[j]];
          pairs[np++] = j;
          pairs[np++] = c;
          narrow &= c < (1 << 24);
        }
      }
      Cell cell;
      if (narrow && np <= 4) {
        // two (admission, class) pairs in one long: the common case (one address per family)
        long key =
            (long) (pairs[0] << 24 | pairs[1]) << 32
                | (np == 4 ? pairs[2] << 24 | pairs[3] : 0x7FFF_FFFF);
        cell = memo.get(key);
        if (cell == null) {
          cell = cell(admissions, pairs, np, ruleMap);
          memo.put(key, cell);
        }
      } else {
        List<Integer> key = Arrays.stream(pairs, 0, np).boxed().toList();
        cell = memoWide.get(key);
        if (cell == null) {
          cell = cell(admissions, pairs, np, ruleMap);
          memoWide.put(key, cell);
        }
      }
      if (found == srcs.length) {
        srcs = Arrays.copyOf(srcs, found * 2);
        cells = Arrays.copyOf(cells, found * 2);
      }
      srcs[found] = s;
      cells[found] = cell;
      found++;
    }
    List<Endpoint> exEndpoints = new ArrayList<>();
    List<Cell> exCells = new ArrayList<>();
    for (IpPrefix p : externals) {
      List<int[]> pieces = new ArrayList<>();
      for (Admission a : admissions) {
        if (a.ipv6() == p.ipv6()) {
          pieces(a.accessFromEvery(p), ruleMap, pieces);
        }
      }
      Cell c = Cell.combine(1, pieces, false);
      if (!c.isEmpty()) {
        exEndpoints.add(external(p));
        exCells.add(c);
      }
    }
    return new Target(
        destination, Arrays.copyOf(srcs, found), Arrays.copyOf(cells, found), exEndpoints, exCells);
  }

  /** The cell of a source with these (admission, class) pairs. */
  private static Cell cell(List<Admission> admissions, int[] pairs, int np, int[] ruleMap) {
    List<int[]> pieces = new ArrayList<>();
    for (int i = 0; i < np; i += 2) {
      pieces(admissions.get(pairs[i]).access(pairs[i + 1]), ruleMap, pieces);
    }
    return Cell.combine(1, pieces, false);
  }

  /** {proto, first, last, 1, policy rule...} for each access. */
  private static void pieces(List<Access> access, int[] ruleMap, List<int[]> out) {
    for (Access x : access) {
      int[] p = new int[4 + x.ruleCount()];
      p[0] = x.protocol();
      p[1] = x.firstPort();
      p[2] = x.lastPort();
      p[3] = 1;
      for (int i = 0; i < x.ruleCount(); i++) {
        p[4 + i] = ruleMap[x.rule(i)];
      }
      out.add(p);
    }
  }

  private Endpoint subnet(IpPrefix s, InventoryNode router) {
    String alias = network.hostNames().get(s);
    String label =
        (alias == null ? text(s) : alias + " (" + text(s) + ")") + " via " + router.name();
    return new Endpoint(
        "subnet:" + text(s) + "@" + router.name(),
        label,
        Endpoint.Kind.SUBNET,
        "",
        List.of(),
        List.of(),
        List.of(text(s)),
        router.name(),
        List.of());
  }

  private Endpoint external(IpPrefix p) {
    String alias = network.hostNames().get(p);
    String label =
        p.bits() == 0
            ? "any address (" + text(p) + ")"
            : alias == null ? text(p) : alias + " (" + text(p) + ")";
    return new Endpoint(
        "external:" + text(p),
        label,
        Endpoint.Kind.EXTERNAL,
        "",
        List.of(),
        List.of(),
        List.of(text(p)),
        "",
        List.of());
  }
}
