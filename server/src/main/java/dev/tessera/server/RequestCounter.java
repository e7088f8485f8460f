package dev.tessera.server;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import java.util.ArrayDeque;
import java.util.Set;

/**
 * Counts the server's requests by path and response status ({@link ServerStatus#request}). One per
 * connection, right after the HTTP codec, so it also sees the answers the handlers behind it give
 * (an oversized body, a malformed request). HTTP/1.1 answers requests in order: each final response
 * belongs to the oldest request not answered yet; informational (1xx) ones do not end a request.
 */
final class RequestCounter extends ChannelDuplexHandler {
  /** The paths counted by name; every other path is counted as {@link #OTHER}. */
  static final Set<String> PATHS =
      Set.of("/v1/bundle", "/v1/ack", "/v1/enroll", "/v1/status", "/v1/health");

  static final String OTHER = "other";

  private final ServerStatus status;
  private final ArrayDeque<String> pending = new ArrayDeque<>();

  RequestCounter(ServerStatus status) {
    this.status = status;
  }

  /** The label of a request target: its path if the server serves it, else {@link #OTHER}. */
  static String pathLabel(String uri) {
    int q = uri.indexOf('?');
    String path = q < 0 ? uri : uri.substring(0, q);
    return PATHS.contains(path) ? path : OTHER;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
    if (msg instanceof HttpRequest r && pending.size() < 64) {
      pending.add(pathLabel(r.uri()));
    }
    super.channelRead(ctx, msg);
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise)
      throws Exception {
    if (msg instanceof HttpResponse r
        && r.status().codeClass() != io.netty.handler.codec.http.HttpStatusClass.INFORMATIONAL) {
      String path = pending.poll();
      status.request(path == null ? OTHER : path, r.status().code());
    }
    super.write(ctx, msg, promise);
  }
}
