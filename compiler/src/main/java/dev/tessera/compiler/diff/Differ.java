package dev.tessera.compiler.diff;

import dev.tessera.compiler.diff.AccessDiff.Cause;
import dev.tessera.compiler.diff.AccessDiff.Change;
import dev.tessera.compiler.diff.AccessDiff.Kind;
import dev.tessera.compiler.diff.AccessDiff.Status;
import dev.tessera.compiler.inventory.InventoryNode;
import dev.tessera.compiler.matrix.Cell;
import dev.tessera.compiler.matrix.CompiledNetwork;
import dev.tessera.compiler.matrix.Endpoint;
import dev.tessera.compiler.matrix.MatrixBuilder;
import dev.tessera.compiler.matrix.PolicyIndex;
import dev.tessera.compiler.matrix.Progress;
import dev.tessera.compiler.matrix.RuleRef;
import dev.tessera.compiler.matrix.Segment;
import dev.tessera.enforcer.format.FilterRule;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Semantic diff of two compiled policies over one inventory.
 *
 * <p>Design: access is what the compiled filters allow, so the diff compares compiled filters, not
 * policy text; a refactor that moves, merges or renames rules yet compiles to the same packets
 * allowed is reported as unchanged (exit 0). Per destination node:
 *
 * <ol>
 *   <li>Match the node's old and new rules by content (provenance dropped). If all match, the node
 *       allows exactly the same packets: skip it (the common case, and why a diff over 10,000 nodes
 *       is fast).
 *   <li>Otherwise ask the enforcer who reaches the node under each version ({@link
 *       MatrixBuilder#column}, the {@code Reachability} query over the node's Matcher), and cut
 *       every (source, destination) cell's port line where the versions differ: pieces allowed only
 *       by NEW are gained, only by OLD lost.
 * </ol>
 *
 * A gained piece is linked to the NEW rules granting it, a lost piece to the OLD rules that granted
 * it, each classified by comparing the two policies' rules (by content, ignoring position) and
 * definitions. Pieces with the same kind, protocol, ports and causes are then folded into
 * rectangles (sources x destinations). Nodes are processed in parallel; the result does not depend
 * on the order they finish in.
 */
public final class Differ {

  private final CompiledNetwork oldNet;
  private final CompiledNetwork newNet;
  private final PolicyIndex oldIdx;
  private final PolicyIndex newIdx;
  private final List<RuleRef> oldRules;
  private final List<RuleRef> newRules;
  private final Set<String> changedDefinitions;

  public Differ(
      CompiledNetwork oldNet, PolicyIndex oldIdx, CompiledNetwork newNet, PolicyIndex newIdx) {
    if (oldNet.nodes().size() != newNet.nodes().size()) {
      throw new IllegalArgumentException("old and new must be compiled over the same inventory");
    }
    this.oldNet = oldNet;
    this.newNet = newNet;
    this.oldIdx = oldIdx;
    this.newIdx = newIdx;
    this.oldRules = oldNet.rules();
    this.newRules = newNet.rules();
    this.changedDefinitions = changedDefinitions(oldIdx, newIdx);
  }

  /** Definitions (full names) added, removed or changed between the versions. */
  static Set<String> changedDefinitions(PolicyIndex a, PolicyIndex b) {
    Set<String> out = new TreeSet<>();
    Set<String> names = new HashSet<>(a.definitions().keySet());
    names.addAll(b.definitions().keySet());
    for (String n : names) {
      PolicyIndex.Definition x = a.definitions().get(n);
      PolicyIndex.Definition y = b.definitions().get(n);
      // AST equality ignores source spans, so a moved definition is not a change.
      if (x == null || y == null || !Objects.equals(x.content(), y.content())) {
        out.add(n);
      }
    }
    if (!a.policy().defaultSrcPosture().equals(b.policy().defaultSrcPosture())) {
      out.add("defaultSrcPosture");
    }
    return out;
  }

  /** Key of a folded change: everything but the endpoints. */
  private record Key(Kind kind, int proto, String ports, String rules) {}

  private record Piece(Kind kind, int proto, int first, int last, int[] rules) {}

  public AccessDiff diff(boolean inventorySynthesized, List<String> notes) {
    return diff(inventorySynthesized, notes, Progress.NONE);
  }

  /**
   * As {@link #diff(boolean, List)}, reporting each destination node compared to {@code progress}.
   */
  public AccessDiff diff(boolean inventorySynthesized, List<String> notes, Progress progress) {
    int n = oldNet.nodes().size();
    MatrixBuilder ob = new MatrixBuilder(oldNet);
    MatrixBuilder nb = new MatrixBuilder(newNet);
    // key -> destination id -> source ids
    Map<Key, Map<String, TreeSet<String>>> folded = new HashMap<>();
    Map<Key, List<int[]>> keyPorts = new HashMap<>();
    Map<Key, int[]> keyRules = new HashMap<>();
    Map<String, Endpoint> endpoints = new HashMap<>();
    // Per destination node, in parallel: skip it when its filter holds the same rules as before
    // (the same rules admit the same packets); otherwise ask the enforcer for both versions'
    // columns and compare them cell by cell.
    java.util.concurrent.atomic.AtomicLong done = new java.util.concurrent.atomic.AtomicLong();
    List<NodeResult> results =
        java.util.stream.IntStream.range(0, n)
            .parallel()
            .mapToObj(
                d -> {
                  NodeResult r = compareNode(d, ob, nb);
                  progress.step("diff", done.incrementAndGet(), n);
                  return r;
                })
            .toList();
    int changedNodes = 0;
    for (NodeResult r : results) {
      if (r == null) {
        continue;
      }
      changedNodes++;
      endpoints.putAll(r.endpoints());
      for (Found f : r.found()) {
        keyPorts.putIfAbsent(f.key(), f.ports());
        keyRules.putIfAbsent(f.key(), f.rules());
        folded
            .computeIfAbsent(f.key(), k -> new HashMap<>())
            .computeIfAbsent(f.dst(), k -> new TreeSet<>())
            .add(f.src());
      }
    }
    List<Change> changes = new ArrayList<>();
    for (Map.Entry<Key, Map<String, TreeSet<String>>> e : folded.entrySet()) {
      Key key = e.getKey();
      List<Cause> causes = causes(key.kind(), keyRules.get(key));
      // Destinations with identical source sets become one rectangle.
      Map<TreeSet<String>, List<String>> bySources = new LinkedHashMap<>();
      new TreeMap<>(e.getValue())
          .forEach((dst, srcs) -> bySources.computeIfAbsent(srcs, k -> new ArrayList<>()).add(dst));
      bySources.forEach(
          (srcs, dsts) ->
              changes.add(
                  new Change(
                      key.kind(),
                      List.of(new AccessDiff.Access(key.proto(), keyPorts.get(key))),
                      causes,
                      sortedEndpoints(srcs, endpoints),
                      sortedEndpoints(dsts, endpoints),
                      List.of(),
                      List.of())));
    }
    // Protocols that changed together (same endpoints, same causes) become one change:
    // "tcp/udp 443 + icmp" rather than three.
    Map<String, Change> merged = new LinkedHashMap<>();
    changes.sort(CHANGE_ORDER);
    for (Change c : changes) {
      String k = c.kind() + "|" + c.causes() + "|" + ids(c.sources()) + "|" + ids(c.destinations());
      Change prev = merged.get(k);
      if (prev == null) {
        merged.put(k, c);
      } else {
        List<AccessDiff.Access> access = new ArrayList<>(prev.access());
        access.addAll(c.access());
        merged.put(
            k,
            new Change(
                c.kind(), access, c.causes(), c.sources(), c.destinations(), List.of(), List.of()));
      }
    }
    changes.clear();
    Principals principals = new Principals(newNet.nodes(), newNet::groupsOf);
    for (Change c : merged.values()) {
      Set<String> named = namesUsedBy(c.causes());
      changes.add(
          new Change(
              c.kind(),
              c.access(),
              c.causes(),
              c.sources(),
              c.destinations(),
              principals.describe(c.sources(), named),
              principals.describe(c.destinations(), named)));
    }
    return new AccessDiff(
        oldNet.policyName(),
        newNet.policyName(),
        inventorySynthesized,
        n,
        changedNodes,
        changes,
        notes);
  }

  private record Found(Key key, List<int[]> ports, int[] rules, String dst, String src) {}

  private record NodeResult(List<Found> found, Map<String, Endpoint> endpoints) {}

  /** What changed at destination node {@code d}: null when nothing did. */
  private NodeResult compareNode(int d, MatrixBuilder ob, MatrixBuilder nb) {
    if (sameRules(oldNet.filter(d).rules(), newNet.filter(d).rules())) {
      return null;
    }
    Map<String, MatrixBuilder.Target> oc = new TreeMap<>();
    Map<String, MatrixBuilder.Target> nc = new TreeMap<>();
    ob.column(d).forEach(t -> oc.put(t.destination().id(), t));
    nb.column(d).forEach(t -> nc.put(t.destination().id(), t));
    Set<String> dsts = new TreeSet<>(oc.keySet());
    dsts.addAll(nc.keySet());
    List<Found> found = new ArrayList<>();
    Map<String, Endpoint> eps = new HashMap<>();
    // Cells are shared within a column (one per source class), so equal pairs are compared once.
    Map<List<Object>, List<Piece>> deltas = new HashMap<>();
    List<InventoryNode> nodes = newNet.nodes();
    for (String dst : dsts) {
      MatrixBuilder.Target o = oc.get(dst);
      MatrixBuilder.Target nw = nc.get(dst);
      Endpoint dstEndpoint = nw != null ? nw.destination() : o.destination();
      TreeSet<Integer> srcNodes = new TreeSet<>();
      Map<String, Endpoint> externals = new TreeMap<>();
      for (MatrixBuilder.Target t : new MatrixBuilder.Target[] {o, nw}) {
        if (t != null) {
          for (int s : t.sourceNodes()) {
            srcNodes.add(s);
          }
          t.externals().forEach(x -> externals.put(x.id(), x));
        }
      }
      List<Object[]> pairs = new ArrayList<>(); // {source endpoint, old cell, new cell}
      for (int s : srcNodes) {
        pairs.add(
            new Object[] {
              null, s, o == null ? null : o.fromNode(s), nw == null ? null : nw.fromNode(s)
            });
      }
      externals.forEach(
          (id, x) ->
              pairs.add(
                  new Object[] {
                    x,
                    -1,
                    o == null ? null : o.fromExternal(id),
                    nw == null ? null : nw.fromExternal(id)
                  }));
      for (Object[] p : pairs) {
        Cell a = (Cell) p[2];
        Cell b = (Cell) p[3];
        List<Piece> delta =
            deltas.computeIfAbsent(
                java.util.Arrays.asList(new Identity(a), new Identity(b)),
                k -> delta(a == null ? EMPTY : a, b == null ? EMPTY : b));
        if (delta.isEmpty()) {
          continue;
        }
        Endpoint src =
            p[0] != null
                ? (Endpoint) p[0]
                : MatrixBuilder.nodeEndpoint(nodes.get((int) p[1]), newNet::groupsOf);
        // Group this cell's pieces by (kind, proto, rules) so ports read "22,443".
        Map<String, List<Piece>> byShape = new LinkedHashMap<>();
        for (Piece x : delta) {
          byShape
              .computeIfAbsent(
                  x.kind() + "|" + x.proto() + "|" + Arrays.toString(x.rules()),
                  k -> new ArrayList<>())
              .add(x);
        }
        for (List<Piece> same : byShape.values()) {
          Piece f = same.getFirst();
          List<int[]> ports = same.stream().map(x -> new int[] {x.first(), x.last()}).toList();
          found.add(
              new Found(
                  new Key(f.kind(), f.proto(), portsKey(ports), Arrays.toString(f.rules())),
                  ports,
                  f.rules(),
                  dst,
                  src.id()));
        }
        eps.putIfAbsent(src.id(), src);
        eps.putIfAbsent(dst, dstEndpoint);
      }
    }
    return found.isEmpty() ? null : new NodeResult(found, eps);
  }

  private static final Cell EMPTY = new Cell(1, List.of());

  /** An object compared by identity (null allowed). */
  private record Identity(Object o) {
    @Override
    public boolean equals(Object x) {
      return x instanceof Identity i && i.o == o;
    }

    @Override
    public int hashCode() {
      return System.identityHashCode(o);
    }
  }

  /** The names (groups, tags, users, autogroups...) the rules behind a change use. */
  private Set<String> namesUsedBy(List<Cause> causes) {
    Set<String> out = new HashSet<>();
    for (Cause k : causes) {
      for (PolicyIndex.RuleInfo r : (k.inNew() ? newIdx : oldIdx).rules()) {
        if (r.origin().equals(k.rule())) {
          out.addAll(r.references());
        }
      }
    }
    return out;
  }

  private static final Comparator<Change> CHANGE_ORDER =
      Comparator.comparing(Change::kind)
          .thenComparing(c -> c.sources().getFirst(), Principals.DEVICE_ORDER)
          .thenComparing(c -> c.destinations().getFirst(), Principals.DEVICE_ORDER)
          .thenComparingInt(
              c ->
                  dev.tessera.compiler.matrix.Protocols.displayRank(
                      c.access().getFirst().protocol()))
          .thenComparingInt(c -> c.access().getFirst().ports().getFirst()[0])
          .thenComparing(c -> c.causes().isEmpty() ? "" : c.causes().getFirst().rule().location());

  private static String ids(List<Endpoint> es) {
    StringBuilder b = new StringBuilder();
    es.forEach(e -> b.append(e.id()).append('\n'));
    return b.toString();
  }

  private static List<Endpoint> sortedEndpoints(
      Iterable<String> ids, Map<String, Endpoint> endpoints) {
    List<Endpoint> l = new ArrayList<>();
    ids.forEach(id -> l.add(endpoints.get(id)));
    l.sort(Principals.DEVICE_ORDER);
    return l;
  }

  private static String portsKey(List<int[]> ports) {
    StringBuilder b = new StringBuilder();
    for (int[] p : ports) {
      b.append(p[0]).append('-').append(p[1]).append(',');
    }
    return b.toString();
  }

  /**
   * Whether two filters hold the same rules as multisets, provenance aside: then they admit the
   * same packets and the node can be skipped. Source lists are large (hundreds of prefixes) and the
   * compiler shares one list between every node a rule reaches, so their hashes are computed once
   * per list object and cached by identity.
   */
  boolean sameRules(List<FilterRule> a, List<FilterRule> b) {
    if (a.size() != b.size()) {
      return false;
    }
    Map<RuleKey, Integer> left = new HashMap<>();
    for (FilterRule r : a) {
      left.merge(key(r), 1, Integer::sum);
    }
    for (FilterRule r : b) {
      Integer c = left.get(key(r));
      if (c == null) {
        return false;
      }
      if (c == 1) {
        left.remove(key(r));
      } else {
        left.put(key(r), c - 1);
      }
    }
    return left.isEmpty();
  }

  private final Map<List<?>, Integer> listHashes =
      java.util.Collections.synchronizedMap(new java.util.IdentityHashMap<>());

  private RuleKey key(FilterRule r) {
    int h = listHashes.computeIfAbsent(r.sources(), List::hashCode);
    h = 31 * h + r.effectiveProtocols().hashCode();
    h = 31 * h + r.destinations().hashCode();
    return new RuleKey(h, r);
  }

  /** A rule without its origin, with a precomputed hash. */
  private record RuleKey(int hash, FilterRule rule) {
    @Override
    public boolean equals(Object o) {
      return o instanceof RuleKey k
          && k.hash == hash
          && k.rule.effectiveProtocols().equals(rule.effectiveProtocols())
          && k.rule.destinations().equals(rule.destinations())
          && (k.rule.sources() == rule.sources() || k.rule.sources().equals(rule.sources()));
    }

    @Override
    public int hashCode() {
      return hash;
    }
  }

  /** Pieces of the port line allowed by exactly one of the two cells. */
  private static List<Piece> delta(Cell oldCell, Cell newCell) {
    List<Piece> out = new ArrayList<>();
    Map<Integer, List<Segment>> o = new TreeMap<>();
    Map<Integer, List<Segment>> nw = new TreeMap<>();
    oldCell.protocols().forEach(p -> o.put(p.proto(), p.segments()));
    newCell.protocols().forEach(p -> nw.put(p.proto(), p.segments()));
    Set<Integer> protos = new TreeSet<>(o.keySet());
    protos.addAll(nw.keySet());
    for (int proto : protos) {
      List<Segment> a = o.getOrDefault(proto, List.of());
      List<Segment> b = nw.getOrDefault(proto, List.of());
      subtract(b, a, Kind.GAINED, proto, out);
      subtract(a, b, Kind.LOST, proto, out);
    }
    return out;
  }

  /** Appends the parts of {@code from} not covered by {@code minus}, with from's rules. */
  private static void subtract(
      List<Segment> from, List<Segment> minus, Kind kind, int proto, List<Piece> out) {
    int j = 0;
    for (Segment s : from) {
      int cur = s.first();
      while (cur <= s.last()) {
        while (j < minus.size() && minus.get(j).last() < cur) {
          j++;
        }
        if (j >= minus.size() || minus.get(j).first() > s.last()) {
          add(out, new Piece(kind, proto, cur, s.last(), s.rules()));
          break;
        }
        Segment m = minus.get(j);
        if (m.first() > cur) {
          add(out, new Piece(kind, proto, cur, m.first() - 1, s.rules()));
        }
        cur = m.last() + 1;
      }
    }
  }

  private static void add(List<Piece> out, Piece p) {
    if (!out.isEmpty()) {
      Piece prev = out.getLast();
      if (prev.kind() == p.kind()
          && prev.proto() == p.proto()
          && prev.last() + 1 == p.first()
          && Arrays.equals(prev.rules(), p.rules())) {
        out.set(out.size() - 1, new Piece(p.kind(), p.proto(), prev.first(), p.last(), p.rules()));
        return;
      }
    }
    out.add(p);
  }

  /** Why a piece changed: classify the rules that grant (NEW) or granted (OLD) it. */
  private List<Cause> causes(Kind kind, int[] rules) {
    boolean inNew = kind == Kind.GAINED;
    List<RuleRef> mine = inNew ? newRules : oldRules;
    List<RuleRef> other = inNew ? oldRules : newRules;
    PolicyIndex myIdx = inNew ? newIdx : oldIdx;
    Map<String, RuleRef> otherByContent = new HashMap<>();
    other.forEach(r -> otherByContent.putIfAbsent(r.fingerprint(), r));
    Set<String> mineContent = new HashSet<>();
    mine.forEach(r -> mineContent.add(r.fingerprint()));
    List<Cause> out = new ArrayList<>();
    for (int r : rules) {
      RuleRef rule = mine.get(r);
      if (otherByContent.containsKey(rule.fingerprint())) {
        Set<String> refs = r < myIdx.rules().size() ? myIdx.rules().get(r).references() : Set.of();
        List<String> defs = refs.stream().filter(changedDefinitions::contains).sorted().toList();
        if (defs.isEmpty() && changedDefinitions.contains("defaultSrcPosture")) {
          defs = List.of("defaultSrcPosture");
        }
        out.add(
            new Cause(
                inNew,
                rule,
                defs.isEmpty() ? Status.UNCHANGED : Status.DEFINITION_CHANGED,
                otherByContent.get(rule.fingerprint()),
                defs));
        continue;
      }
      // Same section and index, content absent from the other side: an edit of that rule.
      RuleRef counterpart =
          other.stream()
              .filter(
                  x ->
                      x.section().equals(rule.section())
                          && x.index() == rule.index()
                          && !mineContent.contains(x.fingerprint()))
              .findFirst()
              .orElse(null);
      out.add(
          new Cause(
              inNew,
              rule,
              counterpart != null ? Status.MODIFIED : inNew ? Status.ADDED : Status.REMOVED,
              counterpart,
              List.of()));
    }
    return out;
  }
}
