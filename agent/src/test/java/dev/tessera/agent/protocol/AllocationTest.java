package dev.tessera.agent.protocol;

import static dev.tessera.agent.protocol.TestNet.ipv4;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.agent.protocol.TestNet.Node;
import dev.tessera.testsupport.ChildJvm;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/**
 * Bounds the garbage the protocol core adds per transport packet. The JDK's ChaCha20-Poly1305
 * itself allocates about 2.3 KB per {@code Cipher.init} (fresh cipher state, key and nonce copies;
 * measured here on JDK 25), which the core cannot avoid while it uses the JDK cipher. The test
 * measures that baseline in the same JVM and asserts that a full encrypt + decrypt through two
 * devices costs at most a little more than two bare cipher operations: it catches regressions such
 * as a per-packet copy of the packet, boxing in timer bookkeeping or string building.
 *
 * <p>The measurement runs in a child JVM with {@link ChildJvm#DETERMINISTIC_JIT} (synchronous C2
 * compilation at fixed counts), so which code is compiled, and what escape analysis removed, when
 * the measured loop starts does not depend on machine speed or on earlier tests.
 */
class AllocationTest {
  @Test
  void bytesAllocatedPerPacketAreSmall() throws Exception {
    String out = ChildJvm.run(ChildJvm.DETERMINISTIC_JIT, AllocationTest.class);
    System.out.print(out);
    long perPacket = ChildJvm.value(out, "perPacket");
    long perCipherOp = ChildJvm.value(out, "perCipherOp");
    assertThat(ChildJvm.value(out, "delivered")).isEqualTo(2 * ChildJvm.value(out, "iterations"));
    assertThat(perPacket - 2 * perCipherOp)
        .as("core's own bytes per packet (both directions)")
        .isLessThan(256);
  }

  /** The measurement, run by {@link #bytesAllocatedPerPacketAreSmall} in the child JVM. */
  public static void main(String[] args) {
    var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    TestNet net = new TestNet();
    Node a = net.node("a", "192.0.2.1", 1, 41);
    Node b = net.node("b", "192.0.2.2", 2, 42);
    net.connect(a, "10.0.0.1/32", b, "10.0.0.2/32", null);
    a.tun(ipv4("10.0.0.1", "10.0.0.2", 10, 0));
    net.pump();
    if (b.delivered.size() != 1) {
      throw new IllegalStateException("handshake did not complete: " + b.delivered.size());
    }

    ByteBuffer packet = ByteBuffer.wrap(ipv4("10.0.0.1", "10.0.0.2", 1392, 1));
    ByteBuffer wire = ByteBuffer.allocate(2048);
    int[] delivered = {0};
    Output toWire =
        new Output() {
          @Override
          public void sendDatagram(ByteBuffer d, InetSocketAddress to) {
            wire.clear();
            wire.put(d.duplicate()).flip();
          }

          @Override
          public void deliverToTun(ByteBuffer p, Peer from) {
            delivered[0]++;
          }
        };
    int n = 20_000;
    for (int i = 0; i < n; i++) { // warm up (JIT, thread-locals)
      a.dev.onTunPacket(packet, toWire);
      b.dev.onDatagram(wire, a.addr, toWire);
    }
    long before = mx.getCurrentThreadAllocatedBytes();
    for (int i = 0; i < n; i++) {
      a.dev.onTunPacket(packet, toWire);
      b.dev.onDatagram(wire, a.addr, toWire);
    }
    long perPacket = (mx.getCurrentThreadAllocatedBytes() - before) / n;

    // baseline: the bare JDK cipher, one decrypt per iteration, same thread
    var key = dev.tessera.agent.crypto.ChaChaPoly.key(new byte[32]);
    ByteBuffer ct = ByteBuffer.allocate(2048);
    dev.tessera.agent.crypto.ChaChaPoly.sealPadded(key, 1, packet, 0, ct);
    ct.flip();
    ByteBuffer pt = ByteBuffer.allocate(2048);
    for (int i = 0; i < n; i++) {
      pt.clear();
      dev.tessera.agent.crypto.ChaChaPoly.openTransport(key, 1, ct, pt);
    }
    long b0 = mx.getCurrentThreadAllocatedBytes();
    for (int i = 0; i < n; i++) {
      pt.clear();
      dev.tessera.agent.crypto.ChaChaPoly.openTransport(key, 1, ct, pt);
    }
    long perCipherOp = (mx.getCurrentThreadAllocatedBytes() - b0) / n;
    // bytes per encrypt+decrypt through the devices, per bare JDK cipher operation
    System.out.println("perPacket=" + perPacket);
    System.out.println("perCipherOp=" + perCipherOp);
    System.out.println("coreOverhead=" + (perPacket - 2 * perCipherOp));
    System.out.println("iterations=" + n);
    System.out.println("delivered=" + delivered[0]);
  }
}
