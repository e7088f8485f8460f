package dev.tessera.bench.audit;

import dev.tessera.bench.compiler.SyntheticTailnet;
import dev.tessera.compiler.Compilation;
import dev.tessera.compiler.Compiler;
import dev.tessera.compiler.matrix.AccessMatrix;
import dev.tessera.compiler.matrix.CompiledNetwork;
import dev.tessera.compiler.matrix.CompiledNetworks;
import dev.tessera.compiler.matrix.MatrixBuilder;
import dev.tessera.compiler.matrix.PolicyIndex;
import java.util.Arrays;
import java.util.List;

/**
 * Time to build the node-level access matrix of the compiler's {@link SyntheticTailnet}, per size:
 * the median of {@code reps} builds after one warm-up, with the cell count. Uses only {@code
 * CompiledNetworks.of}, {@code new MatrixBuilder(net).build(title, notes)} and {@code
 * AccessMatrix.cells()}, so the same class runs against an older build of the compiler for a
 * before/after in one run:
 *
 * <pre>
 * java -Xmx12g -cp "DIR_WITH_THIS_CLASS:OLD_JARS/*" dev.tessera.bench.audit.MatrixScaling 3 1000 5000 10000
 * java -Xmx12g -cp "NEW_JARS/*" dev.tessera.bench.audit.MatrixScaling 3 1000 5000 10000
 * </pre>
 */
public final class MatrixScaling {
  private MatrixScaling() {}

  public static void main(String[] args) {
    int reps = Integer.parseInt(args[0]);
    int[] sizes = Arrays.stream(args).skip(1).mapToInt(Integer::parseInt).toArray();
    System.out.printf(
        "%-6s %6s %10s %10s %10s %12s%n",
        "nodes", "rules", "compile_ms", "matrix_ms", "min_ms", "cells");
    for (int n : sizes) {
      SyntheticTailnet tn = new SyntheticTailnet(n, 42);
      PolicyIndex idx = PolicyIndex.of(tn.policy, "synthetic.hujson");
      long c0 = System.nanoTime();
      Compilation c = Compiler.compile(idx.policy(), tn.inventory);
      long compile = System.nanoTime() - c0;
      if (c.hasErrors()) {
        throw new IllegalStateException("synthetic policy does not compile: " + c.diagnostics());
      }
      CompiledNetwork net = CompiledNetworks.of(idx, tn.inventory, c.filters());
      long cells = new MatrixBuilder(net).build("synthetic", List.of()).cells().size(); // warm-up
      long[] t = new long[reps];
      for (int i = 0; i < reps; i++) {
        System.gc();
        long s = System.nanoTime();
        AccessMatrix m = new MatrixBuilder(net).build("synthetic", List.of());
        t[i] = System.nanoTime() - s;
        if (m.cells().size() != cells) {
          throw new AssertionError("cell count changed between runs");
        }
      }
      Arrays.sort(t);
      System.out.printf(
          "%-6d %6d %10.0f %10.0f %10.0f %12d%n",
          n, idx.origins().size(), compile / 1e6, t[reps / 2] / 1e6, t[0] / 1e6, cells);
    }
  }
}
