package dev.tessera.enforcer.packet;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link PacketParser#quick} against {@link PacketParser#parse}: whenever quick() takes a packet,
 * parse() must accept it as a plain flow packet and both must set the same fields; quick() must
 * take the common packets (IPv4 without options, IPv6 without extension headers, TCP/UDP,
 * unfragmented). Packets: well-formed ones of both families and protocols, then random single-byte
 * mutations and truncations of them, through all three container kinds.
 */
class PacketParserQuickTest {

  private static byte[] packet(Random rnd, boolean v6, boolean tcp) {
    int l4 = tcp ? 20 + 4 * rnd.nextInt(3) : 8;
    int payload = rnd.nextInt(40);
    int ip = v6 ? 40 : 20;
    byte[] p =
        new byte
            [ip + l4 + payload + rnd.nextInt(4)]; // trailing bytes past the IP length are allowed
    int total = ip + l4 + payload;
    if (v6) {
      p[0] = 0x60;
      put16(p, 4, l4 + payload);
      p[6] = (byte) (tcp ? 6 : 17);
      p[7] = 64;
      for (int i = 8; i < 40; i++) {
        p[i] = (byte) rnd.nextInt();
      }
    } else {
      p[0] = 0x45;
      put16(p, 2, total);
      put16(p, 4, rnd.nextInt(65536));
      p[6] = (byte) (rnd.nextBoolean() ? 0x40 : 0); // DF or not
      p[8] = 64;
      p[9] = (byte) (tcp ? 6 : 17);
      for (int i = 12; i < 20; i++) {
        p[i] = (byte) rnd.nextInt();
      }
    }
    put16(p, ip, rnd.nextInt(65536));
    put16(p, ip + 2, rnd.nextInt(65536));
    if (tcp) {
      p[ip + 12] = (byte) ((l4 / 4) << 4);
      p[ip + 13] = (byte) rnd.nextInt(256);
    } else {
      put16(p, ip + 4, l4 + payload);
    }
    return p;
  }

  private static void put16(byte[] b, int off, int v) {
    b[off] = (byte) (v >>> 8);
    b[off + 1] = (byte) v;
  }

  private static String fields(PacketParser p) {
    return p.ipv6
        + " "
        + p.srcHi
        + " "
        + p.srcLo
        + " "
        + p.dstHi
        + " "
        + p.dstLo
        + " proto "
        + p.protocol
        + " kind "
        + p.kind
        + " ports "
        + p.srcPort
        + ">"
        + p.dstPort
        + " flags "
        + p.tcpFlags
        + " icmp "
        + p.icmpType
        + " frag "
        + p.firstFragment
        + "/"
        + p.fragmentOffset
        + "/"
        + p.fragmentId;
  }

  @Test
  void quickAgreesWithParseAndTakesTheCommonPackets() {
    long seed = Long.getLong("tessera.seed", System.nanoTime());
    Random rnd = new Random(seed);
    PacketParser full = new PacketParser();
    PacketParser quick = new PacketParser();
    PacketBytes.OfArray array = new PacketBytes.OfArray();
    PacketBytes.OfBuffer buffer = new PacketBytes.OfBuffer();
    PacketBytes.OfSegment segment = new PacketBytes.OfSegment();
    int taken = 0;
    for (int i = 0; i < 20_000; i++) {
      byte[] p = packet(rnd, rnd.nextBoolean(), rnd.nextBoolean());
      boolean pristine = i % 4 == 0;
      if (!pristine) {
        if (rnd.nextInt(4) == 0) {
          p = java.util.Arrays.copyOf(p, rnd.nextInt(p.length + 1));
        } else {
          int at = rnd.nextInt(Math.min(p.length, 60));
          p[at] = (byte) rnd.nextInt(256);
        }
      }
      int off = rnd.nextInt(3);
      byte[] framed = new byte[p.length + off + 2];
      System.arraycopy(p, 0, framed, off, p.length);
      int r = full.parse(array.set(framed, off, p.length));
      String want = fields(full);
      boolean q = quick.quick(framed, off, p.length);
      String why = "seed " + seed + ", packet " + i;
      if (pristine) {
        assertThat(q).as("common packet not taken: " + why).isTrue();
      }
      ByteBuffer direct = ByteBuffer.allocateDirect(p.length).put(p).flip();
      PacketParser other = new PacketParser();
      assertThat(other.quick(buffer.set(direct))).as(why).isEqualTo(q);
      PacketParser seg = new PacketParser();
      assertThat(seg.quick(segment.set(MemorySegment.ofArray(p)))).as(why).isEqualTo(q);
      if (q) {
        taken++;
        assertThat(r).as(why).isEqualTo(PacketParser.OK);
        assertThat(full.kind).as(why).isEqualTo(PacketParser.KIND_FLOW);
        assertThat(fields(quick)).as(why).isEqualTo(want);
        assertThat(fields(other)).as(why).isEqualTo(want);
        assertThat(fields(seg)).as(why).isEqualTo(want);
      }
    }
    assertThat(taken).isGreaterThan(5_000);
  }
}
