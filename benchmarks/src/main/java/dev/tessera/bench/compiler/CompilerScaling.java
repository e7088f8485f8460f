package dev.tessera.bench.compiler;

import dev.tessera.compiler.Compilation;
import dev.tessera.compiler.Compiler;
import dev.tessera.compiler.inventory.InventoryNode;
import dev.tessera.enforcer.format.CompiledFilter;
import dev.tessera.enforcer.format.FilterCodec;
import dev.tessera.enforcer.format.IpAddress;
import dev.tessera.policy.ast.PostureValue;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Compile-time scaling of the compiler (issue 4 goals: all 10k filters in <= 2 s and <= 1 GiB
 * heap; one node joining or changing in <= 50 ms; cost growing no faster than the output).
 *
 * <pre>
 * ./mvnw -pl benchmarks -am package -DskipTests
 * java -Xmx1g -cp "benchmarks/target/benchmarks-0.1.0-SNAPSHOT.jar:benchmarks/target/lib/*" \
 *     dev.tessera.bench.compiler.CompilerScaling [sizes...]   # default 1000 5000 10000
 * </pre>
 *
 * For each size: the synthetic tailnet ({@link SyntheticTailnet}), then warm-up compiles ({@code
 * -Dwarmup=2}), then the median of {@code -Dreps=3} timed full compiles (all passes, every node's CompiledFilter built), the same plus
 * encoding and hashing every filter (what {@code policyc compile} writes), the peak heap during one
 * compile (heap pools' peak usage after a GC and a peak reset; includes the inputs), the output
 * size (rules, source prefixes, peers, encoded bytes), and incremental recompiles: a node joining and
 * a node changing its tags. Absolute times depend on the (shared) machine; ratios between sizes are
 * the point.
 */
public final class CompilerScaling {
  private CompilerScaling() {}

  public static void main(String[] args) {
    int[] sizes = args.length == 0 ? new int[] {1000, 5000, 10000}
        : Arrays.stream(args).mapToInt(Integer::parseInt).toArray();
    System.out.printf("%-7s %10s %12s %10s %9s %10s %10s %9s %12s %12s%n", "nodes", "compile_ms", "+encode_ms",
        "peak_MiB", "rules", "srcPfx", "peers", "out_MiB", "join_ms", "change_ms");
    for (int n : sizes) {
      run(n);
    }
  }

  static void run(int n) {
    SyntheticTailnet tn = new SyntheticTailnet(n, 42);
    int reps = Integer.getInteger("reps", 3);
    for (int i = 0; i < Integer.getInteger("warmup", 2); i++) {
      Compiler.compile(tn.policy, tn.inventory);
    }
    long[] t = new long[reps];
    Compilation c = null;
    for (int i = 0; i < reps; i++) {
      long s = System.nanoTime();
      c = Compiler.compile(tn.policy, tn.inventory);
      t[i] = System.nanoTime() - s;
    }
    long[] te = new long[1];
    long bytes = 0;
    for (int i = 0; i < te.length; i++) {
      long s = System.nanoTime();
      Compilation ce = Compiler.compile(tn.policy, tn.inventory);
      bytes = 0;
      for (CompiledFilter f : ce.filters().values()) {
        byte[] enc = FilterCodec.encode(f);
        FilterCodec.sha256(enc);
        bytes += enc.length;
      }
      te[i] = System.nanoTime() - s;
    }
    long peak = peakHeap(() -> Compiler.compile(tn.policy, tn.inventory));
    long rules = 0;
    long pfx = 0;
    long peers = 0;
    for (CompiledFilter f : c.filters().values()) {
      rules += f.rules().size();
      peers += f.peers().size();
      for (var r : f.rules()) {
        pfx += r.sources().size();
      }
    }
    // Incremental: a new user device joins; an existing server changes its tags.
    List<Long> joins = new ArrayList<>();
    List<Long> changes = new ArrayList<>();
    for (int k = 0; k < reps; k++) {
      InventoryNode joined = InventoryNode.of("joined-" + k, "user" + (k * 7) + "@corp.example", List.of(),
          List.of(IpAddress.ofV4(0x6470_0000 + k), new IpAddress(true, 0xfd7a_115c_a1e0_0001L, k)),
          Map.of("node:os", PostureValue.string("macos")), List.of());
      long s = System.nanoTime();
      c.update(joined);
      joins.add(System.nanoTime() - s);
      InventoryNode server = tn.inventory.nodes().get(3 + 10 * k); // i % 10 == 3: untagged? pick a tagged one
      for (InventoryNode x : tn.inventory.nodes().subList(100 + k * 10, tn.inventory.nodes().size())) {
        if (x.isTagged() && x.routes().isEmpty()) {
          server = x;
          break;
        }
      }
      InventoryNode changed = new InventoryNode(server.name(), server.user(), List.of("tag:t" + (k + 1)),
          server.ips(), server.key(), server.posture(), server.routes(), server.span());
      s = System.nanoTime();
      c.update(changed);
      changes.add(System.nanoTime() - s);
    }
    System.out.printf("%-7d %10.1f %12.1f %10.1f %9d %10d %10d %9.1f %12.1f %12.1f%n", n, median(t) / 1e6,
        median(te) / 1e6, peak / 1048576.0, rules, pfx, peers, bytes / 1048576.0,
        median(joins.stream().mapToLong(Long::longValue).toArray()) / 1e6,
        median(changes.stream().mapToLong(Long::longValue).toArray()) / 1e6);
  }

  static long median(long[] xs) {
    long[] s = xs.clone();
    Arrays.sort(s);
    return s[s.length / 2];
  }

  /** Peak heap (sum of heap pools' peaks) while {@code r} runs, after a GC and a peak reset. */
  static long peakHeap(Runnable r) {
    System.gc();
    List<MemoryPoolMXBean> pools = ManagementFactory.getMemoryPoolMXBeans().stream()
        .filter(p -> p.getType() == MemoryType.HEAP).toList();
    pools.forEach(MemoryPoolMXBean::resetPeakUsage);
    r.run();
    return pools.stream().mapToLong(p -> p.getPeakUsage().getUsed()).sum();
  }
}
