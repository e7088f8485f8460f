package dev.tessera.enforcer;

import dev.tessera.net.IpAddress;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;

/**
 * Hand-built IP packets for tests: every byte is placed explicitly so that tests exercise the
 * parser on exactly the layouts the RFCs define (checksums are left 0: the enforcer does not verify
 * them).
 */
final class Packets {
  private Packets() {}

  static final int FIN = 0x01, SYN = 0x02, RST = 0x04, PSH = 0x08, ACK = 0x10;

  static byte[] tcp(String src, String dst, int sport, int dport, int flags) {
    byte[] l4 = new byte[20];
    put16(l4, 0, sport);
    put16(l4, 2, dport);
    l4[12] = (byte) (5 << 4);
    l4[13] = (byte) flags;
    return ip(src, dst, 6, l4);
  }

  static byte[] udp(String src, String dst, int sport, int dport) {
    byte[] l4 = new byte[8 + 4];
    put16(l4, 0, sport);
    put16(l4, 2, dport);
    put16(l4, 4, l4.length);
    return ip(src, dst, 17, l4);
  }

  static byte[] sctp(String src, String dst, int sport, int dport) {
    byte[] l4 = new byte[12 + 16];
    put16(l4, 0, sport);
    put16(l4, 2, dport);
    l4[12] = 1; // INIT chunk type
    return ip(src, dst, 132, l4);
  }

  static byte[] proto(String src, String dst, int protocol, int payloadLength) {
    return ip(src, dst, protocol, new byte[payloadLength]);
  }

  /** Echo request (v4 type 8, v6 type 128). */
  static byte[] ping(String src, String dst, int id) {
    return icmp(src, dst, v6(src) ? 128 : 8, 0, id, new byte[8]);
  }

  static byte[] pong(String src, String dst, int id) {
    return icmp(src, dst, v6(src) ? 129 : 0, 0, id, new byte[8]);
  }

  static byte[] icmp(String src, String dst, int type, int code, int rest16, byte[] body) {
    byte[] l4 = new byte[8 + body.length];
    l4[0] = (byte) type;
    l4[1] = (byte) code;
    put16(l4, 4, rest16);
    System.arraycopy(body, 0, l4, 8, body.length);
    return ip(src, dst, v6(src) ? 58 : 1, l4);
  }

  /** An ICMP error (v4: 3/3 port unreachable; v6: 1/4) from {@code src} quoting {@code quoted}. */
  static byte[] unreachable(String src, String dst, byte[] quoted, int quoteLength) {
    byte[] q = Arrays.copyOf(quoted, Math.min(quoteLength, quoted.length));
    return v6(src) ? icmp(src, dst, 1, 4, 0, q) : icmp(src, dst, 3, 3, 0, q);
  }

  static boolean v6(String addr) {
    return addr.indexOf(':') >= 0;
  }

  static byte[] ip(String src, String dst, int protocol, byte[] l4) {
    return v6(src)
        ? ip6(src, dst, protocol, new byte[0], l4)
        : ip4(src, dst, protocol, 0, false, 0x1234, l4);
  }

  static byte[] ip4(
      String src, String dst, int protocol, int fragOffsetBytes, boolean more, int id, byte[] l4) {
    byte[] p = new byte[20 + l4.length];
    p[0] = 0x45;
    put16(p, 2, p.length);
    put16(p, 4, id);
    put16(p, 6, (more ? 0x2000 : 0) | (fragOffsetBytes >>> 3));
    p[8] = 64;
    p[9] = (byte) protocol;
    putAddr(p, 12, src);
    putAddr(p, 16, dst);
    System.arraycopy(l4, 0, p, 20, l4.length);
    return p;
  }

  /**
   * IPv6 with the given raw extension-header bytes between the fixed header and l4. {@code firstNh}
   * is the fixed header's next header.
   */
  static byte[] ip6(String src, String dst, int firstNh, byte[] ext, byte[] l4) {
    byte[] p = new byte[40 + ext.length + l4.length];
    p[0] = 0x60;
    put16(p, 4, ext.length + l4.length);
    p[6] = (byte) firstNh;
    p[7] = 64;
    putAddr(p, 8, src);
    putAddr(p, 24, dst);
    System.arraycopy(ext, 0, p, 40, ext.length);
    System.arraycopy(l4, 0, p, 40 + ext.length, l4.length);
    return p;
  }

  /** An 8-byte generic extension header (destination options style) with next header nh. */
  static byte[] ext8(int nh) {
    byte[] e = new byte[8];
    e[0] = (byte) nh;
    e[1] = 0;
    e[2] = 1; // PadN
    e[3] = 4;
    return e;
  }

  static byte[] fragHeader(int nh, int offsetBytes, boolean more, int id) {
    byte[] e = new byte[8];
    e[0] = (byte) nh;
    put16(e, 2, offsetBytes | (more ? 1 : 0));
    e[4] = (byte) (id >>> 24);
    e[5] = (byte) (id >>> 16);
    e[6] = (byte) (id >>> 8);
    e[7] = (byte) id;
    return e;
  }

  static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    for (byte[] b : parts) {
      o.writeBytes(b);
    }
    return o.toByteArray();
  }

  static byte[] tcpHeader(int sport, int dport, int flags) {
    byte[] l4 = new byte[20];
    put16(l4, 0, sport);
    put16(l4, 2, dport);
    l4[12] = (byte) (5 << 4);
    l4[13] = (byte) flags;
    return l4;
  }

  static void put16(byte[] b, int off, int v) {
    b[off] = (byte) (v >>> 8);
    b[off + 1] = (byte) v;
  }

  static void putAddr(byte[] b, int off, String text) {
    IpAddress a = IpAddress.parse(text);
    if (a.ipv6()) {
      for (int i = 0; i < 8; i++) {
        b[off + i] = (byte) (a.hi() >>> (56 - 8 * i));
        b[off + 8 + i] = (byte) (a.lo() >>> (56 - 8 * i));
      }
    } else {
      for (int i = 0; i < 4; i++) {
        b[off + i] = (byte) (a.lo() >>> (24 - 8 * i));
      }
    }
  }
}
