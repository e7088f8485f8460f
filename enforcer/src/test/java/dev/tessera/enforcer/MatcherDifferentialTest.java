package dev.tessera.enforcer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.enforcer.format.CompiledFilter;
import dev.tessera.enforcer.format.DstPorts;
import dev.tessera.enforcer.format.FilterRule;
import dev.tessera.enforcer.format.RuleOrigin;
import dev.tessera.net.IpAddress;
import dev.tessera.net.IpPrefix;
import dev.tessera.net.IpProtocol;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The indexed {@link Matcher} against a deliberately naive reference: a linear scan over the {@link
 * CompiledFilter} records, written from the documented semantics without sharing code. Random
 * filters draw addresses from small pools so that prefixes overlap, nest and touch.
 */
class MatcherDifferentialTest {

  /** Reference: every rule index that admits the flow, by linear scan. */
  static List<Integer> reference(
      CompiledFilter f, IpAddress src, IpAddress dst, int proto, int port) {
    List<Integer> out = new ArrayList<>();
    if (src.ipv6() != dst.ipv6()) {
      return out;
    }
    int icmp = src.ipv6() ? 58 : 1;
    for (int i = 0; i < f.rules().size(); i++) {
      FilterRule r = f.rules().get(i);
      List<Integer> protos = r.protocols().isEmpty() ? List.of(1, 6, 17, 58) : r.protocols();
      if (!protos.contains(proto)) {
        continue;
      }
      boolean srcOk = false;
      for (IpPrefix p : r.sources()) {
        srcOk |= p.contains(src);
      }
      if (!srcOk) {
        continue;
      }
      for (DstPorts d : r.destinations()) {
        if (!d.prefix().contains(dst)) {
          continue;
        }
        boolean portOk =
            (proto == 6 || proto == 17 || proto == 132)
                ? port >= d.firstPort() && port <= d.lastPort()
                : proto == icmp || (d.firstPort() == 0 && d.lastPort() == 65535);
        if (portOk) {
          out.add(i);
          break;
        }
      }
    }
    return out;
  }

  static IpAddress randomAddress(Random r, boolean v6) {
    // small pools: 10.0.0.0-10.0.0.31 plus a few far addresses; fd00::0-fd00::1f similarly
    int low = r.nextInt(10) == 0 ? r.nextInt() : r.nextInt(32);
    if (!v6) {
      return IpAddress.ofV4(r.nextInt(10) == 0 ? low : 0x0A000000 | low);
    }
    return r.nextInt(10) == 0
        ? IpAddress.ofV6(r.nextLong(), r.nextLong())
        : IpAddress.ofV6(0xFD00_0000_0000_0000L, low & 31);
  }

  static IpPrefix randomPrefix(Random r, boolean v6) {
    int max = v6 ? 128 : 32;
    int bits =
        switch (r.nextInt(6)) {
          case 0 -> 0;
          case 1 -> max - r.nextInt(6);
          default -> max;
        };
    if (r.nextInt(20) == 0) {
      bits = r.nextInt(max + 1);
    }
    return IpPrefix.of(randomAddress(r, v6), bits);
  }

  static final int[] PROTOS = {1, 6, 17, 58, 132, 47, 50};

  static CompiledFilter randomFilter(Random r, int maxRules) {
    int n = r.nextInt(maxRules + 1);
    List<FilterRule> rules = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      List<IpPrefix> src = new ArrayList<>();
      for (int k = r.nextInt(4); k >= 0; k--) {
        src.add(randomPrefix(r, r.nextInt(3) == 0));
      }
      List<Integer> protos = new ArrayList<>();
      if (r.nextBoolean()) {
        for (int k = r.nextInt(3); k >= 0; k--) {
          protos.add(PROTOS[r.nextInt(PROTOS.length)]);
        }
      }
      List<DstPorts> dsts = new ArrayList<>();
      for (int k = r.nextInt(3); k >= 0; k--) {
        IpPrefix p = randomPrefix(r, r.nextInt(3) == 0);
        if (r.nextInt(4) == 0) {
          dsts.add(DstPorts.allPorts(p));
        } else {
          int a = r.nextInt(24);
          dsts.add(new DstPorts(p, a, a + r.nextInt(r.nextBoolean() ? 1 : 8)));
        }
      }
      rules.add(new FilterRule(src, protos, dsts, RuleOrigin.synthetic("acl", i)));
    }
    return CompiledFilter.of("n", List.of(), rules, List.of(), List.of());
  }

  @Test
  void indexedMatcherEqualsLinearScan() {
    long seed = Long.getLong("tessera.seed", System.nanoTime());
    Random r = new Random(seed);
    int queries = 0;
    for (int round = 0; round < 300; round++) {
      CompiledFilter f = randomFilter(r, round < 100 ? 6 : 60);
      Matcher m = Matcher.of(f);
      for (int q = 0; q < 400; q++) {
        boolean v6 = r.nextInt(3) == 0;
        IpAddress src = randomAddress(r, v6);
        IpAddress dst = randomAddress(r, r.nextInt(50) == 0 ? !v6 : v6);
        int proto = r.nextInt(10) == 0 ? r.nextInt(256) : PROTOS[r.nextInt(PROTOS.length)];
        int port = r.nextInt(30);
        List<Integer> want = reference(f, src, dst, proto, port);
        MatchResult got = m.explain(src, dst, proto, port);
        boolean packet =
            src.ipv6() != dst.ipv6()
                ? false
                : v6
                    ? m.allowsV6(src.hi(), src.lo(), dst.hi(), dst.lo(), proto, port)
                    : m.allowsV4(src.v4(), dst.v4(), proto, port);
        boolean ok =
            got.ruleIndices().equals(want)
                && m.allows(src, dst, proto, port) == !want.isEmpty()
                && packet == !want.isEmpty()
                && got.origins().equals(want.stream().map(i -> f.rules().get(i).origin()).toList());
        if (!ok) {
          // the context is built only on failure: printing the filter per query is slow
          String ctx =
              "seed="
                  + seed
                  + " round="
                  + round
                  + " query "
                  + src
                  + " -> "
                  + dst
                  + " proto "
                  + proto
                  + " port "
                  + port
                  + " packet path "
                  + packet
                  + "\nfilter rules: "
                  + f.rules();
          assertThat(got.ruleIndices()).as(ctx).isEqualTo(want);
          assertThat(packet).as(ctx).isEqualTo(!want.isEmpty());
          assertThat(got.origins())
              .as(ctx)
              .isEqualTo(want.stream().map(i -> f.rules().get(i).origin()).toList());
          throw new AssertionError(ctx);
        }
        queries++;
      }
    }
    assertThat(queries).isEqualTo(300 * 400);
  }

  /**
   * Matchers built through one {@link Matcher.Cache} (shared source sides) answer exactly like the
   * reference. Filters are made as the compiler makes them: rules take their source lists from a
   * small pool of shared list objects and differ in their destinations, which sometimes change
   * family (a different key: the cache must not be hit across it).
   */
  @Test
  void matchersSharingSourceSidesEqualTheReference() {
    long seed = Long.getLong("tessera.seed", System.nanoTime());
    Random r = new Random(seed);
    for (int round = 0; round < 40; round++) {
      List<List<IpPrefix>> pool = new ArrayList<>();
      for (int i = 0; i < 1 + r.nextInt(6); i++) {
        pool.add(
            randomFilter(r, 1).rules().stream()
                .findFirst()
                .map(FilterRule::sources)
                .orElse(List.of(randomPrefix(r, false))));
      }
      int shape = 1 + r.nextInt(5); // rules per filter
      int[] template = new int[shape];
      for (int g = 0; g < shape; g++) {
        template[g] = r.nextInt(pool.size());
      }
      Matcher.Cache cache = new Matcher.Cache();
      int filters = 30;
      for (int fi = 0; fi < filters; fi++) {
        List<FilterRule> rules = new ArrayList<>();
        for (int g = 0; g < shape; g++) {
          List<IpPrefix> src = pool.get(r.nextInt(4) == 0 ? r.nextInt(pool.size()) : template[g]);
          List<DstPorts> dsts = new ArrayList<>();
          for (int k = r.nextInt(2); k >= 0; k--) {
            int a = r.nextInt(24);
            dsts.add(new DstPorts(randomPrefix(r, r.nextInt(4) == 0), a, a + r.nextInt(8)));
          }
          List<Integer> protos =
              r.nextBoolean() ? List.of() : List.of(PROTOS[r.nextInt(PROTOS.length)]);
          rules.add(new FilterRule(src, protos, dsts, RuleOrigin.synthetic("acl", g)));
        }
        CompiledFilter first = CompiledFilter.of("n" + fi, List.of(), rules, List.of(), List.of());
        Matcher.of(first, cache);
        int sides = cache.sourceSides();
        // a sibling: the same source list objects and destination families, other
        // destinations (another server behind the same tag) takes the cached source side
        List<FilterRule> siblingRules = new ArrayList<>();
        for (FilterRule rule : rules) {
          List<DstPorts> moved =
              rule.destinations().stream()
                  .map(
                      d ->
                          new DstPorts(
                              randomPrefix(r, d.prefix().ipv6()), d.firstPort(), d.lastPort()))
                  .toList();
          siblingRules.add(new FilterRule(rule.sources(), rule.protocols(), moved, rule.origin()));
        }
        for (CompiledFilter f :
            List.of(
                first,
                CompiledFilter.of("s" + fi, List.of(), siblingRules, List.of(), List.of()))) {
          Matcher m = Matcher.of(f, cache);
          assertThat(cache.sourceSides())
              .as("seed=" + seed + ": a hit adds no source side")
              .isEqualTo(sides);
          for (int q = 0; q < 100; q++) {
            boolean v6 = r.nextInt(3) == 0;
            IpAddress src = randomAddress(r, v6);
            IpAddress dst =
                r.nextBoolean()
                    ? randomAddress(r, v6)
                    : f.rules().get(r.nextInt(shape)).destinations().getFirst().prefix().address();
            int proto = PROTOS[r.nextInt(PROTOS.length)];
            int port = r.nextInt(30);
            List<Integer> want = reference(f, src, dst, proto, port);
            boolean packet =
                src.ipv6() != dst.ipv6()
                    ? false
                    : dst.ipv6()
                        ? m.allowsV6(src.hi(), src.lo(), dst.hi(), dst.lo(), proto, port)
                        : m.allowsV4(src.v4(), dst.v4(), proto, port);
            String ctx =
                "seed="
                    + seed
                    + " round="
                    + round
                    + " filter "
                    + f.node()
                    + " query "
                    + src
                    + " -> "
                    + dst
                    + " proto "
                    + proto
                    + " port "
                    + port;
            assertThat(m.explain(src, dst, proto, port).ruleIndices()).as(ctx).isEqualTo(want);
            assertThat(packet).as(ctx).isEqualTo(!want.isEmpty());
          }
        }
      }
      assertThat(cache.sourceSides()).as("seed=" + seed).isBetween(1, filters);
    }
  }

  /**
   * Filters shaped like the compiler's per-node output: every destination of a family is the node's
   * own address (one prefix per family: the build's single-prefix path), sometimes a prefix that
   * ends the address space or covers all of it (its edge cases), with ports that reach 65535.
   * Queries aim at the node's address, its neighbours and the space's ends.
   */
  @Test
  void nodeShapedFiltersEqualTheReference() {
    long seed = Long.getLong("tessera.seed", System.nanoTime());
    Random r = new Random(seed);
    IpPrefix[] odd4 = {
      IpPrefix.parse("0.0.0.0/0"),
      IpPrefix.parse("255.255.255.255/32"),
      IpPrefix.parse("10.0.0.0/8")
    };
    IpPrefix[] odd6 = {
      IpPrefix.parse("::/0"),
      IpPrefix.parse("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128"),
      IpPrefix.parse("::/128"),
      IpPrefix.parse("fd00::/64")
    };
    for (int round = 0; round < 300; round++) {
      IpPrefix own4 =
          r.nextInt(5) == 0 ? odd4[r.nextInt(odd4.length)] : IpPrefix.host(randomAddress(r, false));
      IpPrefix own6 =
          r.nextInt(5) == 0 ? odd6[r.nextInt(odd6.length)] : IpPrefix.host(randomAddress(r, true));
      List<FilterRule> rules = new ArrayList<>();
      for (int i = r.nextInt(round < 150 ? 8 : 90); i >= 0; i--) {
        List<IpPrefix> src = new ArrayList<>();
        for (int k = r.nextInt(5); k >= 0; k--) {
          src.add(randomPrefix(r, r.nextBoolean()));
        }
        List<Integer> protos =
            r.nextBoolean() ? List.of() : List.of(PROTOS[r.nextInt(PROTOS.length)]);
        List<DstPorts> dsts = new ArrayList<>();
        for (int k = r.nextInt(3); k >= 0; k--) {
          IpPrefix own = r.nextBoolean() ? own4 : own6;
          int a = r.nextInt(4) == 0 ? 65535 - r.nextInt(3) : r.nextInt(24);
          dsts.add(
              r.nextInt(4) == 0
                  ? DstPorts.allPorts(own)
                  : new DstPorts(own, a, Math.min(65535, a + r.nextInt(r.nextBoolean() ? 1 : 8))));
        }
        rules.add(new FilterRule(src, protos, dsts, RuleOrigin.synthetic("acl", i)));
      }
      CompiledFilter f = CompiledFilter.of("n", List.of(), rules, List.of(), List.of());
      Matcher m = Matcher.of(f);
      for (int q = 0; q < 300; q++) {
        boolean v6 = r.nextInt(3) == 0;
        IpAddress src =
            r.nextInt(3) == 0
                ? f.rules().get(r.nextInt(f.rules().size())).sources().getFirst().address()
                : randomAddress(r, v6);
        IpPrefix own = src.ipv6() ? own6 : own4;
        IpAddress dst =
            switch (r.nextInt(4)) {
              case 0 -> own.address();
              case 1 ->
                  src.ipv6()
                      ? IpAddress.ofV6(own.lastHi(), own.lastLo() + 1)
                      : IpAddress.ofV4((int) own.lastLo() + 1);
              case 2 ->
                  src.ipv6()
                      ? IpAddress.ofV6(own.hi(), own.lo() - 1)
                      : IpAddress.ofV4((int) own.lo() - 1);
              default -> randomAddress(r, src.ipv6());
            };
        int proto = PROTOS[r.nextInt(PROTOS.length)];
        int port = r.nextInt(4) == 0 ? 65535 - r.nextInt(3) : r.nextInt(30);
        List<Integer> want = reference(f, src, dst, proto, port);
        boolean packet =
            src.ipv6()
                ? m.allowsV6(src.hi(), src.lo(), dst.hi(), dst.lo(), proto, port)
                : m.allowsV4(src.v4(), dst.v4(), proto, port);
        String ctx =
            "seed=" + seed + " round=" + round + " query " + src + " -> " + dst + " proto " + proto
                + " port " + port;
        if (!m.explain(src, dst, proto, port).ruleIndices().equals(want)
            || packet == want.isEmpty()) {
          assertThat(m.explain(src, dst, proto, port).ruleIndices())
              .as(ctx + "\n" + f.rules())
              .isEqualTo(want);
          assertThat(packet).as(ctx).isEqualTo(!want.isEmpty());
        }
      }
    }
  }

  /** End to end: a fresh enforcer's verdict on a flow-opening packet equals the reference. */
  @Test
  void enforcerVerdictEqualsReferenceForNewFlows() {
    long seed = Long.getLong("tessera.seed", System.nanoTime());
    Random r = new Random(seed);
    for (int round = 0; round < 100; round++) {
      CompiledFilter f = randomFilter(r, 30);
      Enforcer e = Enforcer.create(f);
      Enforcer.Worker w = e.newWorker();
      for (int q = 0; q < 100; q++) {
        boolean v6 = r.nextInt(3) == 0;
        IpAddress src = randomAddress(r, v6);
        IpAddress dst = randomAddress(r, v6);
        int port = r.nextInt(30);
        int sport = 30000 + round * 100 + q; // a fresh flow each time
        byte[] pkt;
        int proto;
        switch (r.nextInt(4)) {
          case 0 -> {
            pkt = Packets.tcp(src.toString(), dst.toString(), sport, port, Packets.SYN);
            proto = IpProtocol.TCP;
          }
          case 1 -> {
            pkt = Packets.udp(src.toString(), dst.toString(), sport, port);
            proto = IpProtocol.UDP;
          }
          case 2 -> {
            pkt = Packets.ping(src.toString(), dst.toString(), sport);
            proto = v6 ? 58 : 1;
          }
          default -> {
            pkt = Packets.proto(src.toString(), dst.toString(), 47, 8);
            proto = 47;
          }
        }
        boolean want = !reference(f, src, dst, proto, port).isEmpty();
        Verdict v = w.inbound(pkt, 0, pkt.length);
        if (proto == 47) {
          // GRE has no ports: a second GRE packet of the same pair is the same flow
          e = Enforcer.create(f);
          w = e.newWorker();
        }
        assertThat(v)
            .as("seed=%d round=%d %s -> %s:%d proto %d", seed, round, src, dst, port, proto)
            .isEqualTo(want ? Verdict.ACCEPT_RULE : Verdict.DROP_NO_RULE);
      }
    }
  }
}
