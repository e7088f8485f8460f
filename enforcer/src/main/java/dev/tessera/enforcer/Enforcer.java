package dev.tessera.enforcer;

import dev.tessera.enforcer.conntrack.ConntrackTable;
import dev.tessera.enforcer.conntrack.FragmentTable;
import dev.tessera.enforcer.format.CompiledFilter;
import dev.tessera.enforcer.format.FilterCodec;
import dev.tessera.enforcer.format.FilterFormatException;
import dev.tessera.enforcer.format.IpProtocol;
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
 * <p>Threads: any number. Each thread uses its own {@link Worker} (parser, packet views and
 * counters), so the packet path allocates nothing and shares only the striped conntrack locks.
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

  /** The ticker behind {@link Clock#COARSE}: one daemon thread per JVM, started on first use. */
  private static final class CoarseClock {
    static final int TICK_MILLIS = 5;
    private static volatile long millis = System.nanoTime() / 1_000_000L;

    static {
      Thread t =
          Thread.ofPlatform()
              .daemon()
              .name("tessera-enforcer-clock")
              .unstarted(
                  () -> {
                    while (true) {
                      try {
                        Thread.sleep(TICK_MILLIS);
                      } catch (InterruptedException e) {
                        // a daemon that must keep ticking: ignore and go on
                      }
                      millis = System.nanoTime() / 1_000_000L;
                    }
                  });
      t.start();
    }

    static long now() {
      return millis;
    }
  }

  private record Snapshot(Matcher matcher, int generation) {}

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
          (meta, lHi, lLo, rHi, rLo) -> {
            boolean v6 = ConntrackTable.ipv6Of(meta);
            int proto = ConntrackTable.protocolOf(meta);
            int localPort = ConntrackTable.localPortOf(meta);
            return v6
                ? m.allowsV6(rHi, rLo, lHi, lLo, proto, localPort)
                : m.allowsV4((int) rLo, (int) lLo, proto, localPort);
          },
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
   * ICMP echo flows are keyed by (identifier, who sent the requests) in the remote-port slot, so
   * that a peer's echo request is never mistaken for a reply to ours with the same id.
   */
  private static final long REFRESH_SLACK_MILLIS = 1000;

  /**
   * Cached: {@code Verdict.values()} clones its array on every call (80 bytes unless the JIT
   * removes it).
   */
  private static final int VERDICTS = Verdict.values().length;

  private static final int ECHO_ASKED_BY_LOCAL = 0;
  private static final int ECHO_ASKED_BY_REMOTE = 1;

  /** Peer ids the packet path accepts: 0 to {@code PEERS - 1}. */
  public static final int PEERS = ConntrackTable.PEERS;

  private static final VarHandle COUNT = MethodHandles.arrayElementVarHandle(long[].class);
  private static final int FLOW_CACHE_BITS = 9;
  private static final int FLOW_CACHE_ENTRIES = 1 << FLOW_CACHE_BITS;

  /** Index (in longs) of a key's flow-cache entry: one multiply over the xor-folded key. */
  private static int cacheEntry(long meta, long lHi, long lLo, long rHi, long rLo) {
    long x =
        (lHi ^ rHi ^ lLo ^ Long.rotateLeft(rLo, 32) ^ Long.rotateLeft(meta, 19))
            * 0x9E3779B97F4A7C15L;
    return (int) (x >>> (64 - FLOW_CACHE_BITS)) << 3;
  }

  /**
   * Per-thread packet path: owns a parser, reusable views over the three buffer kinds and counters
   * (written only by this worker, read by {@link #counters()} with opaque reads). Not thread-safe;
   * create one per thread with {@link Enforcer#newWorker()}.
   */
  public final class Worker {
    private final PacketParser p = new PacketParser();
    private final PacketBytes.OfArray arrayView = new PacketBytes.OfArray();
    private final PacketBytes.OfBuffer bufferView = new PacketBytes.OfBuffer();
    private final PacketBytes.OfSegment segmentView = new PacketBytes.OfSegment();
    private final long[] counts = new long[2 * VERDICTS];

    /**
     * Direct-mapped cache of conntrack entries this worker has seen ({@link #FLOW_CACHE_ENTRIES}
     * entries of 8 longs, see {@link #remember}): private, so no locks and no sharing; never
     * trusted on its own — a hit also needs the entry's version in the shared table unchanged.
     */
    private final long[] flowCache = new long[FLOW_CACHE_ENTRIES * 8];

    /** The tunnel peer of the packet being decided (part of every conntrack key). */
    private int peer;

    private Worker() {}

    public Verdict inbound(MemorySegment packet) {
      return inbound(packet, 0);
    }

    public Verdict inbound(ByteBuffer packet) {
      return inbound(packet, 0);
    }

    public Verdict inbound(byte[] packet, int offset, int length) {
      return inbound(packet, offset, length, 0);
    }

    public Verdict outbound(MemorySegment packet) {
      return outbound(packet, 0);
    }

    public Verdict outbound(ByteBuffer packet) {
      return outbound(packet, 0);
    }

    public Verdict outbound(byte[] packet, int offset, int length) {
      return outbound(packet, offset, length, 0);
    }

    /**
     * An inbound packet sent by tunnel peer {@code peer} (0 to {@link #PEERS} - 1, assigned by the
     * caller, one per peer). Flows are tracked per peer: a packet only ever finds the flows of the
     * peer it came from, so a peer cannot pass an ICMP error, an echo reply or a reply off as
     * belonging to another peer's flow.
     */
    public Verdict inbound(MemorySegment packet, int peer) {
      long now = clock.nowMillis();
      this.peer = Objects.checkIndex(peer, PEERS);
      PacketBytes.OfSegment v = segmentView.set(packet);
      return count(0, p.quick(v) ? flowInQuick(now) : in(v, now));
    }

    public Verdict inbound(ByteBuffer packet, int peer) {
      if (packet.hasArray()) { // a heap buffer is its array: the byte[] path's wide loads
        return inbound(
            packet.array(), packet.arrayOffset() + packet.position(), packet.remaining(), peer);
      }
      long now = clock.nowMillis();
      this.peer = Objects.checkIndex(peer, PEERS);
      PacketBytes.OfBuffer v = bufferView.set(packet);
      return count(0, p.quick(v) ? flowInQuick(now) : in(v, now));
    }

    public Verdict inbound(byte[] packet, int offset, int length, int peer) {
      long now = clock.nowMillis();
      Objects.checkFromIndexSize(offset, length, packet.length);
      this.peer = Objects.checkIndex(peer, PEERS);
      return count(
          0,
          p.quick(packet, offset, length)
              ? flowInQuick(now)
              : in(arrayView.set(packet, offset, length), now));
    }

    /**
     * An outbound packet routed to tunnel peer {@code peer} (see {@link #inbound(MemorySegment,
     * int)}).
     */
    public Verdict outbound(MemorySegment packet, int peer) {
      long now = clock.nowMillis();
      this.peer = Objects.checkIndex(peer, PEERS);
      PacketBytes.OfSegment v = segmentView.set(packet);
      return count(1, p.quick(v) ? flowOutQuick(now) : out(v, now));
    }

    public Verdict outbound(ByteBuffer packet, int peer) {
      if (packet.hasArray()) { // a heap buffer is its array: the byte[] path's wide loads
        return outbound(
            packet.array(), packet.arrayOffset() + packet.position(), packet.remaining(), peer);
      }
      long now = clock.nowMillis();
      this.peer = Objects.checkIndex(peer, PEERS);
      PacketBytes.OfBuffer v = bufferView.set(packet);
      return count(1, p.quick(v) ? flowOutQuick(now) : out(v, now));
    }

    public Verdict outbound(byte[] packet, int offset, int length, int peer) {
      long now = clock.nowMillis();
      Objects.checkFromIndexSize(offset, length, packet.length);
      this.peer = Objects.checkIndex(peer, PEERS);
      return count(
          1,
          p.quick(packet, offset, length)
              ? flowOutQuick(now)
              : out(arrayView.set(packet, offset, length), now));
    }

    // ---- quick path: a TCP/UDP packet the parser's quick() took; p holds its fields ----

    /**
     * Inbound TCP/UDP packet without SYN, FIN or RST: first the flow cache. A hit is the same
     * decision {@link #flowIn}'s lock-free read would make from the same entry (the entry's version
     * proves the cached copy is current); anything else goes to flowIn.
     */
    private Verdict flowInQuick(long now) {
      PacketParser p = this.p;
      Snapshot snap = snapshot;
      if ((p.tcpFlags & (PacketParser.TCP_SYN | PacketParser.TCP_FIN | PacketParser.TCP_RST))
          == 0) {
        int e =
            cached(
                ConntrackTable.meta(peer, p.ipv6, p.protocol, p.dstPort, p.srcPort),
                p.dstHi,
                p.dstLo,
                p.srcHi,
                p.srcLo,
                now);
        if (e >= 0) {
          long gs = flowCache[e + 6];
          int st = (int) gs;
          if ((st & ConntrackTable.ORIGIN_LOCAL) != 0) {
            if ((st & ConntrackTable.SEEN_REPLY) != 0) {
              return Verdict.ACCEPT_REPLY;
            }
          } else if ((int) (gs >>> 32) == snap.generation() && (st & ConntrackTable.REVOKED) == 0) {
            return Verdict.ACCEPT_ESTABLISHED;
          }
        }
      }
      return flowIn(snap, now);
    }

    /**
     * Outbound TCP/UDP packet: as {@link #flowInQuick}, with {@link #flowOut}'s read-only
     * condition.
     */
    private Verdict flowOutQuick(long now) {
      PacketParser p = this.p;
      Snapshot snap = snapshot;
      if ((p.tcpFlags & (PacketParser.TCP_SYN | PacketParser.TCP_FIN | PacketParser.TCP_RST))
          == 0) {
        int e =
            cached(
                ConntrackTable.meta(peer, p.ipv6, p.protocol, p.srcPort, p.dstPort),
                p.srcHi,
                p.srcLo,
                p.dstHi,
                p.dstLo,
                now);
        if (e >= 0) {
          long gs = flowCache[e + 6];
          int st = (int) gs;
          if ((st & ConntrackTable.ORIGIN_LOCAL) != 0
              || ((int) (gs >>> 32) == snap.generation()
                  && (st & (ConntrackTable.SEEN_REPLY | ConntrackTable.REVOKED))
                      == ConntrackTable.SEEN_REPLY)) {
            return Verdict.ACCEPT_OUTBOUND;
          }
        }
      }
      return flowOut(snap, now);
    }

    /**
     * The flow-cache entry (index in longs) for this key, or -1: the key matches, the entry is
     * neither expired nor due for a refresh, and its conntrack slot still has the version it was
     * cached at (so the cached state is the slot's current state).
     */
    private int cached(long meta, long lHi, long lLo, long rHi, long rLo, long now) {
      long[] c = flowCache;
      int e = cacheEntry(meta, lHi, lLo, rHi, rLo);
      if (c[e] == meta
          && c[e + 2] == lLo
          && c[e + 4] == rLo
          && c[e + 1] == lHi
          && c[e + 3] == rHi
          && c[e + 7] - now > 0) {
        long sv = c[e + 5];
        if (conntrack.version((int) (sv >>> 32)) == (int) sv) {
          return e;
        }
      }
      return -1;
    }

    /** {@link #remember} of slot {@code s} as it is now; the stripe lock is held. */
    private void rememberLocked(
        ConntrackTable ct, int s, long meta, long lHi, long lLo, long rHi, long rLo, int proto) {
      remember(
          meta,
          lHi,
          lLo,
          rHi,
          rLo,
          s,
          ct.version(s),
          ct.state(s),
          ct.generation(s),
          ct.expires(s),
          proto);
    }

    /**
     * Remembers a conntrack entry as read under its stripe lock or in a validated lock-free read:
     * key, (slot, version), (generation, state) and the instant until which a packet would neither
     * find it expired nor need to refresh it ({@link #fresh}).
     */
    private void remember(
        long meta,
        long lHi,
        long lLo,
        long rHi,
        long rLo,
        int slot,
        int version,
        int st,
        int gen,
        long expires,
        int proto) {
      if (proto != IpProtocol.TCP && proto != IpProtocol.UDP) {
        return; // only TCP and UDP take the quick path
      }
      long[] c = flowCache;
      int e = cacheEntry(meta, lHi, lLo, rHi, rLo);
      long alive = expires + 1; // findQuiet: live while expires - now >= 0
      long fresh =
          expires - timeout(proto, st) + REFRESH_SLACK_MILLIS; // fresh(): until then no refresh
      c[e] = meta;
      c[e + 1] = lHi;
      c[e + 2] = lLo;
      c[e + 3] = rHi;
      c[e + 4] = rLo;
      c[e + 5] = (long) slot << 32 | (version & 0xFFFF_FFFFL);
      c[e + 6] = (long) gen << 32 | (st & 0xFFFF_FFFFL);
      c[e + 7] = fresh - alive < 0 ? fresh : alive;
    }

    private Verdict count(int dir, Verdict v) {
      int i = dir * VERDICTS + v.ordinal();
      COUNT.setOpaque(counts, i, counts[i] + 1);
      return v;
    }

    private Verdict in(PacketBytes bytes, long now) {
      PacketParser p = this.p;
      int r = p.parse(bytes);
      if (r != PacketParser.OK) {
        return parseFailure(r);
      }
      Snapshot snap = snapshot;
      switch (p.kind) {
        case PacketParser.KIND_FRAGMENT:
          {
            if (p.fragmentOffset < minTransportHeader(p)) {
              return Verdict
                  .DROP_FRAGMENT; // RFC 1858: could overwrite the ports the first fragment showed
            }
            return fragments.contains(
                    peer, p.ipv6, p.srcHi, p.srcLo, p.dstHi, p.dstLo, p.protocol, p.fragmentId, now)
                ? Verdict.ACCEPT_FRAGMENT
                : Verdict.DROP_FRAGMENT;
          }
        case PacketParser.KIND_ICMP_ERROR:
          return related(snap, now);
        case PacketParser.KIND_ECHO_REPLY:
          return echoReply(now);
        case PacketParser.KIND_ICMP_OTHER:
          // not tracked: each such message must match a rule for ICMP
          return rememberFirstFragment(
              allowedNew(snap.matcher(), p.protocol, 0)
                  ? Verdict.ACCEPT_RULE
                  : Verdict.DROP_NO_RULE,
              now);
        default:
          return rememberFirstFragment(flowIn(snap, now), now);
      }
    }

    private Verdict rememberFirstFragment(Verdict v, long now) {
      PacketParser p = this.p;
      if (p.firstFragment && v.accepted()) {
        fragments.put(
            peer,
            p.ipv6,
            p.srcHi,
            p.srcLo,
            p.dstHi,
            p.dstLo,
            p.protocol,
            p.fragmentId,
            now + timeouts.fragment(),
            now);
      }
      return v;
    }

    /** New-flow check for the current packet (remote = source, local = destination). */
    private boolean allowedNew(Matcher m, int protocol, int port) {
      PacketParser p = this.p;
      return p.ipv6
          ? m.allowsV6(p.srcHi, p.srcLo, p.dstHi, p.dstLo, protocol, port)
          : m.allowsV4((int) p.srcLo, (int) p.dstLo, protocol, port);
    }

    private Verdict flowIn(Snapshot snap, long now) {
      PacketParser p = this.p;
      int proto = p.protocol;
      // key seen from this node: local = destination
      // echo flows: (identifier, 1 = the remote asked); see ECHO_ASKED_BY_* below
      long meta =
          ConntrackTable.meta(
              peer,
              p.ipv6,
              proto,
              p.dstPort,
              p.kind == PacketParser.KIND_ECHO_REQUEST ? ECHO_ASKED_BY_REMOTE : p.srcPort);
      int h = conntrack.hash(meta, p.dstHi, p.dstLo, p.srcHi, p.srcLo);
      ConntrackTable ct = conntrack;
      int stripe = ct.stripe(h);

      // Fast path, no lock: an established packet that changes nothing in its entry, or an
      // untracked packet that no rule allows. Anything else goes to the locked path.
      int seq = ct.readBegin(stripe);
      boolean ruleChecked = false; // true once the matcher said yes for this packet and snapshot
      if (seq >= 0) {
        int s = ct.findQuiet(stripe, h, meta, p.dstHi, p.dstLo, p.srcHi, p.srcLo, now);
        if (s >= 0) {
          int st = ct.state(s);
          int gen = ct.generation(s);
          long expires = ct.expires(s);
          int version = ct.version(s);
          if (ct.validate(stripe, seq)) {
            remember(meta, p.dstHi, p.dstLo, p.srcHi, p.srcLo, s, version, st, gen, expires, proto);
            boolean local = (st & ConntrackTable.ORIGIN_LOCAL) != 0;
            boolean unchanged =
                local
                    ? (st & ConntrackTable.SEEN_REPLY) != 0
                    : gen == snap.generation() && (st & ConntrackTable.REVOKED) == 0;
            if (unchanged && trackTcp(st) == st && fresh(expires, now, proto, st)) {
              return local ? Verdict.ACCEPT_REPLY : Verdict.ACCEPT_ESTABLISHED;
            }
          }
        } else if (ct.validate(stripe, seq)) {
          if (!allowedNew(snap.matcher(), proto, p.dstPort)) {
            return Verdict.DROP_NO_RULE;
          }
          ruleChecked = true;
        }
      }
      ct.lock(stripe);
      try {
        int s = ct.find(stripe, h, meta, p.dstHi, p.dstLo, p.srcHi, p.srcLo, now);
        if (s >= 0) {
          int st = ct.state(s);
          if ((st & ConntrackTable.ORIGIN_LOCAL) != 0) {
            st = trackTcp(st | ConntrackTable.SEEN_REPLY);
            ct.setState(s, st);
            ct.setExpires(s, now + timeout(proto, st));
            rememberLocked(ct, s, meta, p.dstHi, p.dstLo, p.srcHi, p.srcLo, proto);
            return Verdict.ACCEPT_REPLY;
          }
          st = recheck(ct, s, st, snap, proto, p.srcHi, p.srcLo, p.dstHi, p.dstLo, p.dstPort);
          st = trackTcp(st);
          ct.setState(s, st);
          ct.setExpires(s, now + timeout(proto, st));
          rememberLocked(ct, s, meta, p.dstHi, p.dstLo, p.srcHi, p.srcLo, proto);
          return (st & ConntrackTable.REVOKED) != 0
              ? Verdict.DROP_REVOKED
              : Verdict.ACCEPT_ESTABLISHED;
        }
        if (!ruleChecked && !allowedNew(snap.matcher(), proto, p.dstPort)) {
          return Verdict.DROP_NO_RULE;
        }
        s = ct.insert(stripe, h, meta, p.dstHi, p.dstLo, p.srcHi, p.srcLo, now, true);
        if (s < 0) {
          return s == ConntrackTable.QUOTA
              ? Verdict.DROP_PEER_FLOW_LIMIT
              : Verdict.DROP_CONNTRACK_FULL;
        }
        int st = trackTcp(ConntrackTable.ORIGIN_REMOTE);
        ct.setState(s, st);
        ct.setGeneration(s, snap.generation());
        ct.setExpires(s, now + timeout(proto, st));
        // not cached here: new flows are the cost that matters on this path (scans,
        // floods); the flow's next packet goes through the lock-free read, which caches it
        return Verdict.ACCEPT_RULE;
      } finally {
        ct.unlock(stripe);
      }
    }

    /**
     * A flow a rule admitted, under an older filter generation: ask the current matcher again
     * (remote -> local:localPort) and mark it revoked or allowed. Lock held.
     */
    private int recheck(
        ConntrackTable ct,
        int s,
        int st,
        Snapshot snap,
        int proto,
        long remoteHi,
        long remoteLo,
        long localHi,
        long localLo,
        int localPort) {
      if (ct.generation(s) == snap.generation()) {
        return st;
      }
      ct.setGeneration(s, snap.generation());
      if ((st & ConntrackTable.REVOKED) != 0) {
        return st; // a tombstone stays one
      }
      Matcher m = snap.matcher();
      boolean allowed =
          p.ipv6
              ? m.allowsV6(remoteHi, remoteLo, localHi, localLo, proto, localPort)
              : m.allowsV4((int) remoteLo, (int) localLo, proto, localPort);
      return allowed ? st : st | ConntrackTable.REVOKED;
    }

    /** Inbound ICMP error: the quoted packet was sent by this node (local = inner source). */
    private Verdict related(Snapshot snap, long now) {
      PacketParser p = this.p;
      int proto = p.innerProtocol;
      long meta = ConntrackTable.meta(peer, p.ipv6, proto, p.innerSrcPort, p.innerDstPort);
      int h = conntrack.hash(meta, p.innerSrcHi, p.innerSrcLo, p.innerDstHi, p.innerDstLo);
      ConntrackTable ct = conntrack;
      int stripe = ct.stripe(h);
      ct.lock(stripe);
      try {
        int s =
            ct.find(stripe, h, meta, p.innerSrcHi, p.innerSrcLo, p.innerDstHi, p.innerDstLo, now);
        if (s < 0) {
          return Verdict.DROP_ICMP_UNTRACKED;
        }
        int st = ct.state(s);
        if ((st & ConntrackTable.ORIGIN_REMOTE) != 0) {
          st =
              recheck(
                  ct,
                  s,
                  st,
                  snap,
                  proto,
                  p.innerDstHi,
                  p.innerDstLo,
                  p.innerSrcHi,
                  p.innerSrcLo,
                  p.innerSrcPort);
          ct.setState(s, st);
        }
        return (st & ConntrackTable.REVOKED) != 0
            ? Verdict.DROP_REVOKED
            : Verdict.ACCEPT_ICMP_RELATED;
      } finally {
        ct.unlock(stripe);
      }
    }

    /** Inbound echo reply: only for an echo request this node sent. */
    private Verdict echoReply(long now) {
      PacketParser p = this.p;
      long meta = ConntrackTable.meta(peer, p.ipv6, p.protocol, p.dstPort, ECHO_ASKED_BY_LOCAL);
      int h = conntrack.hash(meta, p.dstHi, p.dstLo, p.srcHi, p.srcLo);
      ConntrackTable ct = conntrack;
      int stripe = ct.stripe(h);
      ct.lock(stripe);
      try {
        int s = ct.find(stripe, h, meta, p.dstHi, p.dstLo, p.srcHi, p.srcLo, now);
        if (s < 0 || (ct.state(s) & ConntrackTable.ORIGIN_LOCAL) == 0) {
          return Verdict.DROP_UNSOLICITED_REPLY;
        }
        ct.setState(s, ct.state(s) | ConntrackTable.SEEN_REPLY);
        ct.setExpires(s, now + timeouts.icmp());
        return Verdict.ACCEPT_REPLY;
      } finally {
        ct.unlock(stripe);
      }
    }

    private Verdict out(PacketBytes bytes, long now) {
      PacketParser p = this.p;
      int r = p.parse(bytes);
      if (r != PacketParser.OK) {
        return parseFailure(r);
      }
      switch (p.kind) {
        case PacketParser.KIND_FRAGMENT, PacketParser.KIND_ICMP_ERROR, PacketParser.KIND_ICMP_OTHER:
          return Verdict.ACCEPT_OUTBOUND;
        default:
          return flowOut(snapshot, now);
      }
    }

    /** Outbound: refresh the flow's entry, or open one for a packet that starts a flow. */
    private Verdict flowOut(Snapshot snap, long now) {
      PacketParser p = this.p;
      int proto = p.protocol;
      int remotePort =
          p.kind == PacketParser.KIND_ECHO_REQUEST
              ? ECHO_ASKED_BY_LOCAL
              : p.kind == PacketParser.KIND_ECHO_REPLY ? ECHO_ASKED_BY_REMOTE : p.dstPort;
      long meta = ConntrackTable.meta(peer, p.ipv6, proto, p.srcPort, remotePort);
      int h = conntrack.hash(meta, p.srcHi, p.srcLo, p.dstHi, p.dstLo);
      ConntrackTable ct = conntrack;
      int stripe = ct.stripe(h);
      boolean pureSyn =
          proto == IpProtocol.TCP
              && (p.tcpFlags & (PacketParser.TCP_SYN | PacketParser.TCP_ACK))
                  == PacketParser.TCP_SYN;
      int seq = ct.readBegin(stripe);
      if (seq >= 0 && !pureSyn) {
        int s = ct.findQuiet(stripe, h, meta, p.srcHi, p.srcLo, p.dstHi, p.dstLo, now);
        if (s >= 0) {
          int st = ct.state(s);
          int gen = ct.generation(s);
          long expires = ct.expires(s);
          int version = ct.version(s);
          if (ct.validate(stripe, seq)) {
            remember(meta, p.srcHi, p.srcLo, p.dstHi, p.dstLo, s, version, st, gen, expires, proto);
            boolean unchanged =
                (st & ConntrackTable.ORIGIN_LOCAL) != 0
                    || (gen == snap.generation()
                        && (st & (ConntrackTable.SEEN_REPLY | ConntrackTable.REVOKED))
                            == ConntrackTable.SEEN_REPLY);
            if (unchanged && trackTcp(st) == st && fresh(expires, now, proto, st)) {
              return Verdict.ACCEPT_OUTBOUND;
            }
          }
        }
      }
      ct.lock(stripe);
      try {
        int s = ct.find(stripe, h, meta, p.srcHi, p.srcLo, p.dstHi, p.dstLo, now);
        if (s >= 0 && (ct.state(s) & ConntrackTable.ORIGIN_REMOTE) != 0) {
          // a flow a rule admitted: re-checked like its inbound packets; a tombstone
          // drops this node's packets too (a new SYN from this node on its tuple as well)
          int st =
              recheck(
                  ct, s, ct.state(s), snap, proto, p.dstHi, p.dstLo, p.srcHi, p.srcLo, p.srcPort);
          if ((st & ConntrackTable.REVOKED) != 0) {
            ct.setState(s, st);
            ct.setExpires(s, now + timeout(proto, st));
            return Verdict.DROP_REVOKED;
          }
        }
        if (s >= 0 && !(pureSyn && (ct.state(s) & ConntrackTable.ORIGIN_REMOTE) != 0)) {
          int st = ct.state(s);
          if ((st & ConntrackTable.ORIGIN_REMOTE) != 0) {
            st |= ConntrackTable.SEEN_REPLY;
          }
          st = trackTcp(st);
          ct.setState(s, st);
          ct.setExpires(s, now + timeout(proto, st));
          rememberLocked(ct, s, meta, p.srcHi, p.srcLo, p.dstHi, p.dstLo, proto);
          return Verdict.ACCEPT_OUTBOUND;
        }
        // Which outbound packets open a flow: a TCP SYN without ACK (a server's SYN-ACK or
        // a mid-stream segment must not turn a remote's flow into "ours"), any UDP, SCTP
        // or other-protocol packet, an echo request. Echo replies answer remote pings.
        boolean opens = proto == IpProtocol.TCP ? pureSyn : p.kind != PacketParser.KIND_ECHO_REPLY;
        if (!opens) {
          return Verdict.ACCEPT_OUTBOUND;
        }
        if (s < 0) {
          s = ct.insert(stripe, h, meta, p.srcHi, p.srcLo, p.dstHi, p.dstLo, now, false);
          if (s < 0) {
            return Verdict.DROP_CONNTRACK_FULL; // its replies could not pass: Linux drops it too
          }
        }
        // a pure SYN on a tuple a remote opened: this node now opens its own connection
        int st = trackTcp(ConntrackTable.ORIGIN_LOCAL);
        ct.setState(s, st);
        ct.setGeneration(s, snap.generation());
        ct.setExpires(
            s, now + timeout(proto, st)); // a new flow: cached at its next packet, as inbound
        return Verdict.ACCEPT_OUTBOUND;
      } finally {
        ct.unlock(stripe);
      }
    }

    /**
     * Whether an entry's expiry is recent enough that this packet need not refresh it: refreshing
     * at most once per {@link #REFRESH_SLACK_MILLIS} keeps established packets read-only (flows may
     * expire up to that much early; timeouts are 10 s and more).
     */
    private boolean fresh(long expires, long now, int proto, int st) {
      return expires - (now + timeout(proto, st)) > -REFRESH_SLACK_MILLIS;
    }

    /** Folds this packet's TCP FIN/RST into the state bits. */
    private int trackTcp(int st) {
      PacketParser p = this.p;
      if (p.protocol != IpProtocol.TCP) {
        return st;
      }
      int f = p.tcpFlags;
      if ((f & PacketParser.TCP_RST) != 0) {
        st |= ConntrackTable.TCP_RST;
      }
      if ((f & PacketParser.TCP_FIN) != 0) {
        st |= ConntrackTable.TCP_FIN;
      }
      if ((f & (PacketParser.TCP_SYN | PacketParser.TCP_ACK)) == PacketParser.TCP_SYN) {
        st &=
            ~(ConntrackTable.TCP_FIN
                | ConntrackTable.TCP_RST); // a new connection on a reused tuple
      }
      return st;
    }

    private long timeout(int proto, int st) {
      Timeouts t = timeouts;
      if (proto == IpProtocol.TCP) {
        if ((st & (ConntrackTable.TCP_FIN | ConntrackTable.TCP_RST)) != 0) {
          return t.tcpClosing();
        }
        return (st & ConntrackTable.SEEN_REPLY) != 0 ? t.tcpEstablished() : t.tcpOpening();
      }
      if (proto == IpProtocol.UDP || proto == IpProtocol.SCTP) {
        return (st & ConntrackTable.SEEN_REPLY) != 0 ? t.udpStream() : t.udpUnreplied();
      }
      if (proto == IpProtocol.ICMP || proto == IpProtocol.ICMPV6) {
        return t.icmp();
      }
      return t.other();
    }
  }

  /** Smallest transport header a later fragment must not overlap (RFC 1858 3.2, RFC 8200 4.5). */
  private static int minTransportHeader(PacketParser p) {
    return switch (p.protocol) {
      case IpProtocol.TCP -> 20;
      case IpProtocol.SCTP -> 12;
      case IpProtocol.UDP, IpProtocol.ICMP, IpProtocol.ICMPV6 -> 8;
      default -> 1;
    };
  }

  private static Verdict parseFailure(int r) {
    return switch (r) {
      case PacketParser.TRUNCATED -> Verdict.DROP_TRUNCATED;
      case PacketParser.BAD_HEADER -> Verdict.DROP_BAD_HEADER;
      case PacketParser.BAD_EXTENSION -> Verdict.DROP_BAD_EXTENSION;
      case PacketParser.BAD_FRAGMENT -> Verdict.DROP_FRAGMENT;
      case PacketParser.BAD_QUOTE -> Verdict.DROP_ICMP_BAD_QUOTE;
      default -> Verdict.DROP_UNSUPPORTED;
    };
  }
}
