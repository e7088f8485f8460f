package dev.tessera.registry;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import javax.net.SocketFactory;

/**
 * Lets the PostgreSQL driver talk over a Unix domain socket, which it cannot do by itself: the
 * usual way to reach a database on the same machine ({@code
 * postgresql:///tessera?host=/run/postgresql}), and what the tests' throwaway clusters listen on.
 * The driver is given this class as its {@code socketFactory} with the socket's path ({@code
 * DIR/.s.PGSQL.PORT}) as argument, and the host and port it then connects to are ignored.
 *
 * <p>The sockets are JDK {@link SocketChannel}s in non-blocking mode behind the {@link Socket} API
 * the driver uses; reads honour {@code setSoTimeout} (the driver relies on a read timing out while
 * it checks for notifications), which a blocking channel's streams would not.
 */
public final class UnixSocketFactory extends SocketFactory {
  private final Path path;

  public UnixSocketFactory(String path) {
    this.path = Path.of(path);
  }

  @Override
  public Socket createSocket() {
    return new UnixSocket(path);
  }

  @Override
  public Socket createSocket(String host, int port) throws IOException {
    Socket s = createSocket();
    s.connect(null);
    return s;
  }

  @Override
  public Socket createSocket(String host, int port, InetAddress localHost, int localPort)
      throws IOException {
    return createSocket(host, port);
  }

  @Override
  public Socket createSocket(InetAddress host, int port) throws IOException {
    return createSocket("", port);
  }

  @Override
  public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort)
      throws IOException {
    return createSocket("", port);
  }

  private static final class UnixSocket extends Socket {
    private final Path path;
    private SocketChannel channel;
    private Selector readSelector;
    private Selector writeSelector;
    private volatile int timeoutMillis;
    private volatile boolean closed;

    UnixSocket(Path path) {
      this.path = path;
    }

    @Override
    public void connect(SocketAddress ignored) throws IOException {
      connect(ignored, 0);
    }

    @Override
    public synchronized void connect(SocketAddress ignored, int timeout) throws IOException {
      SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
      try {
        ch.connect(UnixDomainSocketAddress.of(path));
        ch.configureBlocking(false);
        readSelector = Selector.open();
        writeSelector = Selector.open();
        ch.register(readSelector, SelectionKey.OP_READ);
        ch.register(writeSelector, SelectionKey.OP_WRITE);
      } catch (IOException e) {
        ch.close();
        throw new SocketException("cannot connect to " + path + ": " + e.getMessage());
      }
      channel = ch;
    }

    @Override
    public boolean isConnected() {
      return channel != null;
    }

    @Override
    public boolean isClosed() {
      return closed;
    }

    @Override
    public synchronized void close() throws IOException {
      closed = true;
      if (channel != null) {
        channel.close();
        readSelector.close();
        writeSelector.close();
      }
    }

    @Override
    public void setSoTimeout(int timeout) {
      timeoutMillis = timeout;
    }

    @Override
    public int getSoTimeout() {
      return timeoutMillis;
    }

    @Override
    public void setTcpNoDelay(boolean on) {}

    @Override
    public boolean getTcpNoDelay() {
      return true;
    }

    @Override
    public void setKeepAlive(boolean on) {}

    @Override
    public boolean getKeepAlive() {
      return false;
    }

    @Override
    public void setReceiveBufferSize(int size) {}

    @Override
    public void setSendBufferSize(int size) {}

    @Override
    public void shutdownInput() throws IOException {
      channel.shutdownInput();
    }

    @Override
    public void shutdownOutput() throws IOException {
      channel.shutdownOutput();
    }

    @Override
    public InputStream getInputStream() {
      return new InputStream() {
        @Override
        public int read() throws IOException {
          byte[] one = new byte[1];
          int n = read(one, 0, 1);
          return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
          if (len == 0) {
            return 0;
          }
          ByteBuffer buf = ByteBuffer.wrap(b, off, len);
          while (true) {
            int n = channel.read(buf);
            if (n != 0) {
              return n;
            }
            int t = timeoutMillis;
            readSelector.selectedKeys().clear();
            if (readSelector.select(t) == 0 && t > 0) {
              throw new SocketTimeoutException("read timed out after " + t + " ms");
            }
          }
        }
      };
    }

    @Override
    public OutputStream getOutputStream() {
      return new OutputStream() {
        @Override
        public void write(int b) throws IOException {
          write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
          ByteBuffer buf = ByteBuffer.wrap(b, off, len);
          while (buf.hasRemaining()) {
            if (channel.write(buf) == 0) {
              writeSelector.selectedKeys().clear();
              writeSelector.select();
            }
          }
        }
      };
    }
  }
}
