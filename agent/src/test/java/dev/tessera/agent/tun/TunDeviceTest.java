package dev.tessera.agent.tun;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tessera.net.IpCidr;
import dev.tessera.net.IpPrefix;
import dev.tessera.testsupport.RequiresRoot;
import dev.tessera.testsupport.RequiresTools;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Creates a real TUN interface (root only). Traffic stays on the TUN: the test sends to an address
 * routed only via the TUN (198.18.0.0/15 is reserved for benchmarking, RFC 2544) and reads the
 * packet back from the fd; and it injects a packet into the TUN and receives it on a local socket.
 */
@Tag("root")
@RequiresRoot("creates a TUN interface via /dev/net/tun")
@RequiresTools("ip")
class TunDeviceTest {
  @Test
  void packetRoutedToTunIsReadAndPacketWrittenToTunIsDelivered() throws Exception {
    try (TunDevice tun = TunDevice.open("tsrtuntest0", 1);
        Arena arena = Arena.ofConfined();
        TunDevice.Io io = tun.io(0)) {
      assertThat(tun.name()).isEqualTo("tsrtuntest0");
      new LinkSetup(System.err::println)
          .configure(
              tun.name(),
              1400,
              List.of(IpCidr.parse("198.18.77.1/30")),
              List.of(IpPrefix.parse("198.18.78.0/24")));
      assertThat(LinkSetup.ip("link", "show", "dev", tun.name()))
          .contains("mtu 1400")
          .contains("UP");

      // Kernel -> TUN: a UDP datagram to an address routed via the TUN.
      MemorySegment buf = arena.allocate(2048);
      byte[] payload = "hello tun".getBytes(StandardCharsets.US_ASCII);
      try (DatagramSocket s = new DatagramSocket(new InetSocketAddress("198.18.77.1", 0))) {
        s.send(
            new DatagramPacket(
                payload, payload.length, new InetSocketAddress("198.18.78.9", 9999)));
      }
      int n = 0;
      for (int i = 0; i < 50; i++) {
        n = io.read(buf);
        if (n > 0
            && (buf.get(ValueLayout.JAVA_BYTE, 0) & 0xf0) == 0x40
            && buf.get(ValueLayout.JAVA_BYTE, 9) == 17) {
          break; // skip IPv6 router solicitations and the like the kernel may send on link-up
        }
      }
      assertThat(n).isEqualTo(20 + 8 + payload.length);
      byte[] pkt = buf.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE);
      assertThat(pkt[9]).isEqualTo((byte) 17);
      assertThat(
              InetAddress.getByAddress(java.util.Arrays.copyOfRange(pkt, 16, 20)).getHostAddress())
          .isEqualTo("198.18.78.9");
      assertThat(new String(pkt, 28, payload.length, StandardCharsets.US_ASCII))
          .isEqualTo("hello tun");

      // TUN -> kernel: inject a UDP datagram from 198.18.78.9 to a local socket.
      try (DatagramSocket rx = new DatagramSocket(new InetSocketAddress("198.18.77.1", 0))) {
        rx.setSoTimeout(3000);
        byte[] reply =
            udp4(
                new byte[] {(byte) 198, 18, 78, 9},
                new byte[] {(byte) 198, 18, 77, 1},
                9999,
                rx.getLocalPort(),
                "reply".getBytes(StandardCharsets.US_ASCII));
        MemorySegment out = arena.allocate(reply.length);
        MemorySegment.copy(reply, 0, out, ValueLayout.JAVA_BYTE, 0, reply.length);
        assertThat(io.write(out, reply.length)).isTrue();
        DatagramPacket got = new DatagramPacket(new byte[64], 64);
        rx.receive(got);
        assertThat(new String(got.getData(), 0, got.getLength(), StandardCharsets.US_ASCII))
            .isEqualTo("reply");
        assertThat(got.getAddress().getHostAddress()).isEqualTo("198.18.78.9");
      }
    }
    // Non-persistent: the interface is gone once the fd is closed.
    assertThatThrownBy(() -> LinkSetup.ip("link", "show", "dev", "tsrtuntest0"))
        .isInstanceOf(IOException.class);
  }

  /** With IFF_VNET_HDR + TSO: reads carry a virtio header, writes need one (see TsoSplitter). */
  @Test
  void offloadModeCarriesVirtioHeaders() throws Exception {
    try (TunDevice tun = TunDevice.open("tsrtuntest2", 1, true);
        Arena arena = Arena.ofConfined();
        TunDevice.Io io = tun.io(0)) {
      assertThat(tun.hasVnetHeader()).isTrue();
      new LinkSetup(System.err::println)
          .configure(
              tun.name(),
              1400,
              List.of(IpCidr.parse("198.18.79.1/30")),
              List.of(IpPrefix.parse("198.18.80.0/24")));
      java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocateDirect(70_000);
      MemorySegment seg = MemorySegment.ofBuffer(buf);
      byte[] payload = "offloaded".getBytes(StandardCharsets.US_ASCII);
      try (DatagramSocket s = new DatagramSocket(new InetSocketAddress("198.18.79.1", 0))) {
        s.send(
            new DatagramPacket(
                payload, payload.length, new InetSocketAddress("198.18.80.9", 9999)));
      }
      java.util.List<byte[]> got = new java.util.ArrayList<>();
      TsoSplitter splitter = new TsoSplitter();
      for (int i = 0;
          i < 50 && got.stream().noneMatch(p -> p.length == 28 + payload.length && p[9] == 17);
          i++) {
        int n = io.read(seg);
        if (n > 0) {
          buf.clear().limit(n);
          splitter.split(
              buf,
              p -> {
                byte[] b = new byte[p.remaining()];
                p.duplicate().get(b);
                got.add(b);
              });
        }
      }
      byte[] udp =
          got.stream()
              .filter(p -> p.length == 28 + payload.length && p[9] == 17)
              .findFirst()
              .orElseThrow();
      // The kernel left the UDP checksum partial (TUN_F_CSUM); the splitter completed it.
      long pseudo = TsoSplitter.sum(java.nio.ByteBuffer.wrap(udp), 12, 20, 17) + (udp.length - 20);
      assertThat(
              TsoSplitter.fold(
                  TsoSplitter.sum(java.nio.ByteBuffer.wrap(udp), 20, udp.length, pseudo)))
          .isEqualTo(0xffff);

      try (DatagramSocket rx = new DatagramSocket(new InetSocketAddress("198.18.79.1", 0))) {
        rx.setSoTimeout(3000);
        byte[] reply =
            udp4(
                new byte[] {(byte) 198, 18, 80, 9},
                new byte[] {(byte) 198, 18, 79, 1},
                9999,
                rx.getLocalPort(),
                "ok".getBytes(StandardCharsets.US_ASCII));
        java.nio.ByteBuffer out =
            java.nio.ByteBuffer.allocateDirect(TsoSplitter.VNET_HDR_LEN + reply.length);
        TsoSplitter.writeInjectHeader(out, 0);
        out.position(TsoSplitter.VNET_HDR_LEN);
        out.put(reply).flip();
        assertThat(io.write(MemorySegment.ofBuffer(out), out.remaining())).isTrue();
        DatagramPacket p = new DatagramPacket(new byte[64], 64);
        rx.receive(p);
        assertThat(new String(p.getData(), 0, p.getLength(), StandardCharsets.US_ASCII))
            .isEqualTo("ok");
      }
    }
  }

  @Test
  void readReturnsZeroOnTimeoutAndMinusOneAfterClose() throws Exception {
    TunDevice tun = TunDevice.open("tsrtuntest1", 2);
    assertThat(tun.isMultiQueue()).isTrue();
    try (Arena arena = Arena.ofConfined();
        TunDevice.Io io = tun.io(1)) {
      MemorySegment buf = arena.allocate(2048);
      assertThat(io.read(buf)).isZero(); // link is down: nothing arrives
      tun.close();
      assertThat(io.read(buf)).isEqualTo(-1);
    }
  }

  @Test
  void rejectsBadNames() {
    assertThatThrownBy(() -> TunDevice.open("this-name-is-too-long", 1))
        .hasMessageContaining("interface name");
    assertThatThrownBy(() -> TunDevice.open("", 1)).hasMessageContaining("interface name");
  }

  static byte[] udp4(byte[] src, byte[] dst, int sport, int dport, byte[] payload) {
    int len = 28 + payload.length;
    byte[] p = new byte[len];
    p[0] = 0x45;
    p[2] = (byte) (len >> 8);
    p[3] = (byte) len;
    p[8] = 64;
    p[9] = 17;
    System.arraycopy(src, 0, p, 12, 4);
    System.arraycopy(dst, 0, p, 16, 4);
    int sum = 0;
    for (int i = 0; i < 20; i += 2) {
      sum += ((p[i] & 0xff) << 8) | (p[i + 1] & 0xff);
    }
    while ((sum >> 16) != 0) {
      sum = (sum & 0xffff) + (sum >> 16);
    }
    int csum = ~sum & 0xffff;
    p[10] = (byte) (csum >> 8);
    p[11] = (byte) csum;
    p[20] = (byte) (sport >> 8);
    p[21] = (byte) sport;
    p[22] = (byte) (dport >> 8);
    p[23] = (byte) dport;
    int ul = 8 + payload.length;
    p[24] = (byte) (ul >> 8);
    p[25] = (byte) ul; // UDP checksum 0: "not computed", allowed over IPv4 (RFC 768)
    System.arraycopy(payload, 0, p, 28, payload.length);
    return p;
  }
}
