package dev.tessera.enforcer.format;

/**
 * A compiled filter (binary or JSON) that cannot be loaded: corrupt, truncated, an unknown version,
 * or content that fails validation. The message says what and where (byte offset for the binary
 * form, JSON path for the JSON view). Loading is all-or-nothing: when this is thrown nothing was
 * applied.
 */
public final class FilterFormatException extends Exception {
  private static final long serialVersionUID = 1L;

  public FilterFormatException(String message) {
    super(message);
  }

  public FilterFormatException(String message, Throwable cause) {
    super(message, cause);
  }
}
