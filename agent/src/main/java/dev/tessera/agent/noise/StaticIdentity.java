package dev.tessera.agent.noise;

import dev.tessera.agent.crypto.X25519;
import java.util.Arrays;

/**
 * The interface's static key pair. Immutable once built; replaced (and the old one destroyed) when
 * the private key changes.
 */
public final class StaticIdentity {
  private final byte[] privateKey;
  private final byte[] publicKey;

  public StaticIdentity(byte[] privateKey) {
    this.privateKey = privateKey.clone();
    X25519.clamp(this.privateKey);
    this.publicKey = X25519.publicKey(this.privateKey);
  }

  byte[] privateKey() {
    return privateKey;
  }

  public byte[] publicKey() {
    return publicKey.clone();
  }

  byte[] publicKeyRef() {
    return publicKey;
  }

  /** DH(our static private, their static public), or null if the result is all zeros. */
  public byte[] staticStatic(byte[] remoteStatic) {
    byte[] ss = new byte[32];
    return X25519.sharedSecret(privateKey, remoteStatic, ss) ? ss : null;
  }

  public void destroy() {
    Arrays.fill(privateKey, (byte) 0);
  }
}
