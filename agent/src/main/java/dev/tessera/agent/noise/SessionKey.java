package dev.tessera.agent.noise;

import java.util.Arrays;
import javax.crypto.SecretKey;

/**
 * A transport key that, unlike {@link javax.crypto.spec.SecretKeySpec}, can be destroyed: when a
 * keypair is retired its bytes are overwritten with zeros (wireguard-go {@code setZero}). The JDK
 * cipher copies the key on each {@code init}, so a destroyed key is never read again.
 */
public final class SessionKey implements SecretKey {
  private final byte[] key;
  private volatile boolean destroyed;

  SessionKey(byte[] key32) {
    this.key = key32.clone();
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

  @Override
  public void destroy() {
    Arrays.fill(key, (byte) 0);
    destroyed = true;
  }

  @Override
  public boolean isDestroyed() {
    return destroyed;
  }
}
