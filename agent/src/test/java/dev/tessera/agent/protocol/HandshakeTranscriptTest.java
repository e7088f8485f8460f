package dev.tessera.agent.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.agent.crypto.WgKey;
import dev.tessera.net.IpPrefix;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.bouncycastle.crypto.agreement.X25519Agreement;
import org.bouncycastle.crypto.digests.Blake2sDigest;
import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.modes.ChaCha20Poly1305;
import org.bouncycastle.crypto.params.AEADParameters;
import org.bouncycastle.crypto.params.HKDFParameters;
import org.bouncycastle.crypto.params.KeyParameter;
import org.bouncycastle.crypto.params.X25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.X25519PublicKeyParameters;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Differential test of the whole handshake and the first transport datagram: two real {@link
 * WireGuardDevice}s with fixed static keys, fixed ephemeral keys (through the injected random
 * source), a fixed wall clock and a fixed PSK exchange an initiation, a response and one data
 * packet; a separate reference written here from the WireGuard paper (section 5.4) on
 * BouncyCastle's lightweight primitives (X25519Agreement, Blake2sDigest, HKDFBytesGenerator,
 * ChaCha20Poly1305) computes the same three datagrams, and they must be equal byte for byte, MAC1
 * included. Sender indices are random by design; the reference takes them from the wire (they are
 * covered by MAC1 and, for the transport datagram, select the key).
 */
class HandshakeTranscriptTest {
  private static final HexFormat HEX = HexFormat.of();
  private static final byte[] INITIATOR_STATIC =
      HEX.parseHex("e84b5a6e9d3c20b6a85d2c01f2b3f0a1c9e8d7b6a5f4e3d2c1b0a9f8e7d6c5b4");
  private static final byte[] RESPONDER_STATIC =
      HEX.parseHex("58a3c7e9f1d2b4a6081a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f70");
  private static final byte[] INITIATOR_EPHEMERAL =
      HEX.parseHex("a8b9cadbecfd0e1f2031425364758697a8b9cadbecfd0e1f2031425364758657");
  private static final byte[] RESPONDER_EPHEMERAL =
      HEX.parseHex("10213243546576879809aabbccddeeff0112233445566778899aabbccddeef7f");
  private static final byte[] PSK =
      HEX.parseHex("fedcba98765432100123456789abcdeffedcba98765432100123456789abcdef");

  /** A wall-clock time with nanoseconds below the TAI64N whitening granularity set. */
  private static final Instant WALL = Instant.parse("2026-11-26T12:00:00.123456789Z");

  /**
   * A random source whose 32-byte draws (ephemeral private keys; also the cookie secret) are one
   * fixed value, and whose other draws (sender indices, jitter) are a fixed counter pattern.
   */
  private static final class FixedRandom extends SecureRandom {
    private final byte[] key32;
    private int counter = 1;

    FixedRandom(byte[] key32) {
      this.key32 = key32.clone();
    }

    @Override
    public void nextBytes(byte[] bytes) {
      if (bytes.length == 32) {
        System.arraycopy(key32, 0, bytes, 0, 32);
        return;
      }
      for (int i = 0; i < bytes.length; i++) {
        bytes[i] = (byte) (counter++ * 37);
      }
    }
  }

  private static final class Wire implements Output {
    final List<byte[]> sent = new ArrayList<>();
    final List<byte[]> delivered = new ArrayList<>();

    @Override
    public void sendDatagram(ByteBuffer datagram, InetSocketAddress to) {
      byte[] b = new byte[datagram.remaining()];
      datagram.get(datagram.position(), b);
      sent.add(b);
    }

    @Override
    public void deliverToTun(ByteBuffer ipPacket, Peer from) {
      byte[] b = new byte[ipPacket.remaining()];
      ipPacket.get(ipPacket.position(), b);
      delivered.add(b);
    }
  }

  private static WireGuardDevice device(byte[] staticKey, byte[] ephemeral, int port) {
    WireGuardDevice dev =
        new WireGuardDevice(
            DeviceOptions.defaults()
                .withClocks(() -> 5_000_000_000_000L, () -> WALL)
                .withRandom(new FixedRandom(ephemeral)));
    dev.setPrivateKey(WgKey.of(staticKey));
    dev.setListenPort(port);
    return dev;
  }

  @ParameterizedTest(name = "{0}-byte payload")
  @ValueSource(ints = {0, 5, 16, 37})
  void initiationResponseAndFirstTransportDatagramMatchThePaper(int payloadLen) {
    InetSocketAddress iAddr = new InetSocketAddress(TestNet.addr("192.0.2.1"), 51820);
    InetSocketAddress rAddr = new InetSocketAddress(TestNet.addr("192.0.2.2"), 51821);
    WireGuardDevice initiator = device(INITIATOR_STATIC, INITIATOR_EPHEMERAL, iAddr.getPort());
    WireGuardDevice responder = device(RESPONDER_STATIC, RESPONDER_EPHEMERAL, rAddr.getPort());
    byte[] iPub = Ref.publicKey(INITIATOR_STATIC);
    byte[] rPub = Ref.publicKey(RESPONDER_STATIC);
    initiator.upsertPeer(
        new PeerConfig(
            WgKey.of(rPub), WgKey.of(PSK), List.of(IpPrefix.parse("10.0.0.2/32")), rAddr, 0));
    responder.upsertPeer(
        new PeerConfig(
            WgKey.of(iPub), WgKey.of(PSK), List.of(IpPrefix.parse("10.0.0.1/32")), iAddr, 0));
    Wire iWire = new Wire();
    Wire rWire = new Wire();

    byte[] packet = TestNet.ipv4("10.0.0.1", "10.0.0.2", payloadLen, 7);
    initiator.onTunPacket(ByteBuffer.wrap(packet), iWire);
    assertThat(iWire.sent).hasSize(1);
    byte[] initiation = iWire.sent.getFirst();
    responder.onDatagram(ByteBuffer.wrap(initiation), iAddr, rWire);
    assertThat(rWire.sent).hasSize(1);
    byte[] response = rWire.sent.getFirst();
    initiator.onDatagram(ByteBuffer.wrap(response), rAddr, iWire);
    assertThat(iWire.sent).hasSize(2);
    byte[] transport = iWire.sent.get(1);

    int iIndex = le32(initiation, 4);
    int rIndex = le32(response, 4);
    Ref.Transcript ref =
        Ref.handshake(
            INITIATOR_STATIC,
            RESPONDER_STATIC,
            INITIATOR_EPHEMERAL,
            RESPONDER_EPHEMERAL,
            PSK,
            Ref.tai64n(WALL),
            iIndex,
            rIndex);
    assertThat(HEX.formatHex(initiation)).isEqualTo(HEX.formatHex(ref.initiation()));
    assertThat(HEX.formatHex(response)).isEqualTo(HEX.formatHex(ref.response()));
    byte[] expectedTransport = Ref.transport(ref.initiatorSend(), rIndex, 0, packet);
    assertThat(HEX.formatHex(transport)).isEqualTo(HEX.formatHex(expectedTransport));

    // and the responder decrypts it with the key the reference derived for its receive direction
    responder.onDatagram(ByteBuffer.wrap(transport), iAddr, rWire);
    assertThat(rWire.delivered).hasSize(1);
    assertThat(rWire.delivered.getFirst()).isEqualTo(packet);
    assertThat(ref.responderReceive()).isEqualTo(ref.initiatorSend());
  }

  private static int le32(byte[] b, int off) {
    return ByteBuffer.wrap(b, off, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
  }

  /**
   * WireGuard's handshake written out from the paper, section 5.4, one line per step, on
   * BouncyCastle primitives and nothing from the agent.
   */
  static final class Ref {
    private Ref() {}

    record Transcript(
        byte[] initiation,
        byte[] response,
        byte[] initiatorSend,
        byte[] initiatorReceive,
        byte[] responderSend,
        byte[] responderReceive) {}

    static byte[] publicKey(byte[] priv) {
      return new X25519PrivateKeyParameters(priv).generatePublicKey().getEncoded();
    }

    static byte[] dh(byte[] priv, byte[] pub) {
      X25519Agreement a = new X25519Agreement();
      a.init(new X25519PrivateKeyParameters(priv));
      byte[] out = new byte[32];
      a.calculateAgreement(new X25519PublicKeyParameters(pub), out, 0);
      return out;
    }

    static byte[] hash(byte[]... parts) {
      Blake2sDigest d = new Blake2sDigest(256);
      for (byte[] p : parts) {
        d.update(p, 0, p.length);
      }
      byte[] out = new byte[32];
      d.doFinal(out, 0);
      return out;
    }

    /** MAC(key, x) = keyed BLAKE2s with a 16-byte output. */
    static byte[] mac(byte[] key, byte[] data, int len) {
      Blake2sDigest d = new Blake2sDigest(key, 16, null, null);
      d.update(data, 0, len);
      byte[] out = new byte[16];
      d.doFinal(out, 0);
      return out;
    }

    /** KDF_n(key, input) = HKDF(salt = key, ikm = input, info = empty), n 32-byte outputs. */
    static byte[][] kdf(int n, byte[] key, byte[] input) {
      HKDFBytesGenerator g = new HKDFBytesGenerator(new Blake2sDigest(256));
      g.init(new HKDFParameters(input, key, null));
      byte[] okm = new byte[32 * n];
      g.generateBytes(okm, 0, okm.length);
      byte[][] out = new byte[n][];
      for (int i = 0; i < n; i++) {
        out[i] = Arrays.copyOfRange(okm, 32 * i, 32 * i + 32);
      }
      return out;
    }

    /** AEAD(key, counter, plain, auth): ChaCha20-Poly1305, nonce = 32 zero bits || LE64 counter. */
    static byte[] aead(byte[] key, long counter, byte[] plain, byte[] auth) {
      byte[] nonce =
          ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putInt(0).putLong(counter).array();
      ChaCha20Poly1305 c = new ChaCha20Poly1305();
      c.init(true, new AEADParameters(new KeyParameter(key), 128, nonce, auth));
      byte[] out = new byte[c.getOutputSize(plain.length)];
      int n = c.processBytes(plain, 0, plain.length, out, 0);
      try {
        c.doFinal(out, n);
      } catch (org.bouncycastle.crypto.InvalidCipherTextException e) {
        throw new AssertionError(e);
      }
      return out;
    }

    /** TAI64N: big-endian 2^62 + 10 + seconds, big-endian nanoseconds (low 24 bits cleared). */
    static byte[] tai64n(Instant t) {
      return ByteBuffer.allocate(12)
          .putLong(0x400000000000000aL + t.getEpochSecond())
          .putInt(t.getNano() & ~0xffffff)
          .array();
    }

    static Transcript handshake(
        byte[] siPriv,
        byte[] srPriv,
        byte[] eiPriv,
        byte[] erPriv,
        byte[] q,
        byte[] timestamp,
        int iIndex,
        int rIndex) {
      byte[] siPub = publicKey(siPriv);
      byte[] srPub = publicKey(srPriv);
      byte[] empty = new byte[0];
      // 5.4.2 initiator -> responder
      byte[] ci = hash("Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s".getBytes(StandardCharsets.US_ASCII));
      byte[] hi =
          hash(ci, "WireGuard v1 zx2c4 Jason@zx2c4.com".getBytes(StandardCharsets.US_ASCII));
      hi = hash(hi, srPub);
      byte[] eiPub = publicKey(eiPriv);
      ci = kdf(1, ci, eiPub)[0];
      hi = hash(hi, eiPub);
      byte[][] ck = kdf(2, ci, dh(eiPriv, srPub));
      ci = ck[0];
      byte[] encStatic = aead(ck[1], 0, siPub, hi);
      hi = hash(hi, encStatic);
      ck = kdf(2, ci, dh(siPriv, srPub));
      ci = ck[0];
      byte[] encTimestamp = aead(ck[1], 0, timestamp, hi);
      hi = hash(hi, encTimestamp);
      ByteBuffer init = ByteBuffer.allocate(148).order(ByteOrder.LITTLE_ENDIAN);
      init.putInt(1).putInt(iIndex).put(eiPub).put(encStatic).put(encTimestamp);
      byte[] initiation = init.array();
      byte[] mac1 =
          mac(hash("mac1----".getBytes(StandardCharsets.US_ASCII), srPub), initiation, 116);
      System.arraycopy(mac1, 0, initiation, 116, 16); // mac2 stays zero: no cookie
      // 5.4.3 responder -> initiator
      byte[] cr = ci;
      byte[] hr = hi;
      byte[] erPub = publicKey(erPriv);
      cr = kdf(1, cr, erPub)[0];
      hr = hash(hr, erPub);
      cr = kdf(1, cr, dh(erPriv, eiPub))[0];
      cr = kdf(1, cr, dh(erPriv, siPub))[0];
      byte[][] ctk = kdf(3, cr, q);
      cr = ctk[0];
      hr = hash(hr, ctk[1]);
      byte[] encEmpty = aead(ctk[2], 0, empty, hr);
      ByteBuffer resp = ByteBuffer.allocate(92).order(ByteOrder.LITTLE_ENDIAN);
      resp.putInt(2).putInt(rIndex).putInt(iIndex).put(erPub).put(encEmpty);
      byte[] response = resp.array();
      byte[] rmac1 = mac(hash("mac1----".getBytes(StandardCharsets.US_ASCII), siPub), response, 60);
      System.arraycopy(rmac1, 0, response, 60, 16);
      // 5.4.5 transport keys: (T_i^send = T_r^recv, T_i^recv = T_r^send) = KDF2(C, empty)
      byte[][] t = kdf(2, cr, empty);
      return new Transcript(initiation, response, t[0], t[1], t[1], t[0]);
    }

    /** 5.4.6: type 4 | receiver | LE64 counter | AEAD(T_send, counter, P padded to 16, empty). */
    static byte[] transport(byte[] key, int receiver, long counter, byte[] packet) {
      byte[] padded = Arrays.copyOf(packet, (packet.length + 15) & -16);
      byte[] sealed = aead(key, counter, padded, new byte[0]);
      return ByteBuffer.allocate(16 + sealed.length)
          .order(ByteOrder.LITTLE_ENDIAN)
          .putInt(4)
          .putInt(receiver)
          .putLong(counter)
          .put(sealed)
          .array();
    }
  }
}
