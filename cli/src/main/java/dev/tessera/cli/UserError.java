package dev.tessera.cli;

/**
 * A problem with what the user gave us (missing file, unreadable inventory, bad combination of
 * options). Thrown by subcommands; printed as one line without a stack trace, with its exit code.
 */
final class UserError extends RuntimeException {
  private final int exitCode;

  public UserError(String message) {
    this(message, PolicyC.USAGE);
  }

  public UserError(String message, int exitCode) {
    super(message, null, false, false);
    this.exitCode = exitCode;
  }

  public int exitCode() {
    return exitCode;
  }
}
