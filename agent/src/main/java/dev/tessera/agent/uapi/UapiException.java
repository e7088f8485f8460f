package dev.tessera.agent.uapi;

/**
 * A UAPI operation failed; {@link #errno} is what goes on the {@code errno=} line. The values
 * follow wireguard-go's ipc package (negative Linux errno values).
 */
public final class UapiException extends Exception {
  public static final int EIO = -5;
  public static final int EINVAL = -22;
  public static final int EPROTO = -71;
  public static final int EADDRINUSE = -98;

  /** wireguard-go's IpcErrorUnknown (-ENOANO). */
  public static final int UNKNOWN = -55;

  private final int errno;

  public UapiException(int errno, String message) {
    super(message);
    this.errno = errno;
  }

  public int errno() {
    return errno;
  }
}
