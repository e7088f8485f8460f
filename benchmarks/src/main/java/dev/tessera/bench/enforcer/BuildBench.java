package dev.tessera.bench.enforcer;

import dev.tessera.bench.compiler.SyntheticTailnet;
import dev.tessera.compiler.Compilation;
import dev.tessera.compiler.Compiler;
import dev.tessera.enforcer.Matcher;
import dev.tessera.enforcer.format.CompiledFilter;
import dev.tessera.enforcer.format.DstPorts;
import dev.tessera.enforcer.format.FilterCodec;
import dev.tessera.enforcer.format.FilterRule;
import dev.tessera.enforcer.format.RuleOrigin;
import dev.tessera.net.IpPrefix;
import dev.tessera.net.IpProtocol;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.function.LongSupplier;

/**
 * The two build-time costs other modules hit: {@code FilterCodec.encode} + SHA-256 over every
 * filter of the compiler's synthetic tailnet (what {@code policyc compile} writes), and {@code
 * Matcher.of} (what {@code policyc test} pays per destination). Each cell is the median of the
 * rounds after five warm-up rounds. To compare two commits, run it under {@code
 * benchmarks/compare.sh REV_A REV_B -- dev.tessera.bench.enforcer.BuildBench ...}, which builds
 * both and runs them alternately on the same machine.
 *
 * <pre>
 * java -Xmx2g -cp "benchmarks/target/*:benchmarks/target/lib/*" dev.tessera.bench.enforcer.BuildBench [nodes=10000] [rounds=5] [matcherSample=200] [all|encode|matcher]
 * </pre>
 */
public final class BuildBench {
  private BuildBench() {}

  public static void main(String[] args) {
    int nodes = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    int sample = args.length > 2 ? Integer.parseInt(args[2]) : 200;
    String what = args.length > 3 ? args[3] : "all"; // all | encode | matcher

    long c0 = System.nanoTime();
    SyntheticTailnet tn = new SyntheticTailnet(nodes, 42);
    Compilation c = Compiler.compile(tn.policy, tn.inventory);
    List<CompiledFilter> all = new ArrayList<>(c.filters().values());
    c = null; // only the filters stay live
    long prefixes = 0;
    for (CompiledFilter f : all) {
      for (FilterRule r : f.rules()) {
        prefixes += r.sources().size();
      }
    }
    long canonical = all.stream().filter(f -> f.canonical() == f).count();
    System.out.printf(
        Locale.ROOT,
        "compiled %d nodes in %.1f s: %d filters (%d already canonical), %d rules' source prefixes%n",
        nodes,
        (System.nanoTime() - c0) / 1e9,
        all.size(),
        canonical,
        prefixes);
    CompiledFilter wide = wideFilter(13, 5000, 7);
    CompiledFilter shuffled = shuffledCopy(wide, 9);
    if (!Arrays.equals(FilterCodec.encode(shuffled), FilterCodec.encode(wide))) {
      throw new AssertionError("a shuffled filter must encode like its canonical form");
    }
    List<CompiledFilter> sampled = new ArrayList<>();
    for (int i = 0; i < Math.min(sample, all.size()); i++) {
      sampled.add(all.get(i * (all.size() / Math.min(sample, all.size()))));
    }

    System.out.printf(Locale.ROOT, "%d rounds, median ms:%n", rounds);
    if (!what.equals("matcher")) {
      row(
          "encode+sha256, all " + all.size() + " filters",
          rounds,
          () -> {
            long b = 0;
            for (CompiledFilter f : all) {
              b += FilterCodec.sha256Hex(f).length();
            }
            return b;
          });
      row(
          "encode only, all " + all.size() + " filters",
          rounds,
          () -> {
            long b = 0;
            for (CompiledFilter f : all) {
              b += FilterCodec.encode(f).length;
            }
            return b;
          });
      row(
          "encode, 13x5k filter (canonical) x20",
          rounds,
          () -> repeat(20, () -> FilterCodec.encode(wide).length));
      row(
          "encode, 13x5k filter (shuffled) x20",
          rounds,
          () -> repeat(20, () -> FilterCodec.encode(shuffled).length));
    }
    if (what.equals("encode")) {
      return;
    }
    // The 10k filters (tens of millions of prefixes) would otherwise stay live and make GC
    // cost, not build cost, decide the Matcher figures.
    all.clear();
    System.gc();
    row(
        "Matcher.of, " + sampled.size() + " sampled node filters",
        rounds,
        () -> {
          long b = 0;
          for (CompiledFilter f : sampled) {
            b += Matcher.of(f).hashCode() & 1;
          }
          return b;
        });
    row(
        "Matcher.of, 13 rules x 5k src prefixes x20",
        rounds,
        () -> repeat(20, () -> Matcher.of(wide).hashCode() & 1));
  }

  private static long repeat(int times, java.util.function.IntSupplier op) {
    long b = 0;
    for (int i = 0; i < times; i++) {
      b += op.getAsInt();
    }
    return b;
  }

  /** Runs {@code op} five times to warm up, then {@code rounds} times, and prints the median. */
  private static void row(String name, int rounds, LongSupplier op) {
    long[] t = new long[rounds];
    long sink = 0;
    for (int w = 0; w < 5; w++) {
      sink += op.getAsLong();
    }
    for (int r = 0; r < rounds; r++) {
      long s = System.nanoTime();
      sink += op.getAsLong();
      t[r] = System.nanoTime() - s;
    }
    System.out.printf(
        Locale.ROOT, "  %-46s %9.1f%s%n", name, median(t) / 1e6, sink == 42 ? " " : "");
  }

  private static long median(long[] xs) {
    long[] s = xs.clone();
    Arrays.sort(s);
    return s[s.length / 2];
  }

  /**
   * The policy-tests shape: {@code rules} rules whose sources together hold about {@code total}
   * host prefixes (half IPv4 in 100.64/10, half IPv6 in fd7a:115c:a1e0::/48, drawn from a 20k host
   * tailnet, plus an occasional /24), each to this node on one port; canonical form.
   */
  static CompiledFilter wideFilter(int rules, int total, long seed) {
    Random rnd = new Random(seed);
    List<FilterRule> out = new ArrayList<>();
    for (int r = 0; r < rules; r++) {
      List<IpPrefix> src = new ArrayList<>();
      for (int k = 0; k < total / rules / 2; k++) {
        int h = rnd.nextInt(20_000);
        src.add(IpPrefix.host(SyntheticFilters.host(false, h)));
        src.add(IpPrefix.host(SyntheticFilters.host(true, h)));
      }
      if (rnd.nextInt(3) == 0) {
        src.add(IpPrefix.of(SyntheticFilters.host(false, rnd.nextInt(20_000)), 24));
      }
      List<Integer> protos =
          r % 3 == 0 ? List.of(IpProtocol.TCP) : r % 3 == 1 ? List.of(IpProtocol.UDP) : List.of();
      List<DstPorts> dst =
          List.of(
              new DstPorts(
                  IpPrefix.host(SyntheticFilters.NODE4), 1000 + r, 1000 + r + rnd.nextInt(3)),
              new DstPorts(
                  IpPrefix.host(SyntheticFilters.NODE6), 1000 + r, 1000 + r + rnd.nextInt(3)));
      out.add(
          new FilterRule(
              src, protos, dst, new RuleOrigin("bench.hujson", 10 + r, 5, RuleOrigin.ACL, r)));
    }
    return CompiledFilter.of(
            "node",
            List.of(IpPrefix.host(SyntheticFilters.NODE4), IpPrefix.host(SyntheticFilters.NODE6)),
            out,
            List.of(),
            List.of())
        .canonical();
  }

  /** The same filter with every list shuffled: the slow (re-sorting) path of encode. */
  static CompiledFilter shuffledCopy(CompiledFilter f, long seed) {
    Random rnd = new Random(seed);
    List<FilterRule> rs = new ArrayList<>();
    for (FilterRule r : f.rules()) {
      List<IpPrefix> s = new ArrayList<>(r.sources());
      java.util.Collections.shuffle(s, rnd);
      rs.add(new FilterRule(s, r.protocols(), r.destinations(), r.origin()));
    }
    java.util.Collections.shuffle(rs, rnd);
    return CompiledFilter.of(f.node(), f.nodeAddresses(), rs, f.peers(), f.capGrants());
  }
}
