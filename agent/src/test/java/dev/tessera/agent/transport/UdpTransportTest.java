package dev.tessera.agent.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Loopback only: the transport's sockets talk to a plain DatagramSocket on 127.0.0.1. */
class UdpTransportTest {
  record Got(String text, InetSocketAddress from, int thread) {}

  @Test
  void receivesBatchesEchoesAndSegments() throws Exception {
    List<Got> got = new CopyOnWriteArrayList<>();
    List<Integer> batches = new CopyOnWriteArrayList<>();
    try (UdpTransport t =
            UdpTransport.bind(
                0,
                UdpTransport.Options.defaults().withThreads(2),
                (index, sender) ->
                    new UdpTransport.Receiver() {
                      int inBatch;

                      @Override
                      public void onDatagram(ByteBuf content, InetSocketAddress from) {
                        byte[] b = new byte[content.readableBytes()];
                        content.getBytes(content.readerIndex(), b);
                        got.add(new Got(new String(b), from, index));
                        inBatch++;
                        // Echo: ownership of the new buffer passes to the transport.
                        ByteBuf reply = sender.alloc().directBuffer(b.length + 1);
                        reply.writeByte('>').writeBytes(b);
                        sender.write(reply, from);
                      }

                      @Override
                      public void onReadComplete() {
                        batches.add(inBatch);
                        inBatch = 0;
                        sender.flush();
                      }
                    },
                System.err::println);
        DatagramSocket client = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
      assertThat(t.port()).isPositive();
      client.setSoTimeout(3000);
      InetSocketAddress server = new InetSocketAddress(InetAddress.getLoopbackAddress(), t.port());
      for (int i = 0; i < 50; i++) {
        byte[] b = ("msg" + i).getBytes();
        client.send(new DatagramPacket(b, b.length, server));
      }
      List<String> replies = new ArrayList<>();
      for (int i = 0; i < 50; i++) {
        DatagramPacket p = new DatagramPacket(new byte[100], 100);
        client.receive(p);
        replies.add(new String(p.getData(), 0, p.getLength()));
      }
      assertThat(replies).hasSize(50).allMatch(s -> s.startsWith(">msg"));
      assertThat(got).hasSize(50);
      assertThat(got.getFirst().from().getPort()).isEqualTo(client.getLocalPort());
      assertThat(got.getFirst().from().getAddress().getHostAddress()).isEqualTo("127.0.0.1");
      assertThat(batches.stream().mapToInt(Integer::intValue).sum()).isEqualTo(50);

      // A segmented send arrives as separate datagrams (GSO or the fallback).
      UdpTransport.Sender s = t.sender(0);
      ByteBuf buf = s.alloc().directBuffer(250);
      for (int i = 0; i < 250; i++) {
        buf.writeByte('a' + i / 100);
      }
      s.writeSegmented(buf, 100, new InetSocketAddress("127.0.0.1", client.getLocalPort()));
      s.flush();
      List<Integer> sizes = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        DatagramPacket p = new DatagramPacket(new byte[300], 300);
        client.receive(p);
        sizes.add(p.getLength());
        assertThat(p.getData()[0]).isEqualTo((byte) ('a' + i));
      }
      assertThat(sizes).containsExactly(100, 100, 50);

      // Rebind to another port: the old port stops answering, the new one works.
      int old = t.port();
      t.rebind(0);
      assertThat(t.port()).isNotEqualTo(old);
      byte[] b = "after".getBytes();
      client.send(new DatagramPacket(b, b.length, new InetSocketAddress("127.0.0.1", t.port())));
      DatagramPacket p = new DatagramPacket(new byte[100], 100);
      client.receive(p);
      assertThat(new String(p.getData(), 0, p.getLength())).isEqualTo(">after");
    }
    TimeUnit.MILLISECONDS.sleep(1);
  }

  /**
   * SO_MARK reaches every socket (getsockopt reads it back), survives a rebind and can be cleared.
   */
  @Test
  @dev.tessera.testsupport.RequiresRoot("SO_MARK needs CAP_NET_ADMIN")
  void fwmarkIsSetOnEverySocketAndKeptAcrossRebind() throws Exception {
    UdpTransport.ReceiverFactory none =
        (index, sender) ->
            new UdpTransport.Receiver() {
              @Override
              public void onDatagram(ByteBuf content, InetSocketAddress from) {}

              @Override
              public void onReadComplete() {}
            };
    try (UdpTransport t =
        UdpTransport.bind(
            0, UdpTransport.Options.defaults().withThreads(2), none, System.err::println)) {
      assertThat(t.socketFwmark(0)).isZero();
      t.setFwmark(0xca6c);
      assertThat(t.socketFwmark(0)).isEqualTo(0xca6c);
      assertThat(t.socketFwmark(1)).isEqualTo(0xca6c);
      t.setFwmark(0x80000001); // a u32 mark above Integer.MAX_VALUE
      assertThat(Integer.toUnsignedLong(t.socketFwmark(1))).isEqualTo(0x80000001L);
      t.rebind(0);
      assertThat(t.socketFwmark(0)).isEqualTo(0x80000001);
      t.setFwmark(0);
      assertThat(t.socketFwmark(0)).isZero();
    }
  }
}
