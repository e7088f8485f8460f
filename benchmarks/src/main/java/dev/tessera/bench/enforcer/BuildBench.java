package dev.tessera.bench.enforcer;

import dev.tessera.bench.compiler.SyntheticTailnet;
import dev.tessera.bench.enforcer.baseline.BaselineCodec;
import dev.tessera.bench.enforcer.baseline.BaselineRuleTable;
import dev.tessera.compiler.Compilation;
import dev.tessera.compiler.Compiler;
import dev.tessera.enforcer.Matcher;
import dev.tessera.enforcer.format.CompiledFilter;
import dev.tessera.enforcer.format.DstPorts;
import dev.tessera.enforcer.format.FilterCodec;
import dev.tessera.enforcer.format.FilterRule;
import dev.tessera.enforcer.format.IpPrefix;
import dev.tessera.enforcer.format.IpProtocol;
import dev.tessera.enforcer.format.RuleOrigin;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.function.ToLongFunction;

/**
 * Before/after figures for the two build-time costs other modules hit: {@code FilterCodec.encode}
 * + SHA-256 over every filter of the compiler's synthetic tailnet (what {@code policyc compile}
 * writes), and {@code Matcher.of} (what {@code policyc test} pays per destination). "before" is a
 * frozen copy of the code as committed ({@code baseline/}: the codec from the first speed fix,
 * the rule tables from the commit the latest build-speed work started from).
 * Variants run interleaved in one JVM on the same inputs; each cell is the median of the rounds.
 * Outputs are compared first (identical bytes/hashes; identical table shapes), so a speed-up
 * that changed results fails the run.
 *
 * <pre>
 * java -Xmx2g -cp "/tmp/bench/*" dev.tessera.bench.enforcer.BuildBench [nodes=10000] [rounds=5] [matcherSample=200]
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
        System.out.printf(Locale.ROOT, "compiled %d nodes in %.1f s: %d filters (%d already canonical), %d rules' source prefixes%n",
                nodes, (System.nanoTime() - c0) / 1e9, all.size(), canonical, prefixes);

        // ---- correctness first: identical bytes and hashes on every filter
        for (CompiledFilter f : all) {
            if (!Arrays.equals(BaselineCodec.encode(f), FilterCodec.encode(f))
                    || !BaselineCodec.sha256Hex(f).equals(FilterCodec.sha256Hex(f))) {
                throw new AssertionError("encoding differs for " + f.node());
            }
        }
        CompiledFilter wide = wideFilter(13, 5000, 7);
        CompiledFilter shuffled = shuffledCopy(wide, 9);
        if (!Arrays.equals(BaselineCodec.encode(shuffled), FilterCodec.encode(shuffled))) {
            throw new AssertionError("encoding differs for the non-canonical filter");
        }

        List<CompiledFilter> sampled = new ArrayList<>();
        for (int i = 0; i < Math.min(sample, all.size()); i++) {
            sampled.add(all.get(i * (all.size() / Math.min(sample, all.size()))));
        }
        for (CompiledFilter f : sampled) {
            checkSameTables(f);
        }
        checkSameTables(wide);

        System.out.printf(Locale.ROOT, "%d rounds, median ms (ratio = before / after):%n", rounds);
        // ---- 1. encode + hash of every filter (the compiler's output is canonical)
        if (!what.equals("matcher")) {
        row("encode+sha256, all " + all.size() + " filters", rounds, List.of(
                fs -> { long b = 0; for (CompiledFilter f : all) { b += BaselineCodec.sha256Hex(f).length(); } return b; },
                fs -> { long b = 0; for (CompiledFilter f : all) { b += FilterCodec.sha256Hex(f).length(); } return b; }));
        row("encode only, all " + all.size() + " filters", rounds, List.of(
                fs -> { long b = 0; for (CompiledFilter f : all) { b += BaselineCodec.encode(f).length; } return b; },
                fs -> { long b = 0; for (CompiledFilter f : all) { b += FilterCodec.encode(f).length; } return b; }));
        row("encode, 13x5k filter (canonical) x20", rounds, List.of(
                fs -> repeat(20, () -> BaselineCodec.encode(wide).length),
                fs -> repeat(20, () -> FilterCodec.encode(wide).length)));
        row("encode, 13x5k filter (shuffled) x20", rounds, List.of(
                fs -> repeat(20, () -> BaselineCodec.encode(shuffled).length),
                fs -> repeat(20, () -> FilterCodec.encode(shuffled).length)));
        }
        if (what.equals("encode")) {
            return;
        }
        // The 10k filters (tens of millions of prefixes) would otherwise stay live and make GC
        // cost, not build cost, decide the Matcher figures.
        all.clear();
        System.gc();

        // ---- 2. Matcher.of (both families)
        row("Matcher.of, " + sampled.size() + " sampled node filters", rounds, List.of(
                fs -> { long b = 0; for (CompiledFilter f : sampled) { b += baseline(f); } return b; },
                fs -> { long b = 0; for (CompiledFilter f : sampled) { b += Matcher.of(f).hashCode() & 1; } return b; }));
        row("Matcher.of, 13 rules x 5k src prefixes x20", rounds, List.of(
                fs -> repeat(20, () -> baseline(wide)),
                fs -> repeat(20, () -> Matcher.of(wide).hashCode() & 1)));
    }

    private static int baseline(CompiledFilter f) {
        return BaselineRuleTable.build(f.rules(), false).ruleCount() + BaselineRuleTable.build(f.rules(), true).ruleCount();
    }

    private static void checkSameTables(CompiledFilter f) {
        String now = Matcher.of(f).describe();
        {
            String before = BaselineRuleTable.build(f.rules(), false).describe() + "; "
                    + BaselineRuleTable.build(f.rules(), true).describe();
            if (!before.equals(now)) {
                throw new AssertionError("tables differ for " + f.node() + ": " + before + " vs " + now);
            }
        }
    }

    private static long repeat(int times, java.util.function.IntSupplier op) {
        long b = 0;
        for (int i = 0; i < times; i++) {
            b += op.getAsInt();
        }
        return b;
    }

    /** Runs the variants interleaved (five warm-up rounds each) and prints medians and ratios. */
    private static void row(String name, int rounds, List<ToLongFunction<Void>> variants) {
        int v = variants.size();
        long[][] t = new long[v][rounds];
        long sink = 0;
        for (int w = 0; w < 5; w++) { // warm-up: let C2 finish with every variant first
            for (ToLongFunction<Void> x : variants) {
                sink += x.applyAsLong(null);
            }
        }
        for (int r = 0; r < rounds; r++) {
            for (int k = 0; k < v; k++) {
                long s = System.nanoTime();
                sink += variants.get(k).applyAsLong(null);
                t[k][r] = System.nanoTime() - s;
            }
        }
        double before = median(t[0]) / 1e6;
        double after = median(t[1]) / 1e6;
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "  %-46s before %9.1f  after %9.1f  ratio %5.1fx",
                name, before, after, before / after));
        if (v > 2) {
            double ho = median(t[2]) / 1e6;
            sb.append(String.format(Locale.ROOT, "  | handed-over %9.1f  ratio %5.1fx", ho, ho / after));
        }
        System.out.println(sb + (sink == 42 ? " " : ""));
    }

    private static long median(long[] xs) {
        long[] s = xs.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

    /**
     * The policy-tests shape: {@code rules} rules whose sources together hold about {@code total}
     * host prefixes (half IPv4 in 100.64/10, half IPv6 in fd7a:115c:a1e0::/48, drawn from a 20k
     * host tailnet, plus an occasional /24), each to this node on one port; canonical form.
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
            List<Integer> protos = r % 3 == 0 ? List.of(IpProtocol.TCP) : r % 3 == 1 ? List.of(IpProtocol.UDP) : List.of();
            List<DstPorts> dst = List.of(
                    new DstPorts(IpPrefix.host(SyntheticFilters.NODE4), 1000 + r, 1000 + r + rnd.nextInt(3)),
                    new DstPorts(IpPrefix.host(SyntheticFilters.NODE6), 1000 + r, 1000 + r + rnd.nextInt(3)));
            out.add(new FilterRule(src, protos, dst, new RuleOrigin("bench.hujson", 10 + r, 5, RuleOrigin.ACL, r)));
        }
        return CompiledFilter.of("node", List.of(IpPrefix.host(SyntheticFilters.NODE4),
                IpPrefix.host(SyntheticFilters.NODE6)), out, List.of(), List.of()).canonical();
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
