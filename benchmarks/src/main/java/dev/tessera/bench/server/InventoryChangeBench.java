package dev.tessera.bench.server;

import dev.tessera.bench.compiler.TailnetShape;
import dev.tessera.bundle.SigningKey;
import dev.tessera.compiler.Compilation;
import dev.tessera.compiler.Compiler;
import dev.tessera.compiler.inventory.Inventory;
import dev.tessera.compiler.inventory.InventoryNode;
import dev.tessera.net.IpAddress;
import dev.tessera.policy.ast.Policy;
import dev.tessera.policy.ast.PostureValue;
import dev.tessera.server.BundleStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;

/**
 * What the policy server does when one node joins the inventory, at N nodes: the compile and the
 * publish of {@code CompileLoop.poll} (reading the inventory file is the same either way and left
 * out). "full" compiles every filter and encodes each to find the changed ones (what the server did
 * before); "incremental" follows the one change ({@code Compilation.updateTo}) and encodes only the
 * filters it changed. Both publish into the same kind of store (signing the changed bundles),
 * alternating, from the same starting compilation.
 *
 * <p>Run: {@code java -cp "benchmarks/target/*:benchmarks/target/lib/*"
 * dev.tessera.bench.server.InventoryChangeBench [NODES] [ROUNDS]} with {@code
 * -Dshape=realistic|dense}.
 */
public final class InventoryChangeBench {
  private InventoryChangeBench() {}

  public static void main(String[] args) throws Exception {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 7;
    TailnetShape shape = TailnetShape.of(System.getProperty("shape", "realistic"), n);
    Policy policy = shape.policy();
    Inventory inv = shape.inventory();
    SigningKey key = SigningKey.fromSeed(new byte[32]);
    Compilation base = Compiler.compile(policy, inv);
    long[] full = new long[rounds];
    long[] incremental = new long[rounds];
    int changed = 0;
    for (int k = -2; k < rounds; k++) { // two untimed warm-up rounds
      InventoryNode joined =
          InventoryNode.of(
              "joined-" + k,
              "user" + (Math.abs(k) * 7) + "@corp.example",
              List.of(),
              List.of(
                  IpAddress.ofV4(0x6470_0000 + 10 + k),
                  new IpAddress(true, 0xfd7a_115c_a1e0_0001L, 10 + k)),
              Map.of("node:os", PostureValue.string("macos")),
              List.of());
      Inventory next = base.inventory().withNode(joined);
      for (boolean inc : new boolean[] {k % 2 == 0, k % 2 != 0}) {
        Path dir = Files.createTempDirectory("tessera-publish");
        BundleStore store = new BundleStore(key, dir);
        store.publish(base.filters(), "r1", 1); // the store serves the starting compilation
        long start = System.nanoTime();
        Compilation c;
        java.util.Set<String> mayDiffer = null;
        if (inc) {
          c = base.updateTo(next, 32).orElseThrow();
          mayDiffer = new HashSet<>(c.changedNodes());
        } else {
          c = Compiler.compile(policy, next);
        }
        List<String> signed = store.publish(c.filters(), mayDiffer, "r2", 2);
        long took = System.nanoTime() - start;
        if (k >= 0) {
          (inc ? incremental : full)[k] = took;
        }
        changed = signed.size();
      }
    }
    Arrays.sort(full);
    Arrays.sort(incremental);
    System.out.printf(
        "%s n=%d: one node joins, compile + publish (%d bundles signed): full %.0f ms, incremental %.0f ms"
            + " (medians of %d)%n",
        System.getProperty("shape", "realistic"),
        n,
        changed,
        full[rounds / 2] / 1e6,
        incremental[rounds / 2] / 1e6,
        rounds);
  }
}
