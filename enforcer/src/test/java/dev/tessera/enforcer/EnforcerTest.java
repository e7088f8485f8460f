package dev.tessera.enforcer;

import static dev.tessera.enforcer.Packets.*;
import static dev.tessera.enforcer.TestFilters.NODE4;
import static dev.tessera.enforcer.TestFilters.NODE6;
import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class EnforcerTest {

  private final AtomicLong now = new AtomicLong(1_000_000);
  private final Enforcer enforcer =
      Enforcer.create(TestFilters.node(), Enforcer.Config.DEFAULT.withClock(now::get));
  private final Enforcer.Worker w = enforcer.newWorker();

  private Verdict in(byte[] p) {
    return w.inbound(p, 0, p.length);
  }

  private Verdict out(byte[] p) {
    return w.outbound(p, 0, p.length);
  }

  /** New inbound packets against a fresh enforcer: one per protocol, hits and misses. */
  static Stream<Arguments> newInbound() {
    return Stream.of(
        Arguments.of(
            "tcp syn hits 443", tcp("100.64.0.2", NODE4, 40000, 443, SYN), Verdict.ACCEPT_RULE),
        Arguments.of(
            "tcp syn hits 22 via default protos",
            tcp("100.64.0.2", NODE4, 40000, 22, SYN),
            Verdict.ACCEPT_RULE),
        Arguments.of(
            "tcp syn wrong source",
            tcp("100.64.1.9", NODE4, 40000, 443, SYN),
            Verdict.DROP_NO_RULE),
        Arguments.of(
            "tcp syn wrong port", tcp("100.64.0.2", NODE4, 40000, 444, SYN), Verdict.DROP_NO_RULE),
        Arguments.of(
            "tcp non-syn untracked, no rule (stricter than Tailscale)",
            tcp("100.64.1.9", NODE4, 40000, 443, ACK),
            Verdict.DROP_NO_RULE),
        Arguments.of(
            "tcp non-syn untracked, rule allows: picked up",
            tcp("100.64.0.2", NODE4, 40000, 443, ACK),
            Verdict.ACCEPT_RULE),
        Arguments.of(
            "tcp to another node's address",
            tcp("100.64.0.2", "100.64.0.7", 40000, 443, SYN),
            Verdict.DROP_NO_RULE),
        Arguments.of("udp hits 53", udp("100.64.1.3", NODE4, 5353, 53), Verdict.ACCEPT_RULE),
        Arguments.of("udp port miss", udp("100.64.1.3", NODE4, 5353, 54), Verdict.DROP_NO_RULE),
        Arguments.of(
            "udp on a tcp-only port", udp("100.64.0.2", NODE4, 5353, 443), Verdict.DROP_NO_RULE),
        Arguments.of(
            "udp via default protos", udp("100.64.0.2", NODE4, 5353, 22), Verdict.ACCEPT_RULE),
        Arguments.of("sctp in range", sctp("100.64.0.4", NODE4, 7000, 5005), Verdict.ACCEPT_RULE),
        Arguments.of(
            "sctp past range", sctp("100.64.0.4", NODE4, 7000, 5011), Verdict.DROP_NO_RULE),
        Arguments.of(
            "ping, rule with default protos", ping("100.64.0.2", NODE4, 7), Verdict.ACCEPT_RULE),
        Arguments.of(
            "ping, only a udp rule (stricter than Tailscale)",
            ping("100.64.1.3", NODE4, 7),
            Verdict.DROP_NO_RULE),
        Arguments.of(
            "icmp timestamp needs an icmp rule",
            icmp("100.64.0.2", NODE4, 13, 0, 1, new byte[12]),
            Verdict.ACCEPT_RULE),
        Arguments.of(
            "icmp timestamp without icmp rule",
            icmp("100.64.1.3", NODE4, 13, 0, 1, new byte[12]),
            Verdict.DROP_NO_RULE),
        Arguments.of(
            "gre with all-ports rule", proto("100.64.0.5", NODE4, 47, 24), Verdict.ACCEPT_RULE),
        Arguments.of(
            "gre from elsewhere", proto("100.64.0.6", NODE4, 47, 24), Verdict.DROP_NO_RULE),
        Arguments.of(
            "esp rule with a port range does not match",
            proto("100.64.0.6", NODE4, 50, 24),
            Verdict.DROP_NO_RULE),
        Arguments.of(
            "protocol 58 over IPv4 is just a number",
            proto("100.64.0.2", NODE4, 58, 8),
            Verdict.DROP_NO_RULE),
        Arguments.of(
            "routed subnet hit",
            tcp("100.64.0.2", "10.1.0.5", 40000, 80, SYN),
            Verdict.ACCEPT_RULE),
        Arguments.of(
            "routed subnet miss",
            tcp("100.64.0.2", "10.1.1.5", 40000, 80, SYN),
            Verdict.DROP_NO_RULE),
        Arguments.of(
            "unsolicited echo reply", pong("100.64.0.2", NODE4, 7), Verdict.DROP_UNSOLICITED_REPLY),
        Arguments.of(
            "icmp error about nothing tracked",
            unreachable("100.64.0.2", NODE4, udp(NODE4, "100.64.0.2", 5000, 53), 28),
            Verdict.DROP_ICMP_UNTRACKED),
        Arguments.of("v6 tcp hit", tcp("fd7a::2", NODE6, 40000, 443, SYN), Verdict.ACCEPT_RULE),
        Arguments.of("v6 tcp miss", tcp("fd7a::6", NODE6, 40000, 22, SYN), Verdict.DROP_NO_RULE),
        Arguments.of("v6 udp hit", udp("fd7a::3", NODE6, 999, 53), Verdict.ACCEPT_RULE),
        Arguments.of("v6 udp miss", udp("fd7a::3", NODE6, 999, 54), Verdict.DROP_NO_RULE),
        Arguments.of("v6 sctp", sctp("fd7a::4", NODE6, 7000, 5010), Verdict.ACCEPT_RULE),
        Arguments.of("v6 ping with icmpv6 rule", ping("fd7a::6", NODE6, 9), Verdict.ACCEPT_RULE),
        Arguments.of("v6 ping with tcp-only rule", ping("fd7a::2", NODE6, 9), Verdict.DROP_NO_RULE),
        Arguments.of(
            "v6 neighbor solicitation needs icmpv6 rule",
            icmp("fd7a::6", NODE6, 135, 0, 0, new byte[16]),
            Verdict.ACCEPT_RULE),
        Arguments.of(
            "v6 neighbor solicitation otherwise dropped",
            icmp("fd7a::2", NODE6, 135, 0, 0, new byte[16]),
            Verdict.DROP_NO_RULE),
        Arguments.of(
            "v6 icmp (proto 1) is just a number",
            proto("fd7a::6", NODE6, 1, 8),
            Verdict.DROP_NO_RULE),
        Arguments.of(
            "v6 unsolicited echo reply", pong("fd7a::6", NODE6, 9), Verdict.DROP_UNSOLICITED_REPLY),
        Arguments.of(
            "v6 tcp behind a dest-options header",
            ip6("fd7a::2", NODE6, 60, ext8(6), tcpHeader(4000, 443, SYN)),
            Verdict.ACCEPT_RULE),
        Arguments.of(
            "v6 atomic fragment is parsed as unfragmented",
            ip6("fd7a::2", NODE6, 44, fragHeader(6, 0, false, 5), tcpHeader(4000, 443, SYN)),
            Verdict.ACCEPT_RULE));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("newInbound")
  void newInboundPackets(String name, byte[] packet, Verdict want) {
    assertThat(in(packet)).isEqualTo(want);
    assertThat(enforcer.counters().count(Direction.INBOUND, want)).isEqualTo(1);
  }

  /**
   * The same verdicts through every buffer kind, including a little-endian ByteBuffer and an offset
   * array.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("newInbound")
  void everyBufferKindAgrees(String name, byte[] packet, Verdict want) {
    Enforcer e = Enforcer.create(TestFilters.node(), Enforcer.Config.DEFAULT.withClock(now::get));
    byte[] padded = new byte[packet.length + 7];
    System.arraycopy(packet, 0, padded, 3, packet.length);
    assertThat(e.newWorker().inbound(padded, 3, packet.length)).isEqualTo(want);
    e = Enforcer.create(TestFilters.node(), Enforcer.Config.DEFAULT.withClock(now::get));
    ByteBuffer bb = ByteBuffer.allocateDirect(packet.length + 10).order(ByteOrder.LITTLE_ENDIAN);
    bb.position(5);
    bb.put(packet).flip().position(5);
    assertThat(e.newWorker().inbound(bb)).isEqualTo(want);
    assertThat(bb.position()).isEqualTo(5); // not consumed
    e = Enforcer.create(TestFilters.node(), Enforcer.Config.DEFAULT.withClock(now::get));
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment seg = arena.allocate(packet.length);
      seg.copyFrom(MemorySegment.ofArray(packet));
      assertThat(e.newWorker().inbound(seg)).isEqualTo(want);
    }
    e = Enforcer.create(TestFilters.node(), Enforcer.Config.DEFAULT.withClock(now::get));
    assertThat(e.inbound(ByteBuffer.wrap(packet))).isEqualTo(want);
  }

  @Test
  void repliesToFlowsThisNodeOpened() {
    // TCP
    assertThat(out(tcp(NODE4, "100.64.1.9", 50000, 80, SYN))).isEqualTo(Verdict.ACCEPT_OUTBOUND);
    assertThat(in(tcp("100.64.1.9", NODE4, 80, 50000, SYN | ACK))).isEqualTo(Verdict.ACCEPT_REPLY);
    assertThat(in(tcp("100.64.1.9", NODE4, 80, 50000, ACK | PSH))).isEqualTo(Verdict.ACCEPT_REPLY);
    assertThat(in(tcp("100.64.1.9", NODE4, 81, 50000, ACK))).isEqualTo(Verdict.DROP_NO_RULE);
    assertThat(in(tcp("100.64.0.8", NODE4, 80, 50000, ACK))).isEqualTo(Verdict.DROP_NO_RULE);
    // UDP, both families
    out(udp(NODE4, "100.64.1.9", 41000, 53));
    assertThat(in(udp("100.64.1.9", NODE4, 53, 41000))).isEqualTo(Verdict.ACCEPT_REPLY);
    out(udp(NODE6, "fd7a::9", 41000, 53));
    assertThat(in(udp("fd7a::9", NODE6, 53, 41000))).isEqualTo(Verdict.ACCEPT_REPLY);
    assertThat(in(udp("fd7a::9", NODE6, 53, 41001))).isEqualTo(Verdict.DROP_NO_RULE);
    // SCTP and another protocol
    out(sctp(NODE4, "100.64.1.9", 9, 9));
    assertThat(in(sctp("100.64.1.9", NODE4, 9, 9))).isEqualTo(Verdict.ACCEPT_REPLY);
    out(proto(NODE4, "100.64.1.9", 47, 20));
    assertThat(in(proto("100.64.1.9", NODE4, 47, 20))).isEqualTo(Verdict.ACCEPT_REPLY);
    // ping
    out(ping(NODE4, "100.64.1.9", 77));
    assertThat(in(pong("100.64.1.9", NODE4, 77))).isEqualTo(Verdict.ACCEPT_REPLY);
    assertThat(in(pong("100.64.1.9", NODE4, 78))).isEqualTo(Verdict.DROP_UNSOLICITED_REPLY);
    out(ping(NODE6, "fd7a::9", 77));
    assertThat(in(pong("fd7a::9", NODE6, 77))).isEqualTo(Verdict.ACCEPT_REPLY);
    // an echo request from the peer is not a reply to ours
    assertThat(in(ping("100.64.1.9", NODE4, 77))).isEqualTo(Verdict.DROP_NO_RULE);
  }

  @Test
  void outboundTcpOnlyOpensFlowsWithAPureSyn() {
    // A mid-stream segment or SYN-ACK going out must not make the peer's packets "replies".
    assertThat(out(tcp(NODE4, "100.64.1.9", 50000, 80, ACK))).isEqualTo(Verdict.ACCEPT_OUTBOUND);
    assertThat(out(tcp(NODE4, "100.64.1.9", 50000, 80, SYN | ACK)))
        .isEqualTo(Verdict.ACCEPT_OUTBOUND);
    assertThat(in(tcp("100.64.1.9", NODE4, 80, 50000, ACK))).isEqualTo(Verdict.DROP_NO_RULE);
    // outbound echo replies do not open anything either
    out(pong(NODE4, "100.64.1.9", 5));
    assertThat(in(ping("100.64.1.9", NODE4, 5))).isEqualTo(Verdict.DROP_NO_RULE);
  }

  @Test
  void inboundFlowsAdmittedByARuleAreTracked() {
    assertThat(in(tcp("100.64.0.2", NODE4, 40000, 443, SYN))).isEqualTo(Verdict.ACCEPT_RULE);
    assertThat(out(tcp(NODE4, "100.64.0.2", 443, 40000, SYN | ACK)))
        .isEqualTo(Verdict.ACCEPT_OUTBOUND);
    assertThat(in(tcp("100.64.0.2", NODE4, 40000, 443, ACK))).isEqualTo(Verdict.ACCEPT_ESTABLISHED);
    assertThat(in(ping("100.64.0.2", NODE4, 3))).isEqualTo(Verdict.ACCEPT_RULE);
    assertThat(in(ping("100.64.0.2", NODE4, 3))).isEqualTo(Verdict.ACCEPT_ESTABLISHED);
    assertThat(enforcer.trackedFlows()).isEqualTo(2);
  }

  @Test
  void icmpErrorsQuotingTrackedFlowsPassGarbageDoesNot() {
    byte[] sent = udp(NODE4, "100.64.1.9", 41000, 53);
    out(sent);
    assertThat(in(unreachable("100.64.1.9", NODE4, sent, 28)))
        .isEqualTo(Verdict.ACCEPT_ICMP_RELATED);
    // from a router on the path: outer source differs, still about our flow
    assertThat(in(unreachable("100.64.0.50", NODE4, sent, sent.length)))
        .isEqualTo(Verdict.ACCEPT_ICMP_RELATED);
    // about a flow we never opened
    assertThat(in(unreachable("100.64.1.9", NODE4, udp(NODE4, "100.64.1.9", 41001, 53), 28)))
        .isEqualTo(Verdict.DROP_ICMP_UNTRACKED);
    // quote too short to hold the ports
    assertThat(in(unreachable("100.64.1.9", NODE4, sent, 23)))
        .isEqualTo(Verdict.DROP_ICMP_BAD_QUOTE);
    // quote of a packet someone else sent (inner source is not the error's destination)
    assertThat(
            in(unreachable("100.64.1.9", NODE4, udp("100.64.0.77", "100.64.1.9", 41000, 53), 28)))
        .isEqualTo(Verdict.DROP_ICMP_BAD_QUOTE);
    // error about an error
    byte[] err = unreachable(NODE4, "100.64.1.9", sent, 28);
    assertThat(in(unreachable("100.64.1.9", NODE4, err, err.length)))
        .isEqualTo(Verdict.DROP_ICMP_BAD_QUOTE);
    // garbage quote
    assertThat(
            in(
                icmp(
                    "100.64.1.9",
                    NODE4,
                    3,
                    1,
                    0,
                    new byte[] {
                      1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
                      23, 24, 25, 26, 27, 28
                    })))
        .isEqualTo(Verdict.DROP_ICMP_BAD_QUOTE);
    assertThat(in(icmp("100.64.1.9", NODE4, 11, 0, 0, new byte[0])))
        .isEqualTo(Verdict.DROP_ICMP_BAD_QUOTE);
    // IPv6: packet too big about our TCP connection, and an error about our ping
    byte[] syn6 = tcp(NODE6, "fd7a::9", 50001, 443, SYN);
    out(syn6);
    assertThat(in(icmp("fd7a::9", NODE6, 2, 0, 0, syn6))).isEqualTo(Verdict.ACCEPT_ICMP_RELATED);
    byte[] ping6 = ping(NODE6, "fd7a::9", 12);
    out(ping6);
    assertThat(in(unreachable("fd7a::9", NODE6, ping6, ping6.length)))
        .isEqualTo(Verdict.ACCEPT_ICMP_RELATED);
    assertThat(in(unreachable("fd7a::9", NODE6, ping6, 45))).isEqualTo(Verdict.DROP_ICMP_BAD_QUOTE);
  }

  /**
   * Flows belong to the tunnel peer they run through: a packet from another peer finds none of
   * them. Peer 1 is the route to 100.64.1.9; peer 2 is any other peer (an exit node, say, whose
   * allowed IPs cover the source addresses it uses).
   */
  @Test
  void flowsBelongToTheirPeerIcmpErrorsAndRepliesFromOtherPeersDoNotMatch() {
    int a = 1;
    int b = 2;
    byte[] sent = udp(NODE4, "100.64.1.9", 41000, 53);
    assertThat(w.outbound(sent, 0, sent.length, a)).isEqualTo(Verdict.ACCEPT_OUTBOUND);
    byte[] err = unreachable("100.64.0.50", NODE4, sent, 28);
    assertThat(w.inbound(err, 0, err.length, b))
        .as("ICMP error from another peer")
        .isEqualTo(Verdict.DROP_ICMP_UNTRACKED);
    assertThat(w.inbound(err, 0, err.length, a))
        .as("ICMP error from the flow's peer")
        .isEqualTo(Verdict.ACCEPT_ICMP_RELATED);
    byte[] reply = udp("100.64.1.9", NODE4, 53, 41000);
    assertThat(w.inbound(reply, 0, reply.length, b))
        .as("reply from another peer")
        .isEqualTo(Verdict.DROP_NO_RULE);
    assertThat(w.inbound(reply, 0, reply.length, a)).isEqualTo(Verdict.ACCEPT_REPLY);
    // the flow cache keeps them apart too (a second hit goes through it)
    assertThat(w.inbound(reply, 0, reply.length, b)).isEqualTo(Verdict.DROP_NO_RULE);
    assertThat(w.inbound(reply, 0, reply.length, a)).isEqualTo(Verdict.ACCEPT_REPLY);
    byte[] ping = ping(NODE4, "100.64.1.9", 77);
    w.outbound(ping, 0, ping.length, a);
    byte[] pong = pong("100.64.1.9", NODE4, 77);
    assertThat(w.inbound(pong, 0, pong.length, b)).isEqualTo(Verdict.DROP_UNSOLICITED_REPLY);
    assertThat(w.inbound(pong, 0, pong.length, a)).isEqualTo(Verdict.ACCEPT_REPLY);
    // an admitted inbound flow: an error about our answers must come from its peer as well
    byte[] inUdp = udp("100.64.1.3", NODE4, 5353, 53);
    assertThat(w.inbound(inUdp, 0, inUdp.length, a)).isEqualTo(Verdict.ACCEPT_RULE);
    byte[] ourReply = udp(NODE4, "100.64.1.3", 53, 5353);
    w.outbound(ourReply, 0, ourReply.length, a);
    byte[] err2 = unreachable("100.64.1.3", NODE4, ourReply, 28);
    assertThat(w.inbound(err2, 0, err2.length, b)).isEqualTo(Verdict.DROP_ICMP_UNTRACKED);
    assertThat(w.inbound(err2, 0, err2.length, a)).isEqualTo(Verdict.ACCEPT_ICMP_RELATED);
    // fragments follow the first fragment of the same peer only
    byte[] first = ip4("100.64.0.2", NODE4, 6, 0, true, 91, tcpHeader(40000, 443, SYN));
    byte[] second = ip4("100.64.0.2", NODE4, 6, 24, false, 91, new byte[16]);
    assertThat(w.inbound(first, 0, first.length, a)).isEqualTo(Verdict.ACCEPT_RULE);
    assertThat(w.inbound(second, 0, second.length, b)).isEqualTo(Verdict.DROP_FRAGMENT);
    assertThat(w.inbound(second, 0, second.length, a)).isEqualTo(Verdict.ACCEPT_FRAGMENT);
  }

  @Test
  void forgettingAPeerDropsItsFlows() {
    byte[] sent = udp(NODE4, "100.64.1.9", 41000, 53);
    w.outbound(sent, 0, sent.length, 7);
    byte[] reply = udp("100.64.1.9", NODE4, 53, 41000);
    assertThat(w.inbound(reply, 0, reply.length, 7)).isEqualTo(Verdict.ACCEPT_REPLY);
    assertThat(w.inbound(reply, 0, reply.length, 7)).isEqualTo(Verdict.ACCEPT_REPLY); // cached
    enforcer.forgetPeer(7);
    assertThat(w.inbound(reply, 0, reply.length, 7)).isEqualTo(Verdict.DROP_NO_RULE);
    assertThat(enforcer.trackedFlows()).isZero();
  }

  @Test
  void ruleRemovalTombstonesAdmittedFlowsBothWaysButNotOurOwn() {
    byte[] inSyn = tcp("100.64.0.2", NODE4, 40000, 443, SYN);
    byte[] inData = tcp("100.64.0.2", NODE4, 40000, 443, ACK | PSH);
    byte[] ourReply = tcp(NODE4, "100.64.0.2", 443, 40000, ACK);
    assertThat(in(inSyn)).isEqualTo(Verdict.ACCEPT_RULE);
    assertThat(out(ourReply)).isEqualTo(Verdict.ACCEPT_OUTBOUND);
    assertThat(in(inData)).isEqualTo(Verdict.ACCEPT_ESTABLISHED);
    // a flow this node opened to the same peer
    assertThat(out(tcp(NODE4, "100.64.0.2", 50000, 8080, SYN))).isEqualTo(Verdict.ACCEPT_OUTBOUND);
    // and an admitted UDP flow
    assertThat(in(udp("100.64.1.3", NODE4, 5353, 53))).isEqualTo(Verdict.ACCEPT_RULE);

    int before = enforcer.generation();
    enforcer.update(TestFilters.revoked());
    assertThat(enforcer.generation()).isEqualTo(before + 1);

    assertThat(in(inData)).isEqualTo(Verdict.DROP_REVOKED);
    assertThat(in(tcp("100.64.0.2", NODE4, 8080, 50000, SYN | ACK)))
        .isEqualTo(Verdict.ACCEPT_REPLY);
    // this node's packets on a revoked flow are dropped too: nothing crosses either way
    assertThat(out(ourReply)).isEqualTo(Verdict.DROP_REVOKED);
    assertThat(in(inData)).isEqualTo(Verdict.DROP_REVOKED);
    assertThat(out(udp(NODE4, "100.64.1.3", 53, 5353))).isEqualTo(Verdict.DROP_REVOKED);
    assertThat(in(udp("100.64.1.3", NODE4, 5353, 53))).isEqualTo(Verdict.DROP_REVOKED);
    // and no SYN from this node turns the tombstone into a flow of its own
    assertThat(out(tcp(NODE4, "100.64.0.2", 443, 40000, SYN))).isEqualTo(Verdict.DROP_REVOKED);
    assertThat(in(tcp("100.64.0.2", NODE4, 40000, 443, SYN | ACK))).isEqualTo(Verdict.DROP_REVOKED);
    // a new connection is refused by the rules
    assertThat(in(tcp("100.64.0.2", NODE4, 40001, 443, SYN))).isEqualTo(Verdict.DROP_NO_RULE);
    assertThat(enforcer.counters().count(Direction.INBOUND, Verdict.DROP_REVOKED)).isEqualTo(4);
    assertThat(enforcer.counters().count(Direction.OUTBOUND, Verdict.DROP_REVOKED)).isEqualTo(3);

    // a tombstone lasts for its flow's lifetime: a filter that allows it again does not revive it
    enforcer.update(TestFilters.node());
    assertThat(in(inData)).isEqualTo(Verdict.DROP_REVOKED);
    assertThat(out(ourReply)).isEqualTo(Verdict.DROP_REVOKED);
    // new flows are admitted by the rules again
    assertThat(in(tcp("100.64.0.2", NODE4, 40002, 443, SYN))).isEqualTo(Verdict.ACCEPT_RULE);
    // the tombstone expires once idle (TCP established without FIN: 5 days), then the tuple is new
    now.addAndGet(Enforcer.Timeouts.DEFAULT.tcpEstablished() + 1);
    assertThat(in(tcp("100.64.0.2", NODE4, 40000, 443, SYN))).isEqualTo(Verdict.ACCEPT_RULE);
  }

  /**
   * The update itself re-checks every admitted flow: a flow sitting in a worker's flow cache, in
   * either direction, is cut by the swap, before any packet of it is seen.
   */
  @Test
  void anUpdateTurnsEveryRevokedFlowIntoATombstoneAtOnce() {
    byte[] inData = udp("100.64.1.3", NODE4, 5353, 53);
    byte[] outData = udp(NODE4, "100.64.1.3", 53, 5353);
    byte[] kept = tcp("100.64.0.2", NODE4, 40000, 22, ACK);
    assertThat(in(inData)).isEqualTo(Verdict.ACCEPT_RULE);
    assertThat(out(outData)).isEqualTo(Verdict.ACCEPT_OUTBOUND);
    assertThat(out(outData)).isEqualTo(Verdict.ACCEPT_OUTBOUND); // cached
    assertThat(in(inData)).isEqualTo(Verdict.ACCEPT_ESTABLISHED); // cached
    assertThat(in(kept)).isEqualTo(Verdict.ACCEPT_RULE);
    enforcer.update(TestFilters.revoked());
    assertThat(enforcer.trackedFlows()).isEqualTo(2);
    assertThat(out(outData)).isEqualTo(Verdict.DROP_REVOKED);
    assertThat(in(inData)).isEqualTo(Verdict.DROP_REVOKED);
    assertThat(in(kept))
        .as("a flow the new filter still allows")
        .isEqualTo(Verdict.ACCEPT_ESTABLISHED);
  }

  @Test
  void revocationAppliesToIcmpErrorsAboutAdmittedFlows() {
    assertThat(in(udp("100.64.1.3", NODE4, 5353, 53))).isEqualTo(Verdict.ACCEPT_RULE);
    byte[] ourReply = udp(NODE4, "100.64.1.3", 53, 5353);
    out(ourReply);
    assertThat(in(unreachable("100.64.1.3", NODE4, ourReply, 28)))
        .isEqualTo(Verdict.ACCEPT_ICMP_RELATED);
    enforcer.update(TestFilters.revoked());
    assertThat(in(unreachable("100.64.1.3", NODE4, ourReply, 28))).isEqualTo(Verdict.DROP_REVOKED);
  }

  @Test
  void flowsExpire() {
    out(udp(NODE4, "100.64.1.9", 41000, 53));
    now.addAndGet(29_000);
    assertThat(in(udp("100.64.1.9", NODE4, 53, 41000))).isEqualTo(Verdict.ACCEPT_REPLY);
    // replied UDP: stream timeout (180 s)
    now.addAndGet(170_000);
    assertThat(in(udp("100.64.1.9", NODE4, 53, 41000))).isEqualTo(Verdict.ACCEPT_REPLY);
    now.addAndGet(181_000);
    assertThat(in(udp("100.64.1.9", NODE4, 53, 41000))).isEqualTo(Verdict.DROP_NO_RULE);
    // unreplied UDP: 30 s
    out(udp(NODE4, "100.64.1.9", 41002, 53));
    now.addAndGet(31_000);
    assertThat(in(udp("100.64.1.9", NODE4, 53, 41002))).isEqualTo(Verdict.DROP_NO_RULE);
    // established TCP lasts; after RST, 30 s
    out(tcp(NODE4, "100.64.1.9", 50000, 80, SYN));
    in(tcp("100.64.1.9", NODE4, 80, 50000, SYN | ACK));
    now.addAndGet(3_600_000);
    assertThat(in(tcp("100.64.1.9", NODE4, 80, 50000, ACK))).isEqualTo(Verdict.ACCEPT_REPLY);
    out(tcp(NODE4, "100.64.1.9", 50000, 80, RST));
    now.addAndGet(31_000);
    assertThat(in(tcp("100.64.1.9", NODE4, 80, 50000, ACK))).isEqualTo(Verdict.DROP_NO_RULE);
  }

  /**
   * The per-worker flow cache must never outlive a change another worker made to the shared entry.
   * Worker 1 caches an admitted, still unreplied UDP flow; worker 2 then opens flows from the same
   * peer into the (tiny) table until that entry is evicted (a peer at its quota evicts its own
   * unreplied flows), all within the same millisecond, so only the entry's version can tell worker
   * 1 that its copy is gone: the next packet starts a new flow.
   */
  @Test
  void flowCacheFollowsChangesMadeByOtherWorkers() {
    Enforcer small =
        Enforcer.create(
            TestFilters.node(), new Enforcer.Config(64, 64, Enforcer.Timeouts.DEFAULT, now::get));
    Enforcer.Worker w1 = small.newWorker();
    Enforcer.Worker w2 = small.newWorker();
    byte[] data = udp("100.64.1.3", NODE4, 5000, 53);
    assertThat(w1.inbound(data, 0, data.length)).isEqualTo(Verdict.ACCEPT_RULE);
    assertThat(w1.inbound(data, 0, data.length)).isEqualTo(Verdict.ACCEPT_ESTABLISHED);
    assertThat(w1.inbound(data, 0, data.length))
        .isEqualTo(Verdict.ACCEPT_ESTABLISHED); // cached now
    for (int port = 6000; port < 10000; port++) { // each evicts w1's entry with probability >= 1/64
      byte[] other = udp("100.64.1.3", NODE4, port, 53);
      w2.inbound(other, 0, other.length);
    }
    assertThat(w1.inbound(data, 0, data.length)).isEqualTo(Verdict.ACCEPT_RULE);
  }

  /** Revocation reaches flows sitting in several workers' caches, both directions. */
  @Test
  void filterSwapBypassesEveryWorkersFlowCache() {
    Enforcer.Worker w2 = enforcer.newWorker();
    byte[] data = tcp("100.64.0.2", NODE4, 40000, 443, ACK | PSH);
    byte[] reply = tcp(NODE4, "100.64.0.2", 443, 40000, ACK);
    assertThat(in(tcp("100.64.0.2", NODE4, 40000, 443, SYN))).isEqualTo(Verdict.ACCEPT_RULE);
    assertThat(out(reply)).isEqualTo(Verdict.ACCEPT_OUTBOUND);
    for (int i = 0; i < 3; i++) {
      assertThat(in(data)).isEqualTo(Verdict.ACCEPT_ESTABLISHED);
      assertThat(w2.inbound(data, 0, data.length)).isEqualTo(Verdict.ACCEPT_ESTABLISHED);
      assertThat(w2.outbound(reply, 0, reply.length)).isEqualTo(Verdict.ACCEPT_OUTBOUND);
    }
    enforcer.update(TestFilters.revoked());
    assertThat(w2.outbound(reply, 0, reply.length)).isEqualTo(Verdict.DROP_REVOKED);
    assertThat(in(data)).isEqualTo(Verdict.DROP_REVOKED);
    assertThat(w2.inbound(data, 0, data.length)).isEqualTo(Verdict.DROP_REVOKED);
    assertThat(in(data)).isEqualTo(Verdict.DROP_REVOKED);
    assertThat(out(reply)).isEqualTo(Verdict.DROP_REVOKED);
  }

  @Test
  void fragmentsFollowTheFirstFragment() {
    byte[] l4 = concat(tcpHeader(40000, 443, SYN), new byte[4]);
    byte[] first = ip4("100.64.0.2", NODE4, 6, 0, true, 77, l4);
    byte[] second = ip4("100.64.0.2", NODE4, 6, 24, true, 77, new byte[16]);
    byte[] last = ip4("100.64.0.2", NODE4, 6, 40, false, 77, new byte[16]);
    assertThat(in(second)).isEqualTo(Verdict.DROP_FRAGMENT); // before its first fragment
    assertThat(in(first)).isEqualTo(Verdict.ACCEPT_RULE);
    assertThat(in(second)).isEqualTo(Verdict.ACCEPT_FRAGMENT);
    assertThat(in(last)).isEqualTo(Verdict.ACCEPT_FRAGMENT);
    assertThat(in(ip4("100.64.0.2", NODE4, 6, 24, false, 78, new byte[16])))
        .isEqualTo(Verdict.DROP_FRAGMENT);
    // RFC 1858: a fragment at offset 8 could rewrite the TCP ports/flags
    assertThat(in(ip4("100.64.0.2", NODE4, 6, 8, true, 77, new byte[16])))
        .isEqualTo(Verdict.DROP_FRAGMENT);
    // a denied first fragment takes its followers down
    byte[] badFirst = ip4("100.64.1.9", NODE4, 6, 0, true, 79, l4);
    assertThat(in(badFirst)).isEqualTo(Verdict.DROP_NO_RULE);
    assertThat(in(ip4("100.64.1.9", NODE4, 6, 24, false, 79, new byte[16])))
        .isEqualTo(Verdict.DROP_FRAGMENT);
    // first fragment too short to hold the TCP header
    assertThat(in(ip4("100.64.0.2", NODE4, 6, 0, true, 80, new byte[8])))
        .isEqualTo(Verdict.DROP_FRAGMENT);
    // expiry
    now.addAndGet(31_000);
    assertThat(in(last)).isEqualTo(Verdict.DROP_FRAGMENT);
    // outbound fragments always pass
    assertThat(out(ip4(NODE4, "100.64.0.2", 17, 800, false, 5, new byte[16])))
        .isEqualTo(Verdict.ACCEPT_OUTBOUND);
  }

  @Test
  void ipv6FragmentsFollowTheFirstFragment() {
    byte[] first =
        ip6(
            "fd7a::2",
            NODE6,
            44,
            fragHeader(6, 0, true, 0xABCDEF01),
            concat(tcpHeader(40000, 443, SYN), new byte[4]));
    byte[] second = ip6("fd7a::2", NODE6, 44, fragHeader(6, 24, false, 0xABCDEF01), new byte[16]);
    assertThat(in(second)).isEqualTo(Verdict.DROP_FRAGMENT);
    assertThat(in(first)).isEqualTo(Verdict.ACCEPT_RULE);
    assertThat(in(second)).isEqualTo(Verdict.ACCEPT_FRAGMENT);
    // RFC 7112: first fragment must hold the whole TCP header
    assertThat(in(ip6("fd7a::2", NODE6, 44, fragHeader(6, 0, true, 2), new byte[8])))
        .isEqualTo(Verdict.DROP_FRAGMENT);
    // fragment of another datagram id
    assertThat(in(ip6("fd7a::2", NODE6, 44, fragHeader(6, 24, false, 3), new byte[16])))
        .isEqualTo(Verdict.DROP_FRAGMENT);
  }

  @Test
  void updateFromBytesRejectsCorruptFilterAndKeepsTheOldOne() throws Exception {
    byte[] good = dev.tessera.enforcer.format.FilterCodec.encode(TestFilters.revoked());
    byte[] bad = good.clone();
    bad[bad.length / 2] ^= 0x40;
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> enforcer.update(bad))
        .isInstanceOf(dev.tessera.enforcer.format.FilterFormatException.class)
        .hasMessageContaining("checksum");
    assertThat(enforcer.filter()).isEqualTo(TestFilters.node());
    assertThat(in(udp("100.64.1.3", NODE4, 5353, 53))).isEqualTo(Verdict.ACCEPT_RULE);
    enforcer.update(good);
    assertThat(in(udp("100.64.1.3", NODE4, 5353, 54))).isEqualTo(Verdict.DROP_NO_RULE);
    assertThat(in(udp("100.64.1.3", NODE4, 5353, 53))).isEqualTo(Verdict.DROP_REVOKED);
  }

  @Test
  void countersSumAcrossWorkersAndThreads() throws Exception {
    byte[] p = tcp("100.64.1.9", NODE4, 1, 443, SYN);
    Thread t =
        new Thread(
            () -> {
              for (int i = 0; i < 1000; i++) {
                enforcer.inbound(p, 0, p.length);
              }
            });
    t.start();
    for (int i = 0; i < 500; i++) {
      in(p);
    }
    t.join();
    Counters c = enforcer.counters();
    assertThat(c.count(Direction.INBOUND, Verdict.DROP_NO_RULE)).isEqualTo(1500);
    assertThat(c.drops(Direction.INBOUND)).isEqualTo(1500);
    assertThat(c.inboundDropsByCode()).containsEntry("no-rule", 1500L);
  }

  /** Threads opening flows while another swaps filters: every reply to our own flows passes. */
  /**
   * A new flow goes to the emptier of its two windows. Filling the first window before the second
   * left runs of full slots long enough that, with two fifths of the table taken by established
   * flows, about one new flow per fill found both its windows full and was refused. Three fills
   * (three random hash keys) of 40 % each: none may be refused.
   */
  @Test
  void aTableTwoFifthsFullOfEstablishedFlowsRefusesNoNewFlow() {
    int capacity = 1 << 17;
    int flows = capacity * 2 / 5;
    for (int fill = 0; fill < 3; fill++) {
      Enforcer e =
          Enforcer.create(
              TestFilters.node(),
              new Enforcer.Config(capacity, 1024, capacity, Enforcer.Timeouts.DEFAULT, now::get));
      Enforcer.Worker w = e.newWorker();
      int refused = 0;
      for (int i = 0; i < flows; i++) {
        String peer = "100.64." + (8 + (i >>> 14)) + "." + (1 + (i >>> 8 & 0x3f));
        int port = 1024 + (i & 0xff) * 200 + fill;
        byte[] syn = tcp(NODE4, peer, port, 80, SYN);
        byte[] synAck = tcp(peer, NODE4, 80, port, SYN | ACK);
        if (w.outbound(syn, 0, syn.length) != Verdict.ACCEPT_OUTBOUND
            || w.inbound(synAck, 0, synAck.length) != Verdict.ACCEPT_REPLY) {
          refused++;
        }
      }
      assertThat(refused).as("flows refused in fill %d of %d flows", fill, flows).isZero();
      assertThat(e.counters().count(Direction.OUTBOUND, Verdict.DROP_CONNTRACK_FULL)).isZero();
    }
  }

  @Test
  void concurrentFlowsAndUpdates() throws Exception {
    Enforcer e =
        Enforcer.create(
            TestFilters.node(),
            new Enforcer.Config(1 << 17, 1024, Enforcer.Timeouts.DEFAULT, now::get));
    java.util.concurrent.atomic.AtomicBoolean stop =
        new java.util.concurrent.atomic.AtomicBoolean();
    java.util.concurrent.atomic.AtomicInteger wrong =
        new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.atomic.AtomicReference<String> firstWrong =
        new java.util.concurrent.atomic.AtomicReference<>();
    Thread updater =
        new Thread(
            () -> {
              while (!stop.get()) {
                e.update(TestFilters.revoked());
                e.update(TestFilters.node());
              }
            });
    Thread[] workers = new Thread[3];
    for (int t = 0; t < workers.length; t++) {
      int id = t;
      workers[t] =
          new Thread(
              () -> {
                Enforcer.Worker w = e.newWorker();
                for (int i = 0; i < 15_000; i++) {
                  int port = 1024 + i;
                  String peer = "100.64." + (2 + id) + "." + (1 + i % 200);
                  byte[] syn = tcp(NODE4, peer, port, 80, SYN);
                  byte[] synAck = tcp(peer, NODE4, 80, port, SYN | ACK);
                  byte[] ack = tcp(peer, NODE4, 80, port, ACK);
                  Verdict v1 = w.outbound(syn, 0, syn.length);
                  Verdict v2 = w.inbound(synAck, 0, synAck.length);
                  Verdict v3 = w.inbound(ack, 0, ack.length);
                  if (v1 != Verdict.ACCEPT_OUTBOUND
                      || v2 != Verdict.ACCEPT_REPLY
                      || v3 != Verdict.ACCEPT_REPLY) {
                    wrong.incrementAndGet();
                    firstWrong.compareAndSet(null, i + ": " + v1 + " " + v2 + " " + v3);
                  }
                }
              });
    }
    updater.start();
    for (Thread t : workers) {
      t.start();
    }
    for (Thread t : workers) {
      t.join();
    }
    stop.set(true);
    updater.join();
    assertThat(wrong.get()).as("first wrong: %s", firstWrong.get()).isZero();
    assertThat(e.counters().count(Direction.INBOUND, Verdict.ACCEPT_REPLY))
        .isEqualTo(2 * 3 * 15_000);
  }
}
