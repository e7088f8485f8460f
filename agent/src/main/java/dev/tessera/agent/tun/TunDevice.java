package dev.tessera.agent.tun;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A Linux TUN interface opened through {@code /dev/net/tun} with the FFM API.
 *
 * <p>Design: the fd is opened with {@code IFF_TUN | IFF_NO_PI} (layer-3 packets, no 4-byte packet
 * information header) and set non-blocking. {@link #read} drains packets without blocking and falls
 * back to {@code poll(2)} with a short timeout only when the queue is empty, so a reader thread
 * pays one syscall per packet under load and still notices {@link #close} within the poll timeout
 * (a blocked {@code read(2)} would not wake up when another thread closes the fd). With {@code
 * multiQueue}, {@link #openQueue} adds further fds on the same interface (IFF_MULTI_QUEUE), which
 * the kernel load-balances per flow, so several reader threads can pull packets in parallel.
 *
 * <p>Packets are exchanged through {@link MemorySegment}s; native segments (for example over a
 * Netty direct buffer's memory address) avoid any copy between the kernel and the crypto code. Each
 * reader/writer thread must use its own {@link Io} handle (it owns the errno capture and poll
 * scratch memory); the device itself is thread-safe for concurrent Io handles.
 *
 * <p>The interface is not persistent: it disappears when the last fd is closed, so a crashed agent
 * leaves no interface behind.
 */
@SuppressWarnings("restricted")
public final class TunDevice implements AutoCloseable {
  private static final long TUNSETIFF = 0x400454caL;
  private static final short IFF_TUN = 0x0001;
  private static final short IFF_NO_PI = 0x1000;
  private static final short IFF_MULTI_QUEUE = 0x0100;
  private static final short IFF_VNET_HDR = 0x4000;
  private static final long TUNSETOFFLOAD = 0x400454d0L;
  private static final long TUN_F_CSUM = 0x01;
  private static final long TUN_F_TSO4 = 0x02;
  private static final long TUN_F_TSO6 = 0x04;
  private static final int IFNAMSIZ = 16;
  private static final int IFREQ_SIZE = 40;
  private static final int POLL_TIMEOUT_MS = 200;

  private final String name;
  private final boolean multiQueue;
  private final boolean offload;
  private final int[] fds;
  private final AtomicBoolean closed = new AtomicBoolean();

  private TunDevice(String name, boolean multiQueue, boolean offload, int[] fds) {
    this.name = name;
    this.multiQueue = multiQueue;
    this.offload = offload;
    this.fds = fds;
  }

  /**
   * Creates (or attaches to) the TUN interface {@code requestedName} with {@code queues} fds (more
   * than one uses IFF_MULTI_QUEUE). The kernel may substitute a {@code %d} in the name.
   */
  public static TunDevice open(String requestedName, int queues) throws IOException {
    return open(requestedName, queues, false);
  }

  /**
   * Like {@link #open(String, int)}; with {@code offload} the fds carry a 10-byte virtio-net header
   * before each packet (IFF_VNET_HDR) and the kernel may hand the agent TCP segments of up to 64
   * KiB with a partial checksum (TUNSETOFFLOAD: TUN_F_CSUM, TUN_F_TSO4, TUN_F_TSO6), which {@link
   * TsoSplitter} cuts into MTU-sized packets. One read then replaces dozens, and the sender's TCP
   * stack works on large segments, as with a NIC that does TSO. If the kernel refuses the offload
   * flags the device falls back to plain packets (still with the header).
   */
  public static TunDevice open(String requestedName, int queues, boolean offload)
      throws IOException {
    if (requestedName.isEmpty()
        || requestedName.getBytes(StandardCharsets.US_ASCII).length >= IFNAMSIZ) {
      throw new IOException(
          "interface name must have 1.." + (IFNAMSIZ - 1) + " characters: '" + requestedName + "'");
    }
    if (queues < 1 || queues > 16) {
      throw new IOException("queues must be 1..16");
    }
    boolean mq = queues > 1;
    int[] fds = new int[queues];
    String actual = requestedName;
    int opened = 0;
    try {
      for (int q = 0; q < queues; q++) {
        Result r = openOne(actual, mq, offload);
        fds[q] = r.fd;
        actual = r.name;
        opened++;
      }
    } catch (IOException e) {
      for (int i = 0; i < opened; i++) {
        closeFd(fds[i]);
      }
      throw e;
    }
    return new TunDevice(actual, mq, offload, fds);
  }

  private record Result(int fd, String name) {}

  private static Result openOne(String name, boolean mq, boolean offload) throws IOException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment err = Libc.newErrnoSegment(arena);
      MemorySegment path = arena.allocateFrom("/dev/net/tun");
      int fd =
          (int) Libc.OPEN.invokeExact(err, path, Libc.O_RDWR | Libc.O_NONBLOCK | Libc.O_CLOEXEC);
      if (fd < 0) {
        throw new IOException("open /dev/net/tun: " + Libc.strerror(Libc.errno(err)));
      }
      MemorySegment ifr = arena.allocate(IFREQ_SIZE);
      byte[] nb = name.getBytes(StandardCharsets.US_ASCII);
      MemorySegment.copy(nb, 0, ifr, ValueLayout.JAVA_BYTE, 0, nb.length);
      short flags =
          (short) (IFF_TUN | IFF_NO_PI | (mq ? IFF_MULTI_QUEUE : 0) | (offload ? IFF_VNET_HDR : 0));
      ifr.set(ValueLayout.JAVA_SHORT, IFNAMSIZ, flags);
      int rc = (int) Libc.IOCTL_PTR.invokeExact(err, fd, TUNSETIFF, ifr);
      if (rc < 0) {
        int e = Libc.errno(err);
        closeFd(fd);
        throw new IOException(
            "ioctl TUNSETIFF "
                + name
                + ": "
                + Libc.strerror(e)
                + (e == 1 ? " (needs CAP_NET_ADMIN)" : ""));
      }
      String actual = ifr.asSlice(0, IFNAMSIZ).getString(0, StandardCharsets.US_ASCII);
      if (offload) {
        int orc =
            (int)
                Libc.IOCTL_LONG.invokeExact(
                    err, fd, TUNSETOFFLOAD, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6);
        if (orc < 0) {
          // Without TSO the kernel still prefixes the (empty) virtio header; nothing else changes.
          org.slf4j.LoggerFactory.getLogger(TunDevice.class)
              .warn(
                  "TUNSETOFFLOAD refused ({}); no TCP segmentation offload",
                  Libc.strerror(Libc.errno(err)));
        }
      }
      return new Result(fd, actual);
    } catch (IOException e) {
      throw e;
    } catch (Throwable t) {
      throw new IOException("TUN setup failed: " + t, t);
    }
  }

  public String name() {
    return name;
  }

  public int queues() {
    return fds.length;
  }

  public boolean isMultiQueue() {
    return multiQueue;
  }

  /**
   * Whether every packet read or written carries a {@link TsoSplitter#VNET_HDR_LEN}-byte virtio-net
   * header.
   */
  public boolean hasVnetHeader() {
    return offload;
  }

  public boolean isClosed() {
    return closed.get();
  }

  /** A per-thread handle for reading and writing on queue {@code q}. */
  public Io io(int q) {
    return new Io(fds[q]);
  }

  /**
   * Per-thread I/O on one queue fd. Not thread-safe: it owns scratch memory (errno capture, pollfd)
   * in a confined arena, freed by {@link #close()}.
   */
  public final class Io implements AutoCloseable {
    private final int fd;
    private final Arena arena = Arena.ofConfined();
    private final MemorySegment err = Libc.newErrnoSegment(arena);
    private final MemorySegment pollfd = arena.allocate(8, 4);

    private Io(int fd) {
      this.fd = fd;
      pollfd.set(ValueLayout.JAVA_INT, 0, fd);
      pollfd.set(ValueLayout.JAVA_SHORT, 4, Libc.POLLIN);
    }

    /**
     * Reads one packet into {@code buf} (a native segment). Returns its length; 0 when no packet
     * arrived within the poll timeout; -1 when the device is closed.
     */
    public int read(MemorySegment buf) throws IOException {
      while (true) {
        if (closed.get()) {
          return -1;
        }
        long n;
        try {
          n = (long) Libc.READ.invokeExact(err, fd, buf, buf.byteSize());
        } catch (Throwable t) {
          throw new IOException("read " + name + ": " + t, t);
        }
        if (n >= 0) {
          return (int) n;
        }
        int e = Libc.errno(err);
        if (e == Libc.EAGAIN) {
          if (!poll()) {
            return 0;
          }
        } else if (e == Libc.EINTR) {
          continue;
        } else if (e == Libc.EBADF && closed.get()) {
          return -1;
        } else {
          throw new IOException("read " + name + ": " + Libc.strerror(e));
        }
      }
    }

    /** {@link #readNow} found no packet queued. */
    public static final int AGAIN = -2;

    /**
     * Reads one packet if one is queued, without waiting: its length, {@link #AGAIN} when the queue
     * is empty, -1 when the device is closed. Lets a reader flush its own batch before it sleeps.
     */
    public int readNow(MemorySegment buf) throws IOException {
      while (true) {
        if (closed.get()) {
          return -1;
        }
        long n;
        try {
          n = (long) Libc.READ.invokeExact(err, fd, buf, buf.byteSize());
        } catch (Throwable t) {
          throw new IOException("read " + name + ": " + t, t);
        }
        if (n >= 0) {
          return (int) n;
        }
        int e = Libc.errno(err);
        if (e == Libc.EAGAIN) {
          return AGAIN;
        } else if (e == Libc.EBADF && closed.get()) {
          return -1;
        } else if (e != Libc.EINTR) {
          throw new IOException("read " + name + ": " + Libc.strerror(e));
        }
      }
    }

    /** Waits up to the poll timeout for a packet; true if one is (probably) readable. */
    public boolean awaitReadable() throws IOException {
      return !closed.get() && poll();
    }

    private boolean poll() throws IOException {
      pollfd.set(ValueLayout.JAVA_SHORT, 6, (short) 0);
      int rc;
      try {
        rc = (int) Libc.POLL.invokeExact(err, pollfd, 1L, POLL_TIMEOUT_MS);
      } catch (Throwable t) {
        throw new IOException("poll " + name + ": " + t, t);
      }
      if (rc < 0 && Libc.errno(err) != Libc.EINTR) {
        throw new IOException("poll " + name + ": " + Libc.strerror(Libc.errno(err)));
      }
      return rc > 0;
    }

    /**
     * Writes one IP packet of {@code len} bytes from {@code buf}. Returns false when the kernel
     * refused it transiently (queue full): the packet is dropped, as a physical NIC would do.
     */
    public boolean write(MemorySegment buf, long len) throws IOException {
      while (true) {
        long n;
        try {
          n = (long) Libc.WRITE.invokeExact(err, fd, buf, len);
        } catch (Throwable t) {
          throw new IOException("write " + name + ": " + t, t);
        }
        if (n >= 0) {
          return true;
        }
        int e = Libc.errno(err);
        if (e == Libc.EINTR) {
          continue;
        }
        if (e == Libc.EAGAIN || e == 105 /* ENOBUFS */) {
          return false;
        }
        if (closed.get()) {
          return false;
        }
        // EINVAL and friends: the kernel rejected a malformed packet; drop it, keep the device.
        if (e == 22) {
          return false;
        }
        throw new IOException("write " + name + ": " + Libc.strerror(e));
      }
    }

    @Override
    public void close() {
      arena.close();
    }
  }

  /**
   * Closes every queue fd; the interface disappears. Readers notice within the poll timeout. The
   * fds are closed after a grace period so a concurrent read never lands on a recycled fd number.
   */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      try {
        Thread.sleep(POLL_TIMEOUT_MS + 50L);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      for (int fd : fds) {
        closeFd(fd);
      }
    }
  }

  private static void closeFd(int fd) {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment err = Libc.newErrnoSegment(arena);
      int unused = (int) Libc.CLOSE.invokeExact(err, fd);
    } catch (Throwable t) {
      // Nothing useful to do: the fd is gone or was never valid.
    }
  }
}
