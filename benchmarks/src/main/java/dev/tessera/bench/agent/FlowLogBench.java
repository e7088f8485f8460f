package dev.tessera.bench.agent;

import dev.tessera.agent.FilterGate;
import dev.tessera.agent.FlowLog;
import dev.tessera.enforcer.Enforcer;
import dev.tessera.enforcer.format.CompiledFilter;
import dev.tessera.enforcer.format.DstPorts;
import dev.tessera.enforcer.format.FilterCodec;
import dev.tessera.enforcer.format.FilterRule;
import dev.tessera.enforcer.format.RuleOrigin;
import dev.tessera.net.IpPrefix;
import dev.tessera.net.IpProtocol;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What the flow log costs the packet path: {@link FilterGate} on packets of established flows (64
 * flows in turn, each already logged), with the flow log off and on ({@code flowLog}). {@code
 * outbound} is a packet from the TUN (the flow log parses it and reads its table); {@code inbound}
 * a packet of an admitted inbound flow (the flow log is not asked). Run: see the agent README (Flow
 * log).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Thread)
public class FlowLogBench {
  static final int FLOWS = 64;

  @Param({"off", "on"})
  String flowLog;

  FilterGate gate;
  Enforcer.Worker worker;
  FlowLog log;
  Path dir;
  final ByteBuffer[] out = new ByteBuffer[FLOWS];
  final ByteBuffer[] in = new ByteBuffer[FLOWS];
  int i;

  /** A TCP ACK src:sport -> dst:dport (IPv4, 20-byte TCP header, no payload). */
  static ByteBuffer tcp(int src, int dst, int sport, int dport, int flags) {
    ByteBuffer b = ByteBuffer.allocateDirect(40);
    b.put(0, (byte) 0x45).putShort(2, (short) 40).put(8, (byte) 64).put(9, (byte) 6);
    b.putInt(12, src).putInt(16, dst);
    b.putShort(20, (short) sport).putShort(22, (short) dport);
    b.put(32, (byte) 0x50).put(33, (byte) flags);
    return b;
  }

  @Setup
  public void setUp() throws IOException {
    int node = 0x0AD50001; // 10.213.0.1
    int peer = 0x0AD50002;
    CompiledFilter f =
        CompiledFilter.of(
            "a",
            List.of(IpPrefix.parse("10.213.0.1/32")),
            List.of(
                new FilterRule(
                    List.of(IpPrefix.parse("10.213.0.0/24")),
                    List.of(IpProtocol.TCP),
                    List.of(new DstPorts(IpPrefix.parse("10.213.0.1/32"), 443, 443)),
                    RuleOrigin.synthetic(RuleOrigin.ACL, 0))),
            List.of(),
            List.of());
    dir = Files.createTempDirectory("flowlog-bench");
    Path file = dir.resolve("a.tfilter");
    Files.write(file, FilterCodec.encode(f));
    gate = FilterGate.fromFile(file, "a", line -> {});
    worker = gate.newWorker();
    if (flowLog.equals("on")) {
      log = gate.startFlowLog(dir.resolve("flows.jsonl"));
    }
    for (int k = 0; k < FLOWS; k++) {
      in[k] = tcp(peer, node, 40000 + k, 443, 0x10);
      out[k] = tcp(node, peer, 443, 40000 + k, 0x10);
      ByteBuffer syn = tcp(peer, node, 40000 + k, 443, 0x02);
      ByteBuffer synAck = tcp(node, peer, 443, 40000 + k, 0x12);
      if (!gate.allowInbound(worker, syn, 1) || !gate.allowOutbound(worker, synAck, 1)) {
        throw new IllegalStateException("flow " + k + " not admitted");
      }
    }
  }

  @TearDown
  public void tearDown() throws IOException {
    if (log != null) {
      log.close();
    }
    try (var files = Files.list(dir)) {
      for (Path p : files.toList()) {
        Files.delete(p);
      }
    }
    Files.delete(dir);
  }

  @Benchmark
  public boolean outbound() {
    ByteBuffer p = out[i++ & (FLOWS - 1)];
    return gate.allowOutbound(worker, p, 1);
  }

  @Benchmark
  public boolean inbound() {
    ByteBuffer p = in[i++ & (FLOWS - 1)];
    return gate.allowInbound(worker, p, 1);
  }
}
