package dev.tessera.bundle;

import java.math.BigInteger;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import org.bouncycastle.math.ec.rfc7748.X25519;

/**
 * The two small bridges between Ed25519 and X25519 that let one server key both sign bundles and
 * authenticate nodes by their WireGuard keys.
 *
 * <p>Ed25519 and X25519 are the same curve in two coordinate systems (RFC 7748 section 4.1 gives
 * the birational map {@code u = (1 + y) / (1 - y)}). An Ed25519 secret key's scalar is the clamped
 * first half of SHA-512(seed) (RFC 8032 section 5.1.5), so that scalar used with X25519 yields the
 * Montgomery image of the Ed25519 public key. This is the conversion libsodium calls {@code
 * crypto_sign_ed25519_pk_to_curve25519}; a node that knows only the server's Ed25519 public key can
 * therefore run Diffie-Hellman with the server.
 */
final class Curve25519 {
  private static final BigInteger P = BigInteger.TWO.pow(255).subtract(BigInteger.valueOf(19));

  private Curve25519() {}

  /** Montgomery u-coordinate (32 bytes, little-endian) of an Ed25519 public key. */
  static byte[] edwardsToMontgomery(byte[] edPublic) {
    if (edPublic.length != 32) {
      throw new IllegalArgumentException(
          "Ed25519 public key must be 32 bytes, got " + edPublic.length);
    }
    byte[] be = reverse(edPublic);
    be[0] &= 0x7f; // the top bit is the sign of x, not part of y
    BigInteger y = new BigInteger(1, be);
    if (y.compareTo(P) >= 0) {
      throw new IllegalArgumentException("Ed25519 public key is not canonical");
    }
    BigInteger oneMinusY = BigInteger.ONE.subtract(y).mod(P);
    if (oneMinusY.signum() == 0) {
      throw new IllegalArgumentException("Ed25519 public key is the identity point");
    }
    BigInteger u = BigInteger.ONE.add(y).multiply(oneMinusY.modInverse(P)).mod(P);
    return toLittleEndian32(u);
  }

  /** The X25519 scalar of an Ed25519 seed (clamping happens inside X25519). */
  static byte[] scalarOfSeed(byte[] seed) {
    try {
      byte[] h = MessageDigest.getInstance("SHA-512").digest(seed);
      byte[] scalar = Arrays.copyOf(h, 32);
      Arrays.fill(h, (byte) 0);
      return scalar;
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-512 is required by every Java platform", e);
    }
  }

  /**
   * X25519(scalar, u). Returns null when the result is all zeros, i.e. the peer's point has small
   * order: such a "shared secret" is known to everyone and must not authenticate anything.
   */
  /** Every Diffie-Hellman this process ran (tests check that a flood of requests runs none). */
  static final java.util.concurrent.atomic.AtomicLong DH_COUNT =
      new java.util.concurrent.atomic.AtomicLong();

  static byte[] dh(byte[] scalar, byte[] u) {
    DH_COUNT.incrementAndGet();
    byte[] out = new byte[32];
    X25519.scalarMult(scalar, 0, u, 0, out, 0);
    int acc = 0;
    for (byte b : out) {
      acc |= b;
    }
    return acc == 0 ? null : out;
  }

  /** The X25519 public key of a private scalar (WireGuard's {@code wg pubkey}). */
  static byte[] publicOf(byte[] scalar) {
    byte[] out = new byte[32];
    X25519.scalarMultBase(scalar, 0, out, 0);
    return out;
  }

  private static byte[] reverse(byte[] in) {
    byte[] out = new byte[in.length];
    for (int i = 0; i < in.length; i++) {
      out[i] = in[in.length - 1 - i];
    }
    return out;
  }

  private static byte[] toLittleEndian32(BigInteger v) {
    byte[] be = v.toByteArray(); // may carry a leading sign byte, or be shorter than 32
    byte[] out = new byte[32];
    for (int i = 0; i < 32 && i < be.length; i++) {
      out[i] = be[be.length - 1 - i];
    }
    return out;
  }
}
