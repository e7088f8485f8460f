package dev.tessera.agent.crypto;

import java.util.Arrays;

/**
 * XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha section 2.3) built from {@link HChaCha20} and the
 * JDK's ChaCha20-Poly1305: subkey = HChaCha20(key, nonce[0..16)); then ChaCha20-Poly1305 with the
 * subkey and the 96-bit nonce {@code 0x00000000 || nonce[16..24)}. WireGuard uses it only for the
 * 24-byte random nonce of cookie replies (paper section 5.4.7).
 */
public final class XChaChaPoly {
  public static final int NONCE_LENGTH = 24;

  private XChaChaPoly() {}

  /** Encrypts {@code plain} with a 24-byte nonce and associated data; returns ct || tag. */
  public static byte[] seal(byte[] key, byte[] nonce24, byte[] plain, byte[] ad) {
    byte[] sub = new byte[32];
    HChaCha20.subkey(key, nonce24, 0, sub);
    try {
      return ChaChaPoly.seal(sub, counterOf(nonce24), plain, ad);
    } finally {
      Arrays.fill(sub, (byte) 0);
    }
  }

  /**
   * Decrypts {@code ct[off..off+len)}; returns the plaintext or null if it does not authenticate.
   */
  public static byte[] open(byte[] key, byte[] nonce24, byte[] ct, int off, int len, byte[] ad) {
    byte[] sub = new byte[32];
    HChaCha20.subkey(key, nonce24, 0, sub);
    try {
      return ChaChaPoly.open(sub, counterOf(nonce24), ct, off, len, ad);
    } finally {
      Arrays.fill(sub, (byte) 0);
    }
  }

  /** nonce[16..24) read little-endian, so ChaChaPoly.nonce() writes those bytes back verbatim. */
  private static long counterOf(byte[] n) {
    long v = 0;
    for (int i = 7; i >= 0; i--) {
      v = (v << 8) | (n[16 + i] & 0xff);
    }
    return v;
  }
}
