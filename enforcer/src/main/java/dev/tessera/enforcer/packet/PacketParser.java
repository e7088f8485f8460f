package dev.tessera.enforcer.packet;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Parses one IP packet into primitive fields, reused across packets (one per worker thread).
 *
 * <p>Design: a single forward pass with every read preceded by a length check, so hostile input
 * (truncated headers, IHL &lt; 5, total length beyond the buffer, zero length, over-long IPv6
 * extension chains, ICMP errors quoting garbage) ends in a result code, never an exception and
 * never an allocation. Only what the filter needs is decoded: addresses, the transport protocol,
 * ports or ICMP type and identifier, TCP flags, fragment position, and for ICMP errors the same
 * fields of the quoted packet. Checksums are not verified: the packet was authenticated by
 * WireGuard and the receiving stack verifies them.
 *
 * <p>Addresses: IPv4 in the low 32 bits of the {@code *Lo} fields with {@code *Hi} = 0, as in
 * {@code IpAddress}.
 */
public final class PacketParser {
  // result codes
  public static final int OK = 0;
  public static final int TRUNCATED = 1;
  public static final int BAD_HEADER = 2;
  public static final int BAD_EXTENSION = 3;
  public static final int UNSUPPORTED = 4;

  /**
   * A fragment that must be dropped: first fragment without the whole transport header,
   * overlap-prone offsets.
   */
  public static final int BAD_FRAGMENT = 5;

  public static final int BAD_QUOTE = 6;

  // packet kinds
  /** TCP, UDP, SCTP, any other protocol, or an ICMP message that is not echo or an error. */
  public static final int KIND_FLOW = 0;

  public static final int KIND_ECHO_REQUEST = 1;
  public static final int KIND_ECHO_REPLY = 2;
  public static final int KIND_ICMP_ERROR = 3;

  /** A non-first fragment: no transport header; fragment id and protocol are set. */
  public static final int KIND_FRAGMENT = 4;

  /** ICMP message other than echo and errors (timestamp, router/neighbor discovery, MLD, ...). */
  public static final int KIND_ICMP_OTHER = 5;

  /**
   * Bound on IPv6 extension headers walked (RFC 8200 recommends each at most once; 8 is generous).
   */
  public static final int MAX_EXTENSION_HEADERS = 8;

  public static final int TCP_FIN = 0x01;
  public static final int TCP_SYN = 0x02;
  public static final int TCP_RST = 0x04;
  public static final int TCP_ACK = 0x10;

  // outer packet
  public boolean ipv6;
  public long srcHi;
  public long srcLo;
  public long dstHi;
  public long dstLo;

  /** Transport protocol (the last next-header for IPv6). */
  public int protocol;

  public int kind;

  /**
   * Ports for TCP/UDP/SCTP; for ICMP echo {@code srcPort} = {@code dstPort} = identifier; else 0.
   */
  public int srcPort;

  public int dstPort;
  public int tcpFlags;
  public int icmpType;

  /** First fragment of a fragmented packet (offset 0, more fragments). */
  public boolean firstFragment;

  /** Fragment offset in bytes (non-first fragments). */
  public int fragmentOffset;

  public int fragmentId;

  // quoted packet of an ICMP error (same family as the outer packet)
  public long innerSrcHi;
  public long innerSrcLo;
  public long innerDstHi;
  public long innerDstLo;
  public int innerProtocol;

  /** Quoted ports; for a quoted echo: identifier, and 0 for a request / 1 for a reply. */
  public int innerSrcPort;

  public int innerDstPort;

  private PacketBytes b;

  private static final VarHandle A_SHORT =
      MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.BIG_ENDIAN);
  private static final VarHandle A_INT =
      MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);
  private static final VarHandle A_LONG =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

  // ---- quick path ----
  //
  // Most packets are IPv4 without options or IPv6 without extension headers, unfragmented,
  // carrying TCP or UDP. For those, quick() reads the header with a few wide big-endian loads
  // and sets exactly the fields parse() would set for them (result OK, KIND_FLOW). Anything it
  // is not sure about (options, fragments, extension headers, other protocols, any length or
  // header check that fails, IPv6 UDP length 0) returns false without a verdict: the caller
  // then runs parse(), which decides. So quick() may only ever be less permissive than
  // parse(), and on the packets it takes the two agree field by field (PacketParserQuickTest).

  /**
   * Quick parse of {@code len} bytes at {@code a[off]}; the caller has checked that the region lies
   * inside the array. True iff the packet is a common TCP/UDP packet and the fields are set.
   */
  public boolean quick(byte[] a, int off, int len) {
    if (len < 28) {
      return false;
    }
    int b0 = a[off];
    if (b0 == 0x45) {
      long w0 = (long) A_LONG.get(a, off); // ver+ihl, tos, total length, id, flags+offset
      int total = (int) (w0 >>> 32) & 0xFFFF;
      // MF = 0 and offset = 0 (DF and the reserved bit are ignored, as in parse4)
      if (total > len || (w0 & 0x3FFF) != 0) {
        return false;
      }
      long w1 = (long) A_LONG.get(a, off + 8); // ttl, protocol, checksum, source
      long w2 = (long) A_LONG.get(a, off + 16); // destination, source port, destination port
      int proto = (int) (w1 >>> 48) & 0xFF;
      int flags = l4Flags(a, off + 20, proto, total - 20);
      if (flags < 0) {
        return false;
      }
      setV4(proto, w1 & 0xFFFF_FFFFL, w2 >>> 32, (int) w2, flags);
      return true;
    }
    if ((b0 & 0xF0) == 0x60 && len >= 48) {
      long w0 =
          (long)
              A_LONG.get(a, off); // ver, class, flow label, payload length, next header, hop limit
      int total = 40 + ((int) (w0 >>> 16) & 0xFFFF);
      int proto = (int) (w0 >>> 8) & 0xFF;
      if (total > len) {
        return false;
      }
      int flags = l4Flags(a, off + 40, proto, total - 40);
      if (flags < 0) {
        return false;
      }
      setV6(
          proto,
          (long) A_LONG.get(a, off + 8),
          (long) A_LONG.get(a, off + 16),
          (long) A_LONG.get(a, off + 24),
          (long) A_LONG.get(a, off + 32),
          (int) A_INT.get(a, off + 40),
          flags);
      return true;
    }
    return false;
  }

  /** As {@link #quick(byte[], int, int)} over any packet view (direct buffers, segments). */
  public boolean quick(PacketBytes b) {
    int len = b.length();
    if (len < 28) {
      return false;
    }
    long w0 = b.i64(0);
    int b0 = (int) (w0 >>> 56) & 0xFF;
    if (b0 == 0x45) {
      int total = (int) (w0 >>> 32) & 0xFFFF;
      if (total > len || (w0 & 0x3FFF) != 0) {
        return false;
      }
      long w1 = b.i64(8);
      long w2 = b.i64(16);
      int proto = (int) (w1 >>> 48) & 0xFF;
      int flags = l4Flags(b, 20, proto, total - 20);
      if (flags < 0) {
        return false;
      }
      setV4(proto, w1 & 0xFFFF_FFFFL, w2 >>> 32, (int) w2, flags);
      return true;
    }
    if ((b0 & 0xF0) == 0x60 && len >= 48) {
      int total = 40 + ((int) (w0 >>> 16) & 0xFFFF);
      int proto = (int) (w0 >>> 8) & 0xFF;
      if (total > len) {
        return false;
      }
      int flags = l4Flags(b, 40, proto, total - 40);
      if (flags < 0) {
        return false;
      }
      setV6(proto, b.i64(8), b.i64(16), b.i64(24), b.i64(32), b.i32(40), flags);
      return true;
    }
    return false;
  }

  /**
   * The quick path's transport check at {@code l4}, with {@code avail} bytes after the IP header:
   * TCP flags (a data offset of 20 to {@code avail} bytes), 0 for UDP (a length of 8 to {@code
   * avail}), or -1 for anything the full parser must see. The header is read only once {@code
   * avail} says it is there.
   */
  private static int l4Flags(byte[] a, int l4, int proto, int avail) {
    if (proto == 6) {
      return avail < 20 ? -1 : tcpFlags((short) A_SHORT.get(a, l4 + 12), avail);
    }
    return proto == 17 && avail >= 8
        ? udpCheck((short) A_SHORT.get(a, l4 + 4) & 0xFFFF, avail)
        : -1;
  }

  /** As {@link #l4Flags(byte[], int, int, int)} over a packet view. */
  private static int l4Flags(PacketBytes b, int l4, int proto, int avail) {
    if (proto == 6) {
      return avail < 20 ? -1 : tcpFlags(b.u16(l4 + 12), avail);
    }
    return proto == 17 && avail >= 8 ? udpCheck(b.u16(l4 + 4), avail) : -1;
  }

  private static int tcpFlags(int word, int avail) {
    int doff = (word >>> 10) & 0x3C;
    return doff < 20 || doff > avail ? -1 : word & 0xFF;
  }

  private static int udpCheck(int udpLength, int avail) {
    return udpLength < 8 || udpLength > avail ? -1 : 0;
  }

  private void setV4(int proto, long src, long dst, int ports, int flags) {
    ipv6 = false;
    srcHi = 0;
    dstHi = 0;
    srcLo = src;
    dstLo = dst;
    setTransport(proto, ports, flags);
  }

  private void setV6(int proto, long sHi, long sLo, long dHi, long dLo, int ports, int flags) {
    ipv6 = true;
    srcHi = sHi;
    srcLo = sLo;
    dstHi = dHi;
    dstLo = dLo;
    setTransport(proto, ports, flags);
  }

  private void setTransport(int proto, int ports, int flags) {
    protocol = proto;
    kind = KIND_FLOW;
    srcPort = ports >>> 16;
    dstPort = ports & 0xFFFF;
    tcpFlags = flags;
    icmpType = 0;
    firstFragment = false;
    fragmentOffset = 0;
    fragmentId = 0;
  }

  public int parse(PacketBytes bytes) {
    this.b = bytes;
    int len = bytes.length();
    protocol = 0;
    kind = KIND_FLOW;
    srcPort = 0;
    dstPort = 0;
    tcpFlags = 0;
    icmpType = 0;
    firstFragment = false;
    fragmentOffset = 0;
    fragmentId = 0;
    if (len < 1) {
      return TRUNCATED;
    }
    int version = b.u8(0) >>> 4;
    if (version == 4) {
      return parse4(len);
    }
    if (version == 6) {
      return parse6(len);
    }
    return UNSUPPORTED;
  }

  private int parse4(int len) {
    ipv6 = false;
    if (len < 20) {
      return TRUNCATED;
    }
    int ihl = (b.u8(0) & 0x0F) << 2;
    if (ihl < 20) {
      return BAD_HEADER;
    }
    int total = b.u16(2);
    if (total < ihl) {
      return BAD_HEADER;
    }
    if (total > len) {
      return TRUNCATED;
    }
    int frag = b.u16(6);
    boolean more = (frag & 0x2000) != 0;
    int offset = (frag & 0x1FFF) << 3;
    protocol = b.u8(9);
    srcHi = 0;
    dstHi = 0;
    srcLo = b.i32(12) & 0xFFFF_FFFFL;
    dstLo = b.i32(16) & 0xFFFF_FFFFL;
    if (offset > 0 || more) {
      fragmentId = b.u16(4);
      // RFC 791: a datagram is at most 65535 bytes; a fragment reaching past that is the
      // "ping of death" and can only be an attack.
      if (offset + (total - ihl) > 65535) {
        return BAD_FRAGMENT;
      }
      if (offset > 0) {
        fragmentOffset = offset;
        kind = KIND_FRAGMENT;
        return OK;
      }
      firstFragment = true;
    }
    return parseTransport(ihl, total);
  }

  private int parse6(int len) {
    ipv6 = true;
    if (len < 40) {
      return TRUNCATED;
    }
    int total = 40 + b.u16(4);
    if (total > len) {
      return TRUNCATED;
    }
    srcHi = b.i64(8);
    srcLo = b.i64(16);
    dstHi = b.i64(24);
    dstLo = b.i64(32);
    int nh = b.u8(6);
    int off = 40;
    boolean sawFragment = false;
    for (int count = 0; ; count++) {
      if (!isExtension(nh)) {
        break;
      }
      if (count >= MAX_EXTENSION_HEADERS) {
        return BAD_EXTENSION;
      }
      if (nh == 0 && count != 0) {
        return BAD_EXTENSION; // RFC 8200 4.1: hop-by-hop only directly after the IPv6 header
      }
      if (nh == 44) {
        if (sawFragment || off + 8 > total) {
          return BAD_EXTENSION;
        }
        sawFragment = true;
        int next = b.u8(off);
        int fo = b.u16(off + 2);
        int fragOff = fo & 0xFFF8;
        boolean more = (fo & 1) != 0;
        if (fragOff > 0 || more) {
          fragmentId = b.i32(off + 4);
          if (fragOff + (total - off - 8) > 65535) {
            return BAD_FRAGMENT;
          }
          if (fragOff > 0) {
            protocol = next;
            fragmentOffset = fragOff;
            kind = KIND_FRAGMENT;
            return OK;
          }
          firstFragment = true;
        }
        // offset 0 without M is an atomic fragment (RFC 6946): parse on as unfragmented
        nh = next;
        off += 8;
        continue;
      }
      if (off + 2 > total) {
        return BAD_EXTENSION;
      }
      int hlen = nh == 51 ? (b.u8(off + 1) + 2) << 2 : (b.u8(off + 1) + 1) << 3;
      if (off + hlen > total) {
        return BAD_EXTENSION;
      }
      if (nh == 43 && b.u8(off + 2) == 0 && b.u8(off + 3) != 0) {
        return BAD_EXTENSION; // RFC 5095: type 0 routing header with segments left is deprecated
      }
      nh = b.u8(off);
      off += hlen;
    }
    protocol = nh;
    int r = parseTransport(off, total);
    // RFC 7112: the first fragment must carry the whole header chain and transport header.
    return r == TRUNCATED && firstFragment ? BAD_FRAGMENT : r;
  }

  /**
   * Extension headers walked generically (not ESP 50: its payload is encrypted; not 59
   * no-next-header).
   */
  static boolean isExtension(int nh) {
    return nh == 0 || nh == 43 || nh == 44 || nh == 60 || nh == 51 || nh == 135 || nh == 139
        || nh == 140 || nh == 253 || nh == 254;
  }

  private int parseTransport(int off, int end) {
    int avail = end - off;
    switch (protocol) {
      case 6 -> {
        if (avail < 20) {
          return firstFragment ? BAD_FRAGMENT : TRUNCATED;
        }
        int doff = (b.u8(off + 12) >>> 4) << 2;
        if (doff < 20) {
          return BAD_HEADER;
        }
        if (doff > avail) {
          return firstFragment ? BAD_FRAGMENT : TRUNCATED;
        }
        srcPort = b.u16(off);
        dstPort = b.u16(off + 2);
        tcpFlags = b.u8(off + 13);
        return OK;
      }
      case 17 -> {
        if (avail < 8) {
          return firstFragment ? BAD_FRAGMENT : TRUNCATED;
        }
        int ulen = b.u16(off + 4);
        if (ulen < 8 && !(ipv6 && ulen == 0)) {
          return BAD_HEADER;
        }
        if (!firstFragment && ulen > avail) {
          return TRUNCATED;
        }
        srcPort = b.u16(off);
        dstPort = b.u16(off + 2);
        return OK;
      }
      case 132 -> {
        if (avail < 12) {
          return firstFragment ? BAD_FRAGMENT : TRUNCATED;
        }
        srcPort = b.u16(off);
        dstPort = b.u16(off + 2);
        return OK;
      }
      case 1, 58 -> {
        if ((protocol == 1) == ipv6) {
          return OK; // ICMP in IPv6 or ICMPv6 in IPv4: just another protocol number
        }
        if (avail < 8) {
          return firstFragment ? BAD_FRAGMENT : TRUNCATED;
        }
        int type = b.u8(off);
        icmpType = type;
        if (ipv6 ? type == 128 : type == 8) {
          kind = KIND_ECHO_REQUEST;
        } else if (ipv6 ? type == 129 : type == 0) {
          kind = KIND_ECHO_REPLY;
        } else if (ipv6 ? type < 128 : (type == 3 || type == 4 || type == 11 || type == 12)) {
          kind = KIND_ICMP_ERROR;
          if (firstFragment) {
            return BAD_QUOTE; // an ICMP error is small; a fragmented one is crafted
          }
          return parseQuoted(off + 8, end);
        } else {
          kind = KIND_ICMP_OTHER;
          return OK;
        }
        srcPort = b.u16(off + 4);
        dstPort = srcPort;
        return OK;
      }
      default -> {
        return OK;
      }
    }
  }

  /**
   * The packet quoted by an ICMP error (RFC 792: IP header + first 8 bytes; RFC 4443: as much as
   * fits). It must be a packet the error's receiver sent: same family, its source is the error's
   * destination, a first (or only) fragment, carrying at least the ports, and not itself an ICMP
   * error (RFC 1122 3.2.2: no errors about errors).
   */
  private int parseQuoted(int off, int end) {
    int avail = end - off;
    int l4;
    int proto;
    if (!ipv6) {
      if (avail < 20 || (b.u8(off) >>> 4) != 4) {
        return BAD_QUOTE;
      }
      int ihl = (b.u8(off) & 0x0F) << 2;
      if (ihl < 20 || ihl + 8 > avail || (b.u16(off + 6) & 0x1FFF) != 0) {
        return BAD_QUOTE;
      }
      proto = b.u8(off + 9);
      innerSrcHi = 0;
      innerDstHi = 0;
      innerSrcLo = b.i32(off + 12) & 0xFFFF_FFFFL;
      innerDstLo = b.i32(off + 16) & 0xFFFF_FFFFL;
      l4 = off + ihl;
    } else {
      if (avail < 48 || (b.u8(off) >>> 4) != 6) {
        return BAD_QUOTE;
      }
      innerSrcHi = b.i64(off + 8);
      innerSrcLo = b.i64(off + 16);
      innerDstHi = b.i64(off + 24);
      innerDstLo = b.i64(off + 32);
      int nh = b.u8(off + 6);
      int p = off + 40;
      for (int count = 0; isExtension(nh); count++) {
        if (count >= MAX_EXTENSION_HEADERS || p + 8 > end) {
          return BAD_QUOTE;
        }
        if (nh == 44) {
          if ((b.u16(p + 2) & 0xFFF8) != 0) {
            return BAD_QUOTE; // non-first fragment: no ports to match
          }
          nh = b.u8(p);
          p += 8;
          continue;
        }
        int hlen = nh == 51 ? (b.u8(p + 1) + 2) << 2 : (b.u8(p + 1) + 1) << 3;
        nh = b.u8(p);
        p += hlen;
      }
      proto = nh;
      l4 = p;
    }
    if (l4 + 8 > end) {
      return BAD_QUOTE;
    }
    if (innerSrcHi != dstHi || innerSrcLo != dstLo) {
      return BAD_QUOTE;
    }
    innerProtocol = proto;
    innerSrcPort = 0;
    innerDstPort = 0;
    switch (proto) {
      case 6, 17, 132 -> {
        innerSrcPort = b.u16(l4);
        innerDstPort = b.u16(l4 + 2);
      }
      case 1, 58 -> {
        if ((proto == 1) != ipv6) {
          int t = b.u8(l4);
          boolean echo = ipv6 ? (t == 128 || t == 129) : (t == 8 || t == 0);
          if (!echo) {
            return BAD_QUOTE; // errors about errors or about other ICMP: nothing tracked
          }
          innerSrcPort = b.u16(l4 + 4);
          // echo flows are keyed (identifier, who asked): 0 = the quoting side's request, 1 = its
          // reply
          innerDstPort = (t == 8 || t == 128) ? 0 : 1;
        }
      }
      default -> {}
    }
    return OK;
  }
}
