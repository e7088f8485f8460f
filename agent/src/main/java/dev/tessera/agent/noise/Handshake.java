package dev.tessera.agent.noise;

import java.util.Arrays;

/**
 * Per-peer Noise_IKpsk2 handshake state (wireguard-go {@code noise-protocol.go} {@code Handshake}).
 * Not thread-safe: the owning peer guards it with its lock.
 *
 * <p>State machine: ZEROED -> INITIATION_CREATED -> RESPONSE_CONSUMED (we initiate), or ZEROED ->
 * INITIATION_CONSUMED -> RESPONSE_CREATED (we respond); deriving the keypair returns it to ZEROED
 * and wipes the chaining key, hash and ephemeral private key.
 */
public final class Handshake {
  public enum State {
    ZEROED,
    INITIATION_CREATED,
    INITIATION_CONSUMED,
    RESPONSE_CREATED,
    RESPONSE_CONSUMED
  }

  State state = State.ZEROED;
  byte[] hash = new byte[32];
  byte[] chainKey = new byte[32];
  byte[] localEphemeral = new byte[32];
  byte[] remoteEphemeral = new byte[32];
  final byte[] remoteStatic;
  byte[] presharedKey = new byte[32];

  /** DH(static, static); null when the interface has no private key or the DH result is zero. */
  byte[] precomputedStaticStatic;

  int localIndex;
  int remoteIndex;

  /** Greatest TAI64N timestamp accepted from this peer (replay protection of initiations). */
  byte[] lastTimestamp = new byte[Tai64n.LENGTH];

  /** nanoClock time of the last consumed initiation; valid if consumedInitiation. */
  long lastInitiationConsumption;

  boolean consumedInitiation;

  public Handshake(byte[] remoteStatic) {
    this.remoteStatic = remoteStatic.clone();
  }

  /**
   * Raises the greatest accepted initiation timestamp to {@code tai64n} if that is greater (a value
   * recorded before a restart); a replayed initiation at or below it is refused.
   */
  public void raiseLastTimestamp(byte[] tai64n) {
    if (tai64n.length != Tai64n.LENGTH) {
      throw new IllegalArgumentException("a TAI64N timestamp has " + Tai64n.LENGTH + " bytes");
    }
    if (Tai64n.after(tai64n, lastTimestamp)) {
      lastTimestamp = tai64n.clone();
    }
  }

  public State state() {
    return state;
  }

  public int localIndex() {
    return localIndex;
  }

  public int remoteIndex() {
    return remoteIndex;
  }

  public byte[] remoteStatic() {
    return remoteStatic.clone();
  }

  /** Sets (or clears, with null) the preshared key; a missing PSK is 32 zero bytes (Noise psk2). */
  public void setPresharedKey(byte[] psk) {
    Arrays.fill(presharedKey, (byte) 0);
    if (psk != null) {
      System.arraycopy(psk, 0, presharedKey, 0, 32);
    }
  }

  /** Recomputes DH(static, static) after our private key changed (null identity = no key). */
  public void setLocalIdentity(StaticIdentity identity) {
    if (precomputedStaticStatic != null) {
      Arrays.fill(precomputedStaticStatic, (byte) 0);
    }
    precomputedStaticStatic = identity == null ? null : identity.staticStatic(remoteStatic);
  }

  /**
   * Forgets any handshake in progress (wireguard-go {@code Handshake.Clear}); keeps the peer's
   * static key, PSK and replay state. The caller releases {@link #localIndex()} first.
   */
  public void clear() {
    Arrays.fill(hash, (byte) 0);
    Arrays.fill(chainKey, (byte) 0);
    Arrays.fill(localEphemeral, (byte) 0);
    Arrays.fill(remoteEphemeral, (byte) 0);
    localIndex = 0;
    remoteIndex = 0;
    state = State.ZEROED;
  }

  /** Wipes every secret including the PSK and the static-static DH (peer removal, shutdown). */
  public void destroy() {
    clear();
    Arrays.fill(presharedKey, (byte) 0);
    if (precomputedStaticStatic != null) {
      Arrays.fill(precomputedStaticStatic, (byte) 0);
    }
  }
}
