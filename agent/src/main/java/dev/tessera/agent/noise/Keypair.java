package dev.tessera.agent.noise;

import dev.tessera.agent.replay.ReplayFilter;
import dev.tessera.agent.timers.WgConstants;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One direction-pair of transport keys derived from a completed handshake (wireguard-go {@code
 * keypair.go}). A peer holds up to three: previous, current, next.
 *
 * <p>Send counters come from an atomic so several threads can encrypt for the same peer; each
 * counter value is used once, which is what ChaCha20-Poly1305 requires. The receive side's replay
 * filter is validated only after a packet authenticated.
 */
public final class Keypair {
  private final SessionKey sendKey;
  private final SessionKey receiveKey;
  private final AtomicLong sendNonce = new AtomicLong();
  private final ReplayFilter replay = new ReplayFilter();
  private final long createdNanos;
  private final boolean initiator;
  private final int localIndex;
  private final int remoteIndex;

  Keypair(
      byte[] send,
      byte[] receive,
      long createdNanos,
      boolean initiator,
      int localIndex,
      int remoteIndex) {
    this.sendKey = new SessionKey(send);
    this.receiveKey = new SessionKey(receive);
    this.createdNanos = createdNanos;
    this.initiator = initiator;
    this.localIndex = localIndex;
    this.remoteIndex = remoteIndex;
  }

  public SessionKey sendKey() {
    return sendKey;
  }

  public SessionKey receiveKey() {
    return receiveKey;
  }

  public long createdNanos() {
    return createdNanos;
  }

  public boolean isInitiator() {
    return initiator;
  }

  public int localIndex() {
    return localIndex;
  }

  public int remoteIndex() {
    return remoteIndex;
  }

  public ReplayFilter replayFilter() {
    return replay;
  }

  /** Reserves the next send counter; values at or past REJECT_AFTER_MESSAGES must not be used. */
  public long nextSendNonce() {
    return sendNonce.getAndIncrement();
  }

  /** The next counter that would be handed out (for rekey decisions). */
  public long peekSendNonce() {
    return sendNonce.get();
  }

  /** Makes the keypair unusable for sending (forced expiry; wireguard-go ExpireCurrentKeypairs). */
  public void expireSending() {
    sendNonce.set(WgConstants.REJECT_AFTER_MESSAGES);
  }

  /** Test hook: pretend many messages were already sent. */
  public void setSendNonceForTest(long n) {
    sendNonce.set(n);
  }

  /**
   * Whether the keypair may still send at {@code now}: younger than REJECT_AFTER_TIME and below
   * REJECT_AFTER_MESSAGES (unsigned).
   */
  public boolean canSend(long now) {
    return !sendKey.isDestroyed()
        && now - createdNanos < WgConstants.REJECT_AFTER_TIME
        && Long.compareUnsigned(sendNonce.get(), WgConstants.REJECT_AFTER_MESSAGES) < 0;
  }

  /** Whether packets received on this keypair are still acceptable at {@code now}. */
  public boolean canReceive(long now) {
    return !receiveKey.isDestroyed() && now - createdNanos < WgConstants.REJECT_AFTER_TIME;
  }

  /** Overwrites both keys with zeros. */
  public void destroy() {
    sendKey.destroy();
    receiveKey.destroy();
  }
}
