package dev.tessera.bench.enforcer;

import dev.tessera.enforcer.Enforcer;
import dev.tessera.enforcer.Verdict;
import dev.tessera.enforcer.format.CompiledFilter;
import dev.tessera.net.IpAddress;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A flood of new flows from one peer, as fast as one core can send them, against a table that holds
 * another peer's established flows (idle long enough to be nearest to expiry). Measures the cost of
 * a flood packet ({@code flood}) and of an established packet of the other peer during the flood
 * ({@code establishedDuringFlood}); after each iteration every established flow must still be
 * tracked, else the benchmark fails. Run with {@code -prof gc}: both stay at 0 B/op.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 3, time = 1)
public class ConntrackFloodBenchmark {
  private static final int FLOODER = 1;
  private static final int VICTIM = 2;
  private static final int VICTIMS = 1000;

  private long now = 1_000_000;
  private Enforcer enforcer;
  private Enforcer.Worker worker;
  private byte[][] victimPackets;
  private byte[] flood;
  private int sportOffset;
  private int floodPort;
  private int next;

  @Setup(Level.Trial)
  public void setup() {
    CompiledFilter f = SyntheticFilters.filter(16, 42);
    IpAddress node = SyntheticFilters.NODE4;
    enforcer = Enforcer.create(f, Enforcer.Config.DEFAULT.withClock(() -> now));
    worker = enforcer.newWorker();
    int rule = 15;
    int proto = SyntheticFilters.protocolOf(f, rule);
    boolean tcp = proto == 6;
    IpAddress src = SyntheticFilters.host(false, SyntheticFilters.ownHost(rule));
    int port = SyntheticFilters.port(rule);
    victimPackets = new byte[VICTIMS][];
    for (int i = 0; i < VICTIMS; i++) {
      byte[] open = Packets.packet(src, node, proto, 10_000 + i, port, tcp ? Packets.SYN : 0);
      byte[] answer =
          Packets.packet(node, src, proto, port, 10_000 + i, tcp ? Packets.SYN | Packets.ACK : 0);
      if (!worker.inbound(open, 0, open.length, VICTIM).accepted()
          || !worker.outbound(answer, 0, answer.length, VICTIM).accepted()) {
        throw new IllegalStateException(
            "benchmark setup: the rule does not admit " + src + " -> " + port);
      }
      victimPackets[i] = Packets.packet(src, node, proto, 10_000 + i, port, tcp ? Packets.ACK : 0);
    }
    now += 160_000; // UDP: 20 s left on the victims' 180 s stream timeout, 30 s on a new flood flow
    flood = Packets.packet(src, node, proto, 1, port, tcp ? Packets.SYN : 0);
    sportOffset = Packets.sportOffset(false);
  }

  /**
   * A packet from the flooding peer from the next source port: a new flow each time until the
   * peer's quota is reached, then refused or replacing its own unreplied flows (the clock stands
   * still, so nothing expires).
   */
  @Benchmark
  public Verdict flood() {
    int p = 1 + (floodPort++ % 65535);
    flood[sportOffset] = (byte) (p >>> 8);
    flood[sportOffset + 1] = (byte) p;
    return worker.inbound(flood, 0, flood.length, FLOODER);
  }

  /**
   * An established packet of the other peer, round robin over its flows, while flood() fills the
   * table.
   */
  @Benchmark
  public Verdict establishedDuringFlood() {
    flood();
    byte[] v = victimPackets[next++ % VICTIMS];
    return worker.inbound(v, 0, v.length, VICTIM);
  }

  @TearDown(Level.Iteration)
  public void victimsSurvived() {
    for (int i = 0; i < VICTIMS; i++) {
      Verdict v = worker.inbound(victimPackets[i], 0, victimPackets[i].length, VICTIM);
      if (v != Verdict.ACCEPT_ESTABLISHED) {
        throw new IllegalStateException(
            "established flow " + i + " of the other peer lost to the flood: " + v);
      }
    }
  }
}
