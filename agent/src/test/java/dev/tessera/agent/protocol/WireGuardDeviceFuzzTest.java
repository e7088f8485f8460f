package dev.tessera.agent.protocol;

import static dev.tessera.agent.protocol.TestNet.ipv4;
import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.tessera.agent.cookie.CookieChecker;
import dev.tessera.agent.noise.Messages;
import dev.tessera.agent.protocol.TestNet.Node;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Jazzer fuzz target for the agent's handling of inbound datagrams: {@link
 * WireGuardDevice#onDatagram} with arbitrary bytes, from an unknown source and from the endpoint of
 * an established peer, and as mutations of valid captured messages (initiation, response, transport
 * data). Under plain {@code mvn test} it runs in regression mode over the seeds in {@code
 * src/test/resources/dev/tessera/agent/protocol/WireGuardDeviceFuzzTestInputs/datagram/} (refresh
 * with {@code -Dfuzz.seeds.update=true}); to fuzz with coverage: {@code bin/fuzz --seconds N
 * WireGuardDeviceFuzzTest#datagram} (classes built for release 23, which Jazzer 0.24 can
 * instrument).
 *
 * <p>Input layout (plain bytes, so seeds are readable): byte 0 selects the source (bit 0: the
 * established peer's endpoint, else an unknown address), bit 1 mutation of a valid message, bit 2
 * forces the under-load state (cookies demanded). For mutations, byte 1 picks the template, byte 2
 * its length change (-128..127), and the rest is XORed over it.
 *
 * <p>Properties, per input (WireGuard's "silence" for unauthenticated input): no exception; exactly
 * one drop is counted; nothing reaches the TUN; no handshake state is created; and no datagram is
 * sent — except one cookie reply, when the device is under load and the input is a well-formed
 * handshake message whose MAC1 verifies (which only a copy of a genuine message can have).
 */
class WireGuardDeviceFuzzTest {
  private static final TestNet NET = new TestNet();
  private static final Node A = NET.node("a", "192.0.2.1", 51820, 21);
  private static final Node B = NET.node("b", "192.0.2.2", 51821, 22);
  private static final List<byte[]> TEMPLATES;
  private static final CookieChecker MAC1 =
      new CookieChecker(B.publicKey.bytes(), new SecureRandom());
  private static final InetSocketAddress STRANGER =
      new InetSocketAddress(TestNet.addr("203.0.113.9"), 4242);

  static {
    NET.connect(A, "10.0.0.1/32", B, "10.0.0.2/32", null);
    NET.deliver = false;
    A.tun(ipv4("10.0.0.1", "10.0.0.2", 40, 1));
    TestNet.Sent init = NET.inFlight.poll();
    B.dev.onDatagram(ByteBuffer.wrap(init.bytes()), init.fromAddr(), B);
    TestNet.Sent resp = NET.inFlight.poll();
    A.dev.onDatagram(ByteBuffer.wrap(resp.bytes()), resp.fromAddr(), A);
    TestNet.Sent data = NET.inFlight.poll();
    B.dev.onDatagram(
        ByteBuffer.wrap(data.bytes()), data.fromAddr(), B); // B's session is now confirmed
    NET.inFlight.clear();
    TEMPLATES = List.of(init.bytes(), resp.bytes(), data.bytes());
    if (B.delivered.size() != 1) {
      throw new IllegalStateException("fixture: session not established");
    }
  }

  @FuzzTest(maxDuration = "30s")
  void datagram(byte[] input) {
    int ctl = input.length > 0 ? input[0] : 0;
    boolean fromPeer = (ctl & 1) != 0;
    boolean mutate = (ctl & 2) != 0;
    boolean underLoad = (ctl & 4) != 0;
    byte[] dg;
    if (mutate && input.length >= 3) {
      byte[] t = TEMPLATES.get(Math.floorMod(input[1], TEMPLATES.size()));
      dg = Arrays.copyOf(t, Math.max(0, t.length + input[2]));
      for (int i = 3; i < input.length && i - 3 < dg.length; i++) {
        dg[i - 3] ^= input[i];
      }
    } else {
      dg = Arrays.copyOfRange(input, Math.min(1, input.length), input.length);
    }
    InetSocketAddress from = fromPeer ? A.addr : STRANGER;

    B.dev.setUnderLoadOverride(underLoad);
    int sentBefore = B.sent.size();
    int deliveredBefore = B.delivered.size();
    int indexesBefore = B.dev.indexCount();
    long dropsBefore = drops();
    B.dev.onDatagram(ByteBuffer.wrap(dg), from, B); // an exception fails the fuzz run
    B.dev.setUnderLoadOverride(null);

    assertThat(B.delivered).as("nothing reaches the TUN").hasSize(deliveredBefore);
    assertThat(drops() - dropsBefore).as("exactly one drop is counted").isEqualTo(1);
    assertThat(B.dev.indexCount())
        .as("no handshake state from unauthenticated input")
        .isEqualTo(indexesBefore);
    List<TestNet.Sent> replies = B.sent.subList(sentBefore, B.sent.size());
    if (underLoad && genuineMac1(dg)) {
      assertThat(replies)
          .as("at most a cookie reply")
          .hasSizeLessThanOrEqualTo(1)
          .allSatisfy(s -> assertThat(s.bytes()[0]).isEqualTo((byte) Messages.TYPE_COOKIE_REPLY));
    } else {
      assertThat(replies).as("no reply to garbage").isEmpty();
    }
    B.sent.subList(sentBefore, B.sent.size()).clear(); // keep the fixture's memory bounded
    NET.inFlight.clear();
  }

  private static boolean genuineMac1(byte[] dg) {
    boolean init = dg.length == Messages.INITIATION_SIZE && dg[0] == Messages.TYPE_INITIATION;
    boolean resp = dg.length == Messages.RESPONSE_SIZE && dg[0] == Messages.TYPE_RESPONSE;
    return (init || resp)
        && dg[1] == 0
        && dg[2] == 0
        && dg[3] == 0
        && MAC1.checkMac1(dg, dg.length);
  }

  private static long drops() {
    return B.dev.dropCounts().values().stream().mapToLong(Long::longValue).sum();
  }

  private static final Path SEEDS =
      Path.of(
          "src/test/resources/dev/tessera/agent/protocol/WireGuardDeviceFuzzTestInputs/datagram");

  /**
   * Seeds: exact replays of each valid message, near misses, and garbage (refresh with
   * -Dfuzz.seeds.update=true).
   */
  @Test
  void seedCorpus() throws IOException {
    Map<String, byte[]> seeds = new LinkedHashMap<>();
    String[] names = {"initiation", "response", "transport"};
    for (int t = 0; t < 3; t++) {
      for (int ctl : new int[] {2, 3, 6, 7}) {
        seeds.put("replay-" + names[t] + "-" + ctl, new byte[] {(byte) ctl, (byte) t, 0});
      }
      seeds.put("truncated-" + names[t], new byte[] {3, (byte) t, -1});
      seeds.put("extended-" + names[t], new byte[] {3, (byte) t, 16});
      seeds.put("bitflip-last-" + names[t], mutation(t, TEMPLATES.get(t).length - 1));
      seeds.put("bitflip-type-" + names[t], mutation(t, 0));
    }
    seeds.put("mac2-flip-initiation-under-load", withCtl(7, mutation(0, Messages.INIT_MAC2)));
    Random rnd = new Random(7);
    for (int len : new int[] {0, 4, 33, 65, 93, 149, 1500}) {
      byte[] g = new byte[len + 1];
      rnd.nextBytes(g);
      g[0] = (byte) (len % 2); // stranger / peer, no mutation
      if (len > 4) {
        g[1] = (byte) (1 + len % 4);
        g[2] = g[3] = g[4] = 0;
      }
      seeds.put("garbage-" + len, g);
    }
    if (Boolean.getBoolean("fuzz.seeds.update")) {
      Files.createDirectories(SEEDS);
      for (Map.Entry<String, byte[]> e : seeds.entrySet()) {
        Files.write(SEEDS.resolve(e.getKey()), e.getValue());
      }
    }
    for (Map.Entry<String, byte[]> e : seeds.entrySet()) {
      assertThat(SEEDS.resolve(e.getKey())).exists();
      datagram(e.getValue()); // the properties hold for every seed here too
    }
  }

  /**
   * A mutation input flipping one bit of template {@code t} at byte {@code offset}, from the peer.
   */
  private static byte[] mutation(int t, int offset) {
    byte[] in = new byte[3 + offset + 1];
    in[0] = 3;
    in[1] = (byte) t;
    in[3 + offset] = 1;
    return in;
  }

  private static byte[] withCtl(int ctl, byte[] in) {
    in[0] = (byte) ctl;
    return in;
  }
}
