package dev.tessera.bench.enforcer;

import dev.tessera.net.IpAddress;

/** Builds benchmark packets (IPv4/IPv6 with a TCP or UDP header). */
final class Packets {
  private Packets() {}

  static final int SYN = 0x02;
  static final int ACK = 0x10;

  /** TCP (flags) or UDP packet; for UDP flags are ignored. Source port at {@link #sportOffset}. */
  static byte[] packet(IpAddress src, IpAddress dst, int proto, int sport, int dport, int flags) {
    int l4len = proto == 6 ? 20 : 8;
    int payload = 32;
    int ipLen = src.ipv6() ? 40 : 20;
    byte[] p = new byte[ipLen + l4len + payload];
    if (src.ipv6()) {
      p[0] = 0x60;
      put16(p, 4, l4len + payload);
      p[6] = (byte) proto;
      p[7] = 64;
      putAddr(p, 8, src);
      putAddr(p, 24, dst);
    } else {
      p[0] = 0x45;
      put16(p, 2, p.length);
      p[8] = 64;
      p[9] = (byte) proto;
      putAddr(p, 12, src);
      putAddr(p, 16, dst);
    }
    put16(p, ipLen, sport);
    put16(p, ipLen + 2, dport);
    if (proto == 6) {
      p[ipLen + 12] = 0x50;
      p[ipLen + 13] = (byte) flags;
    } else {
      put16(p, ipLen + 4, l4len + payload);
    }
    return p;
  }

  static int sportOffset(boolean v6) {
    return v6 ? 40 : 20;
  }

  static void put16(byte[] b, int off, int v) {
    b[off] = (byte) (v >>> 8);
    b[off + 1] = (byte) v;
  }

  private static void putAddr(byte[] b, int off, IpAddress a) {
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
