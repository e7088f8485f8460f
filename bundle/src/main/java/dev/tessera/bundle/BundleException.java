package dev.tessera.bundle;

/**
 * A bundle or request that must not be acted on. The reason is machine-readable so the agent can
 * count refusals and the server can answer with the right status; the message says what was wrong
 * for a human reading the log.
 */
public final class BundleException extends Exception {
  /** Why a bundle or request was refused. */
  public enum Reason {
    /** Bytes that do not parse as a bundle of a known format version. */
    MALFORMED,
    /** The Ed25519 signature does not verify under the configured server key. */
    BAD_SIGNATURE,
    /** Signed for another node. */
    WRONG_NODE,
    /** Not newer than the bundle already held (a replayed or rolled-back bundle). */
    ROLLBACK,
    /** The content hash does not match the filter bytes. */
    HASH_MISMATCH,
    /** The signed filter itself is not a valid compiled filter. */
    BAD_FILTER,
    /** A request whose authenticator does not verify. */
    BAD_AUTH,
    /** A request from a node the server does not know (or that has no key). */
    UNKNOWN_NODE,
    /** A request whose timestamp is outside the accepted window, or whose nonce was seen. */
    REPLAYED,
    /**
     * An answer without a current, genuine {@link Freshness} statement for this node and the
     * version it names (a possible freeze attack: the agent keeps the filter in force).
     */
    STALE,
    /** A server answer whose body is larger than any bundle may be. */
    TOO_LARGE
  }

  private final Reason reason;

  public BundleException(Reason reason, String message) {
    super(message, null, false, false);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}
