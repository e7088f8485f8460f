package dev.tessera.agent.protocol;

import static dev.tessera.agent.protocol.TestNet.ipv4;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.agent.crypto.WgKey;
import dev.tessera.agent.metrics.DropDirection;
import dev.tessera.agent.protocol.TestNet.Node;
import dev.tessera.net.IpPrefix;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * An exit node (AllowedIPs 0.0.0.0/0 on node a) must not be able to speak with the tunnel address
 * of another node of the mesh (c, which has no [Peer] on a): a node's address is accepted only from
 * that node's key. Addresses that are not nodes (the internet behind the exit) still pass.
 */
class SpoofedSourceTest {
  @ParameterizedTest(name = "exit node b sends from {0}: delivered={1}")
  @CsvSource({
    "10.0.0.3,     false", // node c's address: spoofed
    "10.0.0.1,     false", // a's own address: a node's address, and not b's
    "10.0.0.2,     true", // b's own address
    "203.0.113.9,  true", // the internet behind the exit node
  })
  void inboundSourceOfAnotherNodeIsDropped(String source, boolean delivered) {
    TestNet net = new TestNet();
    Node a = net.node("a", "192.0.2.1", 1, 61);
    Node b = net.node("b", "192.0.2.2", 2, 62);
    WgKey c = WgKey.generatePrivate(TestNet.seeded(63)).publicKey();
    net.connect(a, "0.0.0.0/0", b, "0.0.0.0/0", null); // each side: the other is a full tunnel
    a.dev.setNodeAddresses(
        Map.of(
            IpPrefix.parse("10.0.0.1/32"),
            a.publicKey,
            IpPrefix.parse("10.0.0.2/32"),
            b.publicKey,
            IpPrefix.parse("10.0.0.3/32"),
            c));
    b.tun(ipv4("10.0.0.2", "10.0.0.1", 10, 0)); // handshake, then one genuine packet
    net.pump();
    assertThat(a.delivered).hasSize(1);

    b.tun(ipv4(source, "10.0.0.1", 10, 1));
    net.pump();
    assertThat(a.delivered).hasSize(delivered ? 2 : 1);
    assertThat(a.dev.dropCount(DropReason.SPOOFED_SOURCE)).isEqualTo(delivered ? 0 : 1);
    assertThat(directionsOfDrops(a)).isSubsetOf("inbound");
  }

  @ParameterizedTest(name = "a sends to {0} through exit node b: sent={1}")
  @CsvSource({
    "10.0.0.3,     false", // node c: never through another node's route
    "10.0.0.2,     true",
    "203.0.113.9,  true",
  })
  void outboundToAnotherNodeIsNotRoutedThroughTheExit(String destination, boolean sent) {
    TestNet net = new TestNet();
    Node a = net.node("a", "192.0.2.1", 1, 64);
    Node b = net.node("b", "192.0.2.2", 2, 65);
    WgKey c = WgKey.generatePrivate(TestNet.seeded(66)).publicKey();
    net.connect(a, "0.0.0.0/0", b, "0.0.0.0/0", null);
    a.dev.setNodeAddresses(
        Map.of(IpPrefix.parse("10.0.0.2/32"), b.publicKey, IpPrefix.parse("10.0.0.3/32"), c));
    a.tun(ipv4("10.0.0.1", "10.0.0.2", 10, 0));
    net.pump();
    assertThat(b.delivered).hasSize(1);

    a.tun(ipv4("10.0.0.1", destination, 10, 1));
    net.pump();
    assertThat(b.delivered).hasSize(sent ? 2 : 1);
    assertThat(a.dev.dropCount(DropReason.MISROUTED_NODE_ADDRESS)).isEqualTo(sent ? 0 : 1);
    assertThat(a.dev.dropCount(DropReason.SPOOFED_SOURCE)).isZero();
    assertThat(directionsOfDrops(a)).isSubsetOf("outbound");
  }

  /**
   * The direction label ({@code tessera-agent show}, the metrics' {@code direction}) of every drop
   * the node counted.
   */
  static List<String> directionsOfDrops(Node n) {
    return n.dev.dropCounts().entrySet().stream()
        .filter(e -> e.getValue() > 0)
        .map(e -> DropDirection.of(e.getKey()))
        .toList();
  }
}
