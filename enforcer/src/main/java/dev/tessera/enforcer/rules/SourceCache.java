package dev.tessera.enforcer.rules;

import dev.tessera.enforcer.format.DstPorts;
import dev.tessera.enforcer.format.FilterRule;
import dev.tessera.net.IpPrefix;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Source sides of rule tables, shared between the tables of many filters.
 *
 * <p>Why: {@code policyc test} builds a Matcher for every destination device an assertion touches,
 * and on a large tailnet most of each build is the source side (thousands of source prefixes swept
 * into intervals and rows). The compiler hands out one source list object per distinct source set,
 * so the servers behind one tag have filters whose rules carry the very same source lists and
 * differ only in their own addresses: on the 10k-node synthetic tailnet, 10,000 filters have 2,167
 * distinct source signatures.
 *
 * <p>The key is each rule's source list <em>by identity</em> (immutable lists: the same object is
 * the same content; equal content in another object is a miss, never a wrong hit) and which address
 * families the rule has destinations in, which together fix the local rule numbering and every
 * source interval and row. Thread-safe; it keeps what it holds for its own lifetime, so give it the
 * lifetime of one run (one compilation's Matchers).
 *
 * <p>It also keeps each source list's events ({@link SourceEvents}, by list identity), so that a
 * source side it does not hold yet is built without walking the prefix records of lists it has
 * seen: the 2,167 source sides above are made of a few hundred distinct lists.
 */
public final class SourceCache {
  private final Map<Key, RuleTable.Sources[]> map = new ConcurrentHashMap<>();
  private final Map<Identity, SourceEvents> events = new ConcurrentHashMap<>();

  /** A source list's events, read once per list object (see {@link SourceEvents}). */
  SourceEvents events(List<IpPrefix> sources) {
    Identity k = new Identity(sources);
    SourceEvents e = events.get(k);
    if (e == null) {
      e = SourceEvents.of(sources);
      SourceEvents raced = events.putIfAbsent(k, e);
      if (raced != null) {
        e = raced;
      }
    }
    return e;
  }

  /** A list compared by identity: immutable lists, the same object is the same content. */
  private record Identity(Object list) {
    @Override
    public boolean equals(Object o) {
      return o instanceof Identity i && i.list == list;
    }

    @Override
    public int hashCode() {
      return System.identityHashCode(list);
    }
  }

  RuleTable.Sources[] get(Key key) {
    return map.get(key);
  }

  void put(Key key, RuleTable.Sources[] sources) {
    map.putIfAbsent(key, sources);
  }

  /** How many distinct source sides it holds. */
  public int size() {
    return map.size();
  }

  /** Per rule: its source list (compared by identity) and its destination families. */
  static final class Key {
    private final Object[] sources;
    private final byte[] families; // bit 0: an IPv4 destination, bit 1: an IPv6 destination
    private final int hash;

    private Key(Object[] sources, byte[] families) {
      this.sources = sources;
      this.families = families;
      int h = 1;
      for (int i = 0; i < sources.length; i++) {
        h = 31 * (31 * h + System.identityHashCode(sources[i])) + families[i];
      }
      this.hash = h;
    }

    static Key of(List<FilterRule> rules) {
      int n = rules.size();
      Object[] sources = new Object[n];
      for (int g = 0; g < n; g++) {
        sources[g] = rules.get(g).sources();
      }
      return new Key(sources, families(rules));
    }

    /** Per rule: bit 0 if it has an IPv4 destination, bit 1 if an IPv6 one. */
    static byte[] families(List<FilterRule> rules) {
      int n = rules.size();
      byte[] families = new byte[n];
      for (int g = 0; g < n; g++) {
        List<DstPorts> ds = rules.get(g).destinations();
        int f = 0;
        for (int i = 0, nd = ds.size(); i < nd && f != 3; i++) {
          f |= ds.get(i).prefix().ipv6() ? 2 : 1;
        }
        families[g] = (byte) f;
      }
      return families;
    }

    /** The families of each rule (not to be modified). */
    byte[] families() {
      return families;
    }

    @Override
    public boolean equals(Object o) {
      if (!(o instanceof Key k) || k.hash != hash || k.sources.length != sources.length) {
        return false;
      }
      for (int i = 0; i < sources.length; i++) {
        if (k.sources[i] != sources[i] || k.families[i] != families[i]) {
          return false;
        }
      }
      return true;
    }

    @Override
    public int hashCode() {
      return hash;
    }
  }
}
