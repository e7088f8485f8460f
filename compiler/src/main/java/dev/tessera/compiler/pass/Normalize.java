package dev.tessera.compiler.pass;

import dev.tessera.compiler.inventory.InventoryNode;
import dev.tessera.compiler.ipset.IpSet;
import dev.tessera.compiler.ipset.PortSet;
import dev.tessera.compiler.ir.ResolvedRule;
import dev.tessera.compiler.pass.Projection.CapPiece;
import dev.tessera.compiler.pass.Projection.Piece;
import dev.tessera.enforcer.format.CapGrant;
import dev.tessera.enforcer.format.CompiledFilter;
import dev.tessera.enforcer.format.DstPorts;
import dev.tessera.enforcer.format.FilterRule;
import dev.tessera.enforcer.format.Peer;
import dev.tessera.enforcer.format.PeerList;
import dev.tessera.enforcer.format.RuleOrigin;
import dev.tessera.net.IpPrefix;
import dev.tessera.policy.ast.PortRange;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Passes 5 and 6: normalize and emit. A node's pieces become FilterRules: one per (rule, protocols,
 * source set), sources as the minimal sorted CIDR list (adjacent prefixes merged, duplicates gone,
 * shared between nodes), destinations grouped by prefix with merged port ranges, protocols sorted.
 * Rules, peers and cap grants come out in the enforcer's canonical order ({@link
 * CompiledFilter#canonical()}), so the in-memory filter, its encoding and its hash agree and
 * nothing depends on the order of input entries.
 *
 * <p>{@link #build} is thread-safe and is called for many nodes at once ({@link Parallel}).
 */
public final class Normalize {
  private final NodeIndex index;
  private final List<ResolvedRule> rules;
  // Thread-safe: build() runs for many nodes at once (Parallel); cached values are pure functions
  // of their keys, so a lost race only costs a duplicate, equal object.
  private final Map<IpSet, List<IpPrefix>> prefixCache = new ConcurrentHashMap<>();
  private final AtomicReferenceArray<Peer> peerPlain;
  private final AtomicReferenceArray<Peer> peerCache;

  public Normalize(NodeIndex index, List<ResolvedRule> rules) {
    this.index = index;
    this.rules = rules;
    this.peerPlain = new AtomicReferenceArray<>(index.size());
    this.peerCache = new AtomicReferenceArray<>(index.size());
  }

  /**
   * The previous compilation's instance while an incremental update builds its filters, else null
   * (see {@link #carryOver}); dropped by {@link #detach} so compilations do not chain.
   */
  private volatile Normalize previous;

  /** Source lists are shared between nodes: one list per distinct set. */
  List<IpPrefix> prefixes(IpSet s) {
    List<IpPrefix> known = prefixCache.get(s); // a plain read first: computeIfAbsent locks the bin
    return known != null ? known : prefixCache.computeIfAbsent(s, this::prefixesOf);
  }

  private List<IpPrefix> prefixesOf(IpSet s) {
    Normalize prev = previous;
    List<IpPrefix> known = prev == null ? null : prev.prefixCache.get(s);
    return known != null ? known : s.toPrefixes();
  }

  /**
   * Incremental updates: take over {@code prev}'s shared values, so that a rebuilt filter holds the
   * very objects (peer entries, source lists) of the filter it replaces wherever they are equal,
   * and comparing the two is mostly identity checks. Exact because every value is a pure function
   * of its key: a peer entry of node {@code i} (new id) is taken from old id {@code toOld[i]} only
   * when the caller found its name, key and addresses unchanged ({@code entryChanged} clear; routes
   * are compared at use, as before); a source list is looked up by its set. Call before any {@link
   * #build}, on one thread; call {@link #detach} after the last.
   */
  public void carryOver(Normalize prev, int[] toOld, BitSet entryChanged) {
    for (int i = 0; i < toOld.length; i++) {
      int o = toOld[i];
      if (o >= 0 && !entryChanged.get(i)) {
        // Plain accesses: single-threaded here, and the parallel builds that follow are ordered
        // after this by the fork-join submission (as prev's writes were by its own join).
        peerPlain.setPlain(i, prev.peerPlain.getPlain(o));
        peerCache.setPlain(i, prev.peerCache.getPlain(o));
      }
    }
    previous = prev;
  }

  /** Ends {@link #carryOver}: the previous instance is no longer referenced. */
  public void detach() {
    previous = null;
  }

  private record GroupKey(int rule, List<Integer> protocols, IpSet sources) {}

  /** Node {@code node}'s filter, built from the projection. */
  public CompiledFilter build(int node, Projection proj) {
    return build(node, proj, null, null, null);
  }

  /**
   * A peer list to build as {@code base} (a previous canonical list) without the entries named in
   * {@code drop}, plus entries for the node ids {@code add}: for incremental updates, where the
   * caller established that every other entry of {@code base} is what a fresh build would make.
   */
  public record PeerPatch(List<Peer> base, java.util.Set<String> drop, int[] add) {}

  /**
   * A rebuilt node's previous filter rules and the pieces they were built from, for incremental
   * updates: the rules of every policy rule whose pieces are the very same objects as before are
   * taken over, and only the others are grouped and built again ({@link #patchedRules}).
   */
  public record RuleBase(List<FilterRule> rules, List<Piece> pieces) {}

  /**
   * At most this many policy rules rebuilt by a {@link RuleBase} patch; beyond, the node is built
   * afresh.
   */
  private static final int MAX_PATCHED_RULES = 16;

  /**
   * {@link #build(int, Projection)} for incremental updates, each argument optional (null): {@code
   * peers} is the node's peer list as it is, the previous filter's list when the caller established
   * that every input of the peer list (peer set, peers' entries, accepted routes) is unchanged (a
   * canonical, sorted, immutable list, as built here); else {@code patch} patches one from the
   * previous list; {@code base} lets the filter rules be patched (see {@link RuleBase}).
   */
  public CompiledFilter build(
      int node, Projection proj, List<Peer> peers, PeerPatch patch, RuleBase base) {
    List<Piece> pieces = proj.pieces().get(node);
    List<FilterRule> ruleList = base == null ? null : patchedRules(pieces, base);
    if (ruleList == null) {
      List<FilterRule> out = filterRules(pieces);
      out.sort(RULE_ORDER);
      ruleList = List.copyOf(out);
    }

    if (peers == null && patch != null) {
      peers = patched(patch, proj.peerRoutes().get(node));
    } else if (peers == null) {
      BitSet ps = proj.peers().get(node);
      List<IpPrefix>[] routes = proj.peerRoutes().get(node);
      // Peers are most of the output (thousands per node in dense tailnets): filled into an exact
      // array in name order, copied once into the format's PeerList, which CompiledFilter keeps.
      Peer[] peerArray = new Peer[ps.cardinality()];
      int[] ids = index.nameOrdered() ? null : ps.stream().toArray();
      if (ids != null) {
        // Ids kept stable across updates are not name order (NodeIndex): sort into it.
        index.sortByName(ids);
        for (int k = 0; k < ids.length; k++) {
          int slot = index.routerSlot(ids[k]);
          peerArray[k] = peer(ids[k], slot < 0 ? List.of() : routes[slot]);
        }
      } else {
        // Ids are name order here, so bit order is the canonical peer order.
        int k = 0;
        for (int p = ps.nextSetBit(0); p >= 0; p = ps.nextSetBit(p + 1), k++) {
          int slot = index.routerSlot(p);
          peerArray[k] = peer(p, slot < 0 ? List.of() : routes[slot]);
        }
      }
      peers = PeerList.ofSorted(peerArray);
    }

    List<CapGrant> caps = new ArrayList<>();
    for (CapPiece c : proj.caps().get(node)) {
      caps.add(
          new CapGrant(
              prefixes(c.sources()),
              c.dsts().stream().sorted().distinct().toList(),
              c.capability(),
              c.values(),
              rules.get(c.rule()).origin()));
    }
    caps.sort(CAP_ORDER);
    InventoryNode self = index.node(node);
    return CompiledFilter.of(
        self.name(), index.addressPrefixes(node), ruleList, peers, List.copyOf(caps));
  }

  /** The filter rules of {@code pieces}, one per (rule, protocols, source set), unsorted. */
  private List<FilterRule> filterRules(List<Piece> pieces) {
    Map<GroupKey, TreeMap<IpPrefix, PortSet>> groups = new LinkedHashMap<>();
    for (Piece p : pieces) {
      List<Integer> protos =
          p.protocols().size() <= 1
              ? p.protocols()
              : p.protocols().stream().sorted().distinct().toList();
      GroupKey k = new GroupKey(p.rule(), protos, p.sources());
      groups.computeIfAbsent(k, x -> new TreeMap<>()).merge(p.dst(), p.ports(), PortSet::union);
    }
    List<FilterRule> out = new ArrayList<>(groups.size());
    for (Map.Entry<GroupKey, TreeMap<IpPrefix, PortSet>> e : groups.entrySet()) {
      List<DstPorts> dsts = new ArrayList<>();
      for (Map.Entry<IpPrefix, PortSet> d : e.getValue().entrySet()) {
        for (PortRange r : d.getValue().ranges()) {
          dsts.add(new DstPorts(d.getKey(), r.first(), r.last()));
        }
      }
      GroupKey k = e.getKey();
      out.add(
          new FilterRule(prefixes(k.sources()), k.protocols(), dsts, rules.get(k.rule()).origin()));
    }
    return out;
  }

  /**
   * The canonical rule list for {@code now} given {@code base}, or null when it is not worth
   * patching. A filter rule comes from the pieces of one policy rule (the group key holds the
   * rule), so where a policy rule's pieces are the same objects on both sides its filter rules are
   * the same too; canonical order is by origin first, and origins differ between policy rules, so
   * those rules are dropped from the old list and the rebuilt ones merged in by that order. Both
   * piece lists must be in rule order, as the projection makes them.
   */
  private List<FilterRule> patchedRules(List<Piece> now, RuleBase base) {
    List<Piece> before = base.pieces();
    if (now == before) {
      return base.rules();
    }
    List<Piece> rebuilt = new ArrayList<>();
    List<RuleOrigin> origins = new ArrayList<>();
    int a = 0;
    int b = 0;
    int last = -1;
    while (a < now.size() || b < before.size()) {
      int r =
          Math.min(
              a < now.size() ? now.get(a).rule() : Integer.MAX_VALUE,
              b < before.size() ? before.get(b).rule() : Integer.MAX_VALUE);
      if (r <= last) {
        return null; // not in rule order
      }
      last = r;
      int a2 = a;
      while (a2 < now.size() && now.get(a2).rule() == r) {
        a2++;
      }
      int b2 = b;
      while (b2 < before.size() && before.get(b2).rule() == r) {
        b2++;
      }
      boolean same = a2 - a == b2 - b;
      for (int k = 0; same && k < a2 - a; k++) {
        same = now.get(a + k) == before.get(b + k);
      }
      if (!same) {
        if (origins.size() == MAX_PATCHED_RULES) {
          return null;
        }
        origins.add(rules.get(r).origin());
        rebuilt.addAll(now.subList(a, a2));
      }
      a = a2;
      b = b2;
    }
    if (origins.isEmpty()) {
      return base.rules();
    }
    List<FilterRule> fresh = filterRules(rebuilt);
    fresh.sort(RULE_ORDER);
    // The old rules of the rebuilt policy rules are contiguous runs (canonical order is by origin
    // first), found by binary search rather than by testing every rule's origin.
    List<FilterRule> old = base.rules();
    origins.sort(null);
    FilterRule[] kept = new FilterRule[old.size()];
    int n = 0;
    int next = 0; // first old rule not yet kept or dropped
    for (RuleOrigin o : origins) {
      int lo = firstWithOriginAtLeast(old, next, o, false);
      int hi = firstWithOriginAtLeast(old, lo, o, true);
      for (int j = next; j < lo; j++) {
        kept[n++] = old.get(j);
      }
      next = hi;
    }
    for (int j = next; j < old.size(); j++) {
      kept[n++] = old.get(j);
    }
    // Merge: each fresh rule goes where binary search puts it among the kept ones (no kept rule
    // compares equal to it: their origins differ).
    FilterRule[] out = new FilterRule[n + fresh.size()];
    int from = 0;
    int k = 0;
    for (FilterRule rule : fresh) {
      int pos = Arrays.binarySearch(kept, from, n, rule, RULE_ORDER);
      int at = pos >= 0 ? pos : -pos - 1; // (found: an equal kept rule, which its origin rules out)
      System.arraycopy(kept, from, out, k, at - from);
      k += at - from;
      from = at;
      out[k++] = rule;
    }
    System.arraycopy(kept, from, out, k, n - from);
    return List.of(out);
  }

  /**
   * The first index from {@code from} whose rule's origin is at least {@code o} (after: greater
   * than {@code o}) in {@code rules}, which are in canonical order (by origin first).
   */
  private static int firstWithOriginAtLeast(
      List<FilterRule> rules, int from, RuleOrigin o, boolean after) {
    int lo = from;
    int hi = rules.size();
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      int c = rules.get(mid).origin().compareTo(o);
      if (c < 0 || after && c == 0) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  /**
   * The patched list: a new version of the base list (shared with it but for the chunks the edits
   * touch, see {@link PeerList#with}).
   */
  private List<Peer> patched(PeerPatch patch, List<IpPrefix>[] routes) {
    List<Peer> adds = new ArrayList<>(patch.add().length);
    for (int id : patch.add()) {
      int slot = index.routerSlot(id);
      adds.add(peer(id, slot < 0 ? List.of() : routes[slot]));
    }
    return PeerList.copyOf(patch.base()).with(patch.drop(), adds);
  }

  /** Peer entries are shared: one per node for "no routes", one for its full route list. */
  private Peer peer(int p, List<IpPrefix> routes) {
    if (routes.isEmpty()) {
      Peer c = peerPlain.get(p);
      if (c == null) {
        InventoryNode n = index.node(p);
        c = new Peer(n.name(), n.key().orElse(null), index.addressPrefixes(p), List.of());
        peerPlain.set(p, c);
      }
      return c;
    }
    Peer c = peerCache.get(p);
    if (c == null || !c.routes().equals(routes)) {
      InventoryNode n = index.node(p);
      c = new Peer(n.name(), n.key().orElse(null), index.addressPrefixes(p), routes);
      peerCache.set(p, c);
    }
    return c;
  }

  /** The enforcer's canonical orders ({@link CompiledFilter#canonical()}). */
  public static final Comparator<FilterRule> RULE_ORDER = CompiledFilter.RULE_ORDER;

  private static final Comparator<CapGrant> CAP_ORDER = CompiledFilter.CAP_ORDER;
}
