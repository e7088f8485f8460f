package dev.tessera.bench.compiler;

import dev.tessera.compiler.Compilation;
import dev.tessera.compiler.Compiler;
import dev.tessera.compiler.inventory.InventoryNode;
import dev.tessera.enforcer.format.CompiledFilter;
import dev.tessera.enforcer.format.FilterCodec;
import dev.tessera.net.IpAddress;
import dev.tessera.policy.ast.PostureValue;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Compile-time scaling of the compiler (goals: all 10k filters in <= 2 s and <= 1 GiB heap; one
 * node joining or changing in <= 50 ms; cost growing no faster than the output).
 *
 * <pre>
 * ./mvnw -pl benchmarks -am package -DskipTests
 * java -Xmx1g -cp "benchmarks/target/benchmarks-0.1.0-SNAPSHOT.jar:benchmarks/target/lib/*" \
 *     dev.tessera.bench.compiler.CompilerScaling [sizes...]   # default 1000 5000 10000
 * </pre>
 *
 * For each size: the synthetic tailnet ({@link SyntheticTailnet}), then warm-up compiles ({@code
 * -Dwarmup=2}), then the median of {@code -Dreps=3} timed full compiles (all passes, every node's
 * CompiledFilter built), the same plus encoding and hashing every filter (what {@code policyc
 * compile} writes), the peak heap during one compile (heap pools' peak usage after a GC and a peak
 * reset; includes the inputs), the output size (rules, source prefixes, peers, encoded bytes), and
 * incremental recompiles: a node joining, a node changing its tags and a node leaving (medians,
 * after {@code -DupdateWarmup=10} untimed rounds of updates; with the number of filters each
 * changed). Absolute times depend on the (shared) machine; ratios between sizes are the point.
 */
public final class CompilerScaling {
  private CompilerScaling() {}

  public static void main(String[] args) {
    int[] sizes =
        args.length == 0
            ? new int[] {1000, 5000, 10000}
            : Arrays.stream(args).mapToInt(Integer::parseInt).toArray();
    System.out.printf("shape=%s%n", System.getProperty("shape", "dense"));
    System.out.printf(
        "%-7s %10s %12s %10s %9s %10s %10s %9s %14s %14s %14s%n",
        "nodes",
        "compile_ms",
        "+encode_ms",
        "peak_MiB",
        "rules",
        "srcPfx",
        "peers",
        "out_MiB",
        "join_ms(chg)",
        "change_ms(chg)",
        "leave_ms(chg)");
    for (int n : sizes) {
      run(n);
    }
  }

  private static TailnetShape tailnet(int n) {
    return TailnetShape.of(System.getProperty("shape", "dense"), n);
  }

  static void run(int n) {
    TailnetShape tn = tailnet(n);
    int reps = Integer.getInteger("reps", 3);
    for (int i = 0; i < Integer.getInteger("warmup", 2); i++) {
      Compiler.compile(tn.policy(), tn.inventory());
    }
    long[] t = new long[reps];
    Compilation c = null;
    for (int i = 0; i < reps; i++) {
      long s = System.nanoTime();
      c = Compiler.compile(tn.policy(), tn.inventory());
      t[i] = System.nanoTime() - s;
    }
    long[] te = new long[1];
    long bytes = 0;
    for (int i = 0; i < te.length; i++) {
      long s = System.nanoTime();
      Compilation ce = Compiler.compile(tn.policy(), tn.inventory());
      bytes = 0;
      for (CompiledFilter f : ce.filters().values()) {
        byte[] enc = FilterCodec.encode(f);
        FilterCodec.sha256(enc);
        bytes += enc.length;
      }
      te[i] = System.nanoTime() - s;
    }
    long peak = peakHeap(() -> Compiler.compile(tn.policy(), tn.inventory()));
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
    // Incremental: a new user device joins; an existing server changes its tags; a node leaves.
    long[] joins = new long[reps];
    long[] changes = new long[reps];
    long[] leaves = new long[reps];
    long[] joinChanged = new long[reps];
    long[] changeChanged = new long[reps];
    long[] leaveChanged = new long[reps];
    boolean leave = Boolean.parseBoolean(System.getProperty("leave", "true"));
    List<InventoryNode> nodes = tn.inventory().nodes();
    // The update path warmed up first (-DupdateWarmup rounds of the same three updates, untimed),
    // as
    // in a policy server that applies many updates in one process: the figures are then the
    // steady state, not the JIT compiling the incremental passes.
    for (int w = 1; w <= Integer.getInteger("updateWarmup", 10); w++) {
      warmUpdates(c, nodes, w, leave);
    }
    for (int k = 0; k < reps; k++) {
      InventoryNode joined =
          InventoryNode.of(
              "joined-" + k,
              "user" + (k * 7) + "@corp.example",
              List.of(),
              List.of(
                  IpAddress.ofV4(0x6470_0000 + k), new IpAddress(true, 0xfd7a_115c_a1e0_0001L, k)),
              Map.of("node:os", PostureValue.string("macos")),
              List.of());
      long s = System.nanoTime();
      joinChanged[k] = c.update(joined).changedNodes().size();
      joins[k] = System.nanoTime() - s;
      InventoryNode server = null;
      for (InventoryNode x : nodes.subList(100 + k * 10, nodes.size())) {
        if (x.isTagged() && x.routes().isEmpty()) {
          server = x;
          break;
        }
      }
      InventoryNode changed =
          new InventoryNode(
              server.name(),
              server.user(),
              List.of("tag:t" + (k + 1)),
              server.ips(),
              server.key(),
              server.posture(),
              server.routes(),
              server.span());
      s = System.nanoTime();
      changeChanged[k] = c.update(changed).changedNodes().size();
      changes[k] = System.nanoTime() - s;
      if (leave) {
        String gone = nodes.get((200 + 13 * k) % nodes.size()).name();
        s = System.nanoTime();
        leaveChanged[k] = c.remove(gone).changedNodes().size();
        leaves[k] = System.nanoTime() - s;
      }
    }
    System.out.printf(
        "%-7d %10.1f %12.1f %10.1f %9d %10d %10d %9.1f %14s %14s %14s%n",
        n,
        median(t) / 1e6,
        median(te) / 1e6,
        peak / 1048576.0,
        rules,
        pfx,
        peers,
        bytes / 1048576.0,
        cell(joins, joinChanged),
        cell(changes, changeChanged),
        leave ? cell(leaves, leaveChanged) : "n/a");
  }

  /** One untimed round of the three updates (other nodes than the timed rounds use). */
  private static void warmUpdates(Compilation c, List<InventoryNode> nodes, int w, boolean leave) {
    InventoryNode joined =
        InventoryNode.of(
            "warm-" + w,
            "user" + (w * 11 % 400) + "@corp.example",
            List.of(),
            List.of(
                IpAddress.ofV4(0x6471_0000 + w), new IpAddress(true, 0xfd7a_115c_a1e0_0002L, w)),
            Map.of("node:os", PostureValue.string("macos")),
            List.of());
    c.update(joined);
    // From a node past the timed rounds' ones (modulo: 1k nodes have no node 3000).
    for (InventoryNode x : nodes.subList((3000 + w * 17) % nodes.size(), nodes.size())) {
      if (x.isTagged() && x.routes().isEmpty()) {
        c.update(
            new InventoryNode(
                x.name(),
                x.user(),
                List.of("tag:t" + (w % 50 + 1)),
                x.ips(),
                x.key(),
                x.posture(),
                x.routes(),
                x.span()));
        break;
      }
    }
    if (leave) {
      c.remove(nodes.get((5000 + 31 * w) % nodes.size()).name());
    }
  }

  /** Median time in ms and, in parentheses, the median number of filters that changed. */
  private static String cell(long[] nanos, long[] changed) {
    return String.format("%.1f(%d)", median(nanos) / 1e6, median(changed));
  }

  static long median(long[] xs) {
    long[] s = xs.clone();
    Arrays.sort(s);
    return s[s.length / 2];
  }

  /** Peak heap (sum of heap pools' peaks) while {@code r} runs, after a GC and a peak reset. */
  static long peakHeap(Runnable r) {
    System.gc();
    List<MemoryPoolMXBean> pools =
        ManagementFactory.getMemoryPoolMXBeans().stream()
            .filter(p -> p.getType() == MemoryType.HEAP)
            .toList();
    pools.forEach(MemoryPoolMXBean::resetPeakUsage);
    r.run();
    return pools.stream().mapToLong(p -> p.getPeakUsage().getUsed()).sum();
  }
}
