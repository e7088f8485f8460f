package dev.tessera.bench.compiler;

import dev.tessera.compiler.Compilation;
import dev.tessera.compiler.Compiler;
import dev.tessera.compiler.inventory.Inventory;
import dev.tessera.compiler.inventory.InventoryNode;
import dev.tessera.net.IpAddress;
import dev.tessera.policy.ast.Policy;
import dev.tessera.policy.ast.PostureValue;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * A loop of incremental updates on one compilation, for profiling {@code Compilation.update} (run
 * it under JFR: {@code -XX:StartFlightRecording=filename=u.jfr,settings=profile}). Kinds: {@code
 * noop} (a node replaced by itself), {@code join}, {@code change} (a server's tags), {@code leave};
 * {@code -Dshape=dense|realistic}, {@code -Dnodes=10000}, {@code -Diters=40}. Prints wall-time
 * median and minimum and the median process CPU time per update (all threads, GC included).
 */
public final class UpdateProfile {
  private UpdateProfile() {}

  /**
   * CPU time of the whole process (all threads, GC included): less sensitive than wall time to
   * other processes on a shared box, which only delay us.
   */
  static long cpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean)
            java.lang.management.ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  public static void main(String[] args) {
    int n = Integer.getInteger("nodes", 10000);
    int iters = Integer.getInteger("iters", 40);
    TailnetShape shape = TailnetShape.of(System.getProperty("shape", "dense"), n);
    Policy policy = shape.policy();
    Inventory inv = shape.inventory();
    Compilation c = Compiler.compile(policy, inv);
    List<InventoryNode> nodes = inv.nodes();
    for (String kind : args.length == 0 ? new String[] {"noop", "join", "change", "leave"} : args) {
      long[] t = new long[iters];
      long[] cpu = new long[iters];
      long changed = 0;
      for (int k = 0; k < iters; k++) {
        int j = k % 5;
        Compilation next;
        long cs = cpuNanos();
        long s = System.nanoTime();
        switch (kind) {
          case "noop" -> next = c.update(nodes.get(500 + j));
          case "join" ->
              next =
                  c.update(
                      InventoryNode.of(
                          "joined-" + j,
                          "user" + (j * 7) + "@corp.example",
                          List.of(),
                          List.of(
                              IpAddress.ofV4(0x6470_0000 + j),
                              new IpAddress(true, 0xfd7a_115c_a1e0_0001L, j)),
                          Map.of("node:os", PostureValue.string("macos")),
                          List.of()));
          case "change" -> {
            InventoryNode server = null;
            for (InventoryNode x : nodes.subList(100 + j * 10, nodes.size())) {
              if (x.isTagged() && x.routes().isEmpty()) {
                server = x;
                break;
              }
            }
            next =
                c.update(
                    new InventoryNode(
                        server.name(),
                        server.user(),
                        List.of("tag:t" + (j + 1)),
                        server.ips(),
                        server.key(),
                        server.posture(),
                        server.routes(),
                        server.span()));
          }
          case "leave" -> next = c.remove(nodes.get((200 + 13 * j) % nodes.size()).name());
          default -> throw new IllegalArgumentException(kind);
        }
        t[k] = System.nanoTime() - s;
        cpu[k] = cpuNanos() - cs;
        changed = next.changedNodes().size();
      }
      long[] sorted = t.clone();
      Arrays.sort(sorted);
      long[] cpuSorted = cpu.clone();
      Arrays.sort(cpuSorted);
      // The process CPU clock ticks in 10 ms steps here: its mean over many updates is the
      // steadier figure on a shared box (other processes delay us but do not add to it).
      System.out.printf(
          "%s %s n=%d median=%.1fms min=%.1fms cpu(median)=%.1fms cpu(mean)=%.1fms changed=%d%n",
          System.getProperty("shape", "dense"),
          kind,
          n,
          sorted[iters / 2] / 1e6,
          sorted[0] / 1e6,
          cpuSorted[iters / 2] / 1e6,
          Arrays.stream(cpu).average().orElse(0) / 1e6,
          changed);
    }
  }
}
