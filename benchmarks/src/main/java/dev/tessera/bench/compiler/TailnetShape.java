package dev.tessera.bench.compiler;

import dev.tessera.compiler.inventory.Inventory;
import dev.tessera.policy.ast.Policy;

/**
 * One of the two synthetic tailnet shapes the benchmarks run, by name: {@code dense} or {@code
 * realistic}.
 */
public record TailnetShape(Policy policy, Inventory inventory) {
  /** The shape named {@code shape} with {@code n} nodes (seed 42, as every benchmark uses). */
  public static TailnetShape of(String shape, int n) {
    return switch (shape) {
      case "realistic" -> {
        RealisticTailnet t = new RealisticTailnet(n, 42);
        yield new TailnetShape(t.policy, t.inventory);
      }
      case "dense" -> {
        SyntheticTailnet t = new SyntheticTailnet(n, 42);
        yield new TailnetShape(t.policy, t.inventory);
      }
      default -> throw new IllegalArgumentException("-Dshape=dense|realistic, not " + shape);
    };
  }
}
