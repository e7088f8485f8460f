package dev.tessera.agent.crypto;

import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;

/**
 * A 32-byte WireGuard key: a Curve25519 public or private key, or a preshared key.
 *
 * <p>The bytes are copied in and out so callers cannot alias the internal array. {@link #equals} is
 * constant-time so that comparing a secret never leaks a prefix length through timing. A key
 * holding a secret can be {@linkplain #destroy() destroyed} (overwritten with zeros) once it is no
 * longer needed; a destroyed key compares equal to the all-zero key.
 */
public final class WgKey {
  /** Length in bytes of every WireGuard key. */
  public static final int LENGTH = 32;

  private final byte[] bytes;

  private WgKey(byte[] bytes) {
    this.bytes = bytes;
  }

  /** Wraps a copy of {@code key}, which must be exactly 32 bytes. */
  public static WgKey of(byte[] key) {
    if (key == null || key.length != LENGTH) {
      throw new IllegalArgumentException(
          "a WireGuard key is 32 bytes, got " + (key == null ? "null" : key.length));
    }
    return new WgKey(key.clone());
  }

  /** Parses the base64 form used by {@code wg} and wg-quick configs (44 characters). */
  public static WgKey fromBase64(String base64) {
    byte[] raw;
    try {
      raw = Base64.getDecoder().decode(base64.strip());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("key is not valid base64: " + e.getMessage(), e);
    }
    if (raw.length != LENGTH) {
      throw new IllegalArgumentException("key must decode to 32 bytes, got " + raw.length);
    }
    return new WgKey(raw);
  }

  /** Parses the lower-case hex form used by the userspace API (64 characters). */
  public static WgKey fromHex(String hex) {
    if (hex.length() != 2 * LENGTH) {
      throw new IllegalArgumentException("hex key must be 64 characters, got " + hex.length());
    }
    return new WgKey(HexFormat.of().parseHex(hex));
  }

  /** A fresh, clamped Curve25519 private key. */
  public static WgKey generatePrivate(java.security.SecureRandom random) {
    return new WgKey(X25519.generatePrivateKey(random));
  }

  /** Treating this key as a private key, its Curve25519 public key. */
  public WgKey publicKey() {
    return new WgKey(X25519.publicKey(bytes));
  }

  /** A copy of the key bytes. The caller should zero the copy if it is a secret. */
  public byte[] bytes() {
    return bytes.clone();
  }

  /** Copies the key into {@code dst} at {@code offset} without allocating. */
  public void copyTo(byte[] dst, int offset) {
    System.arraycopy(bytes, 0, dst, offset, LENGTH);
  }

  /** Constant-time comparison with raw bytes at an offset. */
  public boolean equalsBytes(byte[] other, int offset) {
    int diff = 0;
    for (int i = 0; i < LENGTH; i++) {
      diff |= bytes[i] ^ other[offset + i];
    }
    return diff == 0;
  }

  /** True if all 32 bytes are zero (WireGuard treats an all-zero key as "no key"). */
  public boolean isZero() {
    int acc = 0;
    for (byte b : bytes) {
      acc |= b;
    }
    return acc == 0;
  }

  public String toBase64() {
    return Base64.getEncoder().encodeToString(bytes);
  }

  public String toHex() {
    return HexFormat.of().formatHex(bytes);
  }

  /** Overwrites the key with zeros. Use on private and preshared keys when they are replaced. */
  public void destroy() {
    Arrays.fill(bytes, (byte) 0);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof WgKey k && MessageDigest.isEqual(bytes, k.bytes);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(bytes);
  }

  /** The base64 form; never call this on secrets in logs. */
  @Override
  public String toString() {
    return toBase64();
  }
}
