package dev.tessera.agent.protocol;

import static dev.tessera.agent.protocol.TestNet.ipv4;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.agent.noise.Messages;
import dev.tessera.agent.protocol.TestNet.Node;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Unauthenticated input gets silence: random garbage, truncations and single-bit corruptions of
 * every valid message type are dropped with a reason, never answered (except cookie replies under
 * load), never delivered, never thrown, and never leave state behind.
 */
class GarbageInputTest {
  TestNet net;
  Node a;
  Node b;
  final List<byte[]> valid = new ArrayList<>();

  @BeforeEach
  void setUp() {
    net = new TestNet();
    a = net.node("a", "192.0.2.1", 51820, 11);
    b = net.node("b", "192.0.2.2", 51821, 12);
    net.connect(a, "10.0.0.1/32", b, "10.0.0.2/32", null);
    // capture one of each valid message type: initiation, response, transport data, keepalive
    net.deliver = false;
    a.tun(ipv4("10.0.0.1", "10.0.0.2", 40, 1));
    TestNet.Sent init = net.inFlight.poll();
    b.dev.onDatagram(ByteBuffer.wrap(init.bytes()), init.fromAddr(), b);
    TestNet.Sent resp = net.inFlight.poll();
    a.dev.onDatagram(ByteBuffer.wrap(resp.bytes()), resp.fromAddr(), a);
    TestNet.Sent data = net.inFlight.poll();
    valid.add(init.bytes());
    valid.add(resp.bytes());
    valid.add(data.bytes());
    net.deliver = true;
    net.inFlight.clear();
  }

  private void inject(Node to, byte[] dg) {
    to.dev.onDatagram(
        ByteBuffer.wrap(dg), new InetSocketAddress(TestNet.addr("203.0.113.5"), 999), to);
  }

  private long totalDrops(Node n) {
    return n.dev.dropCounts().values().stream().mapToLong(Long::longValue).sum();
  }

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 2, 3})
  void randomGarbageIsDroppedSilently(long seed) {
    Random rnd = new Random(seed);
    int sentBefore = b.sent.size();
    for (int i = 0; i < 3000; i++) {
      int len =
          switch (rnd.nextInt(4)) {
            case 0 -> rnd.nextInt(8);
            case 1 -> new int[] {148, 92, 64, 32, 48}[rnd.nextInt(5)];
            default -> rnd.nextInt(1500);
          };
      byte[] dg = new byte[len];
      rnd.nextBytes(dg);
      if (len >= 4 && rnd.nextBoolean()) {
        dg[0] = (byte) (1 + rnd.nextInt(4)); // valid type, zero reserved bytes
        dg[1] = dg[2] = dg[3] = 0;
      }
      inject(b, dg);
    }
    assertThat(b.sent).as("seed %d: no replies to garbage", seed).hasSize(sentBefore);
    assertThat(b.delivered).isEmpty();
    assertThat(totalDrops(b)).isEqualTo(3000);
    assertThat(b.dev.indexCount()).as("no state from garbage").isEqualTo(1);
  }

  @Test
  void everyTruncationAndBitFlipOfValidMessagesIsDropped() {
    // valid.get(0) initiation -> b, (1) response -> a, (2) data -> b
    Node[] target = {b, a, b};
    for (int m = 0; m < valid.size(); m++) {
      byte[] msg = valid.get(m);
      Node t = target[m];
      long before = totalDrops(t);
      int n = 0;
      for (int len = 0; len < msg.length; len++) {
        inject(t, java.util.Arrays.copyOf(msg, len));
        n++;
      }
      for (int bit = 0; bit < msg.length * 8; bit++) {
        byte[] c = msg.clone();
        c[bit / 8] ^= (byte) (1 << (bit % 8));
        inject(t, c);
        n++;
      }
      assertThat(totalDrops(t) - before).as("message %d", m).isEqualTo(n);
    }
    assertThat(b.delivered).isEmpty();
    assertThat(a.delivered).isEmpty();
    assertThat(b.sentOfType(Messages.TYPE_RESPONSE))
        .as("no response to corrupted initiations")
        .isEqualTo(1);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({"0, MALFORMED", "3, MALFORMED", "147, MALFORMED", "149, MALFORMED"})
  void wrongSizesAreMalformed(int len, DropReason reason) {
    byte[] dg = new byte[len];
    if (len > 0) {
      dg[0] = 1;
    }
    inject(b, dg);
    assertThat(b.dev.dropCount(reason)).isEqualTo(1);
  }

  @Test
  void nonzeroReservedBytesAreMalformed() {
    byte[] c = valid.get(2).clone();
    c[2] = 1;
    inject(b, c);
    assertThat(b.dev.dropCount(DropReason.MALFORMED)).isEqualTo(1);
  }

  @Test
  void forgedMac1IsRejectedBeforeAnyDiffieHellman() {
    byte[] c = valid.get(0).clone();
    c[Messages.INIT_MAC1] ^= 1;
    inject(b, c);
    assertThat(b.dev.dropCount(DropReason.INVALID_MAC1)).isEqualTo(1);
  }

  @Test
  void handshakeFloodUnderLoadGetsCookiesAndEstablishedPeerKeepsWorking() {
    // finish the session from setUp
    a.tun(ipv4("10.0.0.1", "10.0.0.2", 40, 2));
    net.pump();
    int delivered = b.delivered.size();
    // a flood of replayed (valid-MAC1) initiations from many sources pushes b under load
    b.dev.setUnderLoadOverride(null);
    Random rnd = new Random(5);
    for (int i = 0; i < 1000; i++) {
      byte[] src = new byte[4];
      rnd.nextBytes(src);
      b.dev.onDatagram(
          ByteBuffer.wrap(valid.get(0)),
          new InetSocketAddress(
              TestNet.addr((src[0] & 0xff) + "." + (src[1] & 0xff) + ".1.1"), 1000 + i),
          b);
    }
    assertThat(b.dev.isUnderLoad()).isTrue();
    assertThat(b.sentOfType(Messages.TYPE_COOKIE_REPLY)).isPositive();
    assertThat(b.dev.dropCount(DropReason.COOKIE_REQUIRED)).isPositive();
    net.inFlight.removeIf(s -> !net.byAddress.containsKey(s.to()));
    // data from the established peer is unaffected
    a.tun(ipv4("10.0.0.1", "10.0.0.2", 40, 3));
    net.pump();
    assertThat(b.delivered).hasSize(delivered + 1);
  }
}
