package dev.tessera.enforcer;

import static dev.tessera.enforcer.Packets.*;
import static dev.tessera.enforcer.TestFilters.NODE4;
import static dev.tessera.enforcer.TestFilters.NODE6;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Malformed and malicious packets: each is dropped with its reason, in both directions, never an
 * exception.
 */
class HostilePacketTest {

  private static byte[] with(byte[] p, int off, int value) {
    byte[] c = p.clone();
    c[off] = (byte) value;
    return c;
  }

  private static byte[] with16(byte[] p, int off, int value) {
    byte[] c = p.clone();
    put16(c, off, value);
    return c;
  }

  static Stream<Arguments> hostile() {
    byte[] syn = tcp("100.64.0.2", NODE4, 40000, 443, SYN);
    byte[] syn6 = tcp("fd7a::2", NODE6, 40000, 443, SYN);
    byte[] udp = udp("100.64.1.3", NODE4, 5353, 53);
    byte[] ext9 = new byte[0];
    for (int i = 0; i < 9; i++) {
      ext9 = concat(ext9, ext8(i == 8 ? 6 : 60));
    }
    byte[] longExt = ext8(6);
    longExt[1] = (byte) 200; // claims 1608 bytes
    byte[] hbhLate = concat(ext8(0), ext8(6));
    byte[] twoFrags = concat(fragHeader(44, 0, false, 1), fragHeader(6, 0, false, 1));
    byte[] rh0 = ext8(6);
    rh0[2] = 0; // routing type 0
    rh0[3] = 1; // segments left
    byte[] garbageQuote = new byte[28];
    new Random(7).nextBytes(garbageQuote);
    garbageQuote[0] = 0x45;
    byte[] quotedIhl3 = udp(NODE4, "100.64.0.2", 1, 2);
    quotedIhl3[0] = 0x43;
    return Stream.of(
        Arguments.of("empty", new byte[0], Verdict.DROP_TRUNCATED),
        Arguments.of("one byte", new byte[] {0x45}, Verdict.DROP_TRUNCATED),
        Arguments.of("19-byte IPv4", Arrays.copyOf(syn, 19), Verdict.DROP_TRUNCATED),
        Arguments.of("version 5", with(syn, 0, 0x55), Verdict.DROP_UNSUPPORTED),
        Arguments.of("version 0", new byte[40], Verdict.DROP_UNSUPPORTED),
        Arguments.of("IHL 4", with(syn, 0, 0x44), Verdict.DROP_BAD_HEADER),
        Arguments.of("IHL 0", with(syn, 0, 0x40), Verdict.DROP_BAD_HEADER),
        Arguments.of(
            "total length beyond buffer", with16(syn, 2, syn.length + 1), Verdict.DROP_TRUNCATED),
        Arguments.of("total length 65535", with16(syn, 2, 65535), Verdict.DROP_TRUNCATED),
        Arguments.of("total length below IHL", with16(syn, 2, 19), Verdict.DROP_BAD_HEADER),
        Arguments.of("total length 0", with16(syn, 2, 0), Verdict.DROP_BAD_HEADER),
        Arguments.of("IHL 15 beyond total length", with(syn, 0, 0x4F), Verdict.DROP_BAD_HEADER),
        Arguments.of(
            "TCP header truncated", with16(Arrays.copyOf(syn, 30), 2, 30), Verdict.DROP_TRUNCATED),
        Arguments.of("TCP data offset 4", with(syn, 32, 0x40), Verdict.DROP_BAD_HEADER),
        Arguments.of("TCP data offset past the end", with(syn, 32, 0xF0), Verdict.DROP_TRUNCATED),
        Arguments.of("UDP length 4", with16(udp, 24, 4), Verdict.DROP_BAD_HEADER),
        Arguments.of("UDP length past the end", with16(udp, 24, 200), Verdict.DROP_TRUNCATED),
        Arguments.of(
            "UDP header truncated", with16(Arrays.copyOf(udp, 25), 2, 25), Verdict.DROP_TRUNCATED),
        Arguments.of(
            "ICMP header truncated",
            with16(Arrays.copyOf(ping("100.64.0.2", NODE4, 1), 24), 2, 24),
            Verdict.DROP_TRUNCATED),
        Arguments.of(
            "SCTP header truncated",
            with16(Arrays.copyOf(sctp("100.64.0.4", NODE4, 1, 5000), 30), 2, 30),
            Verdict.DROP_TRUNCATED),
        Arguments.of(
            "ping of death fragment",
            ip4("100.64.0.2", NODE4, 1, 65528, false, 1, new byte[100]),
            Verdict.DROP_FRAGMENT),
        Arguments.of(
            "IPv6 shorter than its header", Arrays.copyOf(syn6, 39), Verdict.DROP_TRUNCATED),
        Arguments.of(
            "IPv6 payload length beyond buffer", with16(syn6, 4, 21), Verdict.DROP_TRUNCATED),
        Arguments.of("IPv6 payload length 0 with TCP", with16(syn6, 4, 0), Verdict.DROP_TRUNCATED),
        Arguments.of(
            "IPv6 nine extension headers",
            ip6("fd7a::2", NODE6, 60, ext9, tcpHeader(1, 443, SYN)),
            Verdict.DROP_BAD_EXTENSION),
        Arguments.of(
            "IPv6 extension header past the end",
            ip6("fd7a::2", NODE6, 60, longExt, tcpHeader(1, 443, SYN)),
            Verdict.DROP_BAD_EXTENSION),
        Arguments.of(
            "IPv6 extension header cut in the middle",
            ip6("fd7a::2", NODE6, 60, new byte[1], new byte[0]),
            Verdict.DROP_BAD_EXTENSION),
        Arguments.of(
            "IPv6 hop-by-hop not first",
            ip6("fd7a::2", NODE6, 60, hbhLate, tcpHeader(1, 443, SYN)),
            Verdict.DROP_BAD_EXTENSION),
        Arguments.of(
            "IPv6 two fragment headers",
            ip6("fd7a::2", NODE6, 44, twoFrags, tcpHeader(1, 443, SYN)),
            Verdict.DROP_BAD_EXTENSION),
        Arguments.of(
            "IPv6 routing header type 0",
            ip6("fd7a::2", NODE6, 43, rh0, tcpHeader(1, 443, SYN)),
            Verdict.DROP_BAD_EXTENSION),
        Arguments.of(
            "IPv6 oversize fragment",
            ip6("fd7a::2", NODE6, 44, fragHeader(6, 65528, false, 1), new byte[100]),
            Verdict.DROP_FRAGMENT),
        Arguments.of(
            "ICMP error quoting garbage",
            icmp("100.64.0.2", NODE4, 3, 1, 0, garbageQuote),
            Verdict.DROP_ICMP_BAD_QUOTE),
        Arguments.of(
            "ICMP error quoting nothing",
            icmp("100.64.0.2", NODE4, 3, 1, 0, new byte[0]),
            Verdict.DROP_ICMP_BAD_QUOTE),
        Arguments.of(
            "ICMP error quoting IHL 3",
            icmp("100.64.0.2", NODE4, 3, 1, 0, quotedIhl3),
            Verdict.DROP_ICMP_BAD_QUOTE),
        Arguments.of(
            "ICMP error quoting IPv6 in IPv4",
            icmp("100.64.0.2", NODE4, 3, 1, 0, Arrays.copyOf(syn6, 48)),
            Verdict.DROP_ICMP_BAD_QUOTE),
        Arguments.of(
            "ICMPv6 error quoting garbage",
            icmp("fd7a::2", NODE6, 1, 0, 0, garbageQuote),
            Verdict.DROP_ICMP_BAD_QUOTE),
        Arguments.of(
            "ICMPv6 error quoting a truncated header chain",
            icmp(
                "fd7a::2",
                NODE6,
                1,
                0,
                0,
                Arrays.copyOf(ip6(NODE6, "fd7a::2", 60, longExt, tcpHeader(1, 2, SYN)), 56)),
            Verdict.DROP_ICMP_BAD_QUOTE));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("hostile")
  void droppedWithReasonBothDirections(String name, byte[] packet, Verdict want) {
    Enforcer e = Enforcer.create(TestFilters.node());
    Enforcer.Worker w = e.newWorker();
    assertThat(w.inbound(packet, 0, packet.length)).isEqualTo(want);
    if (want != Verdict.DROP_ICMP_BAD_QUOTE && want != Verdict.DROP_FRAGMENT) {
      // outbound: malformed packets from our own stack are dropped the same way
      assertThat(w.outbound(packet, 0, packet.length)).isEqualTo(want);
    }
    assertThat(e.counters().count(Direction.INBOUND, want)).isEqualTo(1);
  }

  @Test
  void trailingBytesAfterTotalLengthAreIgnored() {
    byte[] syn = tcp("100.64.0.2", NODE4, 40000, 443, SYN);
    byte[] padded = Arrays.copyOf(syn, syn.length + 30);
    assertThat(Enforcer.create(TestFilters.node()).newWorker().inbound(padded, 0, padded.length))
        .isEqualTo(Verdict.ACCEPT_RULE);
  }

  /** Every prefix of every valid packet, and random bit flips: a verdict, never an exception. */
  @Test
  void truncationsAndBitFlipsNeverThrow() {
    long seed = System.nanoTime();
    Random r = new Random(seed);
    Enforcer e = Enforcer.create(TestFilters.node());
    Enforcer.Worker w = e.newWorker();
    byte[][] samples = {
      tcp("100.64.0.2", NODE4, 40000, 443, SYN),
      udp("fd7a::3", NODE6, 1, 53),
      ping("fd7a::6", NODE6, 3),
      unreachable("100.64.0.2", NODE4, udp(NODE4, "100.64.0.2", 1, 2), 28),
      unreachable("fd7a::2", NODE6, tcp(NODE6, "fd7a::2", 1, 2, SYN), 60),
      ip6(
          "fd7a::2",
          NODE6,
          44,
          fragHeader(6, 0, true, 9),
          concat(tcpHeader(1, 443, SYN), new byte[8])),
    };
    for (byte[] s : samples) {
      for (int n = 0; n <= s.length; n++) {
        assertThat(w.inbound(s, 0, n)).isNotNull();
        assertThat(w.outbound(s, 0, n)).isNotNull();
      }
      for (int i = 0; i < 2000; i++) {
        byte[] c = s.clone();
        for (int k = r.nextInt(4); k >= 0; k--) {
          c[r.nextInt(c.length)] ^= (byte) (1 << r.nextInt(8));
        }
        try {
          w.inbound(c, 0, c.length);
          w.outbound(c, 0, c.length);
        } catch (RuntimeException ex) {
          throw new AssertionError("seed " + seed + " packet " + Arrays.toString(c), ex);
        }
      }
    }
  }
}
