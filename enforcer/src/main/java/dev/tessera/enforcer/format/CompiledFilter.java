package dev.tessera.enforcer.format;

import dev.tessera.net.IpPrefix;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.TreeSet;

/**
 * Everything one node enforces: its own addresses, its inbound rules, its peers and the capability
 * grants that name it. Built by the compiler, encoded by {@link FilterCodec} (binary, hashed) and
 * {@link FilterJson} (the readable view), loaded by the agent, matched by {@code
 * dev.tessera.enforcer.Matcher}.
 *
 * <p>The index of a rule in {@link #rules()} is what {@code Matcher} reports; the codec stores the
 * {@link #canonical()} form, whose rule order is by origin, so across processes identify rules by
 * {@link RuleOrigin}, not by index.
 *
 * <p>Every list is copied ({@code List.copyOf}, which keeps an unmodifiable {@code List.of} list as
 * it is) except a {@link PeerList} of peers, which is immutable and kept as it is.
 */
public record CompiledFilter(
    int formatVersion,
    String node,
    List<IpPrefix> nodeAddresses,
    List<FilterRule> rules,
    List<Peer> peers,
    List<CapGrant> capGrants) {

  /** The only format version this build reads and writes. */
  public static final int FORMAT_VERSION = 1;

  public CompiledFilter {
    if (formatVersion != FORMAT_VERSION) {
      throw new IllegalArgumentException(
          "unsupported compiled-filter format version "
              + formatVersion
              + " (this build supports "
              + FORMAT_VERSION
              + ")");
    }
    Objects.requireNonNull(node, "node");
    nodeAddresses = List.copyOf(nodeAddresses);
    rules = List.copyOf(rules);
    peers = peers instanceof PeerList p ? p : List.copyOf(peers); // a PeerList is kept as it is
    capGrants = List.copyOf(capGrants);
  }

  /** A filter in the current format version. */
  public static CompiledFilter of(
      String node,
      List<IpPrefix> nodeAddresses,
      List<FilterRule> rules,
      List<Peer> peers,
      List<CapGrant> capGrants) {
    return new CompiledFilter(FORMAT_VERSION, node, nodeAddresses, rules, peers, capGrants);
  }

  /** A filter that denies every new inbound flow (replies to this node's own flows still pass). */
  public static CompiledFilter denyAll(String node) {
    return of(node, List.of(), List.of(), List.of(), List.of());
  }

  /**
   * The canonical form: prefix, protocol and destination lists sorted and de-duplicated; rules
   * sorted by origin then content; peers by name; cap grants by origin then content. Two filters
   * that allow the same packets through the same rules are not necessarily canonically equal
   * (merging adjacent prefixes is the compiler's normalization), but the canonical form is
   * independent of list order, which is what the content hash needs.
   */
  public CompiledFilter canonical() {
    if (isCanonical()) {
      return this; // immutable record: the canonical form of a canonical filter is itself
    }
    List<FilterRule> rs = new ArrayList<>();
    for (FilterRule r : rules) {
      rs.add(
          new FilterRule(
              sortedPrefixes(r.sources()),
              List.copyOf(new TreeSet<>(r.protocols())),
              List.copyOf(new TreeSet<>(r.destinations())),
              r.origin()));
    }
    rs.sort(RULE_ORDER);
    List<Peer> ps = new ArrayList<>();
    for (Peer p : peers) {
      ps.add(
          new Peer(
              p.name(), p.publicKey(), sortedPrefixes(p.addresses()), sortedPrefixes(p.routes())));
    }
    ps.sort(PEER_ORDER);
    List<CapGrant> cs = new ArrayList<>();
    for (CapGrant c : capGrants) {
      cs.add(
          new CapGrant(
              sortedPrefixes(c.sources()),
              sortedPrefixes(c.destinations()),
              c.capability(),
              c.values(),
              c.origin()));
    }
    cs.sort(CAP_ORDER);
    return new CompiledFilter(formatVersion, node, sortedPrefixes(nodeAddresses), rs, ps, cs);
  }

  /**
   * One linear pass: true iff {@link #canonical()} would return an equal filter. Each list that
   * canonical() turns into a TreeSet must be strictly increasing (sorted, no duplicates); each list
   * it sorts must be non-decreasing (List.sort is stable, so such a list is left as is). The rule
   * and cap-grant comparisons are made on the elements as given, which is what canonical() compares
   * once every element's own lists are canonical (checked first).
   */
  boolean isCanonical() {
    if (!strictlyIncreasing(nodeAddresses)) {
      return false;
    }
    FilterRule prevRule = null;
    for (FilterRule r : rules) {
      if (!strictlyIncreasing(r.sources())
          || !strictlyIncreasing(r.protocols())
          || !strictlyIncreasing(r.destinations())) {
        return false;
      }
      if (prevRule != null && RULE_ORDER.compare(prevRule, r) > 0) {
        return false;
      }
      prevRule = r;
    }
    Peer prevPeer = null;
    for (Peer p : peers) {
      if (!strictlyIncreasing(p.addresses()) || !strictlyIncreasing(p.routes())) {
        return false;
      }
      if (prevPeer != null && PEER_ORDER.compare(prevPeer, p) > 0) {
        return false;
      }
      prevPeer = p;
    }
    CapGrant prevCap = null;
    for (CapGrant c : capGrants) {
      if (!strictlyIncreasing(c.sources()) || !strictlyIncreasing(c.destinations())) {
        return false;
      }
      if (prevCap != null && CAP_ORDER.compare(prevCap, c) > 0) {
        return false;
      }
      prevCap = c;
    }
    return true;
  }

  /**
   * Sorted and duplicate-free under the natural order: exactly when a TreeSet copy is the same
   * list.
   */
  private static <T extends Comparable<T>> boolean strictlyIncreasing(List<T> xs) {
    int n = xs.size();
    if (n < 2) {
      return true;
    }
    T prev = xs.get(0);
    for (int i = 1; i < n; i++) {
      T x = xs.get(i);
      if (prev.compareTo(x) >= 0) {
        return false;
      }
      prev = x;
    }
    return true;
  }

  private static List<IpPrefix> sortedPrefixes(List<IpPrefix> ps) {
    return List.copyOf(new TreeSet<>(ps));
  }

  private static <T extends Comparable<T>> int compareLists(List<T> a, List<T> b) {
    if (a == b) {
      return 0;
    }
    int n = Math.min(a.size(), b.size());
    for (int i = 0; i < n; i++) {
      int c = a.get(i).compareTo(b.get(i));
      if (c != 0) {
        return c;
      }
    }
    return Integer.compare(a.size(), b.size());
  }

  /**
   * The canonical rule order: by origin, then sources, protocols and destinations (each list
   * lexicographically).
   */
  public static final Comparator<FilterRule> RULE_ORDER =
      Comparator.comparing(FilterRule::origin)
          .thenComparing(FilterRule::sources, CompiledFilter::compareLists)
          .thenComparing(FilterRule::protocols, CompiledFilter::compareLists)
          .thenComparing(FilterRule::destinations, CompiledFilter::compareLists);

  /** The canonical peer order: by name, then public key. */
  public static final Comparator<Peer> PEER_ORDER =
      Comparator.comparing(Peer::name)
          .thenComparing(p -> p.publicKey() == null ? "" : p.publicKey());

  /**
   * The canonical cap-grant order: by origin, capability, then sources, destinations and values.
   */
  public static final Comparator<CapGrant> CAP_ORDER =
      Comparator.comparing(CapGrant::origin)
          .thenComparing(CapGrant::capability)
          .thenComparing(CapGrant::sources, CompiledFilter::compareLists)
          .thenComparing(CapGrant::destinations, CompiledFilter::compareLists)
          .thenComparing(CapGrant::values, CompiledFilter::compareLists);
}
