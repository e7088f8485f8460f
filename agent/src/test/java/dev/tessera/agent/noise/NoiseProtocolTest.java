package dev.tessera.agent.noise;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.agent.crypto.ChaChaPoly;
import dev.tessera.agent.crypto.X25519;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.HexFormat;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class NoiseProtocolTest {
  private static final HexFormat HEX = HexFormat.of();
  SecureRandom rnd;
  StaticIdentity initiator;
  StaticIdentity responder;
  Handshake iHs; // initiator's state for the responder
  Handshake rHs; // responder's state for the initiator

  @BeforeEach
  void setUp() throws Exception {
    rnd = SecureRandom.getInstance("SHA1PRNG");
    rnd.setSeed(42);
    initiator = new StaticIdentity(X25519.generatePrivateKey(rnd));
    responder = new StaticIdentity(X25519.generatePrivateKey(rnd));
    iHs = new Handshake(responder.publicKey());
    iHs.setLocalIdentity(initiator);
    rHs = new Handshake(initiator.publicKey());
    rHs.setLocalIdentity(responder);
  }

  /** ck0 and h0 as computed by an independent BLAKE2s (CPython hashlib). */
  @Test
  void initialChainingKeyAndHash() {
    assertThat(HEX.formatHex(NoiseProtocol.INITIAL_CHAIN_KEY))
        .isEqualTo("60e26daef327efc02ec335e2a025d2d016eb4206f87277f52d38d1988b78cd36");
    assertThat(HEX.formatHex(NoiseProtocol.INITIAL_HASH))
        .isEqualTo("2211b361081ac566691243db458ad5322d9c6c662293e8b70ee19c65ba079ef3");
  }

  private byte[] initiation(Instant t) {
    byte[] msg = new byte[Messages.INITIATION_SIZE];
    assertThat(
            NoiseProtocol.createInitiation(initiator, iHs, Tai64n.stamp(t), rnd, 0x11223344, msg))
        .isTrue();
    return msg;
  }

  private Keypair[] fullHandshake(byte[] psk) {
    iHs.setPresharedKey(psk);
    rHs.setPresharedKey(psk);
    byte[] init = initiation(Instant.parse("2026-01-01T00:00:00Z"));
    assertThat(init[0]).isEqualTo((byte) 1);
    assertThat(Messages.getIntLE(init, Messages.INIT_SENDER)).isEqualTo(0x11223344);
    var c = NoiseProtocol.beginConsumeInitiation(responder, init);
    assertThat(c).isNotNull();
    assertThat(c.peerStatic()).isEqualTo(initiator.publicKey());
    assertThat(NoiseProtocol.verifyTimestamp(c, rHs, init)).isTrue();
    assertThat(NoiseProtocol.commitInitiation(c, rHs, 0, 0)).isNull();
    byte[] resp = new byte[Messages.RESPONSE_SIZE];
    assertThat(NoiseProtocol.createResponse(rHs, rnd, 0x55667788, resp)).isTrue();
    assertThat(Messages.getIntLE(resp, Messages.RESP_RECEIVER)).isEqualTo(0x11223344);
    assertThat(NoiseProtocol.consumeResponse(initiator, iHs, resp)).isTrue();
    assertThat(iHs.hash).as("transcripts agree").isEqualTo(rHs.hash);
    Keypair ki = NoiseProtocol.deriveKeypair(iHs, 1);
    Keypair kr = NoiseProtocol.deriveKeypair(rHs, 1);
    assertThat(iHs.state()).isEqualTo(Handshake.State.ZEROED);
    assertThat(iHs.chainKey).containsOnly(0);
    return new Keypair[] {ki, kr};
  }

  @Test
  void handshakeDerivesCrossedKeys() {
    Keypair[] k = fullHandshake(null);
    assertThat(k[0].isInitiator()).isTrue();
    assertThat(k[1].isInitiator()).isFalse();
    assertThat(k[0].sendKey().getEncoded()).isEqualTo(k[1].receiveKey().getEncoded());
    assertThat(k[0].receiveKey().getEncoded()).isEqualTo(k[1].sendKey().getEncoded());
    assertThat(k[0].sendKey().getEncoded()).isNotEqualTo(k[0].receiveKey().getEncoded());
    assertThat(k[0].remoteIndex()).isEqualTo(0x55667788);
    assertThat(k[1].remoteIndex()).isEqualTo(0x11223344);
    byte[] ct = ChaChaPoly.seal(k[0].sendKey().getEncoded(), 0, "hi".getBytes(), null);
    assertThat(ChaChaPoly.open(k[1].receiveKey().getEncoded(), 0, ct, 0, ct.length, null))
        .isEqualTo("hi".getBytes());
  }

  @Test
  void pskChangesKeys() {
    byte[] noPsk = fullHandshake(null)[0].sendKey().getEncoded();
    setUpQuietly();
    byte[] psk = new byte[32];
    psk[0] = 1;
    byte[] withPsk = fullHandshake(psk)[0].sendKey().getEncoded();
    assertThat(withPsk).isNotEqualTo(noPsk);
  }

  private void setUpQuietly() {
    try {
      setUp();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void initiationForAnotherResponderDoesNotDecrypt() {
    byte[] init = initiation(Instant.now());
    StaticIdentity other = new StaticIdentity(X25519.generatePrivateKey(rnd));
    assertThat(NoiseProtocol.beginConsumeInitiation(other, init)).isNull();
  }

  @Test
  void timestampReplayAndFlood() {
    byte[] init = initiation(Instant.parse("2026-01-01T00:00:01Z"));
    var c = NoiseProtocol.beginConsumeInitiation(responder, init);
    assertThat(NoiseProtocol.verifyTimestamp(c, rHs, init)).isTrue();
    assertThat(NoiseProtocol.commitInitiation(c, rHs, 1_000, 20)).isNull();
    var again = NoiseProtocol.beginConsumeInitiation(responder, init);
    assertThat(NoiseProtocol.verifyTimestamp(again, rHs, init)).isTrue();
    assertThat(NoiseProtocol.commitInitiation(again, rHs, 5_000_000_000L, 20))
        .isEqualTo(NoiseProtocol.InitiationRejection.REPLAY);
    byte[] newer = initiation(Instant.parse("2026-01-01T00:00:02Z"));
    var n = NoiseProtocol.beginConsumeInitiation(responder, newer);
    assertThat(NoiseProtocol.verifyTimestamp(n, rHs, newer)).isTrue();
    assertThat(NoiseProtocol.commitInitiation(n, rHs, 1_010, 20))
        .isEqualTo(NoiseProtocol.InitiationRejection.FLOOD);
  }

  @Test
  void forgedResponseLeavesHandshakeIntact() {
    byte[] init = initiation(Instant.now());
    var c = NoiseProtocol.beginConsumeInitiation(responder, init);
    NoiseProtocol.verifyTimestamp(c, rHs, init);
    NoiseProtocol.commitInitiation(c, rHs, 0, 0);
    byte[] resp = new byte[Messages.RESPONSE_SIZE];
    NoiseProtocol.createResponse(rHs, rnd, 1, resp);
    byte[] forged = resp.clone();
    forged[Messages.RESP_EMPTY] ^= 1;
    byte[] hashBefore = iHs.hash.clone();
    assertThat(NoiseProtocol.consumeResponse(initiator, iHs, forged)).isFalse();
    assertThat(iHs.state()).isEqualTo(Handshake.State.INITIATION_CREATED);
    assertThat(iHs.hash).isEqualTo(hashBefore);
    assertThat(NoiseProtocol.consumeResponse(initiator, iHs, resp)).isTrue();
  }

  @Test
  void tai64nIsBigEndianWithLabelAndWhitenedNanos() {
    byte[] t = Tai64n.stamp(Instant.ofEpochSecond(1, 123_456_789));
    assertThat(HEX.formatHex(t, 0, 8)).isEqualTo("400000000000000b");
    // 123456789 with the low 24 bits cleared = 117440512 = 0x07000000
    assertThat(HEX.formatHex(t, 8, 12)).isEqualTo("07000000");
    assertThat(Tai64n.after(Tai64n.stamp(Instant.ofEpochSecond(2)), t)).isTrue();
  }
}
