package dev.tessera.agent.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.bouncycastle.crypto.InvalidCipherTextException;
import org.bouncycastle.crypto.digests.Blake2sDigest;
import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.modes.ChaCha20Poly1305;
import org.bouncycastle.crypto.params.AEADParameters;
import org.bouncycastle.crypto.params.HKDFParameters;
import org.bouncycastle.crypto.params.KeyParameter;
import org.junit.jupiter.api.Test;

/**
 * Known-answer tests of the agent's own crypto classes ({@link Blake2s}, {@link X25519}, {@link
 * ChaChaPoly}, {@link HChaCha20}, {@link XChaChaPoly}) against published vectors (RFC 7693, RFC
 * 7748, RFC 8439 appendix A.5, draft-irtf-cfrg-xchacha-03), each driven through the call WireGuard
 * makes (e.g. the RFC 8439 vector whose nonce is 4 zero bytes and a little-endian counter, which is
 * WireGuard's nonce layout). Where no published vector exists (keyed BLAKE2s-128 on one input,
 * HMAC-BLAKE2s) the expected values come from an independent implementation (CPython's
 * hashlib/hmac, which wraps the BLAKE2 reference code), and KDF_n is compared with BouncyCastle's
 * HKDF; the transport path is compared with BouncyCastle's ChaCha20-Poly1305.
 */
class CryptoVectorsTest {
  private static final HexFormat HEX = HexFormat.of();
  private static final String SUNSCREEN =
      "Ladies and Gentlemen of the class of '99: If I could offer"
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
    assertThat(Blake2s.hash("ab".getBytes(), "c".getBytes()))
        .isEqualTo(Blake2s.hash("abc".getBytes()));
  }

  @Test
  void keyedBlake2s128MatchesReferenceImplementation() {
    byte[] msg = "hello".getBytes(StandardCharsets.US_ASCII);
    assertThat(HEX.formatHex(Blake2s.mac(seq(0, 32), msg, 0, msg.length)))
        .isEqualTo("1f946dc212a39570bc06fd378517a91e");
  }

  @Test
  void hmacBlake2sMatchesReferenceImplementation() {
    byte[] mac =
        Blake2s.hmac("key".getBytes(), "The quick brown fox jumps over the lazy dog".getBytes());
    assertThat(HEX.formatHex(mac))
        .isEqualTo("f93215bb90d4af4c3061cd932fb169fb8bb8a91d0b4022baea1271e1323cd9a0");
  }

  /** RFC 7693 appendix E: the hash of 48 keyed and unkeyed hashes of Fibonacci-generated inputs. */
  @Test
  void blake2sRfc7693AppendixESelfTest() {
    // The agent computes BLAKE2s-256 (HASH) and keyed BLAKE2s-128 (MAC); the self-test's other
    // output lengths (and unkeyed 128-bit) come from BouncyCastle, so the grand hash pins all of
    // the agent's outputs to the reference's.
    Blake2sDigest grand = new Blake2sDigest(256);
    for (int outlen : new int[] {16, 20, 28, 32}) {
      for (int inlen : new int[] {0, 3, 64, 65, 255, 1024}) {
        byte[] in = selftestSeq(inlen, inlen);
        byte[] key = selftestSeq(outlen, outlen);
        byte[] unkeyed = outlen == 32 ? Blake2s.hash(in) : bcBlake2s(null, outlen, in);
        byte[] keyed =
            outlen == 16 ? Blake2s.mac(key, in, 0, in.length) : bcBlake2s(key, outlen, in);
        grand.update(unkeyed, 0, unkeyed.length);
        grand.update(keyed, 0, keyed.length);
      }
    }
    byte[] out = new byte[32];
    grand.doFinal(out, 0);
    assertThat(HEX.formatHex(out))
        .isEqualTo("6a411f08ce25adcdfb02aba641451cec53c598b24f4fc787fbdc88797f4c1dfe");
  }

  private static byte[] selftestSeq(int len, int seed) {
    byte[] out = new byte[len];
    int a = 0xDEAD4BAD * seed;
    int b = 1;
    for (int i = 0; i < len; i++) {
      int t = a + b;
      a = b;
      b = t;
      out[i] = (byte) (t >>> 24);
    }
    return out;
  }

  private static byte[] bcBlake2s(byte[] key, int outlen, byte[] in) {
    Blake2sDigest d = new Blake2sDigest(key, outlen, null, null);
    d.update(in, 0, in.length);
    byte[] out = new byte[outlen];
    d.doFinal(out, 0);
    return out;
  }

  /** KDF_n(ck, input) is HKDF-BLAKE2s with the chaining key as salt and empty info (RFC 5869). */
  @Test
  void kdfIsHkdfWithHmacBlake2s() {
    byte[] ck = seq(1, 32);
    for (byte[] input : new byte[][] {new byte[0], seq(100, 32)}) {
      HKDFBytesGenerator hkdf = new HKDFBytesGenerator(new Blake2sDigest(256));
      hkdf.init(new HKDFParameters(input, ck, null));
      byte[] okm = new byte[96];
      hkdf.generateBytes(okm, 0, 96);
      byte[][] out = Blake2s.kdf(3, ck, input);
      assertThat(HEX.formatHex(out[0]) + HEX.formatHex(out[1]) + HEX.formatHex(out[2]))
          .isEqualTo(HEX.formatHex(okm));
      assertThat(Blake2s.kdf(1, ck, input)[0]).isEqualTo(out[0]);
      assertThat(Blake2s.kdf(2, ck, input)).isDeepEqualTo(new byte[][] {out[0], out[1]});
    }
  }

  @Test
  void x25519Rfc7748Section52() {
    byte[] scalar =
        HEX.parseHex("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4");
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

  /**
   * RFC 8439 appendix A.5: its nonce {@code 00000000 0102030405060708} is WireGuard's layout (4
   * zero bytes, then the 64-bit counter 0x0807060504030201 little-endian), so the agent's own
   * seal/open with that counter must reproduce it.
   */
  @Test
  void chaCha20Poly1305Rfc8439AppendixA5() {
    byte[] key = HEX.parseHex("1c9240a5eb55d38af333888604f6b5f0473917c1402b80099dca5cbc207075c0");
    long counter = 0x0807060504030201L;
    byte[] aad = HEX.parseHex("f33388860000000000004e91");
    byte[] plain =
        HEX.parseHex(
            "496e7465726e65742d4472616674732061726520647261667420646f63756d65"
                + "6e74732076616c696420666f722061206d6178696d756d206f6620736978206d"
                + "6f6e74687320616e64206d617920626520757064617465642c207265706c6163"
                + "65642c206f72206f62736f6c65746564206279206f7468657220646f63756d65"
                + "6e747320617420616e792074696d652e20497420697320696e617070726f7072"
                + "6961746520746f2075736520496e7465726e65742d4472616674732061732072"
                + "65666572656e6365206d6174657269616c206f7220746f206369746520746865"
                + "6d206f74686572207468616e206173202fe2809c776f726b20696e2070726f67"
                + "726573732e2fe2809d");
    String expected =
        "64a0861575861af460f062c79be643bd5e805cfd345cf389f108670ac76c8cb2"
            + "4c6cfc18755d43eea09ee94e382d26b0bdb7b73c321b0100d4f03b7f355894cf"
            + "332f830e710b97ce98c8a84abd0b948114ad176e008d33bd60f982b1ff37c855"
            + "9797a06ef4f0ef61c186324e2b3506383606907b6a7c02b0f9f6157b53c867e4"
            + "b9166c767b804d46a59b5216cde7a4e99040c5a40433225ee282a1b0a06c523e"
            + "af4534d7f83fa1155b0047718cbc546a0d072b04b3564eea1b422273f548271a"
            + "0bb2316053fa76991955ebd63159434ecebb4e466dae5a1073a6727627097a10"
            + "49e617d91d361094fa68f0ff77987130305beaba2eda04df997b714d6c6f2c29"
            + "a6ad5cb4022b02709b"
            + "eead9d67890cbb22392336fea1851f38";
    assertThat(HEX.formatHex(ChaChaPoly.seal(key, counter, plain, aad))).isEqualTo(expected);
    byte[] ct = HEX.parseHex(expected);
    assertThat(ChaChaPoly.open(key, counter, ct, 0, ct.length, aad)).isEqualTo(plain);
    ct[ct.length - 1] ^= 1;
    assertThat(ChaChaPoly.open(key, counter, ct, 0, ct.length, aad)).isNull();
  }

  @Test
  void wireGuardNonceIsFourZeroBytesThenLittleEndianCounter() {
    assertThat(HEX.formatHex(ChaChaPoly.nonce(0x0102030405060708L)))
        .isEqualTo("000000000807060504030201");
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
    assertThat(HEX.formatHex(ct))
        .isEqualTo(
            "bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb"
                + "731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b452"
                + "2f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff9"
                + "21f9664c97637da9768812f615c68b13b52e"
                + "c0875924c1c7987947deafd8780acf49");
    assertThat(
            new String(
                XChaChaPoly.open(key, nonce, ct, 0, ct.length, aad), StandardCharsets.US_ASCII))
        .isEqualTo(SUNSCREEN);
    ct[3] ^= 1;
    assertThat(XChaChaPoly.open(key, nonce, ct, 0, ct.length, aad)).isNull();
  }

  /** BouncyCastle's ChaCha20-Poly1305 with WireGuard's nonce, no associated data. */
  private static byte[] referenceSeal(byte[] key, long counter, byte[] plain) {
    ChaCha20Poly1305 c = new ChaCha20Poly1305();
    byte[] nonce =
        ByteBuffer.allocate(12)
            .order(java.nio.ByteOrder.LITTLE_ENDIAN)
            .putInt(0)
            .putLong(counter)
            .array();
    c.init(true, new AEADParameters(new KeyParameter(key), 128, nonce, null));
    byte[] out = new byte[c.getOutputSize(plain.length)];
    int n = c.processBytes(plain, 0, plain.length, out, 0);
    try {
      c.doFinal(out, n);
    } catch (InvalidCipherTextException e) {
      throw new AssertionError(e);
    }
    return out;
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
      assertThat(ChaChaPoly.openTransport(sk, 1000 + pad, ct, plain))
          .isEqualTo(packet.length + pad);
      assertThat(ct.position()).isZero();
    }
  }
}
