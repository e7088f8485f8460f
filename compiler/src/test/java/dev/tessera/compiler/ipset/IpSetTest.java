package dev.tessera.compiler.ipset;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.net.IpAddress;
import dev.tessera.net.IpPrefix;
import dev.tessera.policy.ast.PortRange;
import dev.tessera.testsupport.Seed;
import dev.tessera.testsupport.Seeded;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@Seeded
class IpSetTest {

  private static List<String> texts(IpSet s) {
    return s.toPrefixes().stream().map(IpPrefix::toString).toList();
  }

  private static IpSet set(String... prefixes) {
    IpSet.Builder b = IpSet.builder();
    for (String p : prefixes) {
      b.add(IpPrefix.parse(p));
    }
    return b.build();
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(
      delimiter = ';',
      value = {
        "10.0.0.0/25 10.0.0.128/25; 10.0.0.0/24",
        "10.0.0.1 10.0.0.2 10.0.0.3; 10.0.0.1/32 10.0.0.2/31",
        "10.0.0.0/8 10.1.0.0/16; 10.0.0.0/8",
        "10.0.0.5 10.0.0.5; 10.0.0.5/32",
        "0.0.0.0/1 128.0.0.0/1; 0.0.0.0/0",
        "fd7a:115c:a1e0::/49 fd7a:115c:a1e0:8000::/49; fd7a:115c:a1e0::/48",
        "::/1 8000::/1; ::/0",
        "192.168.1.0/24 fd00::1; 192.168.1.0/24 fd00::1/128",
      })
  void unionMergesAdjacentAndDuplicatePrefixes(String in, String want) {
    assertThat(texts(set(in.split(" ")))).containsExactly(want.split(" "));
  }

  @Test
  void tailnetRangeMinusChromeOsBlockIsTheTailscaleCgnatSet() {
    IpSet cgnat = set("100.64.0.0/10").subtract(set("100.115.92.0/23"));
    assertThat(cgnat.ranges()).hasSize(2);
    assertThat(cgnat.contains(IpAddress.parse("100.115.91.255"))).isTrue();
    assertThat(cgnat.contains(IpAddress.parse("100.115.92.0"))).isFalse();
    assertThat(cgnat.contains(IpAddress.parse("100.115.93.255"))).isFalse();
    assertThat(cgnat.contains(IpAddress.parse("100.115.94.0"))).isTrue();
    assertThat(cgnat.union(set("100.115.92.0/23"))).isEqualTo(set("100.64.0.0/10"));
  }

  @Test
  void rangeToMinimalCidrs() {
    IpSet s = IpSet.range(IpAddress.parse("10.0.0.1"), IpAddress.parse("10.0.0.6"));
    assertThat(texts(s))
        .containsExactly("10.0.0.1/32", "10.0.0.2/31", "10.0.0.4/31", "10.0.0.6/32");
    IpSet top = IpSet.range(IpAddress.parse("255.255.255.254"), IpAddress.parse("255.255.255.255"));
    assertThat(texts(top)).containsExactly("255.255.255.254/31");
    IpSet v6top =
        IpSet.range(
            IpAddress.parse("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe"),
            IpAddress.parse("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
    assertThat(texts(v6top)).containsExactly("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/127");
    IpSet cross =
        IpSet.range(IpAddress.parse("::ffff:ffff:ffff:ffff"), IpAddress.parse("0:0:0:1::"));
    assertThat(texts(cross)).containsExactly("::ffff:ffff:ffff:ffff/128", "0:0:0:1::/128");
  }

  @Test
  void allMinusHostAndBack() {
    IpSet all = IpSet.ALL;
    IpSet hole = all.subtract(set("10.0.0.1", "fd7a::1"));
    assertThat(hole.contains(IpAddress.parse("10.0.0.1"))).isFalse();
    assertThat(hole.contains(IpAddress.parse("10.0.0.2"))).isTrue();
    assertThat(hole.contains(IpAddress.parse("fd7a::1"))).isFalse();
    assertThat(hole.toPrefixes()).hasSize(32 + 128);
    assertThat(hole.union(set("10.0.0.1", "fd7a::1"))).isEqualTo(all);
    assertThat(texts(all)).containsExactly("0.0.0.0/0", "::/0");
  }

  /** Random sets in a small IPv4 window against a BitSet model; seeded, seed printed on failure. */
  @Test
  void operationsAgreeWithBitSetModel(Seed given) {
    long seed = given.value();
    Random rnd = new Random(seed);
    int base = (int) IpAddress.parse("10.0.0.0").lo();
    for (int round = 0; round < 300; round++) {
      BitSet ma = new BitSet();
      BitSet mb = new BitSet();
      IpSet a = randomSet(rnd, base, ma);
      IpSet b = randomSet(rnd, base, mb);
      check(seed, base, a.union(b), or(ma, mb));
      check(seed, base, a.intersect(b), and(ma, mb));
      check(seed, base, a.subtract(b), andNot(ma, mb));
      check(seed, base, a, ma);
      assertThat(a.overlaps(b)).as("seed %d", seed).isEqualTo(ma.intersects(mb));
      assertThat(IpSet.of(a.toPrefixes())).as("seed %d", seed).isEqualTo(a);
    }
  }

  /**
   * A short set against a long one takes intersect's binary-search path and overlaps' search; both
   * must agree with the model (and with the sweep, which the symmetric call above exercises).
   */
  @Test
  void skewedIntersectAndOverlapsAgreeWithBitSetModel(Seed given) {
    long seed = given.value();
    Random rnd = new Random(seed);
    int base = (int) IpAddress.parse("10.0.0.0").lo();
    for (int round = 0; round < 300; round++) {
      BitSet mBig = new BitSet();
      IpSet.Builder bb = IpSet.builder();
      for (int k = 0; k < 40 + rnd.nextInt(60); k++) {
        int off = rnd.nextInt(290);
        int len = 1 + rnd.nextInt(3);
        bb.addRange(IpAddress.ofV4(base + off), IpAddress.ofV4(base + off + len - 1));
        mBig.set(off, off + len);
      }
      IpSet big = bb.build();
      BitSet mSmall = new BitSet();
      IpSet small = randomSet(rnd, base, mSmall);
      check(seed, base, small.intersect(big), and(mSmall, mBig));
      check(seed, base, big.intersect(small), and(mSmall, mBig));
      assertThat(small.overlaps(big)).as("seed %d", seed).isEqualTo(mSmall.intersects(mBig));
      assertThat(big.overlaps(small)).as("seed %d", seed).isEqualTo(mSmall.intersects(mBig));
      assertThat(small.intersect(big)).as("seed %d", seed).isEqualTo(big.intersect(small));
    }
  }

  /**
   * A long set (64+ ranges) with a short one takes union's and subtract's window path (only the
   * ranges around the short set are swept): the result must equal, range for range, the set the
   * model describes, including where the short set touches or bridges neighbouring ranges.
   */
  @Test
  void windowedUnionAndSubtractAgreeWithBitSetModel(Seed given) {
    long seed = given.value();
    Random rnd = new Random(seed);
    int base = (int) IpAddress.parse("10.0.0.0").lo();
    int space = 2400;
    for (int round = 0; round < 500; round++) {
      BitSet mBig = new BitSet();
      IpSet.Builder bb = IpSet.builder();
      for (int k = 0; k < 100 + rnd.nextInt(200); k++) {
        int off = rnd.nextInt(space - 10);
        int len = 1 + rnd.nextInt(4);
        bb.addRange(IpAddress.ofV4(base + off), IpAddress.ofV4(base + off + len - 1));
        mBig.set(off, off + len);
      }
      IpSet big = bb.build();
      BitSet mSmall = new BitSet();
      IpSet.Builder sb = IpSet.builder();
      for (int k = 0; k < 1 + rnd.nextInt(3); k++) {
        // Often right next to a range of the big set (adjacency merges across the window edge).
        int off =
            rnd.nextBoolean()
                ? rnd.nextInt(space - 10)
                : Math.max(0, mBig.nextSetBit(rnd.nextInt(space)) - 1);
        int len = 1 + rnd.nextInt(rnd.nextInt(10) == 0 ? 40 : 3);
        sb.addRange(IpAddress.ofV4(base + off), IpAddress.ofV4(base + off + len - 1));
        mSmall.set(off, off + len);
      }
      IpSet small = sb.build();
      assertThat(big.union(small)).as("seed %d", seed).isEqualTo(fromModel(base, or(mBig, mSmall)));
      assertThat(small.union(big)).as("seed %d", seed).isEqualTo(fromModel(base, or(mBig, mSmall)));
      assertThat(big.subtract(small))
          .as("seed %d", seed)
          .isEqualTo(fromModel(base, andNot(mBig, mSmall)));
    }
  }

  private static IpSet fromModel(int base, BitSet model) {
    IpSet.Builder b = IpSet.builder();
    for (int i = model.nextSetBit(0); i >= 0; i = model.nextSetBit(i + 1)) {
      b.add(IpAddress.ofV4(base + i));
    }
    return b.build();
  }

  private static IpSet randomSet(Random rnd, int base, BitSet model) {
    IpSet.Builder b = IpSet.builder();
    int n = rnd.nextInt(6);
    for (int k = 0; k < n; k++) {
      int bits = 24 + rnd.nextInt(9);
      int off = rnd.nextInt(256) & (bits == 32 ? 0xFF : ~((1 << (32 - bits)) - 1) & 0xFF);
      IpPrefix p = IpPrefix.v4(base + off, bits);
      b.add(p);
      model.set(off, off + (1 << (32 - bits)));
    }
    return b.build();
  }

  private static void check(long seed, int base, IpSet s, BitSet model) {
    for (int off = 0; off < 300; off++) {
      IpAddress a = IpAddress.ofV4(base + off);
      assertThat(s.contains(a)).as("seed %d addr %s in %s", seed, a, s).isEqualTo(model.get(off));
    }
    List<IpPrefix> ps = s.toPrefixes();
    for (int k = 1; k < ps.size(); k++) {
      assertThat(ps.get(k - 1).compareTo(ps.get(k))).as("sorted, seed %d", seed).isNegative();
    }
  }

  private static BitSet or(BitSet a, BitSet b) {
    BitSet c = (BitSet) a.clone();
    c.or(b);
    return c;
  }

  private static BitSet and(BitSet a, BitSet b) {
    BitSet c = (BitSet) a.clone();
    c.and(b);
    return c;
  }

  private static BitSet andNot(BitSet a, BitSet b) {
    BitSet c = (BitSet) a.clone();
    c.andNot(b);
    return c;
  }

  @Test
  void equalityIgnoresInsertionOrder() {
    List<String> ps =
        new ArrayList<>(List.of("10.0.0.1", "fd7a::2", "192.168.0.0/16", "10.0.0.0/31", "fd7a::3"));
    IpSet a = set(ps.toArray(String[]::new));
    java.util.Collections.reverse(ps);
    assertThat(set(ps.toArray(String[]::new))).isEqualTo(a).hasSameHashCodeAs(a);
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(
      delimiter = ';',
      value = {
        "22-22 23-23 24-30; [22-30]",
        "80-90 85-100 443-443; [80-100, 443]",
        "0-65535 22-22; [*]",
        "1-1 3-3; [1, 3]"
      })
  void portRangesMerge(String in, String want) {
    List<PortRange> rs = new ArrayList<>();
    for (String t : in.split(" ")) {
      String[] fl = t.split("-");
      rs.add(new PortRange(Integer.parseInt(fl[0]), Integer.parseInt(fl[1])));
    }
    assertThat(PortSet.of(rs).toString()).isEqualTo(want);
  }

  @Test
  void portIntersect() {
    PortSet a = PortSet.of(List.of(new PortRange(1, 100), new PortRange(200, 300)));
    PortSet b = PortSet.of(List.of(new PortRange(50, 250)));
    assertThat(a.intersect(b).toString()).isEqualTo("[50-100, 200-250]");
  }
}
