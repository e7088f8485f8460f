package dev.tessera.server;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Per connection, between the HTTP aggregator and {@link HttpApi}: the connection cap and the idle
 * timeout.
 *
 * <ul>
 *   <li><b>Idle.</b> A connection must deliver a complete request within {@code idleMillis} of
 *       opening or of its last answer, else it is closed. A client trickling a request byte by byte
 *       (slowloris) or opening sockets and sending nothing holds a file descriptor for that long at
 *       most. While a request is being answered (a long-poll waits up to 120 s) the clock is
 *       stopped; the long-poll's own timeout bounds that.
 *   <li><b>Cap.</b> Beyond {@code maxConnections} open connections, a new connection's first
 *       request is answered {@code 429 Too Many Requests} with {@code Retry-After} and the
 *       connection is closed; one that sends nothing is closed by the idle timeout.
 *   <li><b>Cap per source.</b> Beyond {@code maxPerSource} open connections from one source (an
 *       IPv4 address or an IPv6 /64, {@link ConnectionsPerSource}), a new connection from it is
 *       closed as soon as it is accepted, before a byte is read (no TLS handshake, no parsing), and
 *       counted as refused; it never counts against the global cap. One host can thus hold at most
 *       {@code maxPerSource} of the server's connections, and everybody else still connects.
 * </ul>
 */
final class ConnectionGuard extends ChannelDuplexHandler {
  private final AtomicInteger open;
  private final int maxConnections;
  private final ConnectionsPerSource perSource;
  private final int maxPerSource;
  private final long idleMillis;
  private final ServerStatus status;
  private boolean over;
  private boolean counted;
  private ConnectionsPerSource.Source source;
  private ScheduledFuture<?> idle;

  ConnectionGuard(
      AtomicInteger open,
      int maxConnections,
      ConnectionsPerSource perSource,
      int maxPerSource,
      long idleMillis,
      ServerStatus status) {
    this.open = open;
    this.maxConnections = maxConnections;
    this.perSource = perSource;
    this.maxPerSource = maxPerSource;
    this.idleMillis = idleMillis;
    this.status = status;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) throws Exception {
    ConnectionsPerSource.Source from = ConnectionsPerSource.of(ctx.channel().remoteAddress());
    if (from != null && perSource.opened(from) > maxPerSource) {
      perSource.closed(from);
      status.connectionRefusedPerSource();
      ctx.close();
      return;
    }
    source = from;
    counted = true;
    over = open.incrementAndGet() > maxConnections;
    arm(ctx);
    super.channelActive(ctx);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    if (counted) {
      open.decrementAndGet();
      counted = false;
    }
    if (source != null) {
      perSource.closed(source);
      source = null;
    }
    disarm();
    super.channelInactive(ctx);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
    if (msg instanceof FullHttpRequest) {
      disarm();
      if (over) {
        ReferenceCountUtil.release(msg);
        status.connectionRefused();
        FullHttpResponse r =
            new DefaultFullHttpResponse(
                HttpVersion.HTTP_1_1,
                HttpResponseStatus.TOO_MANY_REQUESTS,
                Unpooled.copiedBuffer(
                    "too many connections; retry later\n", StandardCharsets.UTF_8));
        r.headers().set(HttpHeaderNames.RETRY_AFTER, "1");
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
        HttpUtil.setContentLength(r, r.content().readableBytes());
        HttpUtil.setKeepAlive(r, false);
        ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
        return;
      }
    }
    super.channelRead(ctx, msg);
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise)
      throws Exception {
    if (msg instanceof HttpResponse) {
      promise = promise.unvoid();
      promise.addListener(
          f -> {
            if (ctx.channel().isActive()) {
              arm(ctx);
            }
          });
    }
    super.write(ctx, msg, promise);
  }

  private void arm(ChannelHandlerContext ctx) {
    disarm();
    idle =
        ctx.executor()
            .schedule(
                () -> {
                  status.idleClosed();
                  ctx.close();
                },
                over ? Math.min(idleMillis, 2_000) : idleMillis,
                TimeUnit.MILLISECONDS);
  }

  private void disarm() {
    if (idle != null) {
      idle.cancel(false);
      idle = null;
    }
  }
}
