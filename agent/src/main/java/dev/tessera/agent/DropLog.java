package dev.tessera.agent;

import dev.tessera.agent.crypto.WgKey;
import dev.tessera.enforcer.format.CompiledFilter;
import dev.tessera.enforcer.format.DstPorts;
import dev.tessera.enforcer.format.FilterRule;
import dev.tessera.net.IpPrefix;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One log line (logger {@code dev.tessera.agent.drops}, INFO) for the first dropped packet of a
 * 5-tuple: direction, drop reason, protocol, addresses and ports, the peer's public key, and for a
 * flow no rule allows the nearest rule (one between the same addresses, for other ports or
 * protocols).
 *
 * <p>Memory is fixed: the 5-tuples already logged are remembered as 64-bit hashes in a
 * direct-mapped table of {@link #SLOTS} entries, so a tuple whose slot was taken over since may be
 * logged again. Lines are rate limited by a token bucket ({@code perSecond}, burst {@code burst});
 * the number of new tuples left unlogged is added to the next line that is written. Accepted
 * packets never reach this class; a repeated drop costs a hash and one array read.
 */
final class DropLog {
  static final int SLOTS = 4096;
  private static final Logger LOG = LoggerFactory.getLogger("dev.tessera.agent.drops");

  /** Where a line goes; the SLF4J logger in production, a list in tests. */
  public interface Sink {
    void line(String text);
  }

  private final AtomicLongArray seen = new AtomicLongArray(SLOTS);
  private final Supplier<CompiledFilter> filter;
  private final LongSupplier nanos;
  private final Sink sink;
  private final double perSecond;
  private final double burst;
  // Token bucket and the suppressed count: guarded by this (only new tuples take the lock).
  private double tokens;
  private long refilledAt;
  private long suppressed;

  /** The agent's drop log: 10 lines a second, bursts of 50, to SLF4J. */
  public static DropLog standard(Supplier<CompiledFilter> filter) {
    return new DropLog(
        filter,
        System::nanoTime,
        10,
        50,
        line -> {
          if (LOG.isInfoEnabled()) {
            LOG.info(line);
          }
        });
  }

  public DropLog(
      Supplier<CompiledFilter> filter,
      LongSupplier nanos,
      double perSecond,
      double burst,
      Sink sink) {
    if (perSecond <= 0 || burst < 1) {
      throw new IllegalArgumentException("rate " + perSecond + "/s, burst " + burst);
    }
    this.filter = filter;
    this.nanos = nanos;
    this.perSecond = perSecond;
    this.burst = burst;
    this.sink = sink;
    this.tokens = burst;
    this.refilledAt = nanos.getAsLong();
  }

  /**
   * Notes a dropped packet (position..limit, an IPv4 or IPv6 packet; anything else is keyed by its
   * reason alone). {@code reason} is the verdict's reason code, {@code peer} the public key of the
   * sender or recipient (null when unknown); it is printed in base64, as {@code wg show} does.
   */
  public void dropped(boolean inbound, String reason, ByteBuffer packet, WgKey peer) {
    long h = hash(inbound, reason, packet);
    int slot = (int) (h ^ (h >>> 32)) & (SLOTS - 1);
    if (seen.get(slot) == h) {
      return; // this 5-tuple was logged
    }
    seen.set(slot, h);
    String suppressedNote;
    synchronized (this) {
      long now = nanos.getAsLong();
      tokens = Math.min(burst, tokens + (now - refilledAt) / 1e9 * perSecond);
      refilledAt = now;
      if (tokens < 1) {
        suppressed++;
        return;
      }
      tokens--;
      suppressedNote =
          suppressed == 0 ? "" : " (" + suppressed + " more new dropped flows not logged)";
      suppressed = 0;
    }
    sink.line(describe(inbound, reason, packet, peer) + suppressedNote);
  }

  /** The number of new tuples not logged since the last line written. */
  synchronized long suppressed() {
    return suppressed;
  }

  private static long hash(boolean inbound, String reason, ByteBuffer p) {
    long h = reason.hashCode() * 0x9E3779B97F4A7C15L + (inbound ? 1 : 2);
    int at = p.position();
    int len = p.remaining();
    if (len >= 20 && (p.get(at) & 0xf0) == 0x40) {
      int ihl = (p.get(at) & 0x0f) * 4;
      int proto = p.get(at + 9) & 0xff;
      h = mix(h, proto);
      h = mix(h, p.getInt(at + 12));
      h = mix(h, p.getInt(at + 16));
      if ((proto == 6 || proto == 17) && len >= ihl + 4) {
        h = mix(h, p.getInt(at + ihl));
      }
    } else if (len >= 40 && (p.get(at) & 0xf0) == 0x60) {
      int next = p.get(at + 6) & 0xff;
      h = mix(h, next);
      for (int i = 8; i < 40; i += 8) {
        h = mix(h, p.getLong(at + i));
      }
      if ((next == 6 || next == 17) && len >= 44) {
        h = mix(h, p.getInt(at + 40));
      }
    }
    return h == 0 ? 1 : h; // 0 marks an empty slot
  }

  private static long mix(long h, long v) {
    h ^= v;
    h *= 0xff51afd7ed558ccdL;
    return h ^ (h >>> 33);
  }

  /** The peer as {@code wg show} prints it, or "unknown". */
  static String peerName(WgKey peer) {
    return peer == null ? "unknown" : peer.toBase64();
  }

  private String describe(boolean inbound, String reason, ByteBuffer packet, WgKey peer) {
    ByteBuffer p = packet.duplicate().order(java.nio.ByteOrder.BIG_ENDIAN);
    StringBuilder sb =
        new StringBuilder("drop ").append(inbound ? "inbound " : "outbound ").append(reason);
    int at = p.position();
    int len = p.remaining();
    int proto = -1;
    int srcPort = -1;
    int dstPort = -1;
    String src;
    String dst;
    boolean v6;
    if (len >= 20 && (p.get(at) & 0xf0) == 0x40) {
      v6 = false;
      int ihl = (p.get(at) & 0x0f) * 4;
      proto = p.get(at + 9) & 0xff;
      src = IpPrefix.v4(p.getInt(at + 12), 32).address().toString();
      dst = IpPrefix.v4(p.getInt(at + 16), 32).address().toString();
      if ((proto == 6 || proto == 17) && len >= ihl + 4) {
        srcPort = p.getShort(at + ihl) & 0xffff;
        dstPort = p.getShort(at + ihl + 2) & 0xffff;
      }
    } else if (len >= 40 && (p.get(at) & 0xf0) == 0x60) {
      v6 = true;
      proto = p.get(at + 6) & 0xff;
      src = new IpPrefix(true, p.getLong(at + 8), p.getLong(at + 16), 128).address().toString();
      dst = new IpPrefix(true, p.getLong(at + 24), p.getLong(at + 32), 128).address().toString();
      if ((proto == 6 || proto == 17) && len >= 44) {
        srcPort = p.getShort(at + 40) & 0xffff;
        dstPort = p.getShort(at + 42) & 0xffff;
      }
    } else {
      return sb.append(" (")
          .append(len)
          .append(" bytes, not IPv4 or IPv6) peer=")
          .append(peerName(peer))
          .toString();
    }
    sb.append(' ')
        .append(protocolName(proto))
        .append(' ')
        .append(endpoint(src, srcPort, v6))
        .append(" -> ")
        .append(endpoint(dst, dstPort, v6))
        .append(" peer=")
        .append(peerName(peer));
    if (inbound && reason.equals("no-rule")) {
      sb.append(nearestRule(v6, p, at, proto, dstPort));
    }
    return sb.toString();
  }

  private static String endpoint(String addr, int port, boolean v6) {
    return port < 0 ? addr : v6 ? "[" + addr + "]:" + port : addr + ":" + port;
  }

  static String protocolName(int proto) {
    return switch (proto) {
      case 1 -> "icmp";
      case 6 -> "tcp";
      case 17 -> "udp";
      case 58 -> "icmpv6";
      default -> "proto-" + proto;
    };
  }

  /**
   * The first rule from a prefix holding the source to a prefix holding the destination (the
   * packet's port or protocol is what it lacks), or a note that no rule joins the two addresses.
   */
  private String nearestRule(boolean v6, ByteBuffer p, int at, int proto, int dstPort) {
    CompiledFilter f = filter == null ? null : filter.get();
    if (f == null) {
      return "";
    }
    for (FilterRule r : f.rules()) {
      boolean fromSrc = r.sources().stream().anyMatch(s -> holds(s, v6, p, at, true));
      if (!fromSrc) {
        continue;
      }
      for (DstPorts d : r.destinations()) {
        if (holds(d.prefix(), v6, p, at, false)) {
          String ports =
              d.firstPort() == d.lastPort()
                  ? Integer.toString(d.firstPort())
                  : d.firstPort() + "-" + d.lastPort();
          return "; nearest rule "
              + r.origin()
              + " allows protocols "
              + r.effectiveProtocols()
              + " ports "
              + ports
              + " (this packet: protocol "
              + proto
              + (dstPort < 0 ? "" : ", port " + dstPort)
              + ")";
        }
      }
    }
    return "; no rule joins these addresses";
  }

  private static boolean holds(IpPrefix prefix, boolean v6, ByteBuffer p, int at, boolean source) {
    if (prefix.ipv6() != v6) {
      return false;
    }
    return v6
        ? prefix.containsV6(p.getLong(at + (source ? 8 : 24)), p.getLong(at + (source ? 16 : 32)))
        : prefix.containsV4(p.getInt(at + (source ? 12 : 16)));
  }
}
