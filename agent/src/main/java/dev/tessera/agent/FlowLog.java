package dev.tessera.agent;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.rolling.FixedWindowRollingPolicy;
import ch.qos.logback.core.rolling.RollingFileAppender;
import ch.qos.logback.core.rolling.SizeBasedTriggeringPolicy;
import ch.qos.logback.core.util.Duration;
import ch.qos.logback.core.util.FileSize;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tessera.agent.crypto.WgKey;
import dev.tessera.enforcer.MatchResult;
import dev.tessera.enforcer.Matcher;
import dev.tessera.enforcer.Verdict;
import dev.tessera.net.IpAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The opt-in flow log ({@code --flow-log FILE}, {@code [Tessera] FlowLog}): one JSON line per new
 * flow, accepted or denied, with the time, direction, verdict, reason, the rule that admitted it,
 * the peer's public key, the protocol, addresses and ports.
 *
 * <p>What is a new flow: an inbound packet a rule admits ({@code accept}, reason {@code rule}); an
 * outbound packet of a 5-tuple not seen before (this node opens a flow; the answers of an admitted
 * inbound flow are the same flow and are not logged again); a dropped packet of a 5-tuple not seen
 * before with that verdict. "Seen" is a direct-mapped table of {@link #SEEN} 64-bit hashes keyed by
 * peer, protocol, local and remote address and port, so a flow whose slot another flow took since
 * may be logged again; memory stays fixed.
 *
 * <p>The packet path only hands over: {@link #record} parses the headers, checks the table (a hash
 * and one read for a flow already logged) and copies the fields of a new flow into a bounded
 * lock-free ring ({@link #RING} slots, a sequence number per slot); it never allocates, locks or
 * waits. When the ring is full the flow is counted in {@link #lost()}, and the next line written
 * carries {@code "lost": N}, the flows lost since the line before it was written. A writer thread
 * turns the ring into lines (Jackson) and writes them through a Logback rolling file appender: the
 * file rolls to {@code FILE.1} ... {@code FILE.N} at {@code maxFileBytes}, keeping {@code maxFiles}
 * old files.
 */
public final class FlowLog implements AutoCloseable {
  static final int RING = 4096;
  static final int SEEN = 1 << 16;

  /** Size at which the file rolls over. */
  public static final long MAX_FILE_BYTES = 16L * 1024 * 1024;

  /** Rolled-over files kept ({@code FILE.1} newest ... {@code FILE.5} oldest). */
  public static final int MAX_FILES = 5;

  /** Reason index for a drop while the filter is unavailable (failing closed). */
  public static final int FILTER_UNAVAILABLE = -1;

  /** Where lines go: the rolling file, or a list in tests. */
  public interface Sink {
    void line(String json);

    default void close() {}
  }

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(FlowLog.class);
  private static final Verdict[] VERDICTS = Verdict.values();

  private final int mask;
  private final AtomicLongArray sequence;
  private final long[] meta;
  private final long[] srcHi;
  private final long[] srcLo;
  private final long[] dstHi;
  private final long[] dstLo;
  private final long[] time;
  private final WgKey[] peers;
  private final AtomicLong tail = new AtomicLong();
  private long head; // the writer's; guarded by this
  private final LongAdder lost = new LongAdder();
  private long lostReported; // guarded by this
  private final AtomicLongArray seen = new AtomicLongArray(SEEN);
  private final LongSupplier clockMillis;
  private final Supplier<Matcher> matcher;
  private final Sink sink;
  private volatile long written;
  private volatile boolean closed;
  private Thread writer;

  /**
   * @param ring slots of the hand-off ring (a power of two)
   * @param clockMillis wall clock for the lines' time
   * @param matcher the filter in force, to name the rule of an admitted flow (null: no filter)
   */
  FlowLog(int ring, LongSupplier clockMillis, Supplier<Matcher> matcher, Sink sink) {
    if (Integer.bitCount(ring) != 1) {
      throw new IllegalArgumentException("ring size must be a power of two: " + ring);
    }
    this.mask = ring - 1;
    this.sequence = new AtomicLongArray(ring);
    for (int i = 0; i < ring; i++) {
      sequence.set(i, i);
    }
    this.meta = new long[ring];
    this.srcHi = new long[ring];
    this.srcLo = new long[ring];
    this.dstHi = new long[ring];
    this.dstLo = new long[ring];
    this.time = new long[ring];
    this.peers = new WgKey[ring];
    this.clockMillis = clockMillis;
    this.matcher = matcher;
    this.sink = sink;
  }

  /**
   * A flow log writing to {@code file} (rolled at {@code maxFileBytes}, {@code maxFiles} old files
   * kept), with its writer thread started.
   */
  public static FlowLog toFile(
      Path file, long maxFileBytes, int maxFiles, Supplier<Matcher> matcher) {
    FlowLog f =
        new FlowLog(
            RING, System::currentTimeMillis, matcher, rollingFile(file, maxFileBytes, maxFiles));
    f.start();
    return f;
  }

  /** Starts the writer thread: it drains the ring every 20 ms (at once when it is half full). */
  void start() {
    writer =
        Thread.ofPlatform()
            .daemon()
            .name("tessera-flow-log")
            .start(
                () -> {
                  while (!closed) {
                    if (drain() == 0) {
                      LockSupport.parkNanos(20_000_000L);
                    }
                  }
                  drain();
                });
  }

  /** Lines written. */
  public long written() {
    return written;
  }

  /** Lines lost because the ring was full (the writer fell behind). */
  public long lost() {
    return lost.sum();
  }

  /**
   * Notes a packet the filter decided (position..limit, an IPv4 or IPv6 packet; anything else is
   * ignored). {@code reason} is the verdict's ordinal, or {@link #FILTER_UNAVAILABLE}; {@code peer}
   * the tunnel peer's public key (null when unknown). Logs it when it starts a flow (see the class
   * comment). Allocation-free, lock-free, never waits.
   */
  void record(boolean inbound, boolean accepted, int reason, ByteBuffer p, WgKey peer) {
    int at = p.position();
    int len = p.remaining();
    boolean v6;
    int proto;
    long sHi = 0;
    long sLo;
    long dHi = 0;
    long dLo;
    int sPort = 0;
    int dPort = 0;
    if (len >= 20 && (p.get(at) & 0xf0) == 0x40) {
      v6 = false;
      int ihl = (p.get(at) & 0x0f) * 4;
      proto = p.get(at + 9) & 0xff;
      sLo = getInt(p, at + 12) & 0xffff_ffffL;
      dLo = getInt(p, at + 16) & 0xffff_ffffL;
      if (hasPorts(proto) && len >= ihl + 4) {
        sPort = getShort(p, at + ihl);
        dPort = getShort(p, at + ihl + 2);
      }
    } else if (len >= 40 && (p.get(at) & 0xf0) == 0x60) {
      v6 = true;
      proto = p.get(at + 6) & 0xff;
      sHi = getLong(p, at + 8);
      sLo = getLong(p, at + 16);
      dHi = getLong(p, at + 24);
      dLo = getLong(p, at + 32);
      if (hasPorts(proto) && len >= 44) {
        sPort = getShort(p, at + 40);
        dPort = getShort(p, at + 42);
      }
    } else {
      return;
    }
    // The flow seen from this node, so that both directions of one flow share a key.
    long h = (accepted ? 0x243F6A8885A308D3L : 0x13198A2E03707344L) + (proto << 1 | (v6 ? 1 : 0));
    h = mix(h, peer == null ? 0 : peer.hashCode());
    if (inbound) {
      h = mix(mix(mix(mix(mix(h, dHi), dLo), sHi), sLo), (long) dPort << 16 | sPort);
    } else {
      h = mix(mix(mix(mix(mix(h, sHi), sLo), dHi), dLo), (long) sPort << 16 | dPort);
    }
    if (!accepted) {
      h = mix(h, reason + 2L);
    }
    if (h == 0) {
      h = 1; // 0 marks an empty slot
    }
    int slot = (int) (h ^ (h >>> 32)) & (SEEN - 1);
    if (seen.get(slot) == h) {
      return; // this flow was logged
    }
    seen.set(slot, h);
    long pos = tail.get();
    while (true) {
      int i = (int) pos & mask;
      long s = sequence.get(i);
      if (s == pos) {
        if (tail.compareAndSet(pos, pos + 1)) {
          break;
        }
        pos = tail.get();
      } else if (s < pos) {
        lost.increment(); // full: the writer has not taken this slot yet
        return;
      } else {
        pos = tail.get();
      }
    }
    int i = (int) pos & mask;
    meta[i] =
        (inbound ? 1L : 0)
            | (accepted ? 2L : 0)
            | (v6 ? 4L : 0)
            | (long) (proto & 0xff) << 8
            | (long) (reason + 1 & 0xff) << 16
            | (long) sPort << 24
            | (long) dPort << 40;
    srcHi[i] = sHi;
    srcLo[i] = sLo;
    dstHi[i] = dHi;
    dstLo[i] = dLo;
    time[i] = clockMillis.getAsLong();
    peers[i] = peer;
    sequence.set(i, pos + 1); // publishes the fields (a volatile write)
  }

  /** Writes every line handed over so far; returns how many. The writer thread calls it. */
  synchronized int drain() {
    int n = 0;
    while (true) {
      int i = (int) head & mask;
      if (sequence.get(i) != head + 1) {
        return n;
      }
      String line;
      try {
        line = describe(i);
      } catch (RuntimeException e) {
        // never expected; the slot is skipped and counted rather than stopping the writer
        LOG.warn("flow log: cannot describe a flow, skipped: {}", e.toString());
        lost.increment();
        line = null;
      }
      peers[i] = null;
      sequence.set(i, head + mask + 1); // free for the producers' next lap
      head++;
      if (line != null) {
        sink.line(line);
        written++;
        n++;
      }
    }
  }

  private String describe(int i) {
    long m = meta[i];
    boolean inbound = (m & 1) != 0;
    boolean accepted = (m & 2) != 0;
    boolean v6 = (m & 4) != 0;
    int proto = (int) (m >>> 8) & 0xff;
    int reason = (int) (m >>> 16 & 0xff) - 1;
    int sPort = (int) (m >>> 24) & 0xffff;
    int dPort = (int) (m >>> 40) & 0xffff;
    IpAddress src = v6 ? IpAddress.ofV6(srcHi[i], srcLo[i]) : IpAddress.ofV4((int) srcLo[i]);
    IpAddress dst = v6 ? IpAddress.ofV6(dstHi[i], dstLo[i]) : IpAddress.ofV4((int) dstLo[i]);
    Map<String, Object> line = new LinkedHashMap<>();
    line.put("time", Instant.ofEpochMilli(time[i]).toString());
    line.put("direction", inbound ? "inbound" : "outbound");
    line.put("verdict", accepted ? "accept" : "drop");
    line.put(
        "reason", reason == FILTER_UNAVAILABLE ? "filter-unavailable" : VERDICTS[reason].code());
    line.put("rule", inbound && accepted ? rule(src, dst, proto, dPort) : null);
    line.put("peer", peers[i] == null ? null : peers[i].toBase64());
    line.put("proto", DropLog.protocolName(proto));
    line.put("src", src.toString());
    line.put("dst", dst.toString());
    if (hasPorts(proto)) {
      line.put("sport", sPort);
      line.put("dport", dPort);
    }
    long lostNow = lost.sum();
    if (lostNow != lostReported) {
      line.put("lost", lostNow - lostReported);
      lostReported = lostNow;
    }
    try {
      return JSON.writeValueAsString(line);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a map of strings and numbers is always JSON", e);
    }
  }

  /** The rule that admits the flow under the filter in force now (null: none does any more). */
  private String rule(IpAddress src, IpAddress dst, int proto, int dPort) {
    Matcher m = matcher == null ? null : matcher.get();
    if (m == null) {
      return null;
    }
    MatchResult r = m.explain(src, dst, proto, hasPorts(proto) ? dPort : 0);
    return r.origins().isEmpty() ? null : r.origins().getFirst().toString();
  }

  @Override
  public void close() {
    closed = true;
    Thread w = writer;
    if (w != null) {
      LockSupport.unpark(w);
      try {
        w.join(5_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    } else {
      drain();
    }
    sink.close();
  }

  private static boolean hasPorts(int proto) {
    return proto == 6 || proto == 17 || proto == 132;
  }

  private static long mix(long h, long v) {
    h ^= v;
    h *= 0xff51afd7ed558ccdL;
    return h ^ (h >>> 33);
  }

  private static int getInt(ByteBuffer p, int at) {
    int v = p.getInt(at);
    return p.order() == ByteOrder.BIG_ENDIAN ? v : Integer.reverseBytes(v);
  }

  private static long getLong(ByteBuffer p, int at) {
    long v = p.getLong(at);
    return p.order() == ByteOrder.BIG_ENDIAN ? v : Long.reverseBytes(v);
  }

  private static int getShort(ByteBuffer p, int at) {
    short v = p.getShort(at);
    return (p.order() == ByteOrder.BIG_ENDIAN ? v : Short.reverseBytes(v)) & 0xffff;
  }

  /**
   * A sink writing each line to {@code file} through Logback's rolling file appender, in a logger
   * context of its own (the application's logging configuration does not touch it).
   */
  static Sink rollingFile(Path file, long maxFileBytes, int maxFiles) {
    LoggerContext ctx = new LoggerContext();
    ctx.setName("tessera-flow-log");
    ctx.setMDCAdapter(new ch.qos.logback.classic.util.LogbackMDCAdapter());
    RollingFileAppender<ILoggingEvent> appender = new RollingFileAppender<>();
    appender.setContext(ctx);
    appender.setName("flow-log");
    appender.setFile(file.toString());
    FixedWindowRollingPolicy rolling = new FixedWindowRollingPolicy();
    rolling.setContext(ctx);
    rolling.setParent(appender);
    rolling.setFileNamePattern(file + ".%i");
    rolling.setMinIndex(1);
    rolling.setMaxIndex(maxFiles);
    rolling.start();
    SizeBasedTriggeringPolicy<ILoggingEvent> trigger = new SizeBasedTriggeringPolicy<>();
    trigger.setContext(ctx);
    trigger.setMaxFileSize(new FileSize(maxFileBytes));
    trigger.setCheckIncrement(Duration.buildByMilliseconds(0));
    trigger.start();
    PatternLayoutEncoder encoder = new PatternLayoutEncoder();
    encoder.setContext(ctx);
    encoder.setPattern("%msg%n");
    encoder.start();
    appender.setEncoder(encoder);
    appender.setRollingPolicy(rolling);
    appender.setTriggeringPolicy(trigger);
    appender.start();
    if (!appender.isStarted()) {
      ctx.stop();
      throw new IllegalArgumentException("cannot write the flow log " + file);
    }
    ch.qos.logback.classic.Logger logger = ctx.getLogger("flows");
    logger.setAdditive(false);
    logger.setLevel(Level.INFO);
    logger.addAppender(appender);
    return new Sink() {
      @Override
      public void line(String json) {
        logger.info(json);
      }

      @Override
      public void close() {
        ctx.stop();
      }
    };
  }
}
