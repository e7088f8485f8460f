package dev.tessera.agent.tun;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Turns what a TUN fd with IFF_VNET_HDR delivers into plain IP packets, and builds the header for
 * packets written back.
 *
 * <p>Each read starts with a {@code struct virtio_net_hdr} (include/uapi/linux/virtio_net.h):
 * {@code flags u8, gso_type u8, hdr_len u16, gso_size u16, csum_start u16, csum_offset u16}, in
 * host (little-endian) byte order. Two cases need work before a packet can be encrypted:
 *
 * <ul>
 *   <li>{@code VIRTIO_NET_HDR_F_NEEDS_CSUM}: the kernel left the transport checksum partial (it
 *       holds only the pseudo-header sum); we finish it: the ones' complement sum of the bytes from
 *       {@code csum_start} to the end, stored at {@code csum_start + csum_offset}.
 *   <li>{@code gso_type} TCPV4/TCPV6: one large TCP segment to be cut into {@code gso_size} payload
 *       chunks, as a NIC doing TSO would (Linux tcp_gso_segment): each chunk gets a copy of the IP
 *       and TCP headers with sequence number advanced, IPv4 total length, identification (+1 per
 *       segment) and header checksum, or IPv6 payload length, rewritten; FIN and PSH only on the
 *       last segment, CWR only on the first; and a full TCP checksum (RFC 793 pseudo-header).
 * </ul>
 *
 * Anything else (ECN-flagged GSO, UDP GSO, IPv6 extension headers in a GSO packet) is not something
 * the kernel hands a TUN with only TUN_F_TSO4/6 enabled; it is dropped and counted.
 *
 * <p>Per-thread object: owns one 64 KiB segment buffer; {@link #split} calls the sink synchronously
 * for each packet, and the packet buffer is reused after the sink returns.
 */
public final class TsoSplitter {
  public static final int VNET_HDR_LEN = 10;
  private static final int F_NEEDS_CSUM = 1;

  /**
   * VIRTIO_NET_HDR_F_DATA_VALID: written on packets we inject; WireGuard already authenticated
   * them.
   */
  private static final byte F_DATA_VALID = 2;

  private static final int GSO_NONE = 0;
  private static final int GSO_TCPV4 = 1;
  private static final int GSO_TCPV6 = 4;

  /** Receives each plain IP packet (position..limit), valid only during the call. */
  @FunctionalInterface
  public interface Sink {
    void packet(ByteBuffer ipPacket);
  }

  private final ByteBuffer seg = ByteBuffer.allocateDirect(65_536).order(ByteOrder.BIG_ENDIAN);
  private long malformed;

  /** Packets dropped because their virtio header or headers did not make sense. */
  public long malformed() {
    return malformed;
  }

  /**
   * Splits one read ({@code raw}: virtio header then packet, position..limit) into IP packets.
   * Returns the number of packets passed to {@code sink}.
   */
  public int split(ByteBuffer raw, Sink sink) {
    int base = raw.position();
    int end = raw.limit();
    if (end - base < VNET_HDR_LEN + 20) {
      malformed++;
      return 0;
    }
    int flags = raw.get(base) & 0xff;
    int gsoType = raw.get(base + 1) & 0xff;
    int gsoSize = Short.toUnsignedInt(Short.reverseBytes(raw.getShort(base + 4)));
    int csumStart = Short.toUnsignedInt(Short.reverseBytes(raw.getShort(base + 6)));
    int csumOffset = Short.toUnsignedInt(Short.reverseBytes(raw.getShort(base + 8)));
    int pkt = base + VNET_HDR_LEN;
    if (gsoType == GSO_NONE) {
      if ((flags & F_NEEDS_CSUM) != 0) {
        int cs = pkt + csumStart;
        int field = cs + csumOffset;
        if (cs >= end || field + 2 > end) {
          malformed++;
          return 0;
        }
        raw.putShort(field, (short) ~fold(sum(raw, cs, end, 0)));
      }
      ByteBuffer view = raw.duplicate().position(pkt).limit(end);
      sink.packet(view);
      return 1;
    }
    if (gsoType != GSO_TCPV4 && gsoType != GSO_TCPV6) {
      malformed++;
      return 0;
    }
    return splitTcp(raw, pkt, end, gsoType == GSO_TCPV4, gsoSize, sink);
  }

  private int splitTcp(ByteBuffer raw, int pkt, int end, boolean v4, int mss, Sink sink) {
    int ipHdr;
    if (v4) {
      if ((raw.get(pkt) & 0xf0) != 0x40 || raw.get(pkt + 9) != 6) {
        malformed++;
        return 0;
      }
      ipHdr = (raw.get(pkt) & 0x0f) * 4;
    } else {
      if ((raw.get(pkt) & 0xf0) != 0x60 || raw.get(pkt + 6) != 6) {
        malformed++;
        return 0;
      }
      ipHdr = 40;
    }
    int tcp = pkt + ipHdr;
    if (ipHdr < 20 || tcp + 20 > end) {
      malformed++;
      return 0;
    }
    int tcpHdr = ((raw.get(tcp + 12) & 0xf0) >>> 4) * 4;
    int hdrLen = ipHdr + tcpHdr;
    int payload = end - pkt - hdrLen;
    if (tcpHdr < 20
        || payload < 0
        || mss == 0
        || hdrLen + Math.min(mss, payload) > seg.capacity()) {
      malformed++;
      return 0;
    }
    int seq0 = raw.getInt(tcp + 4);
    int id0 = v4 ? Short.toUnsignedInt(raw.getShort(pkt + 4)) : 0;
    int tcpFlags0 = raw.get(tcp + 13) & 0xff;
    // Pseudo-header sum without the length: source and destination addresses and the protocol.
    long pseudo = v4 ? sum(raw, pkt + 12, pkt + 20, 6) : sum(raw, pkt + 8, pkt + 40, 6);
    int count = 0;
    for (int off = 0; off < payload || (off == 0 && payload == 0); off += mss) {
      int len = Math.min(mss, payload - off);
      boolean last = off + len >= payload;
      seg.clear();
      for (int i = 0; i < hdrLen; i++) {
        seg.put(i, raw.get(pkt + i));
      }
      if (len > 0) {
        seg.put(hdrLen, raw, pkt + hdrLen + off, len);
      }
      int total = hdrLen + len;
      if (v4) {
        seg.putShort(2, (short) total);
        seg.putShort(4, (short) (id0 + count));
        seg.putShort(10, (short) 0);
        seg.putShort(10, (short) ~fold(sum(seg, 0, ipHdr, 0)));
      } else {
        seg.putShort(4, (short) (tcpHdr + len));
      }
      seg.putInt(ipHdr + 4, seq0 + off);
      int f = tcpFlags0;
      if (!last) {
        f &= ~0x09; // FIN, PSH only on the last segment
      }
      if (count > 0) {
        f &= ~0x80; // CWR only on the first
      }
      seg.put(ipHdr + 13, (byte) f);
      seg.putShort(ipHdr + 16, (short) 0);
      long s = sum(seg, ipHdr, total, pseudo + tcpHdr + len);
      seg.putShort(ipHdr + 16, (short) ~fold(s));
      seg.position(0).limit(total);
      sink.packet(seg);
      count++;
      if (payload == 0) {
        break;
      }
    }
    return count;
  }

  /**
   * Ones' complement sum of big-endian 16-bit words in [from, to), plus {@code initial}; unfolded.
   */
  static long sum(ByteBuffer b, int from, int to, long initial) {
    long s = initial;
    int i = from;
    ByteBuffer be =
        b.order() == ByteOrder.BIG_ENDIAN ? b : b.duplicate().order(ByteOrder.BIG_ENDIAN);
    for (; i + 8 <= to; i += 8) {
      long v = be.getLong(i);
      s += (v >>> 32) + (v & 0xffffffffL);
    }
    for (; i + 2 <= to; i += 2) {
      s += be.getShort(i) & 0xffff;
    }
    if (i < to) {
      s += (be.get(i) & 0xff) << 8;
    }
    return s;
  }

  static int fold(long s) {
    while ((s >>> 16) != 0) {
      s = (s & 0xffff) + (s >>> 16);
    }
    return (int) s;
  }

  /**
   * Writes the virtio header for an injected packet at {@code at}: no GSO, checksum already
   * verified.
   */
  public static void writeInjectHeader(ByteBuffer b, int at) {
    b.put(at, F_DATA_VALID);
    for (int i = 1; i < VNET_HDR_LEN; i++) {
      b.put(at + i, (byte) 0);
    }
  }
}
