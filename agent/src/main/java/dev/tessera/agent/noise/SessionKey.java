package dev.tessera.agent.noise;

import java.util.Arrays;
import java.util.concurrent.locks.StampedLock;
import javax.crypto.SecretKey;

/**
 * A transport key that, unlike {@link javax.crypto.spec.SecretKeySpec}, can be destroyed: when a
 * keypair is retired its bytes are overwritten with zeros (wireguard-go {@code setZero}).
 *
 * <p>Threat: a sender or receiver thread may still hold a keypair that another thread retires (a
 * rotation, forced expiry, the zero-key-material timer). The JDK cipher copies the key in {@code
 * init}; if that copy overlaps {@link #destroy()}, the datagram is sealed under an all-zero (or
 * partly zeroed) key that anyone can read or forge. Every use is therefore bracketed like a
 * sequence lock: {@link #beginUse()} before the cipher is initialised and {@link #endUse(long)}
 * after the datagram is sealed or opened. {@code destroy} takes the write lock and never releases
 * it, so it invalidates every use in progress and every later {@code beginUse} returns 0; a use
 * whose {@code endUse} is false must discard its output. The key's buffer is never reused.
 */
public final class SessionKey implements SecretKey {
  private final byte[] key;
  private final StampedLock guard = new StampedLock();

  SessionKey(byte[] key32) {
    this.key = key32.clone();
  }

  /** Starts one use of the key: a stamp, or 0 when the key is destroyed (do not use it). */
  public long beginUse() {
    return guard.tryOptimisticRead();
  }

  /**
   * Ends the use started with {@code stamp}: true if the key was intact during the whole use; false
   * if it was destroyed at any point, in which case the sealed or opened bytes must be discarded.
   */
  public boolean endUse(long stamp) {
    return stamp != 0 && guard.validate(stamp);
  }

  @Override
  public String getAlgorithm() {
    return "ChaCha20";
  }

  @Override
  public String getFormat() {
    return "RAW";
  }

  @Override
  public byte[] getEncoded() {
    return key.clone();
  }

  /** Marks the key dead (invalidating every use in progress), then overwrites it with zeros. */
  @Override
  public void destroy() {
    if (guard.tryWriteLock() != 0) {
      Arrays.fill(key, (byte) 0);
    }
  }

  @Override
  public boolean isDestroyed() {
    return guard.isWriteLocked();
  }
}
