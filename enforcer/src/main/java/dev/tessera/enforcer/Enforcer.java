package dev.tessera.enforcer;

import static dev.tessera.enforcer.FlowStates.IN;
import static dev.tessera.enforcer.FlowStates.OUT;

import dev.tessera.enforcer.conntrack.ConntrackTable;
import dev.tessera.enforcer.conntrack.FragmentTable;
import dev.tessera.enforcer.format.CompiledFilter;
import dev.tessera.enforcer.format.FilterCodec;
import dev.tessera.enforcer.format.FilterFormatException;
import dev.tessera.enforcer.packet.PacketBytes;
import dev.tessera.enforcer.packet.PacketParser;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The per-packet filter the agent runs: inbound packets (decrypted, from peers) are checked against
 * the rules and connection tracking; outbound packets (into the tunnel) pass and record the flows
 * this node opens.
 *
 * <p>Pipeline for one inbound packet: parse ({@link PacketParser}; malformed → drop with a reason)
 * → non-first fragment? follow the first fragment's verdict ({@link FragmentTable}) → ICMP error?
 * accept iff it quotes a packet of a tracked flow → echo reply? accept iff it answers an echo
 * request this node sent → otherwise look the flow up in {@link ConntrackTable}: a flow this node
 * opened passes (reply); a flow a rule admitted passes if it was admitted under the current filter
 * generation, else it is re-checked against the current {@link Matcher} and cut if no longer
 * allowed; an untracked packet must match a rule and then starts a tracked flow.
 *
 * <p>State: the filter is an immutable {@code Snapshot} (matcher + generation) behind one volatile
 * field, swapped by {@link #update}; a packet reads it once. Connection tracking lives beside it
 * and survives swaps — that is what lets a swap cut established flows at their next packet
 * (Nebula-like revocation) while flows this node opened keep their replies.
 *
 * <p>Threads: any number. Each thread uses its own {@link Worker} (parser, packet views, flow cache
 * and counters), so the packet path allocates nothing and shares only the striped conntrack locks.
 *
 * <p>Files, one concern each: this class (configuration, the filter snapshot and its swap, the
 * workers' entry points and counters); {@link Inbound} and {@link Outbound} (the steps of each
 * direction); {@link FlowPath} (the conntrack steps both share: flow key, lock-free read, re-check,
 * write-back); {@link FlowCache} (the worker's private cache of conntrack entries); {@link
 * FlowStates} (state bits, TCP tracking, timeouts, which packets a read alone decides); {@link
 * CoarseClock} (the default clock).
 */
public final class Enforcer {

  /** Timeouts in milliseconds; defaults follow Linux nf_conntrack. */
  public record Timeouts(
      long tcpOpening,
      long tcpEstablished,
      long tcpClosing,
      long udpUnreplied,
      long udpStream,
      long icmp,
      long other,
      long fragment) {
    /**
     * TCP SYN_SENT 120 s, ESTABLISHED 5 days (nf_conntrack_tcp_timeout_established), after FIN or
     * RST 120 s / 10 s (we use 30 s for both), UDP 30 s until a reply then 180 s (udp_timeout /
     * udp_timeout_stream), ICMP 30 s, other protocols 600 s, fragments 30 s (ipfrag_time).
     */
    public static final Timeouts DEFAULT =
        new Timeouts(120_000, 5L * 24 * 3600_000, 30_000, 30_000, 180_000, 30_000, 600_000, 30_000);
  }

  /**
   * Configuration: conntrack and fragment-table capacities (entries), the most flows one peer may
   * open (remote-initiated entries per peer; default a quarter of the table), timeouts, clock.
   */
  public record Config(
      int conntrackCapacity,
      int fragmentCapacity,
      int peerFlowQuota,
      Timeouts timeouts,
      Clock clock) {
    public static final Config DEFAULT = new Config(1 << 16, 1024, Timeouts.DEFAULT, Clock.COARSE);

    public Config {
      if (conntrackCapacity < 1 || fragmentCapacity < 1 || peerFlowQuota < 1) {
        throw new IllegalArgumentException("capacities and quota must be positive");
      }
      Objects.requireNonNull(timeouts, "timeouts");
      Objects.requireNonNull(clock, "clock");
    }

    /** A quarter of the table per peer. */
    public Config(int conntrackCapacity, int fragmentCapacity, Timeouts timeouts, Clock clock) {
      this(
          conntrackCapacity, fragmentCapacity, Math.max(1, conntrackCapacity / 4), timeouts, clock);
    }

    public Config withClock(Clock c) {
      return new Config(conntrackCapacity, fragmentCapacity, peerFlowQuota, timeouts, c);
    }

    public Config withPeerFlowQuota(int quota) {
      return new Config(conntrackCapacity, fragmentCapacity, quota, timeouts, clock);
    }
  }

  /** Monotonic milliseconds. Called once per packet. */
  @FunctionalInterface
  public interface Clock {
    long nowMillis();

    /**
     * {@code System.nanoTime()} on every call: exact, but 20-90 ns per call on VMs without a usable
     * TSC.
     */
    Clock SYSTEM = () -> System.nanoTime() / 1_000_000L;

    /**
     * The default: a volatile read of a millisecond value a daemon thread refreshes every {@value
     * CoarseClock#TICK_MILLIS} ms (one plain load on the packet path). Timeouts are seconds to
     * days, so being off by the tick (or by a scheduling stall of the ticker on a loaded box)
     * shifts expiry by that much and nothing else.
     */
    Clock COARSE = CoarseClock::now;
  }

  private volatile Snapshot snapshot;
  private final Object updateLock = new Object();
  private final ConntrackTable conntrack;
  private final FragmentTable fragments;
  private final Timeouts timeouts;
  private final Clock clock;
  private final List<Worker> workers = new CopyOnWriteArrayList<>();
  private final ThreadLocal<Worker> threadWorker = ThreadLocal.withInitial(this::newWorker);

  private Enforcer(CompiledFilter initial, Config config) {
    this.snapshot = new Snapshot(Matcher.of(initial), 1);
    this.conntrack =
        new ConntrackTable(
            config.conntrackCapacity(),
            config.peerFlowQuota(),
            new dev.tessera.enforcer.conntrack.FlowHash());
    this.fragments = new FragmentTable(config.fragmentCapacity());
    this.timeouts = config.timeouts();
    this.clock = config.clock();
  }

  public static Enforcer create(CompiledFilter initial) {
    return create(initial, Config.DEFAULT);
  }

  public static Enforcer create(CompiledFilter initial, Config config) {
    return new Enforcer(
        Objects.requireNonNull(initial, "initial filter"),
        Objects.requireNonNull(config, "config"));
  }

  /**
   * Installs a new filter. The matcher is built before the swap, so packets see either the old or
   * the new filter, never a mix. Then every tracked flow a rule admitted is re-checked against it,
   * and those it no longer allows become tombstones: their packets are dropped both ways ({@link
   * Verdict#DROP_REVOKED}) until they go idle. A packet that races the walk is re-checked by itself
   * (its flow's generation is older than the new filter's).
   */
  public void update(CompiledFilter next) {
    Matcher m = Matcher.of(Objects.requireNonNull(next, "filter"));
    synchronized (updateLock) {
      Snapshot snap = new Snapshot(m, snapshot.generation() + 1);
      snapshot = snap;
      conntrack.revokeWhere(
          (meta, lHi, lLo, rHi, rLo) ->
              FlowStates.allows(
                  m,
                  ConntrackTable.ipv6Of(meta),
                  rHi,
                  rLo,
                  lHi,
                  lLo,
                  ConntrackTable.protocolOf(meta),
                  ConntrackTable.localPortOf(meta)),
          snap.generation(),
          clock.nowMillis());
    }
  }

  /** Decodes, validates and installs an encoded filter; on any error the current one stays. */
  public CompiledFilter update(byte[] encoded) throws FilterFormatException {
    CompiledFilter f = FilterCodec.decode(encoded);
    update(f);
    return f;
  }

  public Matcher matcher() {
    return snapshot.matcher();
  }

  public CompiledFilter filter() {
    return snapshot.matcher().filter();
  }

  /** Increases by one at every update; flows admitted under an older generation get re-checked. */
  public int generation() {
    return snapshot.generation();
  }

  /** Live tracked flows (walks the table; for tests and diagnostics). */
  public int trackedFlows() {
    return conntrack.size(clock.nowMillis());
  }

  /**
   * Connection-tracking evictions and refused new flows since creation, by kind ({@link
   * ConntrackTable.Eviction#code()}), every kind present. Reads counters, takes no lock.
   */
  public Map<String, Long> conntrackEvictions() {
    Map<String, Long> m = new java.util.LinkedHashMap<>();
    for (ConntrackTable.Eviction k : ConntrackTable.Eviction.values()) {
      m.put(k.code(), conntrack.evictions(k));
    }
    return m;
  }

  /**
   * Forgets every tracked flow of tunnel peer {@code peer} (call when the peer is removed, before
   * its id is given to another peer). Walks the table.
   */
  public void forgetPeer(int peer) {
    conntrack.removePeer(Objects.checkIndex(peer, PEERS));
  }

  /** A worker for the calling thread's exclusive use. */
  public Worker newWorker() {
    Worker w = new Worker();
    workers.add(w);
    return w;
  }

  // Convenience entry points through a thread-local worker (a ThreadLocal lookup per packet).
  public Verdict inbound(MemorySegment packet) {
    return threadWorker.get().inbound(packet);
  }

  public Verdict inbound(ByteBuffer packet) {
    return threadWorker.get().inbound(packet);
  }

  public Verdict inbound(byte[] packet, int offset, int length) {
    return threadWorker.get().inbound(packet, offset, length);
  }

  public Verdict outbound(MemorySegment packet) {
    return threadWorker.get().outbound(packet);
  }

  public Verdict outbound(ByteBuffer packet) {
    return threadWorker.get().outbound(packet);
  }

  public Verdict outbound(byte[] packet, int offset, int length) {
    return threadWorker.get().outbound(packet, offset, length);
  }

  /** Sum of all workers' counters. */
  public Counters counters() {
    Map<Verdict, Long> in = new EnumMap<>(Verdict.class);
    Map<Verdict, Long> out = new EnumMap<>(Verdict.class);
    for (Verdict v : Verdict.values()) {
      in.put(v, 0L);
      out.put(v, 0L);
    }
    int n = VERDICTS;
    for (Worker w : workers) {
      for (int i = 0; i < n; i++) {
        Verdict v = Verdict.ofOrdinal(i);
        in.merge(v, (long) COUNT.getOpaque(w.counts, i), Long::sum);
        out.merge(v, (long) COUNT.getOpaque(w.counts, n + i), Long::sum);
      }
    }
    return new Counters(in, out);
  }

  /**
   * Cached: {@code Verdict.values()} clones its array on every call (80 bytes unless the JIT
   * removes it).
   */
  private static final int VERDICTS = Verdict.values().length;

  /** Peer ids the packet path accepts: 0 to {@code PEERS - 1}. */
  public static final int PEERS = ConntrackTable.PEERS;

  private static final VarHandle COUNT = MethodHandles.arrayElementVarHandle(long[].class);

  /**
   * Per-thread packet path: owns a parser, reusable views over the three buffer kinds, the
   * conntrack steps with their flow cache ({@link FlowPath}, {@link FlowCache}) and counters
   * (written only by this worker, read by {@link #counters()} with opaque reads). Not thread-safe;
   * create one per thread with {@link Enforcer#newWorker()}.
   *
   * <p>Every entry point, whichever direction and buffer kind, runs {@link #decide}: a packet
   * {@code PacketParser.quick()} takes (TCP or UDP, no options or extension headers) probes the
   * flow cache and otherwise goes straight to its direction's flow step; any other packet is parsed
   * in full (malformed: dropped with the parser's reason) and goes through {@link Inbound} or
   * {@link Outbound}.
   */
  public final class Worker {
    private final PacketParser p = new PacketParser();
    private final PacketBytes.OfArray arrayView = new PacketBytes.OfArray();
    private final PacketBytes.OfBuffer bufferView = new PacketBytes.OfBuffer();
    private final PacketBytes.OfSegment segmentView = new PacketBytes.OfSegment();
    private final long[] counts = new long[2 * VERDICTS];
    private final FlowPath flows = new FlowPath(p, conntrack, timeouts);
    private final Inbound in = new Inbound(flows, fragments, timeouts);
    private final Outbound out = new Outbound(flows);

    private Worker() {}

    public Verdict inbound(MemorySegment packet) {
      return onSegment(IN, packet, 0);
    }

    public Verdict inbound(ByteBuffer packet) {
      return onBuffer(IN, packet, 0);
    }

    public Verdict inbound(byte[] packet, int offset, int length) {
      return onArray(IN, packet, offset, length, 0);
    }

    public Verdict outbound(MemorySegment packet) {
      return onSegment(OUT, packet, 0);
    }

    public Verdict outbound(ByteBuffer packet) {
      return onBuffer(OUT, packet, 0);
    }

    public Verdict outbound(byte[] packet, int offset, int length) {
      return onArray(OUT, packet, offset, length, 0);
    }

    /**
     * An inbound packet sent by tunnel peer {@code peer} (0 to {@link #PEERS} - 1, assigned by the
     * caller, one per peer). Flows are tracked per peer: a packet only ever finds the flows of the
     * peer it came from, so a peer cannot pass an ICMP error, an echo reply or a reply off as
     * belonging to another peer's flow.
     */
    public Verdict inbound(MemorySegment packet, int peer) {
      return onSegment(IN, packet, peer);
    }

    public Verdict inbound(ByteBuffer packet, int peer) {
      return onBuffer(IN, packet, peer);
    }

    public Verdict inbound(byte[] packet, int offset, int length, int peer) {
      return onArray(IN, packet, offset, length, peer);
    }

    /**
     * An outbound packet routed to tunnel peer {@code peer} (see {@link #inbound(MemorySegment,
     * int)}).
     */
    public Verdict outbound(MemorySegment packet, int peer) {
      return onSegment(OUT, packet, peer);
    }

    public Verdict outbound(ByteBuffer packet, int peer) {
      return onBuffer(OUT, packet, peer);
    }

    public Verdict outbound(byte[] packet, int offset, int length, int peer) {
      return onArray(OUT, packet, offset, length, peer);
    }

    private Verdict onSegment(int dir, MemorySegment packet, int peer) {
      long now = clock.nowMillis();
      flows.peer = Objects.checkIndex(peer, PEERS);
      PacketBytes.OfSegment v = segmentView.set(packet);
      return decide(dir, p.quick(v), v, now);
    }

    private Verdict onBuffer(int dir, ByteBuffer packet, int peer) {
      if (packet.hasArray()) { // a heap buffer is its array: the byte[] path's wide loads
        return onArray(
            dir,
            packet.array(),
            packet.arrayOffset() + packet.position(),
            packet.remaining(),
            peer);
      }
      long now = clock.nowMillis();
      flows.peer = Objects.checkIndex(peer, PEERS);
      PacketBytes.OfBuffer v = bufferView.set(packet);
      return decide(dir, p.quick(v), v, now);
    }

    private Verdict onArray(int dir, byte[] packet, int offset, int length, int peer) {
      long now = clock.nowMillis();
      flows.peer = Objects.checkIndex(peer, PEERS);
      PacketBytes.OfArray v = arrayView.set(packet, offset, length); // checks the region
      return decide(dir, p.quick(packet, offset, length), v, now);
    }

    /** The one path of every packet: see the class comment. Counts the verdict. */
    private Verdict decide(int dir, boolean quick, PacketBytes bytes, long now) {
      Snapshot snap = snapshot;
      Verdict v;
      if (quick) {
        FlowPath f = flows;
        f.key(dir);
        v = f.cached(dir, snap.generation(), now);
        if (v == null) {
          v = dir == IN ? in.flow(snap, now) : out.flow(snap, now);
        }
      } else {
        int r = p.parse(bytes);
        if (r != PacketParser.OK) {
          v = FlowStates.parseFailure(r);
        } else {
          v = dir == IN ? in.decide(snap, now) : out.decide(snap, now);
        }
      }
      int i = dir * VERDICTS + v.ordinal();
      COUNT.setOpaque(counts, i, counts[i] + 1);
      return v;
    }
  }
}
