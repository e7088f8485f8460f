package dev.tessera.agent.crypto;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.InvalidAlgorithmParameterException;
import java.security.InvalidKeyException;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.ShortBufferException;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * ChaCha20-Poly1305 (RFC 8439) as WireGuard uses it, on the JDK's {@code "ChaCha20-Poly1305"}
 * cipher (which has ChaCha20 and Poly1305 intrinsics on x86-64).
 *
 * <p>The 96-bit nonce is 32 zero bits followed by the 64-bit counter in little-endian order (paper
 * section 5.4, {@code AEAD(key, counter, plain, auth)}).
 *
 * <p>Threading: one {@link Cipher} per thread ({@link ThreadLocal}); a {@code Cipher} is not
 * thread-safe and creating one per packet would dominate the cost. A {@code ChaChaPoly} call never
 * blocks and keeps no state between calls other than that cached instance.
 *
 * <p>Decryption failure (wrong key, forged or corrupted ciphertext) returns {@code -1}/{@code
 * false} instead of throwing, because on the receive path it is an expected outcome of
 * unauthenticated input.
 */
public final class ChaChaPoly {
  public static final int TAG_LENGTH = 16;
  public static final int KEY_LENGTH = 32;
  private static final String ALGORITHM = "ChaCha20-Poly1305";

  private static final ThreadLocal<Cipher> CIPHER =
      ThreadLocal.withInitial(
          () -> {
            try {
              return Cipher.getInstance(ALGORITHM);
            } catch (GeneralSecurityException e) {
              throw new IllegalStateException("JDK lacks " + ALGORITHM, e);
            }
          });

  private ChaChaPoly() {}

  /** The RFC 8439 nonce for a WireGuard counter. */
  public static byte[] nonce(long counter) {
    byte[] n = new byte[12];
    for (int i = 0; i < 8; i++) {
      n[4 + i] = (byte) (counter >>> (8 * i));
    }
    return n;
  }

  /** A key object for {@link #seal(javax.crypto.SecretKey, long, ByteBuffer, ByteBuffer)}. */
  public static SecretKeySpec key(byte[] key32) {
    return new SecretKeySpec(key32, 0, KEY_LENGTH, "ChaCha20");
  }

  /** {@code AEAD(key, counter, plain, ad)} for byte arrays; returns ciphertext || tag. */
  public static byte[] seal(byte[] key, long counter, byte[] plain, byte[] ad) {
    Cipher c = init(Cipher.ENCRYPT_MODE, key(key), counter);
    try {
      if (ad != null && ad.length > 0) {
        c.updateAAD(ad);
      }
      return c.doFinal(plain);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("ChaCha20-Poly1305 encryption failed", e);
    }
  }

  /**
   * Decrypts {@code ct[off..off+len)} (ciphertext || tag) with associated data {@code ad}.
   *
   * @return the plaintext, or null if authentication fails
   */
  public static byte[] open(byte[] key, long counter, byte[] ct, int off, int len, byte[] ad) {
    if (len < TAG_LENGTH) {
      return null;
    }
    Cipher c = init(Cipher.DECRYPT_MODE, key(key), counter);
    try {
      if (ad != null && ad.length > 0) {
        c.updateAAD(ad);
      }
      return c.doFinal(ct, off, len);
    } catch (AEADBadTagException e) {
      return null;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("ChaCha20-Poly1305 decryption failed", e);
    }
  }

  /**
   * Encrypts {@code plain} (position..limit) into {@code out} at its position, appending the tag,
   * with empty associated data (transport messages). Both buffers' positions advance.
   *
   * @return number of bytes written (plaintext length + 16)
   */
  public static int seal(SecretKey key, long counter, ByteBuffer plain, ByteBuffer out) {
    Cipher c = init(Cipher.ENCRYPT_MODE, key, counter);
    try {
      return c.doFinal(plain, out);
    } catch (ShortBufferException e) {
      throw new IllegalArgumentException("output buffer too small", e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("ChaCha20-Poly1305 encryption failed", e);
    }
  }

  /**
   * Decrypts {@code ct} (position..limit, ciphertext || tag) into {@code out} at its position with
   * empty associated data.
   *
   * @return plaintext length, or -1 if authentication fails (out's contents are then unspecified)
   */
  public static int open(SecretKey key, long counter, ByteBuffer ct, ByteBuffer out) {
    if (ct.remaining() < TAG_LENGTH) {
      return -1;
    }
    Cipher c = init(Cipher.DECRYPT_MODE, key, counter);
    try {
      return c.doFinal(ct, out);
    } catch (AEADBadTagException e) {
      return -1;
    } catch (ShortBufferException e) {
      throw new IllegalArgumentException("output buffer too small", e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("ChaCha20-Poly1305 decryption failed", e);
    }
  }

  private static final ThreadLocal<ByteBuffer> ZEROS =
      ThreadLocal.withInitial(() -> ByteBuffer.wrap(new byte[16]));

  /**
   * Transport encryption with WireGuard's zero padding: encrypts {@code plain} (position..limit)
   * followed by {@code padLength} (0..15) zero bytes into {@code out} at its position, then the
   * tag. Streams the padding through the same cipher operation, so the caller's packet is neither
   * copied nor modified; {@code plain}'s position is left unchanged.
   *
   * @return bytes written: plaintext + padding + 16
   */
  public static int sealPadded(
      SecretKey key, long counter, ByteBuffer plain, int padLength, ByteBuffer out) {
    if (padLength < 0 || padLength > 15) {
      throw new IllegalArgumentException("padding must be 0..15, got " + padLength);
    }
    Cipher c = init(Cipher.ENCRYPT_MODE, key, counter);
    int pos = plain.position();
    try {
      int n;
      if (padLength == 0) {
        n = c.doFinal(plain, out);
      } else {
        n = c.update(plain, out);
        ByteBuffer z = ZEROS.get();
        z.clear().limit(padLength);
        n += c.doFinal(z, out);
      }
      return n;
    } catch (ShortBufferException e) {
      throw new IllegalArgumentException("output buffer too small", e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("ChaCha20-Poly1305 encryption failed", e);
    } finally {
      plain.position(pos);
    }
  }

  /**
   * Transport decryption of {@code ct} (position..limit) into {@code out} at its position; {@code
   * ct}'s position is left unchanged.
   *
   * @return plaintext length, or -1 if authentication fails
   */
  public static int openTransport(SecretKey key, long counter, ByteBuffer ct, ByteBuffer out) {
    int pos = ct.position();
    try {
      return open(key, counter, ct, out);
    } finally {
      ct.position(pos);
    }
  }

  private static Cipher init(int mode, SecretKey key, long counter) {
    Cipher c = CIPHER.get();
    try {
      c.init(mode, key, new IvParameterSpec(nonce(counter)));
    } catch (InvalidKeyException e) {
      // The JDK refuses to encrypt twice in a row with the same key and nonce. WireGuard never
      // reuses a (key, counter) pair, so reaching this is a bug in the caller, not bad input.
      throw new IllegalStateException("ChaCha20-Poly1305 key/nonce rejected", e);
    } catch (InvalidAlgorithmParameterException e) {
      throw new IllegalStateException(e);
    }
    return c;
  }
}
