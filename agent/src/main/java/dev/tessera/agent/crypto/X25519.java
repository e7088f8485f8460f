package dev.tessera.agent.crypto;

import java.security.SecureRandom;

/**
 * Curve25519 Diffie-Hellman (RFC 7748) on raw 32-byte keys, as WireGuard uses it.
 *
 * <p>BouncyCastle's {@code rfc7748.X25519} works directly on byte arrays, which avoids the JDK's
 * XDH key-spec round trips (the JDK wants little-endian BigIntegers for public keys). Private keys
 * are clamped on generation exactly like {@code wg genkey}; the scalar multiplication clamps again
 * internally, so unclamped keys from configs behave identically.
 */
public final class X25519 {
  public static final int KEY_LENGTH = 32;

  private X25519() {}

  /** A random private key, clamped as in RFC 7748 section 5 and {@code wg genkey}. */
  public static byte[] generatePrivateKey(SecureRandom random) {
    byte[] k = new byte[KEY_LENGTH];
    random.nextBytes(k);
    clamp(k);
    return k;
  }

  /** Clamps a private scalar in place. */
  public static void clamp(byte[] k) {
    k[0] &= (byte) 248;
    k[31] &= 127;
    k[31] |= 64;
  }

  /** The public key {@code X25519(privateKey, 9)}. */
  public static byte[] publicKey(byte[] privateKey) {
    byte[] pub = new byte[KEY_LENGTH];
    org.bouncycastle.math.ec.rfc7748.X25519.scalarMultBase(privateKey, 0, pub, 0);
    return pub;
  }

  /**
   * Computes {@code X25519(privateKey, publicKey)} into {@code out[0..32)}.
   *
   * @return false if the result is all zeros (a low-order public key); WireGuard rejects the
   *     handshake in that case (wireguard-go {@code errZeroECDHResult}).
   */
  public static boolean sharedSecret(byte[] privateKey, byte[] publicKey, byte[] out) {
    return sharedSecret(privateKey, publicKey, 0, out);
  }

  /** As {@link #sharedSecret(byte[], byte[], byte[])} with the public key at an offset. */
  public static boolean sharedSecret(byte[] privateKey, byte[] publicKey, int pubOff, byte[] out) {
    org.bouncycastle.math.ec.rfc7748.X25519.scalarMult(privateKey, 0, publicKey, pubOff, out, 0);
    int acc = 0;
    for (int i = 0; i < KEY_LENGTH; i++) {
      acc |= out[i];
    }
    return acc != 0;
  }
}
