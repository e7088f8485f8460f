package dev.tessera.agent.transport;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.unix.SegmentedDatagramPacket;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The agent's UDP socket(s), on Netty's native epoll transport.
 *
 * <p>Design:
 *
 * <ul>
 *   <li>One {@link EpollDatagramChannel} per event-loop thread, all bound to the same port with
 *       SO_REUSEPORT, so the kernel spreads flows (by 4-tuple hash) over the threads and each
 *       thread decrypts what its socket receives without any hand-off.
 *   <li>Batched receive: {@link EpollChannelOption#MAX_DATAGRAM_PAYLOAD_SIZE} plus a receive buffer
 *       several slots large makes Netty use {@code recvmmsg(2)}, one syscall for up to {@link
 *       Options#recvBatch} datagrams. With {@link Options#udpGro} the socket also asks the kernel
 *       for UDP GRO (coalesced same-size datagrams, split again by Netty); slots are then 64 KiB
 *       because a coalesced read must not be truncated.
 *   <li>Batched send: writes are flushed once per read batch, so Netty sends them with {@code
 *       sendmmsg(2)}; {@link Sender#writeSegmented} sends a run of equal-size datagrams to one
 *       destination as a single UDP GSO ({@code UDP_SEGMENT}) packet when the kernel offers it.
 * </ul>
 *
 * <p>ByteBuf ownership: a {@link DatagramPacket} delivered to {@link Receiver#onDatagram} belongs
 * to the transport, which releases it right after the call returns; a receiver that needs the bytes
 * later copies them (the protocol core never keeps them). A buffer passed to {@link Sender#write}
 * or {@link Sender#writeSegmented} belongs to Netty from then on (released after the send, or on
 * failure); the caller must not touch or release it afterwards.
 */
public final class UdpTransport implements AutoCloseable {
  /** Tunables; {@link #defaults()} suits a small host. */
  public record Options(
      int threads, int recvBatch, int slotSize, boolean udpGro, int socketBufferBytes) {
    public Options {
      if (threads < 1
          || threads > 64
          || recvBatch < 1
          || recvBatch > 1024
          || slotSize < 1500
          || slotSize > 65535) {
        throw new IllegalArgumentException("bad UDP transport options " + this);
      }
    }

    public static Options defaults() {
      int cpus = Runtime.getRuntime().availableProcessors();
      return new Options(
          Math.max(1, Math.min(4, cpus)),
          32,
          4096,
          false,
          Integer.getInteger("tessera.agent.socketBuffer", 4 << 20));
    }

    public Options withThreads(int n) {
      return new Options(n, recvBatch, slotSize, udpGro, socketBufferBytes);
    }

    public Options withGro(boolean gro) {
      return new Options(threads, recvBatch, gro ? 65535 : slotSize, gro, socketBufferBytes);
    }
  }

  /** Called on the event-loop thread of one socket. */
  public interface Receiver {
    /** One received datagram; {@code content} is valid only during the call (see class doc). */
    void onDatagram(ByteBuf content, InetSocketAddress sender);

    /** End of a read batch: the receiver should flush what it wrote. */
    void onReadComplete();

    /** The socket closed (shutdown or rebind); called on its event loop, last call. */
    default void onClose() {}
  }

  /** Creates the receiver for socket {@code index}, given that socket's sender. */
  public interface ReceiverFactory {
    Receiver create(int index, Sender sender);
  }

  private final EventLoopGroup group;
  private final Options options;
  private final ReceiverFactory factory;
  private final Consumer<String> log;
  private final List<Sender> senders = new ArrayList<>();

  /** Lock-free snapshot of {@link #senders} for the per-packet {@link #sender(int)} lookup. */
  private volatile Sender[] senderArray = new Sender[0];

  private volatile int port;
  private final boolean gso;

  /** SO_MARK of every socket (0 = none); kept across {@link #rebind}. */
  private volatile int fwmark;

  /**
   * SO_MARK (socket(7), SOL_SOCKET=1, SO_MARK=36): the mark policy routing matches so the tunnel's
   * own encrypted datagrams leave by the physical route (wg-quick's full-tunnel rule {@code not
   * fwmark M table M}). Netty's epoll transport has no named option for it but passes any integer
   * socket option through to setsockopt(2).
   */
  static final io.netty.channel.unix.IntegerUnixChannelOption SO_MARK =
      new io.netty.channel.unix.IntegerUnixChannelOption("SO_MARK", 1, 36);

  private UdpTransport(
      EventLoopGroup group, Options options, ReceiverFactory factory, Consumer<String> log) {
    this.group = group;
    this.options = options;
    this.factory = factory;
    this.log = log;
    this.gso =
        EpollDatagramChannel.isSegmentedDatagramPacketSupported()
            && !Boolean.getBoolean("tessera.agent.noGso");
  }

  /** Binds {@code options.threads()} sockets on {@code port} (0 = let the kernel pick one). */
  public static UdpTransport bind(
      int port, Options options, ReceiverFactory factory, Consumer<String> log) throws IOException {
    if (!Epoll.isAvailable()) {
      throw new IOException("Netty epoll transport unavailable: " + Epoll.unavailabilityCause());
    }
    EventLoopGroup group =
        new MultiThreadIoEventLoopGroup(
            options.threads(),
            new DefaultThreadFactory("wg-udp", true),
            EpollIoHandler.newFactory());
    UdpTransport t = new UdpTransport(group, options, factory, log);
    try {
      t.bindAll(port);
    } catch (IOException | RuntimeException e) {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      throw e;
    }
    return t;
  }

  private void bindAll(int requestedPort) throws IOException {
    List<Sender> fresh = new ArrayList<>();
    int p = requestedPort;
    try {
      for (int i = 0; i < options.threads(); i++) {
        Sender s = new Sender(i);
        Bootstrap b =
            new Bootstrap()
                .group(group)
                .channel(EpollDatagramChannel.class)
                .option(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
                .option(EpollChannelOption.SO_REUSEPORT, true)
                .option(ChannelOption.SO_RCVBUF, options.socketBufferBytes())
                .option(ChannelOption.SO_SNDBUF, options.socketBufferBytes())
                .option(EpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE, options.slotSize())
                .option(
                    ChannelOption.RECVBUF_ALLOCATOR,
                    new FixedRecvByteBufAllocator(options.slotSize() * options.recvBatch())
                        .maxMessagesPerRead(options.recvBatch() * 4))
                .handler(new Handler(s));
        if (options.udpGro()) {
          b.option(EpollChannelOption.UDP_GRO, true);
        }
        if (fwmark != 0) {
          b.option(SO_MARK, fwmark);
        }
        Channel ch;
        try {
          ch = b.bind(new InetSocketAddress(p)).sync().channel();
        } catch (Exception e) {
          throw new IOException("cannot bind UDP port " + p + ": " + e.getMessage(), e);
        }
        s.channel = ch;
        fresh.add(s);
        if (p == 0) {
          p =
              ((InetSocketAddress) ch.localAddress())
                  .getPort(); // later sockets join the picked port
        }
      }
    } catch (IOException e) {
      for (Sender s : fresh) {
        s.channel.close().awaitUninterruptibly();
      }
      throw e;
    }
    synchronized (senders) {
      List<Sender> old = new ArrayList<>(senders);
      senders.clear();
      senders.addAll(fresh);
      senderArray = fresh.toArray(Sender[]::new);
      for (Sender s : old) {
        s.channel.close().awaitUninterruptibly();
      }
    }
    port = p;
  }

  /**
   * Moves to a new port (UAPI listen_port); the old sockets close only once the new ones are bound.
   */
  public void rebind(int newPort) throws IOException {
    bindAll(newPort);
    log.accept("listening on UDP port " + port);
  }

  public int port() {
    return port;
  }

  /**
   * Sets SO_MARK on every socket now and on sockets bound later (0 clears it). Needs CAP_NET_ADMIN;
   * throws with the kernel's reason when a socket refuses it, after restoring the previous mark on
   * the sockets already changed.
   */
  public synchronized void setFwmark(int mark) throws IOException {
    List<Sender> current;
    synchronized (senders) {
      current = List.copyOf(senders);
    }
    int previous = fwmark;
    List<Sender> done = new ArrayList<>();
    for (Sender s : current) {
      try {
        if (!s.channel.config().setOption(SO_MARK, mark)) {
          throw new IOException("socket option SO_MARK is not supported by this transport");
        }
        done.add(s);
      } catch (
          RuntimeException
              e) { // Netty's ChannelException wraps the errno (EPERM without CAP_NET_ADMIN)
        for (Sender d : done) {
          d.channel.config().setOption(SO_MARK, previous);
        }
        throw new IOException(
            "cannot set fwmark "
                + Integer.toUnsignedString(mark)
                + " on the UDP socket: "
                + (e.getCause() != null ? e.getCause().getMessage() : e.getMessage()),
            e);
      }
    }
    fwmark = mark;
  }

  /** The mark the kernel reports for socket {@code i} (getsockopt), for tests and status. */
  public int socketFwmark(int i) {
    return sender(i).channel.config().getOption(SO_MARK);
  }

  public boolean gsoSupported() {
    return gso;
  }

  public Options options() {
    return options;
  }

  /** The sender of socket {@code i % threads}; stable until a {@link #rebind}. */
  public Sender sender(int i) {
    Sender[] a = senderArray;
    return a[Math.floorMod(i, a.length)];
  }

  public EventLoop eventLoop(int i) {
    return sender(i).channel.eventLoop();
  }

  @Override
  public void close() {
    synchronized (senders) {
      for (Sender s : senders) {
        s.channel.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
      }
      senders.clear();
    }
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
  }

  /**
   * Writes datagrams on one socket. Thread-safe (Netty queues writes from foreign threads onto the
   * socket's event loop); cheapest when called on that loop.
   */
  public final class Sender {
    private final int index;
    volatile Channel channel;
    private Receiver receiver;

    Sender(int index) {
      this.index = index;
    }

    public int index() {
      return index;
    }

    public ByteBufAllocator alloc() {
      return PooledByteBufAllocator.DEFAULT;
    }

    /** Sends {@code buf} (readable bytes) to {@code to}; takes ownership of {@code buf}. */
    public void write(ByteBuf buf, InetSocketAddress to) {
      channel.write(new DatagramPacket(buf, to), channel.voidPromise());
    }

    /**
     * Sends {@code buf} as consecutive datagrams of {@code segmentSize} bytes (the last may be
     * shorter) to {@code to}: one UDP GSO send when supported, otherwise one datagram per segment.
     * Takes ownership of {@code buf}.
     */
    public void writeSegmented(ByteBuf buf, int segmentSize, InetSocketAddress to) {
      if (buf.readableBytes() <= segmentSize) {
        write(buf, to);
      } else if (gso) {
        channel.write(new SegmentedDatagramPacket(buf, segmentSize, to), channel.voidPromise());
      } else {
        try {
          while (buf.isReadable()) {
            write(buf.readRetainedSlice(Math.min(segmentSize, buf.readableBytes())), to);
          }
        } finally {
          buf.release();
        }
      }
    }

    public void flush() {
      channel.flush();
    }

    public EventLoop eventLoop() {
      return channel.eventLoop();
    }

    public boolean inEventLoop() {
      return channel.eventLoop().inEventLoop();
    }
  }

  /** Per-socket inbound handler; owns and releases every received packet. */
  private final class Handler extends ChannelInboundHandlerAdapter {
    private final Sender sender;

    Handler(Sender sender) {
      this.sender = sender;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      sender.receiver = factory.create(sender.index, sender);
      ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      try {
        if (msg instanceof DatagramPacket p && sender.receiver != null) {
          sender.receiver.onDatagram(p.content(), p.sender());
        }
      } catch (RuntimeException e) {
        // The protocol core promises not to throw on any input; if it does, it is a bug: log it
        // (rate-limited by nature of being exceptional) and keep serving other datagrams.
        log.accept("bug: datagram handler threw " + e);
      } finally {
        io.netty.util.ReferenceCountUtil.release(msg);
      }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      if (sender.receiver != null) {
        sender.receiver.onReadComplete();
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      if (sender.receiver != null) {
        sender.receiver.onClose();
      }
      ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      // ICMP port unreachable and friends surface here on some kernels; they are not fatal for an
      // unconnected socket.
      log.accept("UDP socket error: " + cause.getMessage());
    }
  }
}
