package dev.tessera.registry;

/**
 * A request the registry refused, with a stable code and a message that says what to do. Nothing
 * was written when one is thrown: every write runs in one transaction that is rolled back.
 */
public final class RegistryException extends Exception {
  private static final long serialVersionUID = 1L;

  /** Why a request was refused. */
  public enum Code {
    MALFORMED_AUTH_KEY,
    UNKNOWN_AUTH_KEY,
    AUTH_KEY_EXPIRED,
    AUTH_KEY_REVOKED,
    AUTH_KEY_USED,
    TAG_NOT_OWNED,
    MALFORMED_TAG,
    MALFORMED_HOSTNAME,
    MALFORMED_USER,
    MALFORMED_PUBLIC_KEY,
    DUPLICATE_PUBLIC_KEY,
    MALFORMED_ROUTE,
    ROUTE_NOT_ADVERTISED,
    ADDRESSES_EXHAUSTED,
    UNKNOWN_NODE,
    NAME_TAKEN,
    BAD_REQUEST,
    /**
     * The request needs the policy's checks ({@code tagOwners}, {@code autoApprovers}) and this
     * server cannot make them now; nothing was applied, a later request (or another server) may
     * succeed.
     */
    POLICY_UNAVAILABLE,
    /** The database could not be reached or failed; the request was not applied. */
    DATABASE;

    /**
     * The code as it appears on the wire and in messages ({@code TAG_NOT_OWNED} is {@code
     * tag-not-owned}).
     */
    public String wire() {
      return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }
  }

  private final Code code;

  public RegistryException(Code code, String message) {
    super(message);
    this.code = code;
  }

  public RegistryException(Code code, String message, Throwable cause) {
    super(message, cause);
    this.code = code;
  }

  public Code code() {
    return code;
  }
}
