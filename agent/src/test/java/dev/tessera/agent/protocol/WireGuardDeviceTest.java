package dev.tessera.agent.protocol;

import static dev.tessera.agent.protocol.TestNet.ipv4;
import static dev.tessera.agent.protocol.TestNet.ipv6;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.agent.crypto.WgKey;
import dev.tessera.agent.noise.Keypair;
import dev.tessera.agent.noise.Messages;
import dev.tessera.agent.protocol.TestNet.Node;
import dev.tessera.agent.timers.WgConstants;
import dev.tessera.net.IpPrefix;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Two (or three) devices wired back to back in memory with a fake clock. */
class WireGuardDeviceTest {
  TestNet net;
  Node a;
  Node b;

  @BeforeEach
  void setUp() {
    net = new TestNet();
    a = net.node("a", "192.0.2.1", 51820, 1);
    b = net.node("b", "192.0.2.2", 51821, 2);
    net.connect(a, "10.0.0.1/32", b, "10.0.0.2/32", null);
    b.peer(a).addAllowedIp(IpPrefix.parse("fd00::1/128"));
    a.peer(b).addAllowedIp(IpPrefix.parse("fd00::2/128"));
  }

  /** A sends one packet to B, which completes a handshake first. */
  private void establish() {
    a.tun(ipv4("10.0.0.1", "10.0.0.2", 10, 0));
    net.pump();
    assertThat(b.delivered).hasSize(1);
    b.delivered.clear();
    a.delivered.clear();
    net.advanceSeconds(1); // later handshakes need newer TAI64N timestamps
  }

  @Test
  void handshakeThenDataBothWays() {
    byte[] p1 = ipv4("10.0.0.1", "10.0.0.2", 100, 1);
    a.tun(p1);
    assertThat(a.sent).as("packet staged, initiation sent").hasSize(1);
    assertThat(a.sent.getFirst().bytes()).hasSize(Messages.INITIATION_SIZE);
    net.pump();
    // initiation -> response -> staged data (acts as key confirmation)
    assertThat(b.sentOfType(Messages.TYPE_RESPONSE)).isEqualTo(1);
    assertThat(b.delivered).containsExactly(p1);
    assertThat(b.deliveredFrom).containsExactly(b.peer(a));

    byte[] p2 = ipv4("10.0.0.2", "10.0.0.1", 1300, 2);
    b.tun(p2);
    net.pump();
    assertThat(a.delivered).containsExactly(p2);

    byte[] p6 = ipv6("fd00::1", "fd00::2", 333, 3);
    a.tun(p6);
    net.pump();
    assertThat(b.delivered).last().isEqualTo(p6);

    PeerStatus sa = a.peer(b).status();
    PeerStatus sb = b.peer(a).status();
    assertThat(sa.lastHandshakeEpochNanos()).isPositive();
    assertThat(sb.lastHandshakeEpochNanos()).isPositive();
    assertThat(sa.txBytes()).isEqualTo(sb.rxBytes());
    assertThat(sb.txBytes()).isEqualTo(sa.rxBytes());
    assertThat(sa.hasCurrentSession()).isTrue();
    assertThat(sb.hasCurrentSession()).isTrue();
    assertThat(a.dev.dropCounts().values()).allMatch(v -> v == 0);
    assertThat(b.dev.dropCounts().values()).allMatch(v -> v == 0);
  }

  @Test
  void transportMessagesArePaddedToSixteenBytes() {
    establish();
    for (int len : new int[] {1, 15, 16, 17, 100, 1380}) {
      a.sent.clear();
      byte[] p = ipv4("10.0.0.1", "10.0.0.2", len, len);
      a.tun(p);
      byte[] dg = a.sent.getFirst().bytes();
      int plainLen = dg.length - 32;
      assertThat(plainLen % 16).isZero();
      assertThat(plainLen).isBetween(p.length, p.length + 15);
      net.pump();
      assertThat(b.delivered).last().isEqualTo(p);
    }
    // padding never exceeds the MTU: a packet exactly MTU-sized is not padded
    a.sent.clear();
    byte[] full = ipv4("10.0.0.1", "10.0.0.2", 1420 - 28, 9);
    a.tun(full);
    assertThat(a.sent.getFirst().bytes()).hasSize(1420 + 32);
  }

  @Test
  void peerExcludedByPolicyExchangesNothingUntilReadmitted() {
    establish();
    b.peer(a).setExcludedByPolicy(true);
    // A's data on its still-valid session: dropped by B before decryption, counted.
    a.tun(ipv4("10.0.0.1", "10.0.0.2", 20, 1));
    net.pump();
    assertThat(b.delivered).isEmpty();
    assertThat(b.dev.dropCount(DropReason.PEER_NOT_IN_POLICY)).isEqualTo(1);
    // B sends nothing to A, not even a handshake.
    b.sent.clear();
    b.tun(ipv4("10.0.0.2", "10.0.0.1", 20, 2));
    assertThat(b.sent).isEmpty();
    assertThat(b.dev.dropCount(DropReason.PEER_NOT_IN_POLICY)).isEqualTo(2);
    // A's fresh handshake is not answered.
    a.peer(b).expireCurrentKeypairs();
    net.advanceSeconds(1);
    a.tun(ipv4("10.0.0.1", "10.0.0.2", 20, 3));
    net.pump();
    assertThat(b.sentOfType(Messages.TYPE_RESPONSE))
        .as("no response to the excluded peer")
        .isZero();
    assertThat(b.dev.dropCount(DropReason.PEER_NOT_IN_POLICY)).isEqualTo(3);
    net.runFor(30, 1); // timers do not make B talk to an excluded peer
    assertThat(b.sent).isEmpty();

    b.peer(a).setExcludedByPolicy(false);
    net.advanceSeconds(6); // past REKEY_TIMEOUT since A's last attempt
    byte[] p4 = ipv4("10.0.0.1", "10.0.0.2", 20, 4);
    a.tun(p4);
    net.pump();
    assertThat(b.delivered).as("A's queued packet 3 and packet 4").last().isEqualTo(p4);
    b.tun(ipv4("10.0.0.2", "10.0.0.1", 20, 5));
    net.pump();
    assertThat(a.delivered).hasSize(1);
  }

  @Test
  void readmittedPeerIsHeardOnItsOldSessionAndAnsweredAfterAFreshHandshake() {
    establish();
    b.peer(a).setExcludedByPolicy(true);
    a.tun(ipv4("10.0.0.1", "10.0.0.2", 20, 1));
    net.pump();
    assertThat(b.delivered).isEmpty();
    b.tun(ipv4("10.0.0.2", "10.0.0.1", 20, 9)); // dropped: B may not send to A now
    net.runFor(4, 0.1);
    b.peer(a).setExcludedByPolicy(false);
    byte[] again = ipv4("10.0.0.1", "10.0.0.2", 20, 2);
    a.tun(again); // A still holds its session: B receives on it
    net.pump();
    assertThat(b.delivered).containsExactly(again);
    byte[] reply = ipv4("10.0.0.2", "10.0.0.1", 20, 3);
    b.tun(reply); // B stopped sending on the old session: a new handshake carries the reply
    net.pump();
    assertThat(a.delivered).containsExactly(reply);
  }

  @Test
  void decryptedPacketWithForeignSourceIsDropped() {
    establish();
    // A claims to be 10.0.0.99, which B does not route to A
    a.tun(ipv4("10.0.0.99", "10.0.0.2", 20, 0));
    net.pump();
    assertThat(b.delivered).isEmpty();
    assertThat(b.dev.dropCount(DropReason.INNER_SOURCE_NOT_ALLOWED)).isEqualTo(1);
  }

  @Test
  void replayedTransportIsDropped() {
    establish();
    net.deliver = false;
    a.tun(ipv4("10.0.0.1", "10.0.0.2", 20, 5));
    TestNet.Sent s = net.inFlight.peek();
    net.deliver = true;
    net.pump();
    assertThat(b.delivered).hasSize(1);
    b.dev.onDatagram(ByteBuffer.wrap(s.bytes()), s.fromAddr(), b);
    assertThat(b.delivered).hasSize(1);
    assertThat(b.dev.dropCount(DropReason.REPLAYED)).isEqualTo(1);
  }

  @Test
  void replayedInitiationIsDropped() {
    net.deliver = false;
    a.tun(ipv4("10.0.0.1", "10.0.0.2", 20, 5));
    byte[] init = net.inFlight.peek().bytes();
    net.deliver = true;
    net.pump();
    net.advanceSeconds(1);
    b.dev.onDatagram(ByteBuffer.wrap(init), a.addr, b);
    assertThat(b.dev.dropCount(DropReason.HANDSHAKE_REPLAY)).isEqualTo(1);
    assertThat(b.sentOfType(Messages.TYPE_RESPONSE)).isEqualTo(1);
  }

  @Test
  void initiationFloodFromOnePeerIsThrottled() {
    a.tun(ipv4("10.0.0.1", "10.0.0.2", 20, 5));
    net.pump();
    // a second initiation within 1/50 s (forced by expiring A's keys): refused as a flood.
    // 17 ms: enough for a newer (whitened, ~16.8 ms resolution) TAI64N timestamp.
    net.advanceMillis(17);
    a.peer(b).expireCurrentKeypairs();
    a.tun(ipv4("10.0.0.1", "10.0.0.2", 20, 6));
    net.pump();
    assertThat(b.dev.dropCount(DropReason.HANDSHAKE_FLOOD)).isEqualTo(1);
    // after the interval it works again
    net.runFor(6, 0.5);
    assertThat(b.delivered).hasSize(2);
  }

  @Test
  void endpointRoamsToLatestAuthenticatedSource() {
    establish();
    InetSocketAddress moved = new InetSocketAddress(TestNet.addr("198.51.100.7"), 40000);
    net.move(a, moved);
    a.tun(ipv4("10.0.0.1", "10.0.0.2", 20, 1));
    net.pump();
    assertThat(b.peer(a).endpoint()).isEqualTo(moved);
    b.tun(ipv4("10.0.0.2", "10.0.0.1", 20, 2));
    net.pump();
    assertThat(a.delivered).hasSize(1);
    // an unauthenticated datagram from elsewhere must not move the endpoint
    byte[] junk = new byte[64];
    junk[0] = 4;
    b.dev.onDatagram(
        ByteBuffer.wrap(junk), new InetSocketAddress(TestNet.addr("203.0.113.9"), 1), b);
    assertThat(b.peer(a).endpoint()).isEqualTo(moved);
  }

  @Test
  void unknownPeerIsSilentlyIgnored() {
    Node c = net.node("c", "192.0.2.3", 51822, 3);
    c.dev.upsertPeer(
        new PeerConfig(b.publicKey, null, List.of(IpPrefix.parse("10.0.0.0/24")), b.addr, 0));
    c.tun(ipv4("10.0.0.3", "10.0.0.2", 20, 0));
    int sentBefore = b.sent.size();
    net.pump();
    assertThat(b.dev.dropCount(DropReason.UNKNOWN_PEER)).isEqualTo(1);
    assertThat(b.sent).hasSize(sentBefore);
  }

  @Test
  void presharedKeyMismatchFailsHandshake() {
    a.peer(b)
        .setPresharedKey(
            WgKey.of(
                new byte[] {
                  1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23,
                  24, 25, 26, 27, 28, 29, 30, 31, 32
                }));
    a.tun(ipv4("10.0.0.1", "10.0.0.2", 20, 0));
    net.pump();
    assertThat(a.dev.dropCount(DropReason.HANDSHAKE_DECRYPT_FAILED)).isEqualTo(1);
    assertThat(b.delivered).isEmpty();
    // with the same PSK on both sides it works
    WgKey psk = a.peer(b).presharedKey();
    b.peer(a).setPresharedKey(WgKey.of(psk.bytes()));
    net.runFor(6, 0.5);
    assertThat(b.delivered).hasSize(1);
  }

  @Test
  void noRouteAndMalformedTunPackets() {
    a.tun(ipv4("10.0.0.1", "10.9.9.9", 20, 0));
    a.tun(new byte[0]);
    a.tun(new byte[] {0x45, 0, 0});
    a.tun(new byte[] {0x10, 0, 0, 0});
    assertThat(a.dev.dropCount(DropReason.NO_ROUTE)).isEqualTo(1);
    assertThat(a.dev.dropCount(DropReason.TUN_MALFORMED)).isEqualTo(3);
    assertThat(a.sent).isEmpty();
  }

  @Test
  void cookieReplyUnderLoadThenHandshakeWithMac2() {
    b.dev.setUnderLoadOverride(true);
    a.tun(ipv4("10.0.0.1", "10.0.0.2", 20, 0));
    net.pump();
    assertThat(b.sentOfType(Messages.TYPE_COOKIE_REPLY)).isEqualTo(1);
    assertThat(b.sent.getLast().bytes()).hasSize(Messages.COOKIE_REPLY_SIZE);
    assertThat(b.dev.dropCount(DropReason.COOKIE_REQUIRED)).isEqualTo(1);
    assertThat(a.peer(b).cookieGenerator.hasFreshCookie(net.nanos)).isTrue();
    assertThat(b.delivered).isEmpty();
    // the retransmission after REKEY_TIMEOUT carries MAC2 and is accepted
    net.runFor(6, 0.25);
    assertThat(b.sentOfType(Messages.TYPE_RESPONSE)).isEqualTo(1);
    assertThat(b.delivered).hasSize(1);
  }

  @Test
  void cookieReplyWithWrongMac1AssociationIsRejected() {
    b.dev.setUnderLoadOverride(true);
    net.deliver = false;
    a.tun(ipv4("10.0.0.1", "10.0.0.2", 20, 0));
    TestNet.Sent init = net.inFlight.poll();
    b.dev.onDatagram(ByteBuffer.wrap(init.bytes()), init.fromAddr(), b);
    byte[] cookie = net.inFlight.poll().bytes();
    cookie[40] ^= 1;
    a.dev.onDatagram(ByteBuffer.wrap(cookie), b.addr, a);
    assertThat(a.dev.dropCount(DropReason.INVALID_COOKIE_REPLY)).isEqualTo(1);
    assertThat(a.peer(b).cookieGenerator.hasFreshCookie(net.nanos)).isFalse();
  }

  @Test
  void forcedExpiryRekeys() {
    establish();
    Keypair before = a.peer(b).currentKeypair();
    long initsBefore = a.sentOfType(Messages.TYPE_INITIATION);
    a.peer(b).expireCurrentKeypairs();
    byte[] p = ipv4("10.0.0.1", "10.0.0.2", 50, 7);
    a.tun(p);
    assertThat(a.sentOfType(Messages.TYPE_INITIATION)).isEqualTo(initsBefore + 1);
    net.advanceMillis(100);
    net.pump();
    assertThat(b.delivered).containsExactly(p);
    assertThat(a.peer(b).currentKeypair()).isNotSameAs(before);
    // and the other direction works on the new session
    b.tun(ipv4("10.0.0.2", "10.0.0.1", 10, 1));
    net.pump();
    assertThat(a.delivered).hasSize(1);
  }

  @Test
  void initiatorRekeysAfterRekeyAfterTime() {
    establish();
    Keypair first = a.peer(b).currentKeypair();
    long inits = a.sentOfType(Messages.TYPE_INITIATION);
    net.advanceSeconds(121);
    a.tun(ipv4("10.0.0.1", "10.0.0.2", 10, 1));
    assertThat(a.sentOfType(Messages.TYPE_INITIATION)).as("REKEY_AFTER_TIME").isEqualTo(inits + 1);
    net.pump();
    assertThat(b.delivered).hasSize(1);
    assertThat(a.peer(b).currentKeypair()).isNotSameAs(first);
  }

  @Test
  void keysAreRejectedAfterRejectAfterTime() {
    establish();
    net.advanceSeconds(181);
    net.deliver = false;
    b.tun(ipv4("10.0.0.2", "10.0.0.1", 10, 1));
    // B's keypair is too old to send: it stages the packet and initiates instead
    assertThat(net.inFlight).allMatch(s -> s.bytes()[0] == Messages.TYPE_INITIATION);
    net.deliver = true;
    net.pump();
    assertThat(a.delivered).hasSize(1);
  }

  @Test
  void initiatorRekeysAfterRekeyAfterMessages() {
    establish();
    net.advanceSeconds(5); // past the REKEY_TIMEOUT rate limit on initiations
    a.peer(b).currentKeypair().setSendNonceForTest(WgConstants.REKEY_AFTER_MESSAGES + 1);
    long inits = a.sentOfType(Messages.TYPE_INITIATION);
    a.tun(ipv4("10.0.0.1", "10.0.0.2", 10, 1));
    assertThat(a.sentOfType(Messages.TYPE_INITIATION)).isEqualTo(inits + 1);
  }

  @Test
  void passiveSideSendsKeepaliveAfterKeepaliveTimeout() {
    establish();
    net.runFor(12, 0.5); // let the keepalive for establish()'s packet go out
    a.tun(ipv4("10.0.0.1", "10.0.0.2", 10, 1));
    net.pump();
    long bTransport = b.transportSent();
    net.runFor(9, 0.5);
    assertThat(b.transportSent()).isEqualTo(bTransport);
    net.runFor(2, 0.5);
    assertThat(b.transportSent()).as("keepalive after 10 s").isEqualTo(bTransport + 1);
    assertThat(b.sent.getLast().bytes()).hasSize(Messages.TRANSPORT_MIN_SIZE);
    assertThat(a.delivered).as("keepalive is not delivered").isEmpty();
  }

  @Test
  void persistentKeepalive() {
    establish();
    b.peer(a).setPersistentKeepalive(25);
    long sent = b.transportSent();
    net.runFor(1, 0.5);
    assertThat(b.transportSent()).as("immediately when switched on").isEqualTo(sent + 1);
    net.runFor(24, 0.5);
    assertThat(b.transportSent()).isEqualTo(sent + 1);
    net.runFor(1.5, 0.5);
    assertThat(b.transportSent()).isEqualTo(sent + 2);
  }

  @Test
  void newHandshakeWhenDataGoesUnanswered() {
    establish();
    net.deliver = false; // B is unreachable now
    long inits = a.sentOfType(Messages.TYPE_INITIATION);
    a.tun(ipv4("10.0.0.1", "10.0.0.2", 10, 1));
    for (int i = 0; i < 30; i++) {
      net.advanceSeconds(0.5);
      a.timer();
    }
    // KEEPALIVE_TIMEOUT + REKEY_TIMEOUT = 15 s without reply -> new handshake
    assertThat(a.sentOfType(Messages.TYPE_INITIATION)).isEqualTo(inits + 1);
  }

  @Test
  void retransmitsHandshakeThenGivesUp() {
    net.deliver = false;
    a.tun(ipv4("10.0.0.1", "10.0.0.2", 10, 1));
    for (int i = 0; i < 2 * 130; i++) {
      net.advanceSeconds(0.5);
      a.timer();
    }
    // 1 + MAX_TIMER_HANDSHAKES + 1 attempts (wireguard-go: "after 20 attempts, giving up")
    assertThat(a.sentOfType(Messages.TYPE_INITIATION))
        .isEqualTo(WgConstants.MAX_TIMER_HANDSHAKES + 2);
    // staged packets were flushed: when B comes back nothing old is delivered
    net.inFlight.clear();
    net.deliver = true;
    a.tun(ipv4("10.0.0.1", "10.0.0.2", 10, 2));
    net.pump();
    assertThat(b.delivered).hasSize(1);
    assertThat(b.delivered.getFirst()[28]).isEqualTo((byte) 2);
  }

  @Test
  void stagedQueueIsBounded() {
    net.deliver = false;
    for (int i = 0; i < 200; i++) {
      a.tun(ipv4("10.0.0.1", "10.0.0.2", 10, i));
    }
    assertThat(a.dev.dropCount(DropReason.STAGED_QUEUE_FULL)).isEqualTo(200 - 128);
    net.deliver = true;
    net.pump();
    assertThat(b.delivered).hasSize(128);
    assertThat(b.delivered.getFirst()[28]).as("oldest dropped first").isEqualTo((byte) 72);
  }

  @Test
  void responderKeepsPreviousSessionUntilConfirmation() {
    establish();
    Keypair bCurrent = b.peer(a).currentKeypair();
    // A starts a new handshake; B answers but must keep sending on the old keypair until A confirms
    a.peer(b).expireCurrentKeypairs();
    net.deliver = false;
    a.peer(b).sendKeepalive(a);
    TestNet.Sent init = net.inFlight.poll();
    b.dev.onDatagram(ByteBuffer.wrap(init.bytes()), init.fromAddr(), b);
    assertThat(b.peer(a).currentKeypair()).isSameAs(bCurrent);
    assertThat(b.peer(a).nextKeypairForTest()).isNotNull();
    net.deliver = true;
    net.pump();
    assertThat(b.peer(a).currentKeypair()).isNotSameAs(bCurrent);
    assertThat(b.peer(a).previousKeypairForTest()).isSameAs(bCurrent);
  }

  @Test
  void removingPeersReleasesIndicesAndRoutes() {
    establish();
    assertThat(a.dev.indexCount()).isPositive();
    assertThat(a.dev.removePeer(b.publicKey)).isTrue();
    assertThat(a.dev.indexCount()).isZero();
    a.tun(ipv4("10.0.0.1", "10.0.0.2", 10, 1));
    assertThat(a.dev.dropCount(DropReason.NO_ROUTE)).isEqualTo(1);
    // B's packets for the removed peer's indices are now unknown
    b.tun(ipv4("10.0.0.2", "10.0.0.1", 10, 1));
    net.pump();
    assertThat(a.dev.dropCount(DropReason.UNKNOWN_RECEIVER_INDEX)).isEqualTo(1);
  }

  @Test
  void changingPrivateKeyExpiresSessionsAndRejectsSelfPeer() {
    establish();
    WgKey newKey = WgKey.generatePrivate(TestNet.seeded(99));
    b.dev.upsertPeer(new PeerConfig(newKey.publicKey(), null, List.of(), null, 0));
    assertThat(b.dev.peers()).hasSize(2);
    b.dev.setPrivateKey(newKey);
    assertThat(b.dev.peers()).as("peer with our own new key is removed").hasSize(1);
    assertThat(b.dev.publicKey()).contains(newKey.publicKey());
  }

  @Test
  void statusReportsConfiguration() {
    Peer p = a.peer(b);
    p.setPersistentKeepalive(15);
    PeerStatus s = p.status();
    assertThat(s.publicKey()).isEqualTo(b.publicKey);
    assertThat(s.endpoint()).isEqualTo(b.addr);
    assertThat(s.allowedIps())
        .containsExactly(IpPrefix.parse("10.0.0.2/32"), IpPrefix.parse("fd00::2/128"));
    assertThat(s.persistentKeepaliveSeconds()).isEqualTo(15);
    assertThat(s.lastHandshakeEpochNanos()).isZero();
    assertThat(s.hasCurrentSession()).isFalse();
  }

  @Test
  void keyMaterialIsZeroedAfterThreeTimesRejectAfterTime() {
    establish();
    Keypair kp = a.peer(b).currentKeypair();
    net.deliver = false; // no more handshakes complete
    for (int i = 0; i < 560; i++) {
      net.advanceSeconds(1);
      a.timer();
      b.timer();
    }
    assertThat(kp.sendKey().isDestroyed()).isTrue();
    assertThat(a.peer(b).currentKeypair()).isNull();
    assertThat(a.dev.indexCount()).isZero();
  }

  @Test
  void nextTimerDeadlineTracksPendingTimers() {
    assertThat(a.dev.nextTimerDeadlineNanos()).isEqualTo(Long.MAX_VALUE);
    net.deliver = false;
    a.tun(ipv4("10.0.0.1", "10.0.0.2", 10, 1));
    long d = a.dev.nextTimerDeadlineNanos();
    // retransmit after REKEY_TIMEOUT plus up to 334 ms jitter
    assertThat(d - net.nanos)
        .isBetween(WgConstants.REKEY_TIMEOUT, WgConstants.REKEY_TIMEOUT + 334_000_000L);
  }

  @Test
  void underLoadHandshakesWithValidMac2AreRateLimitedPerSource() {
    b.dev.setUnderLoadOverride(true);
    a.tun(ipv4("10.0.0.1", "10.0.0.2", 20, 0));
    net.pump(); // cookie reply
    net.deliver = false;
    net.advanceSeconds(6);
    a.timer(); // retransmission, now with MAC2
    byte[] init = net.inFlight.poll().bytes();
    for (int i = 0; i < 12; i++) {
      b.dev.onDatagram(ByteBuffer.wrap(init), a.addr, b);
    }
    // burst of 5 passes the limiter (1 answered, 4 refused as replays); the rest are rate limited
    assertThat(b.sentOfType(Messages.TYPE_RESPONSE)).isEqualTo(1);
    assertThat(b.dev.dropCount(DropReason.HANDSHAKE_REPLAY)).isEqualTo(4);
    assertThat(b.dev.dropCount(DropReason.RATE_LIMITED)).isEqualTo(7);
  }

  @Test
  void ipv6Endpoints() {
    Node c = net.node("c", "2001:db8::c", 51820, 5);
    Node d = net.node("d", "2001:db8::d", 51820, 6);
    net.connect(c, "10.1.0.1/32", d, "10.1.0.2/32", null);
    byte[] p = ipv4("10.1.0.1", "10.1.0.2", 64, 1);
    c.tun(p);
    net.pump();
    assertThat(d.delivered).containsExactly(p);
    assertThat(d.peer(c).endpoint()).isEqualTo(c.addr);
  }

  @Test
  void configChangesWhileTrafficFlows() throws Exception {
    establish();
    java.util.concurrent.atomic.AtomicBoolean stop =
        new java.util.concurrent.atomic.AtomicBoolean();
    Thread churn =
        new Thread(
            () -> {
              int i = 0;
              while (!stop.get()) {
                Peer p = b.peer(a);
                p.replaceAllowedIps(
                    List.of(
                        IpPrefix.parse("10.0.0.1/32"),
                        IpPrefix.parse("10.9." + (i % 200) + ".0/24")));
                p.setPersistentKeepalive(i % 2 == 0 ? 0 : 25);
                i++;
              }
            });
    churn.start();
    try {
      for (int i = 0; i < 2000; i++) {
        a.tun(ipv4("10.0.0.1", "10.0.0.2", 30, i));
        net.pump();
      }
    } finally {
      stop.set(true);
      churn.join();
    }
    assertThat(b.delivered).hasSize(2000);
  }
}
