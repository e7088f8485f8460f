package dev.tessera.bench.policytests;

import dev.tessera.bench.compiler.SyntheticTailnet;
import dev.tessera.compiler.Compilation;
import dev.tessera.compiler.Compiler;
import dev.tessera.compiler.inventory.Inventory;
import dev.tessera.policy.ast.Policy;
import dev.tessera.policytests.PolicyTestInputs;
import dev.tessera.policytests.PolicyTester;
import dev.tessera.policytests.TestRun;
import dev.tessera.policytests.TestSpec;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The issue's figure: 10k assertions against the 10k-node synthetic tailnet, timed after
 * compilation. Each round validates the 10k test entries, builds the tailnet view, evaluates every
 * assertion through the enforcer's Matchers (built lazily, per destination device, on first use:
 * included in the time, as in a real {@code policyc test} run) and counts coverage. The first round
 * is the cold figure a CI run sees; later rounds reuse the Matchers already built, which isolates
 * the assertion evaluation itself. Compile time and the per-node Matcher build cost are printed
 * separately.
 *
 * <pre>java -cp benchmarks/target/benchmarks-0.1.0-SNAPSHOT.jar:benchmarks/target/lib/* \
 *   dev.tessera.bench.policytests.PolicyTestBench [nodes] [assertions] [rounds] [green|random]
 * </pre>
 *
 * {@code green} (default): expectations match the real verdicts except 1%, like a CI run of a
 * maintained policy; {@code random}: half the assertions fail, the slow path (a failing accept
 * checks every source address against every destination device).
 */
public final class PolicyTestBench {
  private PolicyTestBench() {}

  public static void main(String[] args) {
    int nodes = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
    int count = args.length > 1 ? Integer.parseInt(args[1]) : 10_000;
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 5;

    // The compiler's synthetic company tailnet: the same input its scaling figures use.
    SyntheticTailnet net = new SyntheticTailnet(nodes, 42);
    Policy policy = net.policy;
    Inventory inv = net.inventory;
    List<TestSpec> tests = AssertionWorkload.tests(policy, inv, count, 7);
    boolean green = args.length <= 3 || !args[3].equals("random");
    PolicyTester.Input input =
        new PolicyTester.Input(policy, "bench.hujson", Optional.of(inv), tests);

    long c0 = System.nanoTime();
    PolicyTester.Prepared prepared0 = PolicyTester.prepare(input);
    Compilation compilation = Compiler.compile(policy, prepared0.inventory());
    long compileMs = (System.nanoTime() - c0) / 1_000_000;
    if (compilation.hasErrors()) {
      throw new IllegalStateException("compile errors: " + compilation.diagnostics());
    }
    PolicyTester.Compiled compiled = PolicyTestInputs.compiled(compilation);
    System.out.printf(
        Locale.ROOT,
        "tailnet: %d nodes, %d users, %d acls + %d grants; compile %d ms%n",
        inv.nodes().size(),
        inv.users().size(),
        policy.acls().size(),
        policy.grants().size(),
        compileMs);

    // What dominates a cold run: building each destination's Matcher (its rule tables).
    List<String> names = compilation.nodeNames();
    long m0 = System.nanoTime();
    long rulesSeen = 0;
    long prefixes = 0;
    int sample = Math.min(200, names.size());
    for (int i = 0; i < sample; i++) {
      var f = compilation.filter(names.get(i * (names.size() / sample))).orElseThrow();
      rulesSeen += f.rules().size();
      for (var rule : f.rules()) {
        prefixes += rule.sources().size();
      }
      dev.tessera.enforcer.Matcher.of(f);
    }
    System.out.printf(
        Locale.ROOT,
        "matcher build: %.2f ms per node (%d sampled; %.1f rules, %.0f source prefixes per filter)%n",
        (System.nanoTime() - m0) / 1e6 / sample,
        sample,
        rulesSeen / (double) sample,
        prefixes / (double) sample);

    if (green) {
      // What CI runs: a policy whose tests mostly pass. The random entries' expectations are set
      // to the verdicts of an untimed run (with its own Matchers, discarded), then 1% flipped.
      List<dev.tessera.policytests.Outcome> truth =
          PolicyTester.prepare(input).evaluate(compiled).run().outcomes();
      java.util.Random flip = new java.util.Random(11);
      List<TestSpec> adjusted = new java.util.ArrayList<>(tests.size());
      for (int i = 0; i < tests.size(); i++) {
        TestSpec t = tests.get(i);
        boolean swap = !truth.get(i).passed() ^ flip.nextInt(100) == 0;
        adjusted.add(
            swap
                ? new TestSpec(
                    t.span(), t.src(), t.proto(), t.deny(), t.accept(), t.hasDeny(), t.hasAccept())
                : t);
      }
      input = new PolicyTester.Input(policy, "bench.hujson", Optional.of(inv), adjusted);
    }
    System.out.println(
        "workload: "
            + (green
                ? "CI-like (verdicts known, 1% flipped to fail)"
                : "random expectations (~50% fail)"));

    long[] ms = new long[rounds];
    TestRun last = null;
    dev.tessera.policytests.Evaluator evaluator = null;
    for (int r = 0; r < rounds; r++) {
      long t0 = System.nanoTime();
      PolicyTester.Prepared prepared = PolicyTester.prepare(input);
      PolicyTester.Result.Ran ran =
          evaluator == null ? prepared.evaluate(compiled) : prepared.evaluate(evaluator, compiled);
      evaluator = ran.evaluator();
      last = ran.run();
      ms[r] = (System.nanoTime() - t0) / 1_000_000;
      System.out.printf(
          Locale.ROOT,
          "round %d: %d assertions in %d ms (%s)%n",
          r + 1,
          last.outcomes().size(),
          ms[r],
          r == 0
              ? "cold: every destination's Matcher built on first use"
              : "warm: Matchers already built");
    }
    long[] warm = Arrays.copyOfRange(ms, Math.min(1, rounds - 1), rounds);
    Arrays.sort(warm);
    System.out.printf(
        Locale.ROOT,
        "policytests: %d assertions on %d nodes after compilation: cold %d ms (incl. Matcher builds),"
            + " warm median %d ms"
            + " (goal <= 1000 ms); %d passed, %d failed, %d invalid; rule coverage %.1f%%%n",
        last.outcomes().size(),
        inv.nodes().size(),
        ms[0],
        warm[warm.length / 2],
        last.passedCount(),
        last.failedCount(),
        last.invalidCount(),
        last.coverage().percent());
  }
}
