package dev.tessera.agent.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/**
 * Known-answer tests against published vectors (RFC 7693, RFC 7748, RFC 8439,
 * draft-irtf-cfrg-xchacha-03). Where no published vector exists (keyed BLAKE2s-128, HMAC-BLAKE2s)
 * the expected values come from an independent implementation (CPython's hashlib/hmac, which wraps
 * the BLAKE2 reference code); they guard the construction, not just round trips.
 */
class CryptoVectorsTest {
  private static final HexFormat HEX = HexFormat.of();
  private static final String SUNSCREEN = "Ladies and Gentlemen of the class of '99: If I could offer"
      + " you only one tip for the future, sunscreen would be it.";

  private static byte[] seq(int first, int n) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = (byte) (first + i);
    }
    return b;
  }

  @Test
  void blake2sRfc7693AppendixB() {
    assertThat(HEX.formatHex(Blake2s.hash("abc".getBytes(StandardCharsets.US_ASCII))))
        .isEqualTo("508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982");
  }

  @Test
  void blake2sMultiPartEqualsConcatenation() {
    assertThat(Blake2s.hash("ab".getBytes(), "c".getBytes())).isEqualTo(Blake2s.hash("abc".getBytes()));
  }

  @Test
  void keyedBlake2s128MatchesReferenceImplementation() {
    byte[] msg = "hello".getBytes(StandardCharsets.US_ASCII);
    assertThat(HEX.formatHex(Blake2s.mac(seq(0, 32), msg, 0, msg.length)))
        .isEqualTo("1f946dc212a39570bc06fd378517a91e");
  }

  @Test
  void hmacBlake2sMatchesReferenceImplementation() {
    byte[] mac = Blake2s.hmac("key".getBytes(), "The quick brown fox jumps over the lazy dog".getBytes());
    assertThat(HEX.formatHex(mac))
        .isEqualTo("f93215bb90d4af4c3061cd932fb169fb8bb8a91d0b4022baea1271e1323cd9a0");
  }

  @Test
  void kdfIsHkdfWithHmacBlake2s() {
    byte[] ck = seq(1, 32);
    byte[] input = seq(100, 32);
    byte[][] out = Blake2s.kdf(3, ck, input);
    byte[] prk = Blake2s.hmac(ck, input);
    byte[] t1 = Blake2s.hmac(prk, new byte[] {1});
    byte[] t2 = Blake2s.hmac(prk, t1, new byte[] {2});
    byte[] t3 = Blake2s.hmac(prk, t2, new byte[] {3});
    assertThat(out).isDeepEqualTo(new byte[][] {t1, t2, t3});
    assertThat(Blake2s.kdf(1, ck, input)[0]).isEqualTo(t1);
  }

  @Test
  void x25519Rfc7748Section52() {
    byte[] scalar = HEX.parseHex("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4");
    byte[] u = HEX.parseHex("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c");
    byte[] out = new byte[32];
    assertThat(X25519.sharedSecret(scalar, u, out)).isTrue();
    assertThat(HEX.formatHex(out))
        .isEqualTo("c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552");
  }

  @Test
  void x25519Rfc7748Section61DiffieHellman() {
    byte[] alice = HEX.parseHex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
    byte[] bob = HEX.parseHex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
    assertThat(HEX.formatHex(X25519.publicKey(alice)))
        .isEqualTo("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
    assertThat(HEX.formatHex(X25519.publicKey(bob)))
        .isEqualTo("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
    byte[] k1 = new byte[32];
    byte[] k2 = new byte[32];
    X25519.sharedSecret(alice, X25519.publicKey(bob), k1);
    X25519.sharedSecret(bob, X25519.publicKey(alice), k2);
    assertThat(HEX.formatHex(k1))
        .isEqualTo("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742")
        .isEqualTo(HEX.formatHex(k2));
  }

  @Test
  void x25519RejectsLowOrderPoint() {
    byte[] zeroPoint = new byte[32];
    byte[] out = new byte[32];
    assertThat(X25519.sharedSecret(seq(1, 32), zeroPoint, out)).isFalse();
  }

  @Test
  void chaCha20Poly1305Rfc8439Section282() {
    byte[] key = seq(0x80, 32);
    byte[] aad = HEX.parseHex("50515253c0c1c2c3c4c5c6c7");
    // RFC nonce 07000000 40414243 44454647 = 32-bit constant 7 || 64-bit IV. WireGuard's nonce is 4
    // zero bytes || counter, so drive the JDK cipher directly for the RFC layout.
    javax.crypto.Cipher c;
    try {
      c = javax.crypto.Cipher.getInstance("ChaCha20-Poly1305");
      c.init(javax.crypto.Cipher.ENCRYPT_MODE, ChaChaPoly.key(key),
          new javax.crypto.spec.IvParameterSpec(HEX.parseHex("070000004041424344454647")));
      c.updateAAD(aad);
      byte[] ct = c.doFinal(SUNSCREEN.getBytes(StandardCharsets.US_ASCII));
      assertThat(HEX.formatHex(ct)).isEqualTo(
          "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b"
              + "1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7"
              + "bc3ff4def08e4b7a9de576d26586cec64b6116" + "1ae10b594f09e26a7e902ecbd0600691");
    } catch (java.security.GeneralSecurityException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void wireGuardNonceIsFourZeroBytesThenLittleEndianCounter() {
    assertThat(HEX.formatHex(ChaChaPoly.nonce(0x0102030405060708L))).isEqualTo("000000000807060504030201");
    // Through seal/open: counter in the nonce must round-trip and mismatches must fail.
    byte[] key = seq(7, 32);
    byte[] ct = ChaChaPoly.seal(key, 42, "x".getBytes(), null);
    assertThat(ChaChaPoly.open(key, 42, ct, 0, ct.length, null)).isEqualTo("x".getBytes());
    assertThat(ChaChaPoly.open(key, 43, ct, 0, ct.length, null)).isNull();
  }

  @Test
  void hChaCha20DraftSection221() {
    byte[] out = new byte[32];
    HChaCha20.subkey(seq(0, 32), HEX.parseHex("000000090000004a0000000031415927"), 0, out);
    assertThat(HEX.formatHex(out))
        .isEqualTo("82413b4227b27bfed30e42508a877d73a0f9e4d58a74a853c12ec41326d3ecdc");
  }

  @Test
  void xChaCha20Poly1305DraftAppendixA31() {
    byte[] key = seq(0x80, 32);
    byte[] nonce = seq(0x40, 24);
    byte[] aad = HEX.parseHex("50515253c0c1c2c3c4c5c6c7");
    byte[] ct = XChaChaPoly.seal(key, nonce, SUNSCREEN.getBytes(StandardCharsets.US_ASCII), aad);
    assertThat(HEX.formatHex(ct)).isEqualTo(
        "bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb"
            + "731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b452"
            + "2f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff9"
            + "21f9664c97637da9768812f615c68b13b52e" + "c0875924c1c7987947deafd8780acf49");
    assertThat(new String(XChaChaPoly.open(key, nonce, ct, 0, ct.length, aad), StandardCharsets.US_ASCII))
        .isEqualTo(SUNSCREEN);
    ct[3] ^= 1;
    assertThat(XChaChaPoly.open(key, nonce, ct, 0, ct.length, aad)).isNull();
  }

  /** A separate JDK cipher instance (ChaChaPoly's per-thread one refuses key+nonce reuse). */
  private static byte[] referenceSeal(byte[] key, long counter, byte[] plain) {
    try {
      javax.crypto.Cipher c = javax.crypto.Cipher.getInstance("ChaCha20-Poly1305");
      c.init(javax.crypto.Cipher.ENCRYPT_MODE, ChaChaPoly.key(key),
          new javax.crypto.spec.IvParameterSpec(ChaChaPoly.nonce(counter)));
      return c.doFinal(plain);
    } catch (java.security.GeneralSecurityException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void sealPaddedEqualsSealOfZeroPaddedPlaintext() {
    byte[] key = seq(9, 32);
    var sk = ChaChaPoly.key(key);
    byte[] packet = seq(1, 37);
    for (int pad = 0; pad < 16; pad++) {
      ByteBuffer out = ByteBuffer.allocate(100);
      ByteBuffer in = ByteBuffer.wrap(packet);
      int n = ChaChaPoly.sealPadded(sk, 1000 + pad, in, pad, out);
      assertThat(in.position()).isZero();
      byte[] padded = java.util.Arrays.copyOf(packet, packet.length + pad);
      byte[] expected = referenceSeal(key, 1000 + pad, padded);
      assertThat(n).isEqualTo(expected.length);
      assertThat(java.util.Arrays.copyOf(out.array(), n)).isEqualTo(expected);
      // and decrypt through the ByteBuffer path
      ByteBuffer plain = ByteBuffer.allocateDirect(100);
      ByteBuffer ct = ByteBuffer.allocateDirect(n).put(expected).flip();
      assertThat(ChaChaPoly.openTransport(sk, 1000 + pad, ct, plain)).isEqualTo(packet.length + pad);
      assertThat(ct.position()).isZero();
    }
  }
}
