package dev.tessera.enforcer.format;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.net.IpPrefix;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * {@link CompiledFilter#canonical()} skips the re-sort when {@code isCanonical()} says the filter
 * already is canonical. Differential test against a reference that always rebuilds (the documented
 * rule: TreeSet for every prefix/protocol/destination list, stable sorts of rules, peers and cap
 * grants), over random filters and near-canonical mutations of them (one swap of neighbours, one
 * duplicate, in every kind of list): the fast path must never accept a filter the reference would
 * change, and the encoding must not depend on which path was taken.
 */
class CanonicalFastPathTest {

  @Test
  void fastPathAgreesWithAlwaysRebuildingReference() {
    long seed = Long.getLong("tessera.seed", System.nanoTime());
    Random r = new Random(seed);
    int fastPaths = 0;
    int slowPaths = 0;
    for (int i = 0; i < 1500; i++) {
      CompiledFilter c = RandomFilters.filter(r).canonical();
      List<CompiledFilter> cases = new ArrayList<>(List.of(c));
      for (int k = 0; k < 6; k++) {
        cases.add(mutate(c, r));
      }
      for (CompiledFilter g : cases) {
        CompiledFilter ref = reference(g);
        boolean canonical = g.isCanonical();
        assertThat(canonical).as("seed %d: isCanonical of %s", seed, g).isEqualTo(g.equals(ref));
        assertThat(g.canonical()).as("seed %d", seed).isEqualTo(ref);
        assertThat(FilterCodec.encode(g)).as("seed %d", seed).isEqualTo(FilterCodec.encode(ref));
        if (canonical) {
          assertThat(g.canonical()).isSameAs(g);
          fastPaths++;
        } else {
          slowPaths++;
        }
      }
    }
    assertThat(fastPaths).isGreaterThan(1500);
    assertThat(slowPaths).isGreaterThan(1500);
  }

  @Test
  void peersWithEqualNamesKeepTheirOrderEitherWay() {
    Peer a = new Peer("p", null, List.of(IpPrefix.parse("10.0.0.2/32")), List.of());
    Peer b = new Peer("p", null, List.of(IpPrefix.parse("10.0.0.1/32")), List.of());
    for (List<Peer> ps : List.of(List.of(a, b), List.of(b, a))) {
      CompiledFilter f = CompiledFilter.of("n", List.of(), List.of(), ps, List.of());
      assertThat(f.isCanonical()).isTrue();
      assertThat(f.canonical()).isSameAs(f).isEqualTo(reference(f));
    }
  }

  /** One neighbour swap or one duplicated element in a randomly chosen list of {@code c}. */
  private static CompiledFilter mutate(CompiledFilter c, Random r) {
    UnaryOperator<List<IpPrefix>> p = l -> change(l, r);
    return switch (r.nextInt(8)) {
      case 0 ->
          CompiledFilter.of(
              c.node(), p.apply(c.nodeAddresses()), c.rules(), c.peers(), c.capGrants());
      case 1 ->
          CompiledFilter.of(
              c.node(), c.nodeAddresses(), change(c.rules(), r), c.peers(), c.capGrants());
      case 2 ->
          CompiledFilter.of(
              c.node(), c.nodeAddresses(), c.rules(), change(c.peers(), r), c.capGrants());
      case 3 ->
          CompiledFilter.of(
              c.node(), c.nodeAddresses(), c.rules(), c.peers(), change(c.capGrants(), r));
      case 4, 5 ->
          CompiledFilter.of(
              c.node(),
              c.nodeAddresses(),
              onOne(
                  c.rules(),
                  r,
                  x ->
                      switch (r.nextInt(3)) {
                        case 0 ->
                            new FilterRule(
                                change(x.sources(), r),
                                x.protocols(),
                                x.destinations(),
                                x.origin());
                        case 1 ->
                            new FilterRule(
                                x.sources(),
                                change(x.protocols(), r),
                                x.destinations(),
                                x.origin());
                        default ->
                            new FilterRule(
                                x.sources(),
                                x.protocols(),
                                change(x.destinations(), r),
                                x.origin());
                      }),
              c.peers(),
              c.capGrants());
      case 6 ->
          CompiledFilter.of(
              c.node(),
              c.nodeAddresses(),
              c.rules(),
              onOne(
                  c.peers(),
                  r,
                  x ->
                      new Peer(
                          x.name(), x.publicKey(), p.apply(x.addresses()), p.apply(x.routes()))),
              c.capGrants());
      default ->
          CompiledFilter.of(
              c.node(),
              c.nodeAddresses(),
              c.rules(),
              c.peers(),
              onOne(
                  c.capGrants(),
                  r,
                  x ->
                      new CapGrant(
                          p.apply(x.sources()),
                          p.apply(x.destinations()),
                          x.capability(),
                          x.values(),
                          x.origin())));
    };
  }

  private static <T> List<T> change(List<T> l, Random r) {
    List<T> out = new ArrayList<>(l);
    if (out.isEmpty()) {
      return out;
    }
    int i = r.nextInt(out.size());
    if (out.size() > 1 && r.nextBoolean()) {
      int j = i == out.size() - 1 ? i - 1 : i + 1;
      T t = out.get(i);
      out.set(i, out.get(j));
      out.set(j, t);
    } else {
      out.add(i, out.get(i));
    }
    return out;
  }

  private static <T> List<T> onOne(List<T> l, Random r, UnaryOperator<T> f) {
    List<T> out = new ArrayList<>(l);
    if (!out.isEmpty()) {
      int i = r.nextInt(out.size());
      out.set(i, f.apply(out.get(i)));
    }
    return out;
  }

  // ---- reference: always rebuild, as documented on canonical()

  private static CompiledFilter reference(CompiledFilter f) {
    List<FilterRule> rs = new ArrayList<>();
    for (FilterRule x : f.rules()) {
      rs.add(
          new FilterRule(set(x.sources()), set(x.protocols()), set(x.destinations()), x.origin()));
    }
    rs.sort(
        Comparator.comparing(FilterRule::origin)
            .thenComparing(FilterRule::sources, CanonicalFastPathTest::cmp)
            .thenComparing(FilterRule::protocols, CanonicalFastPathTest::cmp)
            .thenComparing(FilterRule::destinations, CanonicalFastPathTest::cmp));
    List<Peer> ps = new ArrayList<>();
    for (Peer x : f.peers()) {
      ps.add(new Peer(x.name(), x.publicKey(), set(x.addresses()), set(x.routes())));
    }
    ps.sort(
        Comparator.comparing(Peer::name)
            .thenComparing(x -> x.publicKey() == null ? "" : x.publicKey()));
    List<CapGrant> cs = new ArrayList<>();
    for (CapGrant x : f.capGrants()) {
      cs.add(
          new CapGrant(
              set(x.sources()), set(x.destinations()), x.capability(), x.values(), x.origin()));
    }
    cs.sort(
        Comparator.comparing(CapGrant::origin)
            .thenComparing(CapGrant::capability)
            .thenComparing(CapGrant::sources, CanonicalFastPathTest::cmp)
            .thenComparing(CapGrant::destinations, CanonicalFastPathTest::cmp)
            .thenComparing(CapGrant::values, CanonicalFastPathTest::cmp));
    return CompiledFilter.of(f.node(), set(f.nodeAddresses()), rs, ps, cs);
  }

  private static <T extends Comparable<T>> List<T> set(List<T> l) {
    return List.copyOf(new TreeSet<>(l));
  }

  private static <T extends Comparable<T>> int cmp(List<T> a, List<T> b) {
    for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
      int c = a.get(i).compareTo(b.get(i));
      if (c != 0) {
        return c;
      }
    }
    return Integer.compare(a.size(), b.size());
  }
}
