package dev.tessera.compiler.pass;

import java.util.function.IntConsumer;
import java.util.stream.IntStream;

/**
 * Per-node work spread over the common fork-join pool. Determinism: every body writes only the slot
 * of its own node (and thread-safe caches whose values are pure functions of their keys), so the
 * result is the same whatever the interleaving; only object identity of cached values may differ
 * between runs, never their content, and nothing emitted depends on identity.
 */
public final class Parallel {
  /**
   * Below this many nodes the fork/join overhead outweighs the work. The compiler's own tests lower
   * it ({@code -Dtessera.compiler.parallelMin=2}) so their small tailnets take this path too.
   */
  static final int MIN_PARALLEL =
      Math.max(1, Integer.getInteger("tessera.compiler.parallelMin", 512));

  private Parallel() {}

  /** Runs {@code body} for 0..n-1, in parallel when it pays off. */
  public static void forEachNode(int n, IntConsumer body) {
    if (n < MIN_PARALLEL || Runtime.getRuntime().availableProcessors() < 2) {
      for (int i = 0; i < n; i++) {
        body.accept(i);
      }
      return;
    }
    IntStream.range(0, n).parallel().forEach(body);
  }
}
