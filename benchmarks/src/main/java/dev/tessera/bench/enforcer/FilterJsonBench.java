package dev.tessera.bench.enforcer;

import dev.tessera.enforcer.format.CapGrant;
import dev.tessera.enforcer.format.CompiledFilter;
import dev.tessera.enforcer.format.DstPorts;
import dev.tessera.enforcer.format.FilterFormatException;
import dev.tessera.enforcer.format.FilterJson;
import dev.tessera.enforcer.format.FilterRule;
import dev.tessera.enforcer.format.Peer;
import dev.tessera.enforcer.format.RuleOrigin;
import dev.tessera.net.IpPrefix;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * The JSON view's cost: {@code FilterJson.write} and {@code FilterJson.read} of one large filter (a
 * node of a 10k-node tailnet: every other node a peer with two addresses, a few thousand rules,
 * capability grants with JSON values). Median of the rounds after three warm-up rounds. Compare two
 * commits with {@code benchmarks/compare.sh REV_A REV_B --
 * dev.tessera.bench.enforcer.FilterJsonBench}.
 *
 * <pre>
 * java -cp "benchmarks/target/*:benchmarks/target/lib/*" dev.tessera.bench.enforcer.FilterJsonBench [peers=10000] [rules=3000] [rounds=7]
 * </pre>
 */
public final class FilterJsonBench {
  private FilterJsonBench() {}

  public static void main(String[] args) throws FilterFormatException {
    int peers = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
    int rules = args.length > 1 ? Integer.parseInt(args[1]) : 3_000;
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 7;
    CompiledFilter f = filter(peers, rules, new Random(42));
    String json = FilterJson.write(f);
    if (!FilterJson.read(json).equals(f.canonical())) {
      throw new AssertionError("read(write(f)) differs from f");
    }
    long[] write = new long[rounds];
    long[] read = new long[rounds];
    int sink = 0;
    for (int r = -3; r < rounds; r++) {
      long t0 = System.nanoTime();
      sink += FilterJson.write(f).length();
      long t1 = System.nanoTime();
      sink += FilterJson.read(json).rules().size();
      long t2 = System.nanoTime();
      if (r >= 0) {
        write[r] = t1 - t0;
        read[r] = t2 - t1;
      }
    }
    System.out.printf(
        Locale.ROOT,
        "filter json: %d peers, %d rules, %.1f MiB; write %.1f ms, read %.1f ms (median of %d; %d)%n",
        peers,
        f.rules().size(),
        json.length() / 1048576.0,
        median(write) / 1e6,
        median(read) / 1e6,
        rounds,
        sink);
  }

  private static long median(long[] a) {
    long[] s = a.clone();
    Arrays.sort(s);
    return s[s.length / 2];
  }

  static CompiledFilter filter(int peers, int rules, Random rnd) {
    List<Peer> ps = new ArrayList<>(peers);
    for (int i = 0; i < peers; i++) {
      ps.add(
          new Peer(
              "node-" + i,
              i % 3 == 0 ? null : "nodekey:" + Long.toHexString(rnd.nextLong()),
              List.of(v4(i), v6(i)),
              i % 50 == 0
                  ? List.of(IpPrefix.parse("10." + (i / 50 % 256) + ".0.0/16"))
                  : List.of()));
    }
    List<FilterRule> rs = new ArrayList<>(rules);
    for (int r = 0; r < rules; r++) {
      List<IpPrefix> src = new ArrayList<>();
      for (int k = 0, n = 1 + rnd.nextInt(8); k < n; k++) {
        int i = rnd.nextInt(peers);
        src.add(rnd.nextBoolean() ? v4(i) : v6(i));
      }
      int port = 1 + rnd.nextInt(60000);
      rs.add(
          new FilterRule(
              src,
              rnd.nextInt(4) == 0 ? List.of() : List.of(6, 17),
              List.of(
                  new DstPorts(IpPrefix.parse("100.64.0.1/32"), port, port + rnd.nextInt(10)),
                  new DstPorts(IpPrefix.parse("fd7a:115c:a1e0::1/128"), port, port)),
              new RuleOrigin("policy.hujson", 10 + r, 5, r % 2 == 0 ? "acl" : "grant", r)));
    }
    List<CapGrant> caps = new ArrayList<>();
    for (int c = 0; c < 100; c++) {
      caps.add(
          new CapGrant(
              List.of(v4(c)),
              List.of(IpPrefix.parse("100.64.0.1/32")),
              "example.com/cap/c" + c,
              List.of("{\"paths\": [\"/a\", \"/b\\n\"], \"limit\": 1.50e3, \"on\": true}"),
              new RuleOrigin("policy.hujson", 5000 + c, 3, "grant", rules + c)));
    }
    return CompiledFilter.of("node-self", List.of(v4(0), v6(0)), rs, ps, caps);
  }

  private static IpPrefix v4(int i) {
    return IpPrefix.parse(
        "100." + (64 + (i >> 16 & 63)) + "." + (i >> 8 & 255) + "." + (i & 255) + "/32");
  }

  private static IpPrefix v6(int i) {
    return IpPrefix.parse("fd7a:115c:a1e0::" + Integer.toHexString(i) + "/128");
  }
}
