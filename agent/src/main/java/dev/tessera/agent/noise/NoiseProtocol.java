package dev.tessera.agent.noise;

import static dev.tessera.agent.noise.Messages.*;

import dev.tessera.agent.crypto.Blake2s;
import dev.tessera.agent.crypto.ChaChaPoly;
import dev.tessera.agent.crypto.X25519;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;

/**
 * The Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s handshake exactly as WireGuard specifies it (paper
 * section 5.4.2-5.4.5; wireguard-go {@code noise-protocol.go}). Messages are built and parsed in
 * byte arrays of their exact size; MAC1/MAC2 are added and checked by the cookie package.
 *
 * <p>Notation: {@code HASH} = BLAKE2s-256, {@code MixHash(x)}: h = HASH(h || x), {@code MixKey(x)}:
 * ck = KDF1(ck, x), {@code AEAD(k, 0, p, h)} = ChaCha20-Poly1305 with a zero counter and the
 * transcript hash as associated data.
 *
 * <p>Secrets: ephemeral private keys, DH results, and intermediate keys are zeroed as soon as they
 * are no longer needed; the handshake's chaining key and hash are zeroed when the keypair is
 * derived.
 */
public final class NoiseProtocol {
  public static final String CONSTRUCTION = "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s";
  public static final String IDENTIFIER = "WireGuard v1 zx2c4 Jason@zx2c4.com";

  /** ck0 = HASH(CONSTRUCTION). */
  static final byte[] INITIAL_CHAIN_KEY =
      Blake2s.hash(CONSTRUCTION.getBytes(StandardCharsets.US_ASCII));

  /** h0 = HASH(ck0 || IDENTIFIER). */
  static final byte[] INITIAL_HASH =
      Blake2s.hash(INITIAL_CHAIN_KEY, IDENTIFIER.getBytes(StandardCharsets.US_ASCII));

  private static final byte[] EMPTY = new byte[0];

  private NoiseProtocol() {}

  /** HASH(h || slice). */
  private static byte[] mixHash(byte[] h, byte[] data, int off, int len) {
    return Blake2s.hash(h, Arrays.copyOfRange(data, off, off + len));
  }

  private static byte[] mixKey(byte[] ck, byte[] input) {
    return Blake2s.kdf(1, ck, input)[0];
  }

  private static void zero(byte[]... arrays) {
    for (byte[] a : arrays) {
      if (a != null) {
        Arrays.fill(a, (byte) 0);
      }
    }
  }

  /**
   * Builds a handshake initiation (without MACs) into {@code msg[0..148)} and moves {@code hs} to
   * INITIATION_CREATED.
   *
   * @return false if the static-static DH is unusable (no private key or low-order peer key)
   */
  public static boolean createInitiation(
      StaticIdentity me,
      Handshake hs,
      byte[] timestamp,
      SecureRandom random,
      int senderIndex,
      byte[] msg) {
    if (hs.precomputedStaticStatic == null || me == null) {
      return false;
    }
    Arrays.fill(msg, 0, INITIATION_SIZE, (byte) 0);
    byte[] h = INITIAL_HASH.clone();
    byte[] ck = INITIAL_CHAIN_KEY.clone();
    byte[] eph = X25519.generatePrivateKey(random);
    h = Blake2s.hash(h, hs.remoteStatic);
    byte[] ephPub = X25519.publicKey(eph);
    msg[0] = TYPE_INITIATION;
    putIntLE(msg, INIT_SENDER, senderIndex);
    System.arraycopy(ephPub, 0, msg, INIT_EPHEMERAL, 32);
    ck = mixKey(ck, ephPub);
    h = Blake2s.hash(h, ephPub);
    // es: static key encrypted under DH(e_i, S_r)
    byte[] ss = new byte[32];
    if (!X25519.sharedSecret(eph, hs.remoteStatic, ss)) {
      zero(eph, ss);
      return false;
    }
    byte[][] kdf = Blake2s.kdf(2, ck, ss);
    ck = kdf[0];
    byte[] encStatic = ChaChaPoly.seal(kdf[1], 0, me.publicKeyRef(), h);
    zero(kdf[1], ss);
    System.arraycopy(encStatic, 0, msg, INIT_STATIC, 48);
    h = Blake2s.hash(h, encStatic);
    // ss: timestamp encrypted under DH(S_i, S_r)
    kdf = Blake2s.kdf(2, ck, hs.precomputedStaticStatic);
    ck = kdf[0];
    byte[] encTs = ChaChaPoly.seal(kdf[1], 0, timestamp, h);
    zero(kdf[1]);
    System.arraycopy(encTs, 0, msg, INIT_TIMESTAMP, 28);
    h = Blake2s.hash(h, encTs);

    zero(hs.hash, hs.chainKey, hs.localEphemeral);
    hs.hash = h;
    hs.chainKey = ck;
    hs.localEphemeral = eph;
    hs.localIndex = senderIndex;
    hs.state = Handshake.State.INITIATION_CREATED;
    return true;
  }

  /**
   * First half of consuming an initiation: everything that needs only our own key. Yields the
   * initiator's claimed static key, which selects the peer.
   */
  public static final class InitiationCandidate {
    byte[] hash;
    byte[] chainKey;
    final byte[] peerStatic;
    final byte[] ephemeral;
    final int senderIndex;
    byte[] timestamp;

    InitiationCandidate(
        byte[] hash, byte[] chainKey, byte[] peerStatic, byte[] ephemeral, int senderIndex) {
      this.hash = hash;
      this.chainKey = chainKey;
      this.peerStatic = peerStatic;
      this.ephemeral = ephemeral;
      this.senderIndex = senderIndex;
    }

    /** The initiator's static public key (authenticated only after {@link #verifyTimestamp}). */
    public byte[] peerStatic() {
      return peerStatic.clone();
    }

    public byte[] timestamp() {
      return timestamp == null ? null : timestamp.clone();
    }

    void destroy() {
      zero(hash, chainKey);
    }
  }

  /**
   * Decrypts the initiator's static key from a 148-byte initiation.
   *
   * @return the candidate, or null if the message does not decrypt under our key
   */
  public static InitiationCandidate beginConsumeInitiation(StaticIdentity me, byte[] msg) {
    byte[] ephemeral = Arrays.copyOfRange(msg, INIT_EPHEMERAL, INIT_EPHEMERAL + 32);
    byte[] h = Blake2s.hash(INITIAL_HASH, me.publicKeyRef());
    h = Blake2s.hash(h, ephemeral);
    byte[] ck = mixKey(INITIAL_CHAIN_KEY, ephemeral);
    byte[] ss = new byte[32];
    if (!X25519.sharedSecret(me.privateKey(), ephemeral, ss)) {
      return null;
    }
    byte[][] kdf = Blake2s.kdf(2, ck, ss);
    zero(ss, ck);
    ck = kdf[0];
    byte[] peerStatic = ChaChaPoly.open(kdf[1], 0, msg, INIT_STATIC, 48, h);
    zero(kdf[1]);
    if (peerStatic == null) {
      zero(ck);
      return null;
    }
    h = mixHash(h, msg, INIT_STATIC, 48);
    return new InitiationCandidate(h, ck, peerStatic, ephemeral, getIntLE(msg, INIT_SENDER));
  }

  /**
   * Second half: decrypts the timestamp with the peer's DH(static, static), proving the initiator
   * holds the static private key. Does not change {@code hs}.
   *
   * @return false if the timestamp does not authenticate
   */
  public static boolean verifyTimestamp(InitiationCandidate c, Handshake hs, byte[] msg) {
    if (hs.precomputedStaticStatic == null) {
      return false;
    }
    byte[][] kdf = Blake2s.kdf(2, c.chainKey, hs.precomputedStaticStatic);
    byte[] ts = ChaChaPoly.open(kdf[1], 0, msg, INIT_TIMESTAMP, 28, c.hash);
    zero(kdf[1], c.chainKey);
    c.chainKey = kdf[0];
    if (ts == null) {
      return false;
    }
    c.hash = mixHash(c.hash, msg, INIT_TIMESTAMP, 28);
    c.timestamp = ts;
    return true;
  }

  /**
   * Replay and flood checks, then commits a verified initiation to {@code hs} (state
   * INITIATION_CONSUMED). Returns null on success, or which check failed.
   */
  public static InitiationRejection commitInitiation(
      InitiationCandidate c, Handshake hs, long now, long minInterval) {
    return commitInitiation(c, hs, now, minInterval, ts -> true);
  }

  /**
   * As {@link #commitInitiation(InitiationCandidate, Handshake, long, long)}, but once the replay
   * and flood checks pass, {@code record} must first make the new timestamp durable (so that the
   * initiation is refused as a replay after a restart too); if it returns false the initiation is
   * refused ({@link InitiationRejection#NOT_RECORDED}) and {@code hs} is unchanged.
   */
  public static InitiationRejection commitInitiation(
      InitiationCandidate c,
      Handshake hs,
      long now,
      long minInterval,
      java.util.function.Predicate<byte[]> record) {
    if (!Tai64n.after(c.timestamp, hs.lastTimestamp)) {
      c.destroy();
      return InitiationRejection.REPLAY;
    }
    if (hs.consumedInitiation && now - hs.lastInitiationConsumption <= minInterval) {
      c.destroy();
      return InitiationRejection.FLOOD;
    }
    if (!record.test(c.timestamp.clone())) {
      c.destroy();
      return InitiationRejection.NOT_RECORDED;
    }
    zero(hs.hash, hs.chainKey, hs.localEphemeral);
    hs.hash = c.hash;
    hs.chainKey = c.chainKey;
    hs.remoteEphemeral = c.ephemeral.clone();
    hs.remoteIndex = c.senderIndex;
    hs.lastTimestamp = c.timestamp.clone();
    hs.lastInitiationConsumption = now;
    hs.consumedInitiation = true;
    hs.state = Handshake.State.INITIATION_CONSUMED;
    return null;
  }

  /** Why an authenticated initiation was still refused. */
  public enum InitiationRejection {
    REPLAY,
    FLOOD,
    /**
     * Its timestamp could not be made durable, so a replay after a restart could not be refused.
     */
    NOT_RECORDED
  }

  /**
   * Builds a handshake response (without MACs) into {@code msg[0..92)} after an initiation was
   * consumed; moves {@code hs} to RESPONSE_CREATED.
   */
  public static boolean createResponse(
      Handshake hs, SecureRandom random, int senderIndex, byte[] msg) {
    if (hs.state != Handshake.State.INITIATION_CONSUMED) {
      return false;
    }
    Arrays.fill(msg, 0, RESPONSE_SIZE, (byte) 0);
    byte[] eph = X25519.generatePrivateKey(random);
    byte[] ephPub = X25519.publicKey(eph);
    msg[0] = TYPE_RESPONSE;
    putIntLE(msg, RESP_SENDER, senderIndex);
    putIntLE(msg, RESP_RECEIVER, hs.remoteIndex);
    System.arraycopy(ephPub, 0, msg, RESP_EPHEMERAL, 32);
    byte[] h = Blake2s.hash(hs.hash, ephPub);
    byte[] ck = mixKey(hs.chainKey, ephPub);
    byte[] ss = new byte[32];
    // ee
    if (!X25519.sharedSecret(eph, hs.remoteEphemeral, ss)) {
      zero(eph, ss, ck);
      return false;
    }
    ck = mixKeyZeroing(ck, ss);
    // se
    if (!X25519.sharedSecret(eph, hs.remoteStatic, ss)) {
      zero(eph, ss, ck);
      return false;
    }
    ck = mixKeyZeroing(ck, ss);
    zero(ss);
    // psk
    byte[][] kdf = Blake2s.kdf(3, ck, hs.presharedKey);
    zero(ck);
    ck = kdf[0];
    h = Blake2s.hash(h, kdf[1]);
    byte[] empty = ChaChaPoly.seal(kdf[2], 0, EMPTY, h);
    zero(kdf[1], kdf[2]);
    System.arraycopy(empty, 0, msg, RESP_EMPTY, 16);
    h = Blake2s.hash(h, empty);

    zero(hs.hash, hs.chainKey, hs.localEphemeral);
    hs.hash = h;
    hs.chainKey = ck;
    hs.localEphemeral = eph;
    hs.localIndex = senderIndex;
    hs.state = Handshake.State.RESPONSE_CREATED;
    return true;
  }

  /**
   * Consumes a 92-byte response to our initiation; on success {@code hs} is RESPONSE_CONSUMED. On
   * failure {@code hs} is unchanged (so a forged response cannot abort a real handshake).
   */
  public static boolean consumeResponse(StaticIdentity me, Handshake hs, byte[] msg) {
    if (hs.state != Handshake.State.INITIATION_CREATED || me == null) {
      return false;
    }
    byte[] ephemeral = Arrays.copyOfRange(msg, RESP_EPHEMERAL, RESP_EPHEMERAL + 32);
    byte[] h = Blake2s.hash(hs.hash, ephemeral);
    byte[] ck = mixKey(hs.chainKey, ephemeral);
    byte[] ss = new byte[32];
    if (!X25519.sharedSecret(hs.localEphemeral, ephemeral, ss)) {
      zero(ck);
      return false;
    }
    ck = mixKeyZeroing(ck, ss);
    if (!X25519.sharedSecret(me.privateKey(), ephemeral, ss)) {
      zero(ck, ss);
      return false;
    }
    ck = mixKeyZeroing(ck, ss);
    zero(ss);
    byte[][] kdf = Blake2s.kdf(3, ck, hs.presharedKey);
    zero(ck);
    h = Blake2s.hash(h, kdf[1]);
    byte[] ok = ChaChaPoly.open(kdf[2], 0, msg, RESP_EMPTY, 16, h);
    zero(kdf[1], kdf[2]);
    if (ok == null) {
      zero(kdf[0]);
      return false;
    }
    h = mixHash(h, msg, RESP_EMPTY, 16);
    zero(hs.hash, hs.chainKey, hs.localEphemeral);
    hs.hash = h;
    hs.chainKey = kdf[0];
    hs.remoteIndex = getIntLE(msg, RESP_SENDER);
    hs.state = Handshake.State.RESPONSE_CONSUMED;
    return true;
  }

  private static byte[] mixKeyZeroing(byte[] ck, byte[] input) {
    byte[] next = mixKey(ck, input);
    zero(ck);
    return next;
  }

  /**
   * Derives the transport keypair (paper 5.4.5: (T_send, T_recv) = KDF2(ck, empty) for the
   * initiator, swapped for the responder) and wipes the handshake back to ZEROED.
   *
   * @return the keypair, or null if the handshake is not in RESPONSE_CONSUMED/RESPONSE_CREATED
   */
  public static Keypair deriveKeypair(Handshake hs, long now) {
    boolean initiator;
    if (hs.state == Handshake.State.RESPONSE_CONSUMED) {
      initiator = true;
    } else if (hs.state == Handshake.State.RESPONSE_CREATED) {
      initiator = false;
    } else {
      return null;
    }
    byte[][] kdf = Blake2s.kdf(2, hs.chainKey, EMPTY);
    byte[] send = initiator ? kdf[0] : kdf[1];
    byte[] recv = initiator ? kdf[1] : kdf[0];
    Keypair kp = new Keypair(send, recv, now, initiator, hs.localIndex, hs.remoteIndex);
    zero(kdf[0], kdf[1]);
    zero(hs.chainKey, hs.hash, hs.localEphemeral);
    hs.state = Handshake.State.ZEROED;
    hs.localIndex = 0;
    return kp;
  }
}
