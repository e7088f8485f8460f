package dev.tessera.bench.audit;

import dev.tessera.bench.compiler.SyntheticTailnet;
import dev.tessera.compiler.Compilation;
import dev.tessera.compiler.Compiler;
import dev.tessera.compiler.diff.AccessDiff;
import dev.tessera.compiler.diff.Differ;
import dev.tessera.compiler.inventory.Inventory;
import dev.tessera.compiler.matrix.AccessMatrix;
import dev.tessera.compiler.matrix.CompiledNetwork;
import dev.tessera.compiler.matrix.CompiledNetworks;
import dev.tessera.compiler.matrix.Grouping;
import dev.tessera.compiler.matrix.MatrixBuilder;
import dev.tessera.compiler.matrix.MatrixFormat;
import dev.tessera.compiler.matrix.PolicyIndex;
import dev.tessera.policy.ast.Acl;
import dev.tessera.policy.ast.AclDestination;
import dev.tessera.policy.ast.Policy;
import dev.tessera.policy.ast.PortRange;
import dev.tessera.policy.ast.PortSpec;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.function.Supplier;

/**
 * Scaling of the auditor views (goals on this 2-core box: matrix for 1k nodes in <= 2 s, its HTML
 * <= 5 MB; diff of two 2k-rule policies over 10k nodes in <= 5 s).
 *
 * <pre>
 * ./mvnw -pl benchmarks -am package -DskipTests
 * java -Xmx2g -cp "benchmarks/target/benchmarks-0.1.0-SNAPSHOT.jar:benchmarks/target/lib/*" \
 *     dev.tessera.bench.audit.AuditScaling [matrixNodes...]    # default 500 1000 2000
 * </pre>
 *
 * Inputs are the compiler's {@link SyntheticTailnet} (at 10k nodes: 500 users, 100 groups, 200
 * tags, 2,000 rules). Every figure is the median of timed runs after warm-up. The baseline in the
 * same command is the compiler itself ({@code compile_ms}): a view costs a few compiles at most.
 *
 * <ul>
 *   <li>matrix: compile, then the node-level matrix read off the compiled filters ({@code
 *       matrix_ms}), grouped by group ({@code group_ms}), and the HTML, CSV and JSON pages ({@code
 *       html_ms}, sizes in MB). {@code end_to_end_ms} = compile + matrix + HTML, what {@code
 *       policyc matrix --format html} does after reading its inputs.
 *   <li>diff at 10k nodes: the same policy against (a) a pure refactor (acls in reverse order: must
 *       report no change) and (b) an edit (ten acls' ports changed, two acls removed). Figures: the
 *       two compiles one after the other (baseline), the two compiles at once (what {@code policyc
 *       diff} does), the differ alone, and total = parallel compiles + differ.
 * </ul>
 *
 * Absolute times depend on the (shared) machine.
 */
public final class AuditScaling {
  private AuditScaling() {}

  public static void main(String[] args) {
    int[] sizes =
        args.length == 0
            ? new int[] {500, 1000, 2000}
            : Arrays.stream(args).mapToInt(Integer::parseInt).toArray();
    System.out.printf("matrix (median of 5 after 2 warm-ups)%n");
    System.out.printf(
        "%-6s %6s %10s %10s %9s %8s %8s %8s %8s %14s%n",
        "nodes",
        "rules",
        "compile_ms",
        "matrix_ms",
        "group_ms",
        "html_ms",
        "html_MB",
        "csv_MB",
        "json_MB",
        "end_to_end_ms");
    for (int n : sizes) {
      matrix(n);
    }
    diff(10_000);
  }

  static void matrix(int n) {
    SyntheticTailnet tn = new SyntheticTailnet(n, 42);
    PolicyIndex idx = PolicyIndex.of(tn.policy, "synthetic.hujson");
    long compile = median(() -> compile(idx, tn.inventory));
    CompiledNetwork net = compile(idx, tn.inventory);
    long matrix = median(() -> new MatrixBuilder(net).build("synthetic", List.of()));
    AccessMatrix m = new MatrixBuilder(net).build("synthetic", List.of());
    long group = median(() -> Grouping.apply(m, Grouping.By.GROUP));
    long html = median(() -> MatrixFormat.HTML.render(m));
    double htmlMb = mb(MatrixFormat.HTML.render(m));
    double csvMb = mb(MatrixFormat.CSV.render(m));
    double jsonMb = mb(MatrixFormat.JSON.render(m));
    System.out.printf(
        "%-6d %6d %10.0f %10.0f %9.0f %8.0f %8.2f %8.2f %8.2f %14.0f   (%d cells with access)%n",
        n,
        idx.origins().size(),
        ms(compile),
        ms(matrix),
        ms(group),
        ms(html),
        htmlMb,
        csvMb,
        jsonMb,
        ms(compile + matrix + html),
        m.cells().size());
  }

  static void diff(int n) {
    SyntheticTailnet tn = new SyntheticTailnet(n, 42);
    Policy base = tn.policy;
    List<Acl> reversed = new ArrayList<>(base.acls());
    Collections.reverse(reversed);
    Policy refactor = base.toBuilder().acls(reversed).build();
    List<Acl> edited = new ArrayList<>(base.acls());
    for (int i = 0; i < 10; i++) {
      Acl a = edited.get(i * 7);
      List<AclDestination> d =
          a.dst().stream()
              .map(
                  x ->
                      new AclDestination(x.target(), PortSpec.of(new PortRange(1, 1024)), x.span()))
              .toList();
      edited.set(i * 7, new Acl(a.action(), a.src(), d, a.proto(), a.srcPosture(), a.span()));
    }
    edited.remove(101);
    edited.remove(100);
    Policy edit = base.toBuilder().acls(edited).build();
    System.out.printf(
        "%ndiff over %d nodes, %d rules (median of 3 after 1 warm-up)%n",
        n, base.acls().size() + base.grants().size());
    System.out.printf(
        "%-9s %14s %14s %9s %9s %9s %12s%n",
        "new", "2x_compile_ms", "par_compile_ms", "diff_ms", "total_ms", "changed", "pairs+/-");
    for (Object[] c : new Object[][] {{"refactor", refactor}, {"edit", edit}}) {
      Policy p = (Policy) c[1];
      PolicyIndex oi = PolicyIndex.of(base, "old.hujson");
      PolicyIndex ni = PolicyIndex.of(p, "new.hujson");
      long compiles =
          median3(
              () -> {
                compile(oi, tn.inventory);
                return compile(ni, tn.inventory);
              });
      // What policyc diff does: both sides compiled at once (AuditLoader.compileBoth).
      long parallel =
          median3(
              () -> {
                var f =
                    java.util.concurrent.CompletableFuture.supplyAsync(
                        () -> compile(ni, tn.inventory));
                compile(oi, tn.inventory);
                return f.join();
              });
      CompiledNetwork on = compile(oi, tn.inventory);
      CompiledNetwork nn = compile(ni, tn.inventory);
      long differ = median3(() -> new Differ(on, oi, nn, ni).diff(false, List.of()));
      AccessDiff d = new Differ(on, oi, nn, ni).diff(false, List.of());
      System.out.printf(
          "%-9s %14.0f %14.0f %9.0f %9.0f %9s %12s%n",
          c[0],
          ms(compiles),
          ms(parallel),
          ms(differ),
          ms(parallel + differ),
          !d.unchanged(),
          d.count(AccessDiff.Kind.GAINED) + "/" + d.count(AccessDiff.Kind.LOST));
      if (c[0].equals("refactor") && !d.unchanged()) {
        throw new AssertionError("a pure refactor must diff as unchanged");
      }
    }
  }

  static CompiledNetwork compile(PolicyIndex idx, Inventory inv) {
    Compilation c = Compiler.compile(idx.policy(), inv);
    if (c.hasErrors()) {
      throw new IllegalStateException("synthetic policy does not compile: " + c.diagnostics());
    }
    return CompiledNetworks.of(idx, inv, c.filters());
  }

  static double mb(String s) {
    return s.getBytes(StandardCharsets.UTF_8).length / 1e6;
  }

  static double ms(long nanos) {
    return nanos / 1e6;
  }

  static long median(Supplier<?> work) {
    return timed(work, 2, 5);
  }

  static long median3(Supplier<?> work) {
    return timed(work, 1, 3);
  }

  static long timed(Supplier<?> work, int warm, int reps) {
    for (int i = 0; i < warm; i++) {
      work.get();
    }
    long[] t = new long[reps];
    for (int i = 0; i < reps; i++) {
      long s = System.nanoTime();
      work.get();
      t[i] = System.nanoTime() - s;
    }
    Arrays.sort(t);
    return t[reps / 2];
  }
}
