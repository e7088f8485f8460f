package dev.tessera.enforcer;

import static dev.tessera.enforcer.MatcherDifferentialTest.PROTOS;
import static dev.tessera.enforcer.MatcherDifferentialTest.randomAddress;
import static dev.tessera.enforcer.MatcherDifferentialTest.randomFilter;
import static dev.tessera.enforcer.MatcherDifferentialTest.randomPrefix;
import static dev.tessera.enforcer.MatcherDifferentialTest.reference;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.enforcer.format.CompiledFilter;
import dev.tessera.enforcer.format.DstPorts;
import dev.tessera.enforcer.format.FilterRule;
import dev.tessera.enforcer.format.RuleOrigin;
import dev.tessera.net.IpAddress;
import dev.tessera.net.IpPrefix;
import dev.tessera.net.IpProtocol;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The reachability query against the linear-scan reference of {@link MatcherDifferentialTest} and
 * against {@link Matcher#explain}: for random filters, every (source, protocol, port) a
 * destination's {@link Admission} claims, and every one it does not, is what the reference decides,
 * with the same rules; the enumeration covers exactly the admitted sources; the "every address of a
 * prefix" forms are the intersection over the prefix's addresses.
 */
class ReachabilityTest {
  private static final int[] PORTS = {
    0, 1, 2, 5, 7, 8, 15, 16, 23, 24, 30, 31, 65533, 65534, 65535
  };

  /** The rules {@code access} names for one packet, or an empty array. */
  static int[] rulesAt(List<Access> access, int proto, int port) {
    for (Access a : access) {
      if (a.protocol() == proto && (!IpProtocol.hasPorts(proto) || a.containsPort(port))) {
        return a.rules();
      }
    }
    return new int[0];
  }

  static int[] ints(List<Integer> l) {
    return l.stream().mapToInt(Integer::intValue).toArray();
  }

  static List<IpAddress> probes(Random r, CompiledFilter f, boolean v6, int n) {
    List<IpAddress> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(randomAddress(r, v6));
    }
    for (FilterRule rule : f.rules()) {
      for (IpPrefix p : rule.sources()) {
        if (p.ipv6() == v6) {
          out.add(p.address());
          out.add(last(p));
        }
      }
    }
    return out;
  }

  static IpAddress last(IpPrefix p) {
    return p.ipv6() ? IpAddress.ofV6(p.lastHi(), p.lastLo()) : IpAddress.ofV4((int) p.lastLo());
  }

  static CompiledFilter filter(Random r, int round) {
    if (round % 3 != 2) {
      return randomFilter(r, round < 60 ? 6 : 40);
    }
    // node-shaped: every destination is one address per family, some rules to everything
    IpPrefix own4 = IpPrefix.host(randomAddress(r, false));
    IpPrefix own6 = IpPrefix.host(randomAddress(r, true));
    List<FilterRule> rules = new ArrayList<>();
    for (int i = r.nextInt(30); i >= 0; i--) {
      List<IpPrefix> src = new ArrayList<>();
      for (int k = r.nextInt(4); k >= 0; k--) {
        src.add(randomPrefix(r, r.nextBoolean()));
      }
      List<Integer> protos =
          r.nextBoolean() ? List.of() : List.of(PROTOS[r.nextInt(PROTOS.length)]);
      List<DstPorts> dsts = new ArrayList<>();
      for (int k = r.nextInt(3); k >= 0; k--) {
        IpPrefix own =
            r.nextInt(6) == 0
                ? (r.nextBoolean() ? IpPrefix.ALL_V4 : IpPrefix.ALL_V6)
                : r.nextBoolean() ? own4 : own6;
        int a = r.nextInt(4) == 0 ? 65535 - r.nextInt(3) : r.nextInt(24);
        dsts.add(
            r.nextInt(4) == 0
                ? DstPorts.allPorts(own)
                : new DstPorts(own, a, Math.min(65535, a + r.nextInt(8))));
      }
      rules.add(new FilterRule(src, protos, dsts, RuleOrigin.synthetic("acl", i)));
    }
    return CompiledFilter.of("n", List.of(own4, own6), rules, List.of(), List.of());
  }

  @Test
  void everyClaimIsTheReferencesDecision() {
    long seed = Long.getLong("tessera.seed", System.nanoTime());
    Random r = new Random(seed);
    long admitted = 0;
    for (int round = 0; round < 100; round++) {
      CompiledFilter f = filter(r, round);
      Matcher m = Matcher.of(f);
      Reachability reach = Reachability.of(m);
      for (int q = 0; q < 12; q++) {
        boolean v6 = r.nextInt(3) == 0;
        IpAddress dst =
            !f.rules().isEmpty() && r.nextBoolean()
                ? f.rules()
                    .get(r.nextInt(f.rules().size()))
                    .destinations()
                    .getFirst()
                    .prefix()
                    .address()
                : randomAddress(r, v6);
        Admission a = reach.to(dst);
        List<IpAddress> srcs = probes(r, f, dst.ipv6(), 20);
        srcs.add(randomAddress(r, !dst.ipv6())); // the other family: never admitted
        for (IpAddress src : srcs) {
          List<Access> access = a.accessFrom(src);
          for (int proto : PROTOS) {
            for (int port : PORTS) {
              int[] want = ints(reference(f, src, dst, proto, port));
              int[] got = rulesAt(access, proto, port);
              if (!Arrays.equals(want, got)) {
                throw new AssertionError(
                    "seed="
                        + seed
                        + " round="
                        + round
                        + " "
                        + src
                        + " -> "
                        + dst
                        + " proto "
                        + proto
                        + " port "
                        + port
                        + ": reference "
                        + Arrays.toString(want)
                        + ", admission "
                        + Arrays.toString(got)
                        + " "
                        + access
                        + "\nrules "
                        + f.rules());
              }
              assertThat(got).isEqualTo(ints(m.explain(src, dst, proto, port).ruleIndices()));
              admitted += got.length > 0 ? 1 : 0;
            }
          }
          // nothing is claimed for a protocol no probe asks about unless a rule names it
          for (Access x : access) {
            assertThat(
                    x.firstPort() == 0 && x.lastPort() == 65535
                        || IpProtocol.hasPorts(x.protocol()))
                .as("portless access spans all ports: %s", x)
                .isTrue();
            assertThat(ints(reference(f, src, dst, x.protocol(), x.firstPort())))
                .isEqualTo(x.rules());
            assertThat(ints(reference(f, src, dst, x.protocol(), x.lastPort())))
                .isEqualTo(x.rules());
          }
        }
      }
    }
    assertThat(admitted).as("seed=%d: some probes are admitted", seed).isPositive();
  }

  @Test
  void enumerationCoversExactlyTheAdmittedSources() {
    long seed = Long.getLong("tessera.seed", System.nanoTime());
    Random r = new Random(seed);
    int nonEmpty = 0;
    for (int round = 0; round < 150; round++) {
      CompiledFilter f = filter(r, round);
      Reachability reach = Reachability.of(Matcher.of(f));
      boolean v6 = r.nextInt(3) == 0;
      IpAddress dst =
          !f.rules().isEmpty() && r.nextBoolean()
              ? f.rules()
                  .get(r.nextInt(f.rules().size()))
                  .destinations()
                  .getFirst()
                  .prefix()
                  .address()
              : randomAddress(r, v6);
      Admission a = reach.to(dst);
      List<Admission.Reach> all = a.reaches();
      nonEmpty += all.isEmpty() ? 0 : 1;
      List<IpAddress> srcs = probes(r, f, dst.ipv6(), 40);
      for (Admission.Reach x : all) {
        assertThat(x.access()).isNotEmpty();
        for (IpPrefix p : x.sources()) {
          srcs.add(p.address());
          srcs.add(last(p));
        }
      }
      for (IpAddress src : srcs) {
        List<Admission.Reach> holding =
            all.stream().filter(x -> x.sources().stream().anyMatch(p -> p.contains(src))).toList();
        assertThat(holding.size())
            .as("seed=%d: %s is in at most one entry", seed, src)
            .isLessThanOrEqualTo(1);
        List<Access> want = a.accessFrom(src);
        assertThat(holding.isEmpty() ? List.of() : holding.getFirst().access())
            .as("seed=%d round=%d: entry holding %s -> %s", seed, round, src, dst)
            .isEqualTo(want);
      }
    }
    assertThat(nonEmpty).as("seed=%d: some destinations admit something", seed).isPositive();
  }

  @Test
  void bookClassesAreTheMatchersLookupsAndAdmittedAreThoseWithAccess() {
    long seed = Long.getLong("tessera.seed", System.nanoTime());
    Random r = new Random(seed);
    for (int round = 0; round < 100; round++) {
      CompiledFilter f = filter(r, round);
      Reachability reach = Reachability.of(Matcher.of(f));
      List<IpAddress> addresses = new ArrayList<>(probes(r, f, false, 30));
      addresses.addAll(probes(r, f, true, 30));
      addresses.add(addresses.getFirst()); // duplicates are fine
      AddressBook book = AddressBook.of(addresses);
      for (boolean v6 : new boolean[] {false, true}) {
        Admission a = reach.to(randomAddress(r, v6));
        int[] classes = a.sourceClasses(book);
        List<Integer> admittedIdx = new ArrayList<>();
        List<Integer> admittedClass = new ArrayList<>();
        for (int i = 0; i < book.size(); i++) {
          assertThat(classes[i])
              .as("seed=%d: class of %s", seed, book.get(i))
              .isEqualTo(a.sourceClass(book.get(i)));
          if (!a.access(classes[i]).isEmpty()) {
            admittedIdx.add(i);
            admittedClass.add(classes[i]);
          }
        }
        Admission.Admitted got = a.admitted(book);
        assertThat(got.addresses())
            .as("seed=%d: admitted addresses", seed)
            .isEqualTo(ints(admittedIdx));
        assertThat(got.classes()).as("seed=%d: their classes", seed).isEqualTo(ints(admittedClass));
      }
    }
  }

  /**
   * toEvery and accessFromEvery: a rule is named for a (protocol, port) iff it admits that packet
   * for every address of the prefix (checked address by address for prefixes of up to 64 addresses,
   * at sampled addresses otherwise), and a host prefix is its address.
   */
  @Test
  void everyAddressOfAPrefixIsTheIntersection() {
    long seed = Long.getLong("tessera.seed", System.nanoTime());
    Random r = new Random(seed);
    int exact = 0;
    for (int round = 0; round < 150; round++) {
      CompiledFilter f = filter(r, round);
      Reachability reach = Reachability.of(Matcher.of(f));
      boolean v6 = r.nextInt(3) == 0;
      IpPrefix dstPrefix =
          r.nextBoolean() && !f.rules().isEmpty()
              ? f.rules().get(r.nextInt(f.rules().size())).destinations().getFirst().prefix()
              : randomPrefix(r, v6);
      IpPrefix srcPrefix = randomPrefix(r, dstPrefix.ipv6());
      Admission every = reach.toEvery(dstPrefix);
      if (dstPrefix.isHost()) {
        Admission one = reach.to(dstPrefix.address());
        for (IpAddress src : probes(r, f, dstPrefix.ipv6(), 20)) {
          assertThat(every.accessFrom(src)).isEqualTo(one.accessFrom(src));
        }
      }
      List<IpAddress> dsts = members(r, dstPrefix);
      List<IpAddress> srcMembers = members(r, srcPrefix);
      boolean small = size(dstPrefix) <= 64 && size(srcPrefix) <= 64;
      exact += small ? 1 : 0;
      for (IpAddress src : probes(r, f, dstPrefix.ipv6(), 10)) {
        List<Access> got = every.accessFrom(src);
        checkIntersection(f, List.of(src), dsts, got, small, seed, round);
      }
      List<Access> got = reach.to(dsts.getFirst()).accessFromEvery(srcPrefix);
      checkIntersection(
          f, srcMembers, List.of(dsts.getFirst()), got, size(srcPrefix) <= 64, seed, round);
    }
    assertThat(exact)
        .as("seed=%d: some prefixes were checked address by address", seed)
        .isPositive();
  }

  private static void checkIntersection(
      CompiledFilter f,
      List<IpAddress> srcs,
      List<IpAddress> dsts,
      List<Access> got,
      boolean exact,
      long seed,
      int round) {
    for (int proto : PROTOS) {
      for (int port : PORTS) {
        int[] claimed = rulesAt(got, proto, port);
        int[] common = null;
        for (IpAddress s : srcs) {
          for (IpAddress d : dsts) {
            int[] rs = ints(reference(f, s, d, proto, port));
            common =
                common == null
                    ? rs
                    : Arrays.stream(common).filter(x -> Arrays.binarySearch(rs, x) >= 0).toArray();
          }
        }
        String ctx =
            "seed="
                + seed
                + " round="
                + round
                + " "
                + srcs.getFirst()
                + ".. -> "
                + dsts.getFirst()
                + ".. proto "
                + proto
                + " port "
                + port;
        if (exact) {
          assertThat(claimed).as(ctx).isEqualTo(common);
        } else {
          for (int rule : claimed) {
            assertThat(common).as(ctx).contains(rule);
          }
        }
      }
    }
  }

  private static long size(IpPrefix p) {
    int host = p.address().bitLength() - p.bits();
    return host >= 62 ? Long.MAX_VALUE : 1L << host;
  }

  /** Every address of a small prefix, else its first, last and a few inside. */
  private static List<IpAddress> members(Random r, IpPrefix p) {
    List<IpAddress> out = new ArrayList<>();
    long n = size(p);
    if (n <= 64) {
      for (long i = 0; i < n; i++) {
        out.add(p.ipv6() ? IpAddress.ofV6(p.hi(), p.lo() + i) : IpAddress.ofV4((int) (p.lo() + i)));
      }
      return out;
    }
    out.add(p.address());
    out.add(last(p));
    for (int i = 0; i < 6; i++) {
      long off = r.nextLong() & (n == Long.MAX_VALUE ? Long.MAX_VALUE : n - 1);
      out.add(
          p.ipv6()
              ? IpAddress.ofV6(
                  p.hi() | (p.bits() < 64 ? r.nextLong() & (-1L >>> p.bits()) : 0),
                  p.bits() < 64 ? r.nextLong() : p.lo() | off)
              : IpAddress.ofV4((int) (p.lo() + off)));
    }
    return out;
  }
}
