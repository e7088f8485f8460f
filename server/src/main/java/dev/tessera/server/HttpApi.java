package dev.tessera.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tessera.bundle.BundleException;
import dev.tessera.bundle.Freshness;
import dev.tessera.bundle.NodeAuth;
import dev.tessera.bundle.PollReport;
import dev.tessera.server.control.EnrollmentService;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The HTTP API agents and operators use.
 *
 * <pre>
 *   GET  /v1/bundle[?wait=SECONDS]   authenticated node; If-None-Match: "VERSION"
 *        200 the signed bundle (ETag "VERSION") as soon as the node's version differs from the
 *            one it holds; 304 when nothing changed within the wait (long-poll, default 30 s)
 *        with a registry, the query also reports the node's endpoints and posture (signed with
 *        the request): endpoint=HOST:PORT (repeated), port=N (its WireGuard port at the source
 *        address the server sees), posture=KEY=VALUE (repeated), advertise=P,P,... (every route
 *        the node advertises now; approved again under autoApprovers when it changed). An
 *        advertise= that is refused (not routes, too many) is answered as usual, with
 *        X-Tessera-Advertise-Refused: WHY on the 200, 304 or 404 (informational, unsigned)
 *   POST /v1/ack   {"version": N, "hash": "..."}   authenticated node; 204
 *   POST /v1/enroll                     with a registry: join with an auth key, signed with the
 *                                       key being registered (see EnrollmentService); JSON answer
 *   POST /v1/logout                     with a registry: authenticated node (also one enrolled
 *                                       since the last compilation); deletes it from the
 *                                       registry; 200 {"deleted": NAME}
 *   GET  /v1/server-key                 with a registry: the public signing key (base64), for an
 *                                       agent that enrolls without being given it (trust on first
 *                                       use, pinned by the agent)
 *   GET  /v1/status                     Authorization: Bearer ADMIN-TOKEN; JSON: revision in force,
 *                                       last error, per-node versions, audit and limit counters
 *   GET  /v1/health                     200 "ok" (or "degraded": the registry cannot be used, the last
 *                                       good bundles are served) once a compilation is in force, else 503
 * </pre>
 *
 * A node is only ever answered with its own bundle: the node name comes from the authenticated
 * request, never from a parameter. Every answer about a bundle, 304 included, carries a signed
 * {@link Freshness} statement (or is a bundle still fresh itself), so an on-path party cannot hold
 * an agent on an old policy by answering "unchanged".
 *
 * <p>Every authentication failure, of a node or of the admin, is the same 401 with the same body
 * ({@value #UNAUTHORIZED}), so an attacker learns neither which node names exist nor which check
 * failed; the reason is counted in status. Refusals are answered after a short delay on a
 * connection that is then closed (see {@link #refuseLater}). An authenticated node is held to a
 * request rate and a number of concurrent long-polls ({@link PolicyServer.Options}); beyond them it
 * gets 429 with {@code Retry-After}, and other nodes are unaffected.
 *
 * <p>Ownership: {@link SimpleChannelInboundHandler} releases each request after {@link
 * #channelRead0}; everything needed later (the body) is copied out before that.
 */
@ChannelHandler.Sharable
final class HttpApi extends SimpleChannelInboundHandler<FullHttpRequest> {
  static final int MAX_WAIT_SECONDS = 120;
  static final String UNAUTHORIZED = "unauthorized\n";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final BundleStore store;
  private final NodeAuth.Authenticator auth;
  private final AuditLog audit;
  private final ServerStatus status;
  private final PolicyServer.Options options;
  private final ControlPlane control;
  private final byte[] adminToken;
  private final java.util.concurrent.ConcurrentHashMap<String, NodeLimit> limits =
      new java.util.concurrent.ConcurrentHashMap<>();

  /** One node's request budget (token bucket) and its long-polls in flight. */
  private static final class NodeLimit {
    double tokens;
    long refilledAtNanos = System.nanoTime();
    int longPolls;
  }

  HttpApi(
      BundleStore store,
      NodeAuth.Authenticator auth,
      AuditLog audit,
      ServerStatus status,
      PolicyServer.Options options) {
    this(store, auth, audit, status, options, null);
  }

  /**
   * @param control the registry side ({@code /v1/enroll}, poll reports); null: the server has no
   *     registry
   */
  HttpApi(
      BundleStore store,
      NodeAuth.Authenticator auth,
      AuditLog audit,
      ServerStatus status,
      PolicyServer.Options options,
      ControlPlane control) {
    this.control = control;
    this.store = store;
    this.auth = auth;
    this.audit = audit;
    this.status = status;
    this.options = options;
    this.adminToken =
        options.adminToken() == null ? null : options.adminToken().getBytes(StandardCharsets.UTF_8);
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
    if (!req.decoderResult().isSuccess()) {
      refuseLater(ctx, text(HttpResponseStatus.BAD_REQUEST, "malformed request\n"));
      return;
    }
    QueryStringDecoder uri = new QueryStringDecoder(req.uri());
    String path = uri.path();
    try {
      if (path.equals("/v1/bundle") && req.method().equals(HttpMethod.GET)) {
        bundle(ctx, req, uri);
      } else if (path.equals("/v1/ack") && req.method().equals(HttpMethod.POST)) {
        ack(ctx, req);
      } else if (path.equals("/v1/enroll")
          && req.method().equals(HttpMethod.POST)
          && control != null) {
        enroll(ctx, req);
      } else if (path.equals("/v1/logout")
          && req.method().equals(HttpMethod.POST)
          && control != null) {
        logout(ctx, req);
      } else if (path.equals("/v1/server-key")
          && req.method().equals(HttpMethod.GET)
          && control != null) {
        respond(ctx, req, text(HttpResponseStatus.OK, control.serverPublicKey() + "\n"));
      } else if (path.equals("/v1/status") && req.method().equals(HttpMethod.GET)) {
        requireAdmin(req);
        respond(ctx, req, json(HttpResponseStatus.OK, status.toMap(store)));
      } else if (path.equals("/v1/health") && req.method().equals(HttpMethod.GET)) {
        // A tailnet with no nodes yet (a fresh registry) compiles to no bundles and is healthy.
        respond(
            ctx,
            req,
            store.size() > 0 || status.hasCompiled()
                ? text(
                    HttpResponseStatus.OK, status.degradedReason() == null ? "ok\n" : "degraded\n")
                : text(HttpResponseStatus.SERVICE_UNAVAILABLE, "no compilation yet\n"));
      } else {
        respond(ctx, req, text(HttpResponseStatus.NOT_FOUND, "not found\n"));
      }
    } catch (BundleException e) {
      status.unauthorized(e.reason());
      refuseLater(ctx, text(HttpResponseStatus.UNAUTHORIZED, UNAUTHORIZED));
    } catch (RateLimited e) {
      status.rateLimited();
      FullHttpResponse r = text(HttpResponseStatus.TOO_MANY_REQUESTS, e.getMessage() + "\n");
      r.headers().set(HttpHeaderNames.RETRY_AFTER, "1");
      respond(ctx, req, r);
    }
  }

  /**
   * Answers a refused request ({@code 401}, {@code 400}) after {@link #REFUSAL_DELAY_MILLIS} and
   * closes the connection: a timer, no CPU, while a client that floods forged or malformed requests
   * waits for each answer and must open a new connection (which the connection cap bounds) for
   * every attempt. An honest agent is never refused.
   */
  private static void refuseLater(ChannelHandlerContext ctx, FullHttpResponse r) {
    ctx.channel().config().setAutoRead(false); // nothing more from this connection
    ctx.executor()
        .schedule(() -> respond(ctx, false, r), REFUSAL_DELAY_MILLIS, TimeUnit.MILLISECONDS);
  }

  static final long REFUSAL_DELAY_MILLIS = 100;

  /** A node over its request rate or long-poll count. */
  static final class RateLimited extends Exception {
    RateLimited(String message) {
      super(message, null, false, false);
    }
  }

  private void requireAdmin(FullHttpRequest req) throws BundleException {
    String h = req.headers().get(HttpHeaderNames.AUTHORIZATION);
    byte[] given =
        h != null && h.startsWith("Bearer ")
            ? h.substring(7).strip().getBytes(StandardCharsets.UTF_8)
            : null;
    if (adminToken == null
        || given == null
        || !java.security.MessageDigest.isEqual(adminToken, given)) {
      throw new BundleException(BundleException.Reason.BAD_AUTH, "status needs the admin token");
    }
  }

  /** Takes one request from the node's budget; refills at the configured rate up to the burst. */
  private void charge(String node) throws RateLimited {
    NodeLimit l =
        limits.computeIfAbsent(
            node,
            k -> {
              NodeLimit n = new NodeLimit();
              n.tokens = options.requestBurstPerNode();
              return n;
            });
    synchronized (l) {
      long now = System.nanoTime();
      l.tokens =
          Math.min(
              options.requestBurstPerNode(),
              l.tokens + (now - l.refilledAtNanos) / 1e9 * options.requestsPerSecondPerNode());
      l.refilledAtNanos = now;
      if (l.tokens < 1) {
        throw new RateLimited("too many requests from this node; retry later");
      }
      l.tokens -= 1;
    }
  }

  private NodeLimit startLongPoll(String node) throws RateLimited {
    NodeLimit l = limits.get(node);
    synchronized (l) {
      if (l.longPolls >= options.maxLongPollsPerNode()) {
        throw new RateLimited("too many concurrent long-polls from this node; retry later");
      }
      l.longPolls++;
    }
    return l;
  }

  private static void endLongPoll(NodeLimit l) {
    synchronized (l) {
      l.longPolls--;
    }
  }

  /**
   * {@code POST /v1/enroll} on the registry's thread; the answer goes back on this channel's event
   * loop. A refusal (4xx) is answered like every other refusal: late, on a closed connection; the
   * connection reads nothing more meanwhile.
   */
  private void enroll(ChannelHandlerContext ctx, FullHttpRequest req) {
    byte[] body = ByteBufUtil.getBytes(req.content());
    Map<String, String> headers = authHeaders(req);
    ctx.channel().config().setAutoRead(false);
    control.enroll(
        req.method().name(),
        req.uri(),
        body,
        headers,
        remoteHost(ctx),
        r -> ctx.executor().execute(() -> registryAnswer(ctx, r)));
  }

  /**
   * {@code POST /v1/logout}: an authenticated node deletes itself from the registry. Both the
   * authentication and the deletion run on the registry's thread, like an enrollment: a node
   * enrolled since the last compilation is known only to the registry (see {@link
   * ControlPlane#logout}).
   */
  private void logout(ChannelHandlerContext ctx, FullHttpRequest req) {
    byte[] body = ByteBufUtil.getBytes(req.content());
    Map<String, String> headers = authHeaders(req);
    ctx.channel().config().setAutoRead(false);
    control.logout(
        req.method().name(),
        req.uri(),
        body,
        headers,
        r -> ctx.executor().execute(() -> registryAnswer(ctx, r)));
  }

  /** A registry answer (JSON); a refusal (4xx) is answered late, on a closed connection. */
  private void registryAnswer(ChannelHandlerContext ctx, EnrollmentService.Response r) {
    FullHttpResponse resp =
        new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1,
            HttpResponseStatus.valueOf(r.status()),
            Unpooled.wrappedBuffer(r.body()));
    resp.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
    resp.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-store");
    if (r.status() >= 400 && r.status() < 500) {
      if (r.status() == 401) {
        status.unauthorized(BundleException.Reason.BAD_AUTH);
      }
      refuseLater(ctx, resp);
    } else {
      respond(ctx, false, resp);
    }
  }

  private static String remoteHost(ChannelHandlerContext ctx) {
    return ctx.channel().remoteAddress() instanceof java.net.InetSocketAddress a
            && a.getAddress() != null
        ? a.getAddress().getHostAddress()
        : null;
  }

  private static Map<String, String> authHeaders(FullHttpRequest req) {
    Map<String, String> headers = new HashMap<>();
    for (String h :
        new String[] {
          NodeAuth.HEADER_NODE, NodeAuth.HEADER_TIME, NodeAuth.HEADER_NONCE, NodeAuth.HEADER_AUTH
        }) {
      String v = req.headers().get(h);
      if (v != null) {
        headers.put(h, v);
      }
    }
    return headers;
  }

  private String authenticate(FullHttpRequest req, byte[] body) throws BundleException {
    Map<String, String> headers = authHeaders(req);
    return auth.authenticate(
        req.method().name(), req.uri(), body, headers, System.currentTimeMillis());
  }

  private void bundle(ChannelHandlerContext ctx, FullHttpRequest req, QueryStringDecoder uri)
      throws BundleException, RateLimited {
    String node = authenticate(req, new byte[0]);
    charge(node);
    long now = System.currentTimeMillis();
    status.checkIn(node, now);
    String advertiseRefused =
        control == null ? null : control.report(node, uri.parameters(), remoteHost(ctx));
    long known = parseEtag(req.headers().get(HttpHeaderNames.IF_NONE_MATCH));
    int waitSeconds = parseWait(uri);
    boolean keepAlive = HttpUtil.isKeepAlive(req);
    BundleStore.Entry entry = store.get(node);
    if (entry == null) {
      respond(
          ctx,
          keepAlive,
          advertiseRefused(
              text(HttpResponseStatus.NOT_FOUND, "no filter is compiled for node " + node + "\n"),
              advertiseRefused));
      return;
    }
    // Only a higher version is news; a lower one (this server has not yet installed what another
    // server of the same database gave the agent) is waited out like no change.
    if (entry.version() > known || waitSeconds == 0) {
      sendBundle(ctx, keepAlive, node, entry, known, advertiseRefused);
      return;
    }
    // Long-poll: answer when this node's bundle changes, or with 304 at the end of the wait.
    NodeLimit limit = startLongPoll(node);
    var done = new java.util.concurrent.atomic.AtomicBoolean();
    Runnable[] cancel = new Runnable[1];
    var timeout =
        ctx.executor()
            .schedule(
                () -> {
                  if (done.compareAndSet(false, true)) {
                    endLongPoll(limit);
                    cancel[0].run();
                    BundleStore.Entry now2 = store.get(node);
                    sendBundle(
                        ctx, keepAlive, node, now2 == null ? entry : now2, known, advertiseRefused);
                  }
                },
                waitSeconds,
                TimeUnit.SECONDS);
    // The store calls back on whichever thread signed the bundle: hand over to this channel's
    // event loop at once (one task per woken channel; cancelling the timer there is a plain queue
    // removal instead of another cross-thread task), so signing continues for the other nodes.
    cancel[0] =
        store.await(
            node,
            known,
            e -> {
              if (done.compareAndSet(false, true)) {
                endLongPoll(limit);
                ctx.executor()
                    .execute(
                        () -> {
                          timeout.cancel(false);
                          sendBundle(ctx, keepAlive, node, e, known, advertiseRefused);
                        });
              }
            });
    ctx.channel()
        .closeFuture()
        .addListener(
            f -> {
              if (done.compareAndSet(false, true)) {
                endLongPoll(limit);
                timeout.cancel(false);
                cancel[0].run();
              }
            });
  }

  /**
   * Sets {@link PollReport#ADVERTISE_REFUSED_HEADER} on {@code r} when the poll's {@code
   * advertise=} was refused ({@code why} is printable ASCII, see {@link ControlPlane#report}).
   */
  private static FullHttpResponse advertiseRefused(FullHttpResponse r, String why) {
    if (why != null) {
      r.headers().set(PollReport.ADVERTISE_REFUSED_HEADER, why);
    }
    return r;
  }

  /**
   * The answer to a poll: the bundle, or 304 when the node holds it; {@code advertiseRefused}, when
   * not null, says why the poll's {@code advertise=} was refused.
   */
  private void sendBundle(
      ChannelHandlerContext ctx,
      boolean keepAlive,
      String node,
      BundleStore.Entry e,
      long known,
      String advertiseRefused) {
    long now = System.currentTimeMillis();
    if (e.version() == known) {
      FullHttpResponse r =
          new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.NOT_MODIFIED);
      r.headers().set(HttpHeaderNames.ETAG, "\"" + known + "\"");
      r.headers().set(Freshness.HEADER, store.freshness(node, e, false, now));
      respond(ctx, keepAlive, advertiseRefused(r, advertiseRefused));
      return;
    }
    FullHttpResponse r =
        new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1, HttpResponseStatus.OK, Unpooled.wrappedBuffer(e.signed()));
    String fresh = store.freshness(node, e, true, now);
    if (fresh != null) {
      r.headers().set(Freshness.HEADER, fresh);
    }
    r.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/x-tessera-bundle");
    r.headers().set(HttpHeaderNames.ETAG, "\"" + e.version() + "\"");
    r.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-store");
    respond(ctx, keepAlive, advertiseRefused(r, advertiseRefused));
    status.served(node, e.version(), System.currentTimeMillis());
    audit.served(node, e.version(), e.hash());
  }

  private void ack(ChannelHandlerContext ctx, FullHttpRequest req)
      throws BundleException, RateLimited {
    byte[] body = ByteBufUtil.getBytes(req.content());
    String node = authenticate(req, body);
    charge(node);
    long version;
    String hash;
    try {
      JsonNode j = JSON.readTree(body);
      version = j.path("version").asLong(-1);
      hash = j.path("hash").asText("");
    } catch (java.io.IOException e) {
      respond(
          ctx,
          req,
          text(
              HttpResponseStatus.BAD_REQUEST,
              "ack body must be JSON {\"version\": N, \"hash\": \"...\"}\n"));
      return;
    }
    if (version < 1) {
      respond(ctx, req, text(HttpResponseStatus.BAD_REQUEST, "ack needs a version >= 1\n"));
      return;
    }
    long now = System.currentTimeMillis();
    status.acked(node, version, hash, now);
    audit.acknowledged(node, version, hash);
    respond(
        ctx, req, new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.NO_CONTENT));
  }

  private static long parseEtag(String etag) {
    if (etag == null) {
      return 0;
    }
    String v = etag.strip();
    if (v.startsWith("W/")) {
      v = v.substring(2);
    }
    v = v.replace("\"", "");
    try {
      return Long.parseLong(v);
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  private static int parseWait(QueryStringDecoder uri) {
    var values = uri.parameters().get("wait");
    if (values == null || values.isEmpty()) {
      return 30;
    }
    try {
      return Math.max(0, Math.min(MAX_WAIT_SECONDS, Integer.parseInt(values.get(0))));
    } catch (NumberFormatException e) {
      return 30;
    }
  }

  private static FullHttpResponse text(HttpResponseStatus s, String body) {
    FullHttpResponse r =
        new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1, s, Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
    r.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
    return r;
  }

  private static FullHttpResponse json(HttpResponseStatus s, Object value) {
    try {
      FullHttpResponse r =
          new DefaultFullHttpResponse(
              HttpVersion.HTTP_1_1,
              s,
              Unpooled.wrappedBuffer(
                  JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(value)));
      r.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
      return r;
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void respond(ChannelHandlerContext ctx, FullHttpRequest req, FullHttpResponse r) {
    respond(ctx, HttpUtil.isKeepAlive(req), r);
  }

  /**
   * Writes {@code r}; unless {@code keepAlive}, closes the connection after it and says so ({@code
   * Connection: close}): a client not told would send its next request on the closed connection and
   * get no answer.
   */
  private static void respond(ChannelHandlerContext ctx, boolean keepAlive, FullHttpResponse r) {
    HttpUtil.setContentLength(r, r.content().readableBytes());
    HttpUtil.setKeepAlive(r, keepAlive);
    if (keepAlive) {
      ctx.writeAndFlush(r);
    } else {
      ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    // A broken connection or a hostile client: drop the connection, keep serving everyone else.
    ctx.close();
  }
}
