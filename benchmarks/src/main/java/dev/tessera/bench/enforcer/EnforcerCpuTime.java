package dev.tessera.bench.enforcer;

import java.lang.management.ManagementFactory;
import java.util.function.IntSupplier;

/**
 * Companion to the JMH run for a shared, overloaded box: runs the same scenarios as {@link
 * EnforcerBenchmark} (same setup code) and reports nanoseconds of <em>thread CPU time</em> per
 * packet (ThreadMXBean.getCurrentThreadCpuTime), next to wall-clock time. CPU time leaves out the
 * time the thread waited for a core while other processes ran, so it stays meaningful when the load
 * average is many times the core count; it still includes cache and memory effects of sharing the
 * machine. Also reports bytes allocated per packet.
 *
 * <p>Usage: {@code java -cp ... dev.tessera.bench.enforcer.EnforcerCpuTime [packetsPerRun]}
 */
public final class EnforcerCpuTime {
  private EnforcerCpuTime() {}

  public static void main(String[] args) {
    long n = args.length > 0 ? Long.parseLong(args[0]) : 5_000_000L;
    var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long tid = Thread.currentThread().threadId();
    System.out.printf(
        "%-24s %-6s %6s %12s %12s %10s%n",
        "benchmark", "family", "rules", "cpu ns/pkt", "wall ns/pkt", "B/pkt");
    for (String family : new String[] {"v4", "v6"}) {
      for (int rules : new int[] {16, 256, 2048}) {
        EnforcerBenchmark b = new EnforcerBenchmark();
        b.family = family;
        b.rules = rules;
        b.setup();
        String[] names = {
          "established",
          "establishedSystemClock",
          "newFlowHit",
          "miss",
          "parseOnly",
          "linearScanMiss"
        };
        IntSupplier[] ops = {
          () -> b.established().ordinal(),
          () -> b.establishedSystemClock().ordinal(),
          () -> b.newFlowHit().ordinal(),
          () -> b.miss().ordinal(),
          b::parseOnly,
          () -> b.linearScanMiss() ? 1 : 0,
        };
        for (int k = 0; k < ops.length; k++) {
          long count = names[k].equals("linearScanMiss") ? Math.max(1, n / (rules / 16)) : n;
          int sink = 0;
          for (long i = 0; i < count; i++) {
            sink += ops[k].getAsInt(); // warm-up: the JIT compiles the path
          }
          long c0 = mx.getCurrentThreadCpuTime();
          long w0 = System.nanoTime();
          long a0 = mx.getThreadAllocatedBytes(tid);
          for (long i = 0; i < count; i++) {
            sink += ops[k].getAsInt();
          }
          long a1 = mx.getThreadAllocatedBytes(tid);
          long w1 = System.nanoTime();
          long c1 = mx.getCurrentThreadCpuTime();
          System.out.printf(
              "%-24s %-6s %6d %12.1f %12.1f %10.3f%s%n",
              names[k],
              family,
              rules,
              (c1 - c0) / (double) count,
              (w1 - w0) / (double) count,
              (a1 - a0) / (double) count,
              sink == 42 ? " " : "");
        }
      }
    }
  }
}
