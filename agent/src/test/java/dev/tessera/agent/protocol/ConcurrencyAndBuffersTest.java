package dev.tessera.agent.protocol;

import static dev.tessera.agent.protocol.TestNet.ipv4;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.agent.protocol.TestNet.Node;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ConcurrencyAndBuffersTest {
  /** Several threads encrypt for one peer and several decrypt, out of order: nothing is lost. */
  @Test
  void parallelEncryptAndDecrypt() throws Exception {
    TestNet net = new TestNet();
    Node a = net.node("a", "192.0.2.1", 1, 21);
    Node b = net.node("b", "192.0.2.2", 2, 22);
    net.connect(a, "10.0.0.1/32", b, "10.0.0.2/32", null);
    a.tun(ipv4("10.0.0.1", "10.0.0.2", 10, 0));
    net.pump();
    assertThat(b.delivered).hasSize(1);

    int threads = 4;
    int perThread = 500;
    ConcurrentLinkedQueue<byte[]> wire = new ConcurrentLinkedQueue<>();
    runParallel(
        threads,
        t -> {
          Output out =
              new Output() {
                @Override
                public void sendDatagram(ByteBuffer d, InetSocketAddress to) {
                  byte[] c = new byte[d.remaining()];
                  d.get(d.position(), c);
                  wire.add(c);
                }

                @Override
                public void deliverToTun(ByteBuffer p, Peer from) {}
              };
          for (int i = 0; i < perThread; i++) {
            a.dev.onTunPacket(ByteBuffer.wrap(ipv4("10.0.0.1", "10.0.0.2", 100, t)), out);
          }
        });
    List<byte[]> shuffled = new ArrayList<>(wire);
    assertThat(shuffled).hasSize(threads * perThread);
    Collections.shuffle(shuffled, new java.util.Random(3)); // reordering well within the window
    AtomicInteger delivered = new AtomicInteger();
    ConcurrentLinkedQueue<byte[]> queue = new ConcurrentLinkedQueue<>(shuffled);
    runParallel(
        threads,
        t -> {
          Output out =
              new Output() {
                @Override
                public void sendDatagram(ByteBuffer d, InetSocketAddress to) {}

                @Override
                public void deliverToTun(ByteBuffer p, Peer from) {
                  assertThat(p.remaining()).isEqualTo(128);
                  delivered.incrementAndGet();
                }
              };
          byte[] dg;
          while ((dg = queue.poll()) != null) {
            b.dev.onDatagram(ByteBuffer.wrap(dg), a.addr, out);
          }
        });
    assertThat(delivered.get()).isEqualTo(threads * perThread);
    assertThat(b.dev.dropCounts().values()).allMatch(v -> v == 0);
  }

  interface Body {
    void run(int thread) throws Exception;
  }

  static void runParallel(int n, Body body) throws Exception {
    CountDownLatch start = new CountDownLatch(1);
    List<Thread> ts = new ArrayList<>();
    ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
    for (int i = 0; i < n; i++) {
      int t = i;
      Thread th =
          new Thread(
              () -> {
                try {
                  start.await();
                  body.run(t);
                } catch (Throwable e) {
                  errors.add(e);
                }
              });
      th.start();
      ts.add(th);
    }
    start.countDown();
    for (Thread t : ts) {
      t.join();
    }
    assertThat(errors).isEmpty();
  }

  /**
   * Shell-provided buffers (direct, little-endian, at a nonzero offset) are used in place, and the
   * caller's input buffers keep their position and limit.
   */
  @Test
  void shellBuffersAndByteOrder() {
    TestNet net = new TestNet();
    Node a = net.node("a", "192.0.2.1", 1, 31);
    Node b = net.node("b", "192.0.2.2", 2, 32);
    net.connect(a, "10.0.0.1/32", b, "10.0.0.2/32", null);
    a.tun(ipv4("10.0.0.1", "10.0.0.2", 10, 0));
    net.pump();

    ByteBuffer shellOut = ByteBuffer.allocateDirect(4096).order(ByteOrder.LITTLE_ENDIAN);
    ByteBuffer shellTun = ByteBuffer.allocateDirect(4096).order(ByteOrder.LITTLE_ENDIAN);
    List<ByteBuffer> sentBuffers = new ArrayList<>();
    List<ByteBuffer> tunBuffers = new ArrayList<>();
    byte[][] lastDatagram = new byte[1][];
    Output out =
        new Output() {
          @Override
          public void sendDatagram(ByteBuffer d, InetSocketAddress to) {
            sentBuffers.add(d);
            lastDatagram[0] = new byte[d.remaining()];
            d.get(d.position(), lastDatagram[0]);
          }

          @Override
          public void deliverToTun(ByteBuffer p, Peer from) {
            tunBuffers.add(p);
          }

          @Override
          public ByteBuffer datagramBuffer(int min) {
            return shellOut.clear().position(7);
          }

          @Override
          public ByteBuffer tunBuffer(int min) {
            return shellTun.clear().position(3);
          }
        };
    byte[] pkt = ipv4("10.0.0.1", "10.0.0.2", 77, 5);
    ByteBuffer in = ByteBuffer.allocateDirect(200).order(ByteOrder.LITTLE_ENDIAN);
    in.position(10).put(pkt).flip().position(10);
    a.dev.onTunPacket(in, out);
    assertThat(in.position()).isEqualTo(10);
    assertThat(sentBuffers).containsExactly(shellOut);
    assertThat(shellOut.position()).isEqualTo(7);

    ByteBuffer dg = ByteBuffer.allocateDirect(300).order(ByteOrder.LITTLE_ENDIAN);
    dg.position(5).put(lastDatagram[0]).flip().position(5);
    int lim = dg.limit();
    b.dev.onDatagram(dg, a.addr, out);
    assertThat(dg.position()).isEqualTo(5);
    assertThat(dg.limit()).isEqualTo(lim);
    assertThat(tunBuffers).containsExactly(shellTun);
    byte[] got = new byte[shellTun.remaining()];
    shellTun.get(shellTun.position(), got);
    assertThat(got).isEqualTo(pkt);
  }
}
