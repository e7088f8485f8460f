package dev.tessera.server;

import dev.tessera.bundle.NodeAuth;
import dev.tessera.bundle.SigningKey;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code policyc serve}: compiles the policy on start and on every change of the policy or the
 * inventory, and serves each node its own signed bundle over HTTP long-poll.
 *
 * <pre>
 *   sources --poll every 200 ms--> CompileLoop --publish--> BundleStore --wake--> HttpApi waiters
 * </pre>
 */
public final class PolicyServer implements AutoCloseable {
  /** Request bodies (acks) are a few dozen bytes; anything above this is refused unread (413). */
  static final int MAX_REQUEST_BODY = 4 * 1024;

  /**
   * The longest request line: a poll's signed query carries the node's report, and the longest one
   * an agent sends (256 advertised IPv6 routes of any length, 16 endpoints, 32 posture facts,
   * URL-encoded) stays below it. Longer lines get 400 unread.
   */
  static final int MAX_REQUEST_LINE = 32 * 1024;

  /**
   * How the server is set up. {@code tlsCertificate} and {@code tlsKey} (PEM, from {@code policyc
   * keygen --tls}) turn on HTTPS; both null means plain HTTP (bundles are signed and requests
   * authenticated either way; TLS adds confidentiality of the filters in transit).
   */
  public record Config(
      PolicySource policy,
      PolicySource inventory,
      InetSocketAddress listen,
      SigningKey key,
      Path stateDir,
      long pollMillis,
      Path tlsCertificate,
      Path tlsKey,
      Options options) {
    public Config {
      if ((tlsCertificate == null) != (tlsKey == null)) {
        throw new IllegalArgumentException("TLS needs both a certificate and its key");
      }
    }

    /** Default options. */
    public Config(
        PolicySource policy,
        PolicySource inventory,
        InetSocketAddress listen,
        SigningKey key,
        Path stateDir,
        long pollMillis,
        Path tlsCertificate,
        Path tlsKey) {
      this(
          policy,
          inventory,
          listen,
          key,
          stateDir,
          pollMillis,
          tlsCertificate,
          tlsKey,
          Options.DEFAULTS);
    }

    /** Plain HTTP, default options. */
    public Config(
        PolicySource policy,
        PolicySource inventory,
        InetSocketAddress listen,
        SigningKey key,
        Path stateDir,
        long pollMillis) {
      this(policy, inventory, listen, key, stateDir, pollMillis, null, null);
    }

    public Config withOptions(Options o) {
      return new Config(
          policy, inventory, listen, key, stateDir, pollMillis, tlsCertificate, tlsKey, o);
    }
  }

  /**
   * Hardening settings.
   *
   * @param epochFile the version epoch, recorded beside the signing key so versions stay above
   *     those served before even if the state directory is lost (see {@link BundleStore}); null:
   *     epoch 0, no such protection (embedded servers in tests)
   * @param adminToken the bearer token {@code /v1/status} requires; null: status is refused
   * @param freshnessMillis lifetime of each signed freshness statement
   * @param maxConnections open connections beyond which new ones get 429
   * @param maxConnectionsPerSource open connections from one source (an IPv4 address, an IPv6 /64)
   *     beyond which a new one from it is closed at once
   * @param maxLongPollsPerNode concurrent long-polls one node may hold
   * @param requestBurstPerNode and {@code requestsPerSecondPerNode}: each node's token bucket
   * @param idleMillis a connection must complete a request within this long of opening or of its
   *     last answer
   */
  public record Options(
      Path epochFile,
      String adminToken,
      long freshnessMillis,
      int maxConnections,
      int maxConnectionsPerSource,
      int maxLongPollsPerNode,
      int requestBurstPerNode,
      double requestsPerSecondPerNode,
      long idleMillis) {
    /** Connections one source may hold unless configured otherwise. */
    public static final int DEFAULT_MAX_CONNECTIONS_PER_SOURCE = 1_000;

    public static final Options DEFAULTS =
        new Options(
            null,
            null,
            BundleStore.DEFAULT_FRESHNESS_MILLIS,
            50_000,
            DEFAULT_MAX_CONNECTIONS_PER_SOURCE,
            4,
            20,
            2.0,
            15_000);

    public Options withEpochFile(Path f) {
      return new Options(
          f,
          adminToken,
          freshnessMillis,
          maxConnections,
          maxConnectionsPerSource,
          maxLongPollsPerNode,
          requestBurstPerNode,
          requestsPerSecondPerNode,
          idleMillis);
    }

    public Options withAdminToken(String t) {
      return new Options(
          epochFile,
          t,
          freshnessMillis,
          maxConnections,
          maxConnectionsPerSource,
          maxLongPollsPerNode,
          requestBurstPerNode,
          requestsPerSecondPerNode,
          idleMillis);
    }

    public Options withFreshnessMillis(long ms) {
      return new Options(
          epochFile,
          adminToken,
          ms,
          maxConnections,
          maxConnectionsPerSource,
          maxLongPollsPerNode,
          requestBurstPerNode,
          requestsPerSecondPerNode,
          idleMillis);
    }

    public Options withMaxConnectionsPerSource(int n) {
      return new Options(
          epochFile,
          adminToken,
          freshnessMillis,
          maxConnections,
          n,
          maxLongPollsPerNode,
          requestBurstPerNode,
          requestsPerSecondPerNode,
          idleMillis);
    }

    public Options withLimits(
        int maxConnections, int maxLongPollsPerNode, int burst, double perSecond, long idleMillis) {
      return new Options(
          epochFile,
          adminToken,
          freshnessMillis,
          maxConnections,
          maxConnectionsPerSource,
          maxLongPollsPerNode,
          burst,
          perSecond,
          idleMillis);
    }
  }

  private final Config config;
  private final ServerStatus status = new ServerStatus();
  private final AuditLog audit;
  private final BundleStore store;
  private final CompileLoop loop;
  private final ScheduledExecutorService poller;
  private final ControlPlane control;
  private final SharedBundles shared;
  private EventLoopGroup group;
  private Channel channel;
  private final java.util.concurrent.atomic.AtomicBoolean closed =
      new java.util.concurrent.atomic.AtomicBoolean();

  public PolicyServer(Config config) throws IOException {
    this(config, null);
  }

  /**
   * A server with a registry: {@code POST /v1/enroll}, poll reports, the idle-ephemeral sweep and
   * the database health check ("degraded" in status). The registry is the inventory only if {@code
   * config.inventory()} is a {@link RegistrySource} over it; the caller keeps owning the registry
   * (closes it after the server).
   */
  public PolicyServer(Config config, ControlPlane.Settings registry) throws IOException {
    this.config = config;
    this.store =
        new BundleStore(
            config.key(),
            config.stateDir(),
            config.options().epochFile(),
            config.options().freshnessMillis());
    this.audit = new AuditLog(config.stateDir().resolve("audit.jsonl"));
    this.loop = new CompileLoop(config.policy(), config.inventory(), store, audit, status);
    this.control = registry == null ? null : new ControlPlane(registry, config.key(), loop, status);
    this.poller =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "tessera-policy-poll");
              t.setDaemon(true);
              return t;
            });
    // On PostgreSQL, with the registry as the inventory, servers sharing the database share the
    // compiling: one compiles, the others serve what it stores.
    this.shared =
        registry != null
                && config.inventory() instanceof RegistrySource
                && registry.registry().database().kind()
                    == dev.tessera.registry.Database.Kind.POSTGRESQL
            ? new SharedBundles(
                new dev.tessera.registry.Cluster(registry.registry().database()),
                store,
                loop,
                status,
                () -> poller.execute(this::pollGuarded))
            : null;
  }

  private void pollGuarded() {
    try {
      loop.poll();
    } catch (RuntimeException e) {
      status.pollFailed(e);
    }
  }

  /** Compiles once, then starts listening and polling. Returns the bound address. */
  public InetSocketAddress start() throws InterruptedException, IOException {
    SslContext tls = null;
    if (config.tlsCertificate() != null) {
      try {
        tls =
            SslContextBuilder.forServer(config.tlsCertificate().toFile(), config.tlsKey().toFile())
                .build();
      } catch (javax.net.ssl.SSLException | IllegalArgumentException e) {
        throw new IOException("cannot use the TLS certificate and key: " + e.getMessage(), e);
      }
    }
    SslContext sslContext = tls;
    if (shared != null) {
      shared.start();
    }
    loop.poll();
    NodeAuth.Authenticator auth = new NodeAuth.Authenticator(config.key(), loop::nodeKey, 4_096);
    Options options = config.options();
    HttpApi api = new HttpApi(store, auth, audit, status, options, control);
    if (control != null) {
      control.housekeeping();
      control.start();
    }
    AtomicInteger open = new AtomicInteger();
    ConnectionsPerSource perSource = new ConnectionsPerSource();
    status.attach(audit, open::get);
    boolean epoll = Epoll.isAvailable();
    group =
        new MultiThreadIoEventLoopGroup(
            epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
    ServerBootstrap b =
        new ServerBootstrap()
            .group(group)
            .channel(epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class)
            .option(ChannelOption.SO_BACKLOG, 4096)
            .childHandler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel ch) {
                    if (sslContext != null) {
                      ch.pipeline().addLast(sslContext.newHandler(ch.alloc()));
                    }
                    ch.pipeline()
                        .addLast(new HttpServerCodec(MAX_REQUEST_LINE, 8192, 8192))
                        .addLast(new RequestCounter(status))
                        .addLast(new HttpObjectAggregator(MAX_REQUEST_BODY))
                        .addLast(
                            new ConnectionGuard(
                                open,
                                options.maxConnections(),
                                perSource,
                                options.maxConnectionsPerSource(),
                                options.idleMillis(),
                                status))
                        .addLast(api);
                  }
                });
    channel = b.bind(config.listen()).sync().channel();
    scheduleGuarded(poller, loop::poll, config.pollMillis(), status);
    return (InetSocketAddress) channel.localAddress();
  }

  /** The registry's checks under the policy in force (tag ownership, route approval). */
  public dev.tessera.registry.PolicyChecks checks() {
    return loop.checks();
  }

  public ServerStatus status() {
    return status;
  }

  public BundleStore store() {
    return store;
  }

  /**
   * The poller's root: a scheduled task that throws is never run again, so anything the compile
   * loop did not expect (an Error included) is caught, counted and logged, and the next poll runs
   * as scheduled; the last good compilation keeps being served meanwhile.
   */
  static java.util.concurrent.ScheduledFuture<?> scheduleGuarded(
      ScheduledExecutorService executor, Runnable poll, long periodMillis, ServerStatus status) {
    return executor.scheduleWithFixedDelay(
        () -> {
          try {
            poll.run();
          } catch (Throwable t) {
            status.pollFailed(t);
            org.slf4j.LoggerFactory.getLogger(PolicyServer.class)
                .error(
                    "polling the sources failed ({}); still serving the last good compilation, polling again",
                    t.toString());
          }
        },
        periodMillis,
        periodMillis,
        TimeUnit.MILLISECONDS);
  }

  /** Polls the sources now (tests use this instead of waiting for the poll interval). */
  public void pollNow() {
    loop.poll();
  }

  public void awaitClose() throws InterruptedException {
    channel.closeFuture().sync();
  }

  @Override
  public void close() throws IOException {
    if (!closed.compareAndSet(false, true)) {
      return; // closed already: its event loops are gone, and closing again would be refused
    }
    poller.shutdownNow();
    if (shared != null) {
      shared.close();
    }
    if (control != null) {
      control.close();
    }
    if (channel != null) {
      channel.close().syncUninterruptibly();
    }
    if (group != null) {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
    audit.close();
  }
}
