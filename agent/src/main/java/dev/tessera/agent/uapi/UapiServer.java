package dev.tessera.agent.uapi;

import dev.tessera.agent.config.PrivateFiles;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The {@code wg} tool's userspace API socket, {@code /var/run/wireguard/<iface>.sock}, served with
 * java.nio Unix domain sockets.
 *
 * <p>Protocol (wireguard-go device/uapi.go IpcHandle): a connection carries any number of
 * operations; each starts with {@code get=1\n\n} or {@code set=1\n} followed by key=value lines and
 * a blank line; each answer ends with {@code errno=N\n\n}. An unknown operation closes the
 * connection. Tessera adds one operation, {@code tessera=1\n\n}, answered with {@code key=value}
 * status lines (enforcer drop counters, filter state) and {@code errno=0}; stock {@code wg} never
 * sends it, so compatibility is unaffected. {@code tessera-rekey=1\n\n} expires every peer's
 * current session (a forced rekey, for operators and the rekey tests).
 *
 * <p>Security: the socket is bound inside a fresh 0700 directory, made 0600 there and renamed into
 * place, so it is never reachable with the umask's mode (wireguard-go binds under umask 077); a
 * socket directory the agent creates is 0700. Only root configures the tunnel. Request lines and
 * request sizes are bounded so a misbehaving local client cannot exhaust memory. Each connection
 * runs on a virtual thread.
 */
public final class UapiServer implements AutoCloseable {
  /** Default directory, as in wireguard-go's ipc package. */
  public static final Path DEFAULT_DIR = Path.of("/var/run/wireguard");

  private static final int MAX_LINE = 4096;
  private static final int MAX_SET_LINES = 1 << 16;

  /** What the server asks the device. */
  public interface Handler {
    UapiProtocol.DeviceState get();

    void set(UapiRequest request) throws UapiException;

    /** Tessera's extra status lines (key=value, each ending in a newline). */
    String tesseraStatus();

    /**
     * {@code tessera-rekey=1}: expire every peer's current session so the next packet
     * re-handshakes.
     */
    default void expireSessions() {}
  }

  private final Path path;
  private final ServerSocketChannel server;
  private final Handler handler;
  private final Consumer<String> log;
  private final Thread acceptor;
  private volatile boolean closed;

  private UapiServer(Path path, ServerSocketChannel server, Handler handler, Consumer<String> log) {
    this.path = path;
    this.server = server;
    this.handler = handler;
    this.log = log;
    this.acceptor =
        Thread.ofPlatform().daemon().name("uapi-" + path.getFileName()).unstarted(this::acceptLoop);
  }

  public static Path socketPath(Path dir, String iface) {
    return dir.resolve(iface + ".sock");
  }

  /**
   * Binds {@code dir/iface.sock}. A stale socket left by a dead process is replaced; a socket
   * another live process answers on is an error ("in use"), as in wireguard-go's UAPIOpen.
   */
  public static UapiServer start(Path dir, String iface, Handler handler, Consumer<String> log)
      throws IOException {
    PrivateFiles.createDirectories(dir);
    Path path = socketPath(dir, iface);
    if (Files.exists(path)) {
      boolean live;
      try {
        SocketChannel.open(UnixDomainSocketAddress.of(path)).close();
        live = true;
      } catch (IOException e) {
        live = false; // nobody listens: a stale socket from a process that died
      }
      if (live) {
        throw new IOException(
            "UAPI socket "
                + path
                + " is in use by another process (is an agent already running for "
                + iface
                + "?)");
      }
      Files.deleteIfExists(path);
    }
    // bind inside a fresh 0700 directory (no one else can reach the socket while it has the
    // umask's mode), make it 0600 there, then rename it into place: it is never reachable wider
    Path staging = Files.createTempDirectory(dir, "." + iface + ".sock.", PrivateFiles.DIR_0700);
    Path staged = staging.resolve("s");
    ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    try {
      ch.bind(UnixDomainSocketAddress.of(staged));
      Files.setPosixFilePermissions(staged, PosixFilePermissions.fromString("rw-------"));
      Files.move(staged, path, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    } finally {
      Files.deleteIfExists(staged);
      Files.deleteIfExists(staging);
    }
    UapiServer s = new UapiServer(path, ch, handler, log);
    s.acceptor.start();
    return s;
  }

  public Path path() {
    return path;
  }

  private void acceptLoop() {
    while (!closed) {
      try {
        SocketChannel c = server.accept();
        Thread.ofVirtual().name("uapi-conn").start(() -> serve(c));
      } catch (ClosedChannelException e) {
        return;
      } catch (IOException e) {
        if (!closed) {
          log.accept("UAPI accept failed: " + e.getMessage());
        }
      }
    }
  }

  private void serve(SocketChannel c) {
    try (c;
        InputStream in = Channels.newInputStream(c);
        OutputStream out = Channels.newOutputStream(c)) {
      BufferedReader r =
          new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8), 8192);
      handle(r, out);
    } catch (IOException e) {
      // Client went away mid-request; nothing to answer.
    }
  }

  /**
   * Serves operations from {@code r} until EOF or an unknown operation. Package-private for tests.
   */
  void handle(BufferedReader r, OutputStream out) throws IOException {
    while (true) {
      String op = readLine(r);
      if (op == null) {
        return;
      }
      String answer;
      switch (op) {
        case "get=1", "tessera=1", "tessera-rekey=1" -> {
          String next = readLine(r);
          if (next == null) {
            return;
          }
          if (!next.isEmpty()) {
            answer = "errno=" + UapiException.EINVAL + "\n\n";
            log.accept("UAPI: trailing data in " + op);
            break;
          }
          answer =
              switch (op) {
                    case "get=1" -> UapiProtocol.formatGet(handler.get());
                    case "tessera=1" -> handler.tesseraStatus();
                    default -> {
                      handler.expireSessions();
                      yield "";
                    }
                  }
                  + "errno=0\n\n";
        }
        case "set=1" -> {
          List<String> lines = new ArrayList<>();
          String line;
          while ((line = readLine(r)) != null && !line.isEmpty()) {
            if (lines.size() >= MAX_SET_LINES) {
              throw new IOException("UAPI set request too large");
            }
            lines.add(line);
          }
          int errno = 0;
          try {
            handler.set(UapiProtocol.parseSet(lines));
          } catch (UapiException e) {
            errno = e.errno();
            log.accept("UAPI set failed: " + e.getMessage());
          } catch (RuntimeException e) {
            errno = UapiException.UNKNOWN;
            log.accept("UAPI set failed unexpectedly: " + e);
          }
          answer = "errno=" + errno + "\n\n";
          if (line == null) {
            out.write(answer.getBytes(StandardCharsets.UTF_8));
            out.flush();
            return;
          }
        }
        default -> {
          log.accept(
              "invalid UAPI operation: " + (op.length() > 64 ? op.substring(0, 64) + "..." : op));
          return;
        }
      }
      out.write(answer.getBytes(StandardCharsets.UTF_8));
      out.flush();
    }
  }

  /** One line without its newline; null at EOF. Lines longer than MAX_LINE end the connection. */
  private static String readLine(BufferedReader r) throws IOException {
    StringBuilder sb = new StringBuilder();
    while (true) {
      int ch = r.read();
      if (ch < 0) {
        return sb.isEmpty() ? null : sb.toString();
      }
      if (ch == '\n') {
        return sb.toString();
      }
      if (sb.length() >= MAX_LINE) {
        throw new IOException("UAPI line too long");
      }
      sb.append((char) ch);
    }
  }

  @Override
  public void close() {
    closed = true;
    try {
      server.close();
    } catch (IOException e) {
      // already closed
    }
    try {
      Files.deleteIfExists(path);
    } catch (IOException e) {
      log.accept("could not remove " + path + ": " + e.getMessage());
    }
  }

  /**
   * Client side, used by {@code tessera-agent show/down}: sends one operation, returns the answer.
   */
  public static String query(Path socket, String request) throws IOException {
    try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(socket));
        InputStream in = Channels.newInputStream(c);
        OutputStream out = Channels.newOutputStream(c)) {
      out.write(request.getBytes(StandardCharsets.UTF_8));
      out.flush();
      BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
      StringBuilder sb = new StringBuilder();
      String line;
      while ((line = readLine(r)) != null) {
        sb.append(line).append('\n');
        if (line.startsWith("errno=")) {
          break;
        }
      }
      return sb.toString();
    }
  }
}
