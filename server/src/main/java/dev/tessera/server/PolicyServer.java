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

/**
 * {@code policyc serve}: compiles the policy on start and on every change of the policy or the
 * inventory, and serves each node its own signed bundle over HTTP long-poll.
 *
 * <pre>
 *   sources --poll every 200 ms--> CompileLoop --publish--> BundleStore --wake--> HttpApi waiters
 * </pre>
 */
public final class PolicyServer implements AutoCloseable {
  /**
   * How the server is set up. {@code tlsCertificate} and {@code tlsKey} (PEM, from {@code policyc
   * keygen --tls}) turn on HTTPS; both null means plain HTTP (bundles are signed and requests
   * authenticated either way; TLS adds confidentiality of the filters in transit).
   */
  public record Config(PolicySource policy, PolicySource inventory, InetSocketAddress listen, SigningKey key,
      Path stateDir, long pollMillis, Path tlsCertificate, Path tlsKey) {
    public Config {
      if ((tlsCertificate == null) != (tlsKey == null)) {
        throw new IllegalArgumentException("TLS needs both a certificate and its key");
      }
    }

    /** Plain HTTP. */
    public Config(PolicySource policy, PolicySource inventory, InetSocketAddress listen, SigningKey key,
        Path stateDir, long pollMillis) {
      this(policy, inventory, listen, key, stateDir, pollMillis, null, null);
    }
  }

  private final Config config;
  private final ServerStatus status = new ServerStatus();
  private final AuditLog audit;
  private final BundleStore store;
  private final CompileLoop loop;
  private final ScheduledExecutorService poller;
  private EventLoopGroup group;
  private Channel channel;

  public PolicyServer(Config config) throws IOException {
    this.config = config;
    this.audit = new AuditLog(config.stateDir().resolve("audit.jsonl"));
    this.store = new BundleStore(config.key(), config.stateDir());
    this.loop = new CompileLoop(config.policy(), config.inventory(), store, audit, status);
    this.poller = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "tessera-policy-poll");
      t.setDaemon(true);
      return t;
    });
  }

  /** Compiles once, then starts listening and polling. Returns the bound address. */
  public InetSocketAddress start() throws InterruptedException, IOException {
    SslContext tls = null;
    if (config.tlsCertificate() != null) {
      try {
        tls = SslContextBuilder.forServer(config.tlsCertificate().toFile(), config.tlsKey().toFile()).build();
      } catch (javax.net.ssl.SSLException | IllegalArgumentException e) {
        throw new IOException("cannot use the TLS certificate and key: " + e.getMessage(), e);
      }
    }
    SslContext sslContext = tls;
    loop.poll();
    NodeAuth.Authenticator auth = new NodeAuth.Authenticator(config.key(), loop::nodeKey, 1_000_000);
    HttpApi api = new HttpApi(store, auth, audit, status);
    boolean epoll = Epoll.isAvailable();
    group = new MultiThreadIoEventLoopGroup(epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
    ServerBootstrap b = new ServerBootstrap()
        .group(group)
        .channel(epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class)
        .option(ChannelOption.SO_BACKLOG, 4096)
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            if (sslContext != null) {
              ch.pipeline().addLast(sslContext.newHandler(ch.alloc()));
            }
            ch.pipeline()
                .addLast(new HttpServerCodec(4096, 8192, 8192))
                .addLast(new HttpObjectAggregator(64 * 1024))
                .addLast(api);
          }
        });
    channel = b.bind(config.listen()).sync().channel();
    poller.scheduleWithFixedDelay(loop::poll, config.pollMillis(), config.pollMillis(), TimeUnit.MILLISECONDS);
    return (InetSocketAddress) channel.localAddress();
  }

  public ServerStatus status() {
    return status;
  }

  public BundleStore store() {
    return store;
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
    poller.shutdownNow();
    if (channel != null) {
      channel.close().syncUninterruptibly();
    }
    if (group != null) {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
    audit.close();
  }
}
