package dev.tessera.agent.cookie;

import dev.tessera.agent.crypto.Blake2s;
import dev.tessera.agent.crypto.XChaChaPoly;
import dev.tessera.agent.timers.WgConstants;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;

/**
 * Responder side of WireGuard's DoS mitigation (paper section 5.3 and 5.4.7; wireguard-go {@code
 * cookie.go} CookieChecker).
 *
 * <ul>
 *   <li>MAC1 = MAC(HASH("mac1----" || S_pub_responder), msg[0..mac1)) proves the sender knows our
 *       public key; handshake messages failing it are dropped before any DH is computed.
 *   <li>Under load, MAC2 = MAC(cookie, msg[0..mac2)) must also verify, where cookie = MAC(R_m,
 *       source address bytes) and R_m is a random secret rotated every two minutes. Without it we
 *       answer with a cookie reply: the cookie encrypted with XChaCha20-Poly1305 under
 *       HASH("cookie--" || S_pub_responder), a random 24-byte nonce, and the message's MAC1 as
 *       associated data.
 * </ul>
 *
 * Thread-safe: the keys are immutable per instance (a new checker is built when the private key
 * changes); the rotating secret is guarded by this object's monitor.
 */
public final class CookieChecker {
  static final byte[] LABEL_MAC1 = "mac1----".getBytes(StandardCharsets.US_ASCII);
  static final byte[] LABEL_COOKIE = "cookie--".getBytes(StandardCharsets.US_ASCII);

  private final byte[] mac1Key;
  private final byte[] cookieKey;
  private final SecureRandom random;
  private final byte[] secret = new byte[32];
  private long secretSetNanos;
  private boolean secretSet;

  public CookieChecker(byte[] ourPublicKey, SecureRandom random) {
    this.mac1Key = Blake2s.hash(LABEL_MAC1, ourPublicKey);
    this.cookieKey = Blake2s.hash(LABEL_COOKIE, ourPublicKey);
    this.random = random;
  }

  /**
   * Verifies MAC1 of a whole handshake message {@code msg[0..len)} (mac1, mac2 are the last 32).
   */
  public boolean checkMac1(byte[] msg, int len) {
    int smac1 = len - 32;
    byte[] expect = Blake2s.mac(mac1Key, msg, 0, smac1);
    return MessageDigest.isEqual(expect, Arrays.copyOfRange(msg, smac1, smac1 + 16));
  }

  /** Verifies MAC2 for a message from {@code source} (address bytes || port). */
  public boolean checkMac2(byte[] msg, int len, byte[] source, long now) {
    byte[] cookie;
    synchronized (this) {
      if (!secretSet || now - secretSetNanos > WgConstants.COOKIE_REFRESH_TIME) {
        return false;
      }
      cookie = Blake2s.mac(secret, source, 0, source.length);
    }
    int smac2 = len - 16;
    byte[] expect = Blake2s.mac(cookie, msg, 0, smac2);
    return MessageDigest.isEqual(expect, Arrays.copyOfRange(msg, smac2, len));
  }

  /**
   * Builds a 64-byte cookie reply to the handshake message {@code msg[0..len)} whose sender index
   * is {@code receiverIndex}.
   */
  public byte[] createReply(byte[] msg, int len, int receiverIndex, byte[] source, long now) {
    byte[] cookie;
    synchronized (this) {
      if (!secretSet || now - secretSetNanos > WgConstants.COOKIE_REFRESH_TIME) {
        random.nextBytes(secret);
        secretSetNanos = now;
        secretSet = true;
      }
      cookie = Blake2s.mac(secret, source, 0, source.length);
    }
    byte[] reply = new byte[64];
    reply[0] = 3;
    dev.tessera.agent.noise.Messages.putIntLE(reply, 4, receiverIndex);
    byte[] nonce = new byte[XChaChaPoly.NONCE_LENGTH];
    random.nextBytes(nonce);
    System.arraycopy(nonce, 0, reply, 8, 24);
    int smac1 = len - 32;
    byte[] ad = Arrays.copyOfRange(msg, smac1, smac1 + 16);
    byte[] enc = XChaChaPoly.seal(cookieKey, nonce, cookie, ad);
    System.arraycopy(enc, 0, reply, 32, 32);
    Arrays.fill(cookie, (byte) 0);
    return reply;
  }
}
