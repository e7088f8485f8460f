package dev.tessera.agent.config;

import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;

/**
 * A 32-byte WireGuard key (Curve25519 private/public key or preshared key).
 *
 * <p>Config files carry keys in base64 (as {@code wg genkey} prints them); the UAPI carries them in
 * lower-case hex. The bytes are copied in and out so a caller cannot mutate a key held elsewhere.
 * {@link #toString()} never prints the bytes: a private key must not end up in a log line by accident.
 */
public final class WgKey {
  public static final int LENGTH = 32;
  private final byte[] bytes;

  private WgKey(byte[] bytes) {
    this.bytes = bytes;
  }

  public static WgKey of(byte[] bytes) {
    if (bytes.length != LENGTH) {
      throw new IllegalArgumentException("a WireGuard key has 32 bytes, got " + bytes.length);
    }
    return new WgKey(bytes.clone());
  }

  /** Parses base64 (44 characters with one '=' of padding); null when malformed. */
  public static WgKey fromBase64OrNull(String text) {
    String t = text.strip();
    if (t.length() != 44 || t.charAt(43) != '=') {
      return null;
    }
    try {
      byte[] b = Base64.getDecoder().decode(t);
      return b.length == LENGTH ? new WgKey(b) : null;
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /** Parses 64 hex digits (either case); null when malformed. */
  public static WgKey fromHexOrNull(String text) {
    if (text.length() != 2 * LENGTH) {
      return null;
    }
    try {
      return new WgKey(HexFormat.of().parseHex(text));
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  public byte[] bytes() {
    return bytes.clone();
  }

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

  @Override
  public boolean equals(Object o) {
    // Constant-time on the bytes: keys are compared when looking up peers by UAPI input.
    return o instanceof WgKey k && java.security.MessageDigest.isEqual(bytes, k.bytes);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(bytes);
  }

  @Override
  public String toString() {
    return "WgKey[redacted]";
  }
}
