package dev.tessera.agent.cookie;

import dev.tessera.agent.crypto.Blake2s;
import dev.tessera.agent.crypto.XChaChaPoly;
import dev.tessera.agent.timers.WgConstants;
import java.util.Arrays;

/**
 * Initiator side of the cookie mechanism for one peer (wireguard-go {@code CookieGenerator}):
 * stamps MAC1 (and MAC2 while a cookie younger than two minutes is held) on our handshake messages,
 * and accepts cookie replies that decrypt with the MAC1 we last sent as associated data.
 * Thread-safe via this object's monitor.
 */
public final class CookieGenerator {
  private final byte[] mac1Key;
  private final byte[] cookieKey;
  private final byte[] lastMac1 = new byte[16];
  private boolean hasLastMac1;
  private final byte[] cookie = new byte[16];
  private long cookieSetNanos;
  private boolean hasCookie;

  /**
   * @param peerPublicKey the public key of the peer our messages go to
   */
  public CookieGenerator(byte[] peerPublicKey) {
    this.mac1Key = Blake2s.hash(CookieChecker.LABEL_MAC1, peerPublicKey);
    this.cookieKey = Blake2s.hash(CookieChecker.LABEL_COOKIE, peerPublicKey);
  }

  /** Fills the last 32 bytes of {@code msg[0..len)} with MAC1 and MAC2 (zeros if no cookie). */
  public synchronized void addMacs(byte[] msg, int len, long now) {
    int smac2 = len - 16;
    int smac1 = smac2 - 16;
    Blake2s.mac(mac1Key, msg, 0, smac1, msg, smac1);
    System.arraycopy(msg, smac1, lastMac1, 0, 16);
    hasLastMac1 = true;
    if (!hasCookie || now - cookieSetNanos > WgConstants.COOKIE_REFRESH_TIME) {
      Arrays.fill(msg, smac2, len, (byte) 0);
      return;
    }
    Blake2s.mac(cookie, msg, 0, smac2, msg, smac2);
  }

  /** Consumes a 64-byte cookie reply; returns false if it does not decrypt. */
  public synchronized boolean consumeReply(byte[] reply, long now) {
    if (!hasLastMac1) {
      return false;
    }
    byte[] nonce = Arrays.copyOfRange(reply, 8, 32);
    byte[] c = XChaChaPoly.open(cookieKey, nonce, reply, 32, 32, lastMac1);
    if (c == null) {
      return false;
    }
    System.arraycopy(c, 0, cookie, 0, 16);
    Arrays.fill(c, (byte) 0);
    cookieSetNanos = now;
    hasCookie = true;
    return true;
  }

  /** Whether a fresh cookie is held (tests). */
  public synchronized boolean hasFreshCookie(long now) {
    return hasCookie && now - cookieSetNanos <= WgConstants.COOKIE_REFRESH_TIME;
  }
}
