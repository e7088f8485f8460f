package dev.tessera.bench.enforcer;

import dev.tessera.enforcer.Enforcer;
import dev.tessera.enforcer.Verdict;
import dev.tessera.enforcer.format.CompiledFilter;
import dev.tessera.enforcer.format.FilterRule;
import dev.tessera.enforcer.packet.PacketBytes;
import dev.tessera.enforcer.packet.PacketParser;
import dev.tessera.net.IpAddress;
import dev.tessera.net.IpPrefix;
import dev.tessera.net.IpProtocol;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Per-packet cost of the enforcer's inbound path.
 *
 * <ul>
 *   <li>{@code established}: a TCP segment of a flow a rule admitted (conntrack hit), default
 *       (coarse) clock; {@code establishedSystemClock}: the same with System.nanoTime per packet;
 *       {@code establishedDirectBuffer}: the same packet in a direct ByteBuffer (the agent's case);
 *   <li>{@code newFlowHit}: a TCP SYN matching the last rule, from a fresh source port each time
 *       (parse, conntrack miss, rule lookup, conntrack insert);
 *   <li>{@code miss}: a SYN whose source is in some rules and whose port is open in others, but no
 *       rule has both (the full bit-vector intersection, then the drop);
 *   <li>{@code matcherMiss}: the miss's rule lookup alone ({@code Matcher.allowsV4/V6}); {@code
 *       parseQuick}: the quick parser ({@code PacketParser.quick}) on the miss packet;
 *   <li>baselines in the same run: {@code parseOnly} (the parser alone, the floor) and {@code
 *       linearScanMiss} (the same miss decided by a Tailscale-style scan over every rule, primitive
 *       arrays, no index).
 * </ul>
 *
 * Run: see enforcer/README.md, "Performance".
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 3, time = 1)
public class EnforcerBenchmark {

  @Param({"16", "256", "2048"})
  public int rules;

  @Param({"v4", "v6"})
  public String family;

  private Enforcer enforcer;
  private Enforcer.Worker worker;
  private Enforcer.Worker freshWorker;
  private Enforcer.Worker systemClockWorker;
  private byte[] established;
  private java.nio.ByteBuffer establishedDirect;
  private byte[] newFlow;
  private byte[] miss;
  private int sportOffset;
  private int sport;
  private final PacketParser parser = new PacketParser();
  private final PacketBytes.OfArray view = new PacketBytes.OfArray();
  private LinearScan linear;
  private IpAddress missSrc;
  private IpAddress node;
  private int missPort;

  /**
   * Clock for newFlowHit: one ms per packet, so flows from 2 s ago have expired and every SYN is
   * new.
   */
  private long tick;

  private Enforcer freshEnforcer;

  @Setup(Level.Trial)
  public void setup() {
    boolean v6 = family.equals("v6");
    CompiledFilter f = SyntheticFilters.filter(rules, 42);
    node = v6 ? SyntheticFilters.NODE6 : SyntheticFilters.NODE4;
    enforcer = Enforcer.create(f);
    worker = enforcer.newWorker();
    int last = rules - 1;
    int proto = SyntheticFilters.protocolOf(f, last);
    IpAddress src = SyntheticFilters.host(v6, SyntheticFilters.ownHost(last));
    // established: admitted once, then measured
    established = Packets.packet(src, node, proto, 40000, SyntheticFilters.port(last), Packets.ACK);
    expect(worker.inbound(established, 0, established.length), Verdict.ACCEPT_RULE);
    expect(worker.inbound(established, 0, established.length), Verdict.ACCEPT_ESTABLISHED);
    establishedDirect =
        java.nio.ByteBuffer.allocateDirect(established.length).put(established).flip();
    expect(worker.inbound(establishedDirect), Verdict.ACCEPT_ESTABLISHED);
    Enforcer sys = Enforcer.create(f, Enforcer.Config.DEFAULT.withClock(Enforcer.Clock.SYSTEM));
    systemClockWorker = sys.newWorker();
    expect(systemClockWorker.inbound(established, 0, established.length), Verdict.ACCEPT_RULE);
    // new flow: a SYN to the last rule with a new source port each time
    Enforcer.Timeouts t = new Enforcer.Timeouts(2000, 2000, 2000, 2000, 2000, 2000, 2000, 2000);
    freshEnforcer = Enforcer.create(f, new Enforcer.Config(1 << 16, 1024, t, () -> tick));
    freshWorker = freshEnforcer.newWorker();
    newFlow = Packets.packet(src, node, proto, 1, SyntheticFilters.port(last), Packets.SYN);
    sportOffset = Packets.sportOffset(v6);
    // miss: rule 0's own host to the last rule's port
    missSrc = SyntheticFilters.host(v6, SyntheticFilters.ownHost(0));
    missPort = SyntheticFilters.port(last);
    miss = Packets.packet(missSrc, node, proto, 40000, missPort, Packets.SYN);
    expect(worker.inbound(miss, 0, miss.length), Verdict.DROP_NO_RULE);
    linear = new LinearScan(f, v6);
    if (linear.allows(missSrc, node, proto, missPort)) {
      throw new IllegalStateException("miss packet is allowed by the linear scan");
    }
    linearProto = proto;
    matcher = enforcer.matcher();
  }

  private int linearProto;
  private dev.tessera.enforcer.Matcher matcher;

  private static void expect(Verdict got, Verdict want) {
    if (got != want) {
      throw new IllegalStateException("benchmark setup: expected " + want + ", got " + got);
    }
  }

  @Benchmark
  public Verdict established() {
    return worker.inbound(established, 0, established.length);
  }

  /**
   * {@code established} from a direct ByteBuffer: what the agent passes (TUN and decrypt buffers
   * are direct).
   */
  @Benchmark
  public Verdict establishedDirectBuffer() {
    return worker.inbound(establishedDirect);
  }

  @Benchmark
  public Verdict newFlowHit() {
    int s = (sport = (sport + 1) & 0xFFFF);
    newFlow[sportOffset] = (byte) (s >>> 8);
    newFlow[sportOffset + 1] = (byte) s;
    tick++;
    return freshWorker.inbound(newFlow, 0, newFlow.length);
  }

  @Benchmark
  public Verdict miss() {
    return worker.inbound(miss, 0, miss.length);
  }

  @Benchmark
  public int parseOnly() {
    return parser.parse(view.set(miss, 0, miss.length)) + parser.dstPort;
  }

  /**
   * The quick parser on the same packet ({@code PacketParser.quick}: what the packet path runs
   * first).
   */
  @Benchmark
  public int parseQuick() {
    return (parser.quick(miss, 0, miss.length) ? 1 : 0) + parser.dstPort;
  }

  /** The miss's rule lookup alone (Matcher packet path, no parse, no conntrack). */
  @Benchmark
  public boolean matcherMiss() {
    return missSrc.ipv6()
        ? matcher.allowsV6(missSrc.hi(), missSrc.lo(), node.hi(), node.lo(), linearProto, missPort)
        : matcher.allowsV4(missSrc.v4(), node.v4(), linearProto, missPort);
  }

  @Benchmark
  public boolean linearScanMiss() {
    return linear.allows(missSrc, node, linearProto, missPort);
  }

  /**
   * Baseline: Tailscale's approach (wgengine/filter match.go): for each rule, for each source
   * prefix, then each destination; rules flattened to primitive arrays for a fair comparison.
   */
  static final class LinearScan {
    final long[][] srcHi, srcLo, srcMaskHi, srcMaskLo;
    final long[][] dstHi, dstLo, dstMaskHi, dstMaskLo;
    final int[][] first, last;
    final boolean[][] proto;

    LinearScan(CompiledFilter f, boolean v6) {
      int n = f.rules().size();
      srcHi = new long[n][];
      srcLo = new long[n][];
      srcMaskHi = new long[n][];
      srcMaskLo = new long[n][];
      dstHi = new long[n][];
      dstLo = new long[n][];
      dstMaskHi = new long[n][];
      dstMaskLo = new long[n][];
      first = new int[n][];
      last = new int[n][];
      proto = new boolean[n][256];
      for (int i = 0; i < n; i++) {
        FilterRule r = f.rules().get(i);
        var ss = r.sources().stream().filter(p -> p.ipv6() == v6).toList();
        srcHi[i] = ss.stream().mapToLong(IpPrefix::hi).toArray();
        srcLo[i] = ss.stream().mapToLong(IpPrefix::lo).toArray();
        srcMaskHi[i] = ss.stream().mapToLong(p -> maskHi(p)).toArray();
        srcMaskLo[i] = ss.stream().mapToLong(p -> maskLo(p)).toArray();
        var ds = r.destinations().stream().filter(d -> d.prefix().ipv6() == v6).toList();
        dstHi[i] = ds.stream().mapToLong(d -> d.prefix().hi()).toArray();
        dstLo[i] = ds.stream().mapToLong(d -> d.prefix().lo()).toArray();
        dstMaskHi[i] = ds.stream().mapToLong(d -> maskHi(d.prefix())).toArray();
        dstMaskLo[i] = ds.stream().mapToLong(d -> maskLo(d.prefix())).toArray();
        first[i] = ds.stream().mapToInt(d -> d.firstPort()).toArray();
        last[i] = ds.stream().mapToInt(d -> d.lastPort()).toArray();
        for (int p : r.effectiveProtocols()) {
          proto[i][p] = true;
        }
      }
    }

    static long maskHi(IpPrefix p) {
      if (!p.ipv6()) {
        return 0;
      }
      return p.bits() >= 64 ? -1L : p.bits() == 0 ? 0 : -1L << (64 - p.bits());
    }

    static long maskLo(IpPrefix p) {
      int bits = p.ipv6() ? p.bits() - 64 : p.bits() + 32;
      return bits <= 0 ? 0 : bits >= 64 ? -1L : -1L << (64 - bits);
    }

    boolean allows(IpAddress src, IpAddress dst, int protocol, int port) {
      long sh = src.hi(), sl = src.lo(), dh = dst.hi(), dl = dst.lo();
      for (int i = 0; i < srcHi.length; i++) {
        if (!proto[i][protocol]) {
          continue;
        }
        long[] a = srcHi[i], b = srcLo[i], ma = srcMaskHi[i], mb = srcMaskLo[i];
        boolean srcOk = false;
        for (int k = 0; k < a.length; k++) {
          if ((sh & ma[k]) == a[k] && (sl & mb[k]) == b[k]) {
            srcOk = true;
            break;
          }
        }
        if (!srcOk) {
          continue;
        }
        long[] c = dstHi[i], d = dstLo[i], mc = dstMaskHi[i], md = dstMaskLo[i];
        for (int k = 0; k < c.length; k++) {
          if ((dh & mc[k]) == c[k]
              && (dl & md[k]) == d[k]
              && port >= first[i][k]
              && port <= last[i][k]) {
            return true;
          }
        }
      }
      return false;
    }
  }

  /**
   * {@code established} with {@link Enforcer.Clock#SYSTEM}: shows what System.nanoTime per packet
   * costs here.
   */
  @Benchmark
  public Verdict establishedSystemClock() {
    return systemClockWorker.inbound(established, 0, established.length);
  }

  static {
    // keep IpProtocol referenced for readers: the benchmark aims at TCP/UDP rules
    if (IpProtocol.TCP != 6) {
      throw new AssertionError();
    }
  }
}
