package dev.tessera.agent.crypto;

import org.bouncycastle.crypto.digests.Blake2sDigest;
import org.bouncycastle.crypto.macs.HMac;
import org.bouncycastle.crypto.params.KeyParameter;

/**
 * BLAKE2s (RFC 7693) and the constructions WireGuard builds on it (paper section 5.4):
 *
 * <ul>
 *   <li>{@code HASH(x)} = BLAKE2s-256(x);
 *   <li>{@code MAC(key, x)} = keyed BLAKE2s with a 16-byte output (MAC1, MAC2, cookies);
 *   <li>{@code HMAC(key, x)} = RFC 2104 HMAC over BLAKE2s-256 (block size 64);
 *   <li>{@code KDF_n(key, input)} = HKDF (RFC 5869) with HMAC-BLAKE2s, where {@code key} is the
 *       chaining key used as salt, producing n 32-byte outputs.
 * </ul>
 *
 * All methods run only on the handshake path, so they allocate freely; the data path never uses
 * BLAKE2s.
 */
public final class Blake2s {
  public static final int HASH_LENGTH = 32;
  public static final int MAC_LENGTH = 16;

  private Blake2s() {}

  /** BLAKE2s-256 of the concatenation of {@code parts}. */
  public static byte[] hash(byte[]... parts) {
    Blake2sDigest d = new Blake2sDigest(256);
    for (byte[] p : parts) {
      d.update(p, 0, p.length);
    }
    byte[] out = new byte[HASH_LENGTH];
    d.doFinal(out, 0);
    return out;
  }

  /** Keyed BLAKE2s with a 16-byte output over {@code data[off..off+len)}. */
  public static byte[] mac(byte[] key, byte[] data, int off, int len) {
    byte[] out = new byte[MAC_LENGTH];
    mac(key, data, off, len, out, 0);
    return out;
  }

  /** Keyed BLAKE2s-128 written into {@code out} at {@code outOff}. */
  public static void mac(byte[] key, byte[] data, int off, int len, byte[] out, int outOff) {
    Blake2sDigest d = new Blake2sDigest(key, MAC_LENGTH, null, null);
    d.update(data, off, len);
    d.doFinal(out, outOff);
  }

  /** HMAC-BLAKE2s-256 of the concatenation of {@code parts}. */
  public static byte[] hmac(byte[] key, byte[]... parts) {
    HMac h = new HMac(new Blake2sDigest(256));
    h.init(new KeyParameter(key));
    for (byte[] p : parts) {
      h.update(p, 0, p.length);
    }
    byte[] out = new byte[HASH_LENGTH];
    h.doFinal(out, 0);
    return out;
  }

  /**
   * WireGuard's KDF_n: {@code t0 = HMAC(key, input)}, {@code t1 = HMAC(t0, 0x1)}, {@code t_i =
   * HMAC(t0, t_{i-1} || i)}. Returns {@code n} (1..3) 32-byte outputs; the pseudo-random key t0 is
   * zeroed before returning.
   */
  public static byte[][] kdf(int n, byte[] key, byte[] input) {
    if (n < 1 || n > 3) {
      throw new IllegalArgumentException("KDF output count must be 1..3, got " + n);
    }
    byte[] prk = hmac(key, input);
    byte[][] out = new byte[n][];
    byte[] prev = new byte[0];
    for (int i = 0; i < n; i++) {
      prev = hmac(prk, prev, new byte[] {(byte) (i + 1)});
      out[i] = prev;
    }
    java.util.Arrays.fill(prk, (byte) 0);
    return out;
  }
}
