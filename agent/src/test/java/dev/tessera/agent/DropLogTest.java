package dev.tessera.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.agent.crypto.WgKey;
import dev.tessera.enforcer.format.CompiledFilter;
import dev.tessera.enforcer.format.DstPorts;
import dev.tessera.enforcer.format.FilterRule;
import dev.tessera.enforcer.format.RuleOrigin;
import dev.tessera.net.IpPrefix;
import dev.tessera.net.IpProtocol;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class DropLogTest {
  static final CompiledFilter FILTER =
      CompiledFilter.of(
          "a",
          List.of(IpPrefix.parse("10.213.0.1/32")),
          List.of(
              new FilterRule(
                  List.of(IpPrefix.parse("10.213.0.0/24")),
                  List.of(IpProtocol.TCP),
                  List.of(new DstPorts(IpPrefix.parse("10.213.0.1/32"), 443, 443)),
                  RuleOrigin.synthetic(RuleOrigin.ACL, 0))),
          List.of(),
          List.of());

  /** A peer's public key and its base64 form, as {@code wg show} prints it. */
  static final String PEER_B64 = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=";

  static final WgKey PEER = WgKey.fromBase64(PEER_B64);

  long now;
  final List<String> lines = new ArrayList<>();

  DropLog log(double perSecond, double burst) {
    return new DropLog(() -> FILTER, () -> now, perSecond, burst, lines::add);
  }

  /** An IPv4 packet: 20-byte header, then source and destination port. */
  static ByteBuffer v4(int proto, String src, String dst, int srcPort, int dstPort) {
    ByteBuffer b = ByteBuffer.allocate(40);
    b.put(0, (byte) 0x45).put(9, (byte) proto);
    b.putInt(12, (int) IpPrefix.parse(src + "/32").address().lo());
    b.putInt(16, (int) IpPrefix.parse(dst + "/32").address().lo());
    b.putShort(20, (short) srcPort).putShort(22, (short) dstPort);
    return b;
  }

  static ByteBuffer v6(int proto, String src, String dst, int srcPort, int dstPort) {
    ByteBuffer b = ByteBuffer.allocate(60);
    b.put(0, (byte) 0x60).put(6, (byte) proto);
    IpPrefix s = IpPrefix.parse(src + "/128");
    IpPrefix d = IpPrefix.parse(dst + "/128");
    b.putLong(8, s.hi()).putLong(16, s.lo()).putLong(24, d.hi()).putLong(32, d.lo());
    b.putShort(40, (short) srcPort).putShort(42, (short) dstPort);
    return b;
  }

  @Test
  void oneLinePerFiveTuple() {
    DropLog d = log(1000, 1000);
    for (int i = 0; i < 100; i++) {
      d.dropped(true, "no-rule", v4(6, "10.213.0.2", "10.213.0.1", 40000, 22), PEER);
    }
    assertThat(lines).hasSize(1);
    d.dropped(
        true, "no-rule", v4(6, "10.213.0.2", "10.213.0.1", 40001, 22), PEER); // another source port
    d.dropped(
        true, "no-rule", v4(17, "10.213.0.2", "10.213.0.1", 40000, 22), PEER); // another protocol
    d.dropped(
        true, "revoked", v4(6, "10.213.0.2", "10.213.0.1", 40000, 22), PEER); // another reason
    d.dropped(
        false, "no-rule", v4(6, "10.213.0.2", "10.213.0.1", 40000, 22), PEER); // another direction
    for (int i = 0; i < 50; i++) {
      d.dropped(true, "no-rule", v4(6, "10.213.0.2", "10.213.0.1", 40001, 22), PEER);
    }
    assertThat(lines).hasSize(5);
  }

  @Test
  void rateLimitHoldsAndCountsWhatItSkipped() {
    DropLog d = log(2, 3); // 2 lines a second, bursts of 3
    for (int port = 1; port <= 10; port++) {
      d.dropped(true, "no-rule", v4(6, "10.213.0.2", "10.213.0.1", 40000, port), PEER);
    }
    assertThat(lines).as("the burst").hasSize(3);
    assertThat(d.suppressed()).isEqualTo(7);
    now += 500_000_000L; // half a second: one token
    d.dropped(true, "no-rule", v4(6, "10.213.0.2", "10.213.0.1", 40000, 11), PEER);
    d.dropped(true, "no-rule", v4(6, "10.213.0.2", "10.213.0.1", 40000, 12), PEER);
    assertThat(lines).hasSize(4);
    assertThat(lines.get(3))
        .endsWith(
            ":11 peer="
                + PEER_B64
                + "; nearest rule "
                + FILTER.rules().get(0).origin()
                + " allows protocols [6] ports 443 (this packet: protocol 6, port 11) (7 more new dropped flows not logged)");
    assertThat(d.suppressed()).isEqualTo(1);
    now += 100L * 1_000_000_000L; // a long pause refills only up to the burst
    for (int port = 100; port < 110; port++) {
      d.dropped(true, "no-rule", v4(6, "10.213.0.2", "10.213.0.1", 40000, port), PEER);
    }
    assertThat(lines).hasSize(7);
  }

  static Stream<Arguments> lines() {
    return Stream.of(
        Arguments.of(
            true,
            "no-rule",
            v4(6, "10.213.0.2", "10.213.0.1", 40000, 22),
            "drop inbound no-rule tcp 10.213.0.2:40000 -> 10.213.0.1:22 peer="
                + PEER_B64
                + "; nearest rule "
                + FILTER.rules().get(0).origin()
                + " allows protocols [6] ports 443 (this packet: protocol 6, port 22)"),
        Arguments.of(
            true,
            "no-rule",
            v4(17, "192.0.2.9", "10.213.0.1", 53, 53),
            "drop inbound no-rule udp 192.0.2.9:53 -> 10.213.0.1:53 peer="
                + PEER_B64
                + "; no rule joins these addresses"),
        Arguments.of(
            true,
            "no-rule",
            v4(1, "10.213.0.2", "10.213.0.1", 0x0800, 0),
            "drop inbound no-rule icmp 10.213.0.2 -> 10.213.0.1 peer="
                + PEER_B64
                + "; nearest rule "
                + FILTER.rules().get(0).origin()
                + " allows protocols [6] ports 443 (this packet: protocol 1)"),
        Arguments.of(
            true,
            "revoked",
            v6(6, "fd00::2", "fd00::1", 40000, 5002),
            "drop inbound revoked tcp [fd00::2]:40000 -> [fd00::1]:5002 peer=" + PEER_B64),
        Arguments.of(
            false,
            "filter-unavailable",
            v4(6, "10.213.0.1", "10.213.0.2", 40000, 80),
            "drop outbound filter-unavailable tcp 10.213.0.1:40000 -> 10.213.0.2:80 peer="
                + PEER_B64),
        Arguments.of(
            true,
            "truncated",
            ByteBuffer.wrap(new byte[] {0x45, 0, 0}),
            "drop inbound truncated (3 bytes, not IPv4 or IPv6) peer=" + PEER_B64));
  }

  @ParameterizedTest
  @MethodSource("lines")
  void lineNamesTupleReasonAndNearestRule(
      boolean inbound, String reason, ByteBuffer packet, String want) {
    log(10, 10).dropped(inbound, reason, packet, PEER);
    assertThat(lines).containsExactly(want);
    assertThat(packet.position()).as("the packet is left as it was").isZero();
  }

  @Test
  void namesThePeerByItsPublicKeyOrSaysItIsUnknown() {
    DropLog d = log(10, 10);
    d.dropped(true, "no-rule", v4(17, "192.0.2.9", "10.213.0.1", 53, 53), PEER);
    d.dropped(true, "no-rule", v4(17, "192.0.2.9", "10.213.0.1", 54, 53), null);
    assertThat(lines).hasSize(2);
    assertThat(lines.get(0)).contains(" peer=xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=;");
    assertThat(lines.get(1)).contains(" peer=unknown;").doesNotContain("peer=0");
  }
}
