package dev.tessera.enforcer.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tessera.net.IpPrefix;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link PeerList}: edits at the start, middle and end of lists and at chunk boundaries, checked
 * against a plain sorted reference (every List operation, equality and hash code with {@code
 * List.of}), a randomized differential test over chains of versions, and immutability.
 */
class PeerListTest {
  private static final int C = PeerList.CHUNK;

  /** Peer {@code i} (-1 or more): names sort as the numbers do; base lists use even numbers. */
  private static Peer peer(int i) {
    return peer(i, "k" + i);
  }

  private static Peer peer(int i, String key) {
    int a = i + 1; // numbers start at -1
    return new Peer(
        name(i),
        key,
        List.of(IpPrefix.parse("10." + (a >> 16) + "." + (a >> 8 & 255) + "." + (a & 255) + "/32")),
        List.of());
  }

  private static String name(int i) {
    return String.format("p%06d", i);
  }

  /** Peers 0, 2, ..., 2(n-1). */
  private static PeerList base(int n) {
    Peer[] peers = new Peer[n];
    for (int i = 0; i < n; i++) {
      peers[i] = peer(2 * i);
    }
    return PeerList.ofSorted(peers);
  }

  private static List<Integer> ints(int... xs) {
    return Arrays.stream(xs).boxed().toList();
  }

  static Stream<Arguments> edits() {
    int big = 3 * C + 5;
    return Stream.of(
        // name, base size, dropped numbers, put numbers, replaced numbers (put with another key)
        Arguments.of("nothing", big, ints(), ints(), ints()),
        Arguments.of("empty list, nothing", 0, ints(), ints(), ints()),
        Arguments.of("empty list, drop", 0, ints(4), ints(), ints()),
        Arguments.of("empty list, put", 0, ints(), ints(3, 1), ints()),
        Arguments.of("drop first", big, ints(0), ints(), ints()),
        Arguments.of("drop middle", big, ints(2 * (big / 2)), ints(), ints()),
        Arguments.of("drop last", big, ints(2 * (big - 1)), ints(), ints()),
        Arguments.of("drop unknown", big, ints(3, 2 * big + 10), ints(), ints()),
        Arguments.of("drop twice", big, ints(10, 10), ints(), ints()),
        Arguments.of(
            "drop all",
            big,
            IntStream.range(0, big).map(i -> 2 * i).boxed().toList(),
            ints(),
            ints()),
        Arguments.of("drop only peer", 1, ints(0), ints(), ints()),
        Arguments.of(
            "drop chunk ends", big, ints(2 * (C - 1), 2 * C, 2 * (2 * C - 1)), ints(), ints()),
        Arguments.of(
            "drop whole chunk",
            big,
            IntStream.range(C, 2 * C).map(i -> 2 * i).boxed().toList(),
            ints(),
            ints()),
        Arguments.of("put before first", big, ints(), ints(-1), ints()),
        Arguments.of("put middle", big, ints(), ints(2 * (big / 2) + 1), ints()),
        Arguments.of("put after last", big, ints(), ints(2 * big + 1), ints()),
        Arguments.of("put at chunk boundary", big, ints(), ints(2 * C - 1, 2 * C + 1), ints()),
        Arguments.of("put after full last chunk", C, ints(), ints(2 * C + 1), ints()),
        Arguments.of("put into one-peer list", 1, ints(), ints(-1, 1), ints()),
        Arguments.of(
            "replace first, middle, last", big, ints(), ints(), ints(0, 2 * C, 2 * (big - 1))),
        Arguments.of("drop and replace same", big, ints(2 * C), ints(), ints(2 * C)),
        Arguments.of(
            "drop, put, replace", big, ints(0, 2 * C), ints(2 * C + 1, 3), ints(2 * C + 2)),
        Arguments.of(
            "put splits a chunk",
            big,
            ints(),
            IntStream.range(0, 2 * C).map(i -> 2 * C + 1 + 2 * i).boxed().toList(),
            ints()),
        Arguments.of(
            "put many after last",
            C + 1,
            ints(),
            IntStream.range(0, 5 * C).map(i -> 2 * C + 3 + i).boxed().toList(),
            ints()),
        Arguments.of(
            "drop most, put few",
            big,
            IntStream.range(0, big - 3).map(i -> 2 * i).boxed().toList(),
            ints(1, 2 * big + 1),
            ints()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("edits")
  void editMatchesReference(
      String name, int n, List<Integer> drop, List<Integer> put, List<Integer> replace) {
    PeerList base = base(n);
    List<Peer> before = List.copyOf(base);
    TreeMap<String, Peer> ref = new TreeMap<>();
    base.forEach(p -> ref.put(p.name(), p));
    Set<String> dropNames = new HashSet<>();
    for (int i : drop) {
      dropNames.add(name(i));
      ref.remove(name(i));
    }
    List<Peer> puts = new ArrayList<>();
    for (int i : put) {
      puts.add(peer(i));
    }
    for (int i : replace) {
      puts.add(peer(i, "replaced"));
    }
    puts.forEach(p -> ref.put(p.name(), p));
    // A list with duplicates: a name dropped twice is dropped once.
    List<String> dropList = drop.stream().map(PeerListTest::name).toList();

    PeerList out = base.with(dropList, puts);

    assertMatches(out, List.copyOf(ref.values()));
    assertThat(base).as("the base is unchanged").isEqualTo(before);
    assertThat(base.with(dropNames, puts)).isEqualTo(out);
  }

  @Test
  void randomChainsOfVersionsMatchSortedReference() {
    long seed = Long.getLong("tessera.seed", System.nanoTime());
    Random r = new Random(seed);
    for (int run = 0; run < 20; run++) {
      int universe = 1 + r.nextInt(4 * C * (1 + run % 4));
      TreeMap<String, Peer> ref = new TreeMap<>();
      List<Peer> start = new ArrayList<>();
      for (int i = 0; i < universe; i++) {
        if (r.nextBoolean()) {
          Peer p = peer(i);
          start.add(p);
          ref.put(p.name(), p);
        }
      }
      java.util.Collections.shuffle(start, r);
      PeerList list = PeerList.copyOf(start);
      List<PeerList> versions = new ArrayList<>();
      List<List<Peer>> expected = new ArrayList<>();
      for (int step = 0; step < 150; step++) {
        int edits = r.nextInt(10) == 0 ? r.nextInt(3 * C) : r.nextInt(6);
        Set<String> drop = new HashSet<>();
        TreeMap<String, Peer> put = new TreeMap<>();
        for (int e = 0; e < edits; e++) {
          int i =
              r.nextInt(universe + 2) - 1; // sometimes outside: before the first, after the last
          if (r.nextInt(3) == 0) {
            drop.add(name(i));
          } else {
            put.put(name(i), peer(i, "v" + step));
          }
        }
        drop.forEach(ref::remove);
        ref.putAll(put);
        List<Peer> puts = new ArrayList<>(put.values());
        java.util.Collections.shuffle(puts, r);
        list = list.with(drop, puts);
        List<Peer> want = List.copyOf(ref.values());
        if (!list.equals(want) || !want.equals(list)) {
          assertThat(list).as("seed %d run %d step %d", seed, run, step).isEqualTo(want);
        }
        versions.add(list);
        expected.add(want);
      }
      assertMatches(list, expected.getLast());
      for (int v = 0; v < versions.size(); v++) {
        assertThat(versions.get(v))
            .as("seed %d: version %d unchanged", seed, v)
            .isEqualTo(expected.get(v));
      }
    }
  }

  /** Every List operation of {@code list} against {@code want}. */
  private static void assertMatches(PeerList list, List<Peer> want) {
    assertThat(list.size()).isEqualTo(want.size());
    assertThat(list.isEmpty()).isEqualTo(want.isEmpty());
    for (int i = 0; i < want.size(); i++) {
      assertThat(list.get(i)).as("get(%d)", i).isSameAs(want.get(i));
      assertThat(list.indexOfName(want.get(i).name())).isEqualTo(i);
    }
    assertThatThrownBy(() -> list.get(want.size())).isInstanceOf(IndexOutOfBoundsException.class);
    assertThatThrownBy(() -> list.get(-1)).isInstanceOf(IndexOutOfBoundsException.class);
    List<Peer> iterated = new ArrayList<>();
    for (Peer p : list) {
      iterated.add(p);
    }
    assertThat(iterated).isEqualTo(want);
    List<Peer> each = new ArrayList<>();
    list.forEach(each::add);
    assertThat(each).isEqualTo(want);
    assertThat(list.stream().toList()).isEqualTo(want);
    assertThat(list.toArray()).isEqualTo(want.toArray());
    assertThat(list.toArray(new Peer[0])).isEqualTo(want.toArray(new Peer[0]));
    assertThat(list.subList(want.size() / 3, want.size() / 2))
        .isEqualTo(want.subList(want.size() / 3, want.size() / 2));
    List<Peer> jdk = List.copyOf(want);
    assertThat(list.equals(jdk)).isTrue();
    assertThat(jdk.equals(list)).isTrue();
    assertThat(list.hashCode()).isEqualTo(jdk.hashCode());
    assertThat(list.equals(PeerList.copyOf(new ArrayList<>(want)))).isTrue();
    for (int i = 1; i < want.size(); i++) {
      assertThat(want.get(i - 1).name()).isLessThan(want.get(i).name());
    }
    // A name between two peers and one past the last: the insertion point, as binarySearch.
    if (!want.isEmpty()) {
      String past = want.getLast().name() + "z";
      assertThat(list.indexOfName(past)).isEqualTo(-want.size() - 1);
      assertThat(list.indexOfName("")).isEqualTo(-1);
    }
  }

  @Test
  void versionsThatShareChunksCompareByContent() {
    PeerList a = base(5 * C);
    Peer same = a.get(2 * C + 3);
    PeerList unchanged = a.with(List.of(same.name()), List.of(same));
    assertThat(unchanged).isEqualTo(a).isNotSameAs(a);
    assertThat(unchanged.hashCode()).isEqualTo(a.hashCode());
    PeerList changed = a.with(List.of(), List.of(peer(2 * (2 * C + 3), "other")));
    assertThat(changed).isNotEqualTo(a);
    assertThat(a).isNotEqualTo(changed);
    // Same content, chunked differently: a list built afresh from the edited one.
    PeerList moved = a.with(List.of(name(0)), List.of()).with(List.of(), List.of(peer(0)));
    assertThat(moved).isEqualTo(a).isEqualTo(PeerList.copyOf(new ArrayList<>(moved)));
    assertThat(a.with(List.of(name(0)), List.of())).isNotEqualTo(a);
    assertThat(a).isNotEqualTo(List.of());
    assertThat(PeerList.of()).isEqualTo(List.of()).hasSameHashCodeAs(List.of());
  }

  @Test
  void isImmutable() {
    PeerList list = base(C + 1);
    Peer p = peer(1);
    assertThatThrownBy(() -> list.add(p)).isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> list.add(0, p)).isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> list.set(0, p)).isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> list.remove(0)).isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(list::clear).isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> list.sort(null)).isInstanceOf(UnsupportedOperationException.class);
    Iterator<Peer> it = list.iterator();
    it.next();
    assertThatThrownBy(it::remove).isInstanceOf(UnsupportedOperationException.class);
    Object[] array = list.toArray();
    array[0] = p;
    assertThat(list.get(0)).isEqualTo(peer(0));
  }

  @Test
  void rejectsOutOfOrderDuplicateAndNullPeers() {
    // ofSorted's order is the caller's guarantee, checked where assertions are enabled (tests).
    assertThat(PeerList.class.desiredAssertionStatus()).as("tests run with assertions").isTrue();
    assertThatThrownBy(() -> PeerList.ofSorted(new Peer[] {peer(2), peer(1)}))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining(name(1));
    assertThatThrownBy(() -> PeerList.ofSorted(new Peer[] {peer(2), peer(2, "other")}))
        .isInstanceOf(AssertionError.class);
    assertThatThrownBy(() -> PeerList.copyOf(List.of(peer(1), peer(1, "other"))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(name(1));
    assertThatThrownBy(() -> base(3).with(List.of(), List.of(peer(5), peer(5, "other"))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(name(5));
    assertThatThrownBy(() -> PeerList.ofSorted(new Peer[] {peer(1), null}))
        .isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> PeerList.copyOf(Arrays.asList(peer(1), null)))
        .isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> base(3).with(Arrays.asList((String) null), List.of()))
        .isInstanceOf(NullPointerException.class);
    Collection<Peer> withNull = Arrays.asList(peer(1), null);
    assertThatThrownBy(() -> base(3).with(List.of(), withNull))
        .isInstanceOf(NullPointerException.class);
  }

  @Test
  void copyOfSortsAndKeepsAPeerList() {
    PeerList list = PeerList.copyOf(List.of(peer(3), peer(1), peer(2)));
    assertThat(list).containsExactly(peer(1), peer(2), peer(3));
    assertThat(PeerList.copyOf(list)).isSameAs(list);
    assertThat(PeerList.copyOf(List.of())).isSameAs(PeerList.of());
  }

  @Test
  void compiledFilterKeepsAPeerListAndEncodesItAsAnyList() {
    PeerList peers = base(2 * C + 1).with(List.of(name(2)), List.of(peer(7)));
    CompiledFilter f = CompiledFilter.of("n", List.of(), List.of(), peers, List.of());
    assertThat(f.peers()).isSameAs(peers);
    assertThat(f.canonical()).isSameAs(f);
    CompiledFilter plain =
        CompiledFilter.of("n", List.of(), List.of(), new ArrayList<>(peers), List.of());
    assertThat(plain.peers()).isNotInstanceOf(PeerList.class);
    assertThat(f).isEqualTo(plain).hasSameHashCodeAs(plain);
    assertThat(FilterCodec.encode(f)).isEqualTo(FilterCodec.encode(plain));
    // In name order, but a peer's addresses are not sorted: not canonical.
    Peer unsorted =
        new Peer(
            name(9),
            null,
            List.of(IpPrefix.parse("10.9.0.2/32"), IpPrefix.parse("10.9.0.1/32")),
            List.of());
    CompiledFilter g =
        CompiledFilter.of(
            "n", List.of(), List.of(), peers.with(List.of(), List.of(unsorted)), List.of());
    assertThat(g.isCanonical()).isFalse();
    assertThat(g.canonical().peers().get(((PeerList) g.peers()).indexOfName(name(9))).addresses())
        .containsExactly(IpPrefix.parse("10.9.0.1/32"), IpPrefix.parse("10.9.0.2/32"));
  }
}
