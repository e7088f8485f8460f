package dev.tessera.agent.enroll;

/**
 * Why joining or leaving the tailnet did not happen, with a message for the user. {@link
 * Kind#REFUSED} and {@link Kind#USAGE} will not succeed by retrying unchanged (exit 2: systemd does
 * not restart on it); {@link Kind#UNREACHABLE} may (exit 1).
 */
public final class EnrollException extends Exception {
  private static final long serialVersionUID = 1L;

  /** What kind of failure, which decides the exit code. */
  public enum Kind {
    /** Bad or missing options, or a state directory that does not fit them. */
    USAGE,
    /** The server answered and refused (an auth key that is unknown, used, expired, ...). */
    REFUSED,
    /** The server could not be reached, or failed (5xx, a malformed answer). */
    UNREACHABLE
  }

  private final Kind kind;
  private final String code;

  /**
   * @param code the server's error code ({@code auth-key-used}), or a local one
   */
  public EnrollException(Kind kind, String code, String message) {
    super(message, null, false, false);
    this.kind = kind;
    this.code = code;
  }

  public Kind kind() {
    return kind;
  }

  public String code() {
    return code;
  }

  /** The agent's exit code for this failure: 2 for usage and refusals, 1 otherwise. */
  public int exitCode() {
    return kind == Kind.UNREACHABLE ? 1 : 2;
  }
}
