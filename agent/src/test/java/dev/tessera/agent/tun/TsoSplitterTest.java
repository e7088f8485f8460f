package dev.tessera.agent.tun;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TsoSplitterTest {
  static byte[] copy(ByteBuffer b) {
    byte[] out = new byte[b.remaining()];
    b.duplicate().get(out);
    return out;
  }

  /** A valid checksum over [from, to) plus a pseudo-header sum gives 0xffff when folded. */
  static boolean checksumOk(byte[] p, int from, int to, long pseudo) {
    return TsoSplitter.fold(TsoSplitter.sum(ByteBuffer.wrap(p), from, to, pseudo)) == 0xffff;
  }

  static ByteBuffer vnet(
      int flags, int gsoType, int hdrLen, int gsoSize, int csumStart, int csumOffset, byte[] pkt) {
    ByteBuffer b = ByteBuffer.allocateDirect(TsoSplitter.VNET_HDR_LEN + pkt.length);
    b.put((byte) flags)
        .put((byte) gsoType)
        .putShort(Short.reverseBytes((short) hdrLen))
        .putShort(Short.reverseBytes((short) gsoSize))
        .putShort(Short.reverseBytes((short) csumStart))
        .putShort(Short.reverseBytes((short) csumOffset))
        .put(pkt)
        .flip();
    return b;
  }

  static byte[] tcp4(int payload, int flags, long seed) {
    byte[] p = new byte[40 + payload];
    p[0] = 0x45;
    p[2] = (byte) (p.length >> 8);
    p[3] = (byte) p.length;
    p[4] = 0x12;
    p[5] = 0x34;
    p[8] = 64;
    p[9] = 6;
    byte[] src = {10, 0, 0, 1};
    byte[] dst = {10, 0, 0, 2};
    System.arraycopy(src, 0, p, 12, 4);
    System.arraycopy(dst, 0, p, 16, 4);
    p[20] = (byte) 0xc3; // sport 50000
    p[21] = 0x50;
    p[22] = 0x14; // dport 5201
    p[23] = 0x51;
    p[24] = 0x7f; // seq 0x7ffffff0: wraps past 2^31 within the test
    p[25] = (byte) 0xff;
    p[26] = (byte) 0xff;
    p[27] = (byte) 0xf0;
    p[32] = 0x50; // data offset 5
    p[33] = (byte) flags;
    p[34] = 0x10;
    byte[] data = new byte[payload];
    new Random(seed).nextBytes(data);
    System.arraycopy(data, 0, p, 40, payload);
    return p;
  }

  @ParameterizedTest(name = "payload {0}, mss {1}")
  @CsvSource({"2500, 1000, 3", "3000, 1000, 3", "999, 1000, 1", "0, 1000, 1", "64000, 1380, 47"})
  void splitsTcpV4LikeTso(int payload, int mss, int expected) {
    byte[] big = tcp4(payload, 0x80 | 0x10 | 0x08 | 0x01, payload); // CWR ACK PSH FIN
    List<byte[]> out = new ArrayList<>();
    TsoSplitter s = new TsoSplitter();
    int n = s.split(vnet(1, 1, 40, mss, 20, 16, big), b -> out.add(copy(b)));
    assertThat(n).isEqualTo(expected).isEqualTo(out.size());
    int off = 0;
    for (int i = 0; i < out.size(); i++) {
      byte[] p = out.get(i);
      int len = Math.min(mss, payload - off);
      assertThat(p.length).isEqualTo(40 + len);
      assertThat(((p[2] & 0xff) << 8) | (p[3] & 0xff)).as("IPv4 total length").isEqualTo(p.length);
      assertThat(((p[4] & 0xff) << 8) | (p[5] & 0xff)).as("IPv4 id").isEqualTo(0x1234 + i);
      assertThat(checksumOk(p, 0, 20, 0)).as("IPv4 header checksum of segment %d", i).isTrue();
      int seq = ByteBuffer.wrap(p).getInt(24);
      assertThat(seq).isEqualTo(0x7ffffff0 + off);
      int flags = p[33] & 0xff;
      boolean last = i == out.size() - 1;
      assertThat(flags & 0x09).as("FIN/PSH only on the last").isEqualTo(last ? 0x09 : 0);
      assertThat(flags & 0x80).as("CWR only on the first").isEqualTo(i == 0 ? 0x80 : 0);
      long pseudo = TsoSplitter.sum(ByteBuffer.wrap(p), 12, 20, 6) + (p.length - 20);
      assertThat(checksumOk(p, 20, p.length, pseudo)).as("TCP checksum of segment %d", i).isTrue();
      for (int k = 0; k < len; k++) {
        assertThat(p[40 + k]).isEqualTo(big[40 + off + k]);
      }
      off += len;
    }
    assertThat(s.malformed()).isZero();
  }

  @Test
  void splitsTcpV6() {
    int payload = 3000;
    byte[] p = new byte[60 + payload];
    p[0] = 0x60;
    p[4] = (byte) ((20 + payload) >> 8);
    p[5] = (byte) (20 + payload);
    p[6] = 6;
    p[7] = 64;
    p[8] = (byte) 0xfd;
    p[23] = 1;
    p[24] = (byte) 0xfd;
    p[39] = 2;
    p[52] = 0x50;
    p[53] = 0x10;
    new Random(1).nextBytes(java.util.Arrays.copyOfRange(p, 60, p.length));
    List<byte[]> out = new ArrayList<>();
    new TsoSplitter().split(vnet(1, 4, 60, 1200, 40, 16, p), b -> out.add(copy(b)));
    assertThat(out).extracting(b -> b.length).containsExactly(1260, 1260, 660);
    for (byte[] s : out) {
      assertThat(((s[4] & 0xff) << 8) | (s[5] & 0xff)).isEqualTo(s.length - 40);
      long pseudo = TsoSplitter.sum(ByteBuffer.wrap(s), 8, 40, 6) + (s.length - 40);
      assertThat(checksumOk(s, 40, s.length, pseudo)).isTrue();
    }
  }

  @Test
  void completesPartialChecksum() {
    // UDP 10.0.0.1:1 -> 10.0.0.2:2 with 5 bytes of payload; the kernel left the pseudo-header sum.
    byte[] p = {
      0x45, 0, 0, 33, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, 0, 1, 0, 2, 0, 13, 0, 0,
      'h', 'e', 'l', 'l', 'o'
    };
    long pseudo = TsoSplitter.sum(ByteBuffer.wrap(p), 12, 20, 17) + 13;
    int partial = TsoSplitter.fold(pseudo);
    p[26] = (byte) (partial >> 8);
    p[27] = (byte) partial;
    List<byte[]> out = new ArrayList<>();
    new TsoSplitter().split(vnet(1, 0, 0, 0, 20, 6, p), b -> out.add(copy(b)));
    byte[] got = out.getFirst();
    assertThat(checksumOk(got, 20, got.length, pseudo)).isTrue();
  }

  @Test
  void plainPacketPassesUnchangedAndGarbageIsCounted() {
    byte[] p = tcp4(10, 0x10, 3);
    List<byte[]> out = new ArrayList<>();
    TsoSplitter s = new TsoSplitter();
    s.split(vnet(0, 0, 0, 0, 0, 0, p), b -> out.add(copy(b)));
    assertThat(out).singleElement().isEqualTo(p);
    assertThat(s.split(vnet(0, 3, 0, 0, 0, 0, p), b -> out.add(copy(b))))
        .isZero(); // UDP GSO: not offered
    assertThat(s.split(vnet(1, 0, 0, 0, 200, 6, p), b -> out.add(copy(b))))
        .isZero(); // csum beyond end
    assertThat(s.split(vnet(0, 1, 0, 0, 0, 0, tcp4(10, 0, 1)), b -> out.add(copy(b))))
        .isZero(); // mss 0
    assertThat(s.split(ByteBuffer.allocate(5), b -> out.add(copy(b)))).isZero();
    assertThat(s.malformed()).isEqualTo(4);
    assertThat(out).hasSize(1);
  }
}
