package dev.tessera.bench.server;

import dev.tessera.bundle.NodeAuth;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpVersion;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The load test's simulated agents as a light client: one keep-alive HTTP/1.1 connection per agent
 * on a small Netty event-loop group, plain request/response, no per-request futures chains beyond
 * one {@link CompletableFuture}. The JDK HttpClient does the same with much more CPU per response
 * (its single selector thread, per-exchange objects and executor hops), which on a 2-core box
 * shared with the server showed up in the measured propagation. What is measured does not change:
 * every request is still authenticated as its node ({@link NodeAuth.Signer}), and the arrival time
 * is taken when the full response is decoded, before anything else is done with it; the caller
 * verifies each bundle (signature, node, version, content) after the timing.
 */
final class NettyAgents implements AutoCloseable {
  /** A response: status, body, and when its last byte was decoded (System.nanoTime). */
  record Response(int status, byte[] body, long arrivedNanos) {}

  private final EventLoopGroup group;
  private final Bootstrap bootstrap;
  private final InetSocketAddress server;
  private final Channel[] channels;

  NettyAgents(InetSocketAddress server, int agents, int threads) {
    this.server = server;
    this.channels = new Channel[agents];
    boolean epoll = Epoll.isAvailable();
    this.group =
        new MultiThreadIoEventLoopGroup(
            threads, epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
    this.bootstrap =
        new Bootstrap()
            .group(group)
            .channel(epoll ? EpollSocketChannel.class : NioSocketChannel.class)
            .option(ChannelOption.TCP_NODELAY, true)
            .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 20_000)
            .handler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel ch) {
                    ch.pipeline()
                        .addLast(
                            new HttpClientCodec(), new HttpObjectAggregator(16 << 20), new Agent());
                  }
                });
  }

  /** Opens one connection per agent, at most {@code parallel} connects in flight. */
  void connectAll(int parallel) throws InterruptedException, IOException {
    connect(parallel, id -> true);
  }

  /** Opens one connection for each agent {@code which} accepts. */
  void connect(int parallel, java.util.function.IntPredicate which)
      throws InterruptedException, IOException {
    Semaphore inFlight = new Semaphore(parallel);
    CountDownLatch done = new CountDownLatch(channels.length);
    AtomicInteger failed = new AtomicInteger();
    for (int i = 0; i < channels.length; i++) {
      int id = i;
      if (!which.test(id)) {
        done.countDown();
        continue;
      }
      inFlight.acquire();
      bootstrap
          .connect(server)
          .addListener(
              f -> {
                inFlight.release();
                if (f.isSuccess()) {
                  channels[id] = ((io.netty.channel.ChannelFuture) f).channel();
                } else {
                  failed.incrementAndGet();
                }
                done.countDown();
              });
    }
    if (!done.await(120, TimeUnit.SECONDS) || failed.get() > 0) {
      throw new IOException("could not connect every agent: " + failed.get() + " failed");
    }
  }

  /** Sends agent {@code id}'s authenticated GET /v1/bundle; one request at a time per agent. */
  CompletableFuture<Response> send(int id, NodeAuth.Signer signer, long held, int wait) {
    String path = "/v1/bundle?wait=" + wait;
    FullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, path);
    req.headers().set(HttpHeaderNames.HOST, server.getHostString() + ":" + server.getPort());
    req.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
    signer
        .sign("GET", path, new byte[0], System.currentTimeMillis())
        .asMap()
        .forEach(req.headers()::set);
    if (held > 0) {
      req.headers().set(HttpHeaderNames.IF_NONE_MATCH, "\"" + held + "\"");
    }
    Channel ch = channels[id];
    CompletableFuture<Response> result = new CompletableFuture<>();
    Agent agent = ch.pipeline().get(Agent.class);
    ch.eventLoop()
        .execute(
            () -> {
              if (agent.pending != null) {
                result.completeExceptionally(
                    new IllegalStateException("agent " + id + " has a request in flight"));
                return;
              }
              agent.pending = result;
              ch.writeAndFlush(req)
                  .addListener(
                      f -> {
                        if (!f.isSuccess()) {
                          agent.fail(f.cause());
                        }
                      });
            });
    return result;
  }

  /** One agent's connection: completes the pending request with the next full response. */
  private static final class Agent extends SimpleChannelInboundHandler<FullHttpResponse> {
    CompletableFuture<Response> pending;

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse r) {
      long now = System.nanoTime();
      CompletableFuture<Response> p = pending;
      pending = null;
      if (p != null) {
        p.complete(new Response(r.status().code(), ByteBufUtil.getBytes(r.content()), now));
      }
    }

    void fail(Throwable t) {
      CompletableFuture<Response> p = pending;
      pending = null;
      if (p != null) {
        p.completeExceptionally(t);
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      fail(new ClosedChannelException());
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      fail(cause);
      ctx.close();
    }
  }

  @Override
  public void close() {
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }
}
