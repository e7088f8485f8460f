package dev.tessera.agent.config;

import org.bouncycastle.math.ec.rfc7748.X25519;

/** Derives a WireGuard public key from a private key (X25519 base-point multiplication, RFC 7748). */
public final class X25519Keys {
  private X25519Keys() {}

  public static byte[] publicKey(byte[] privateKey) {
    byte[] pub = new byte[X25519.POINT_SIZE];
    X25519.scalarMultBase(privateKey, 0, pub, 0);
    return pub;
  }

  public static WgKey publicKey(WgKey privateKey) {
    byte[] priv = privateKey.bytes();
    try {
      return WgKey.of(publicKey(priv));
    } finally {
      java.util.Arrays.fill(priv, (byte) 0);
    }
  }
}
