package dev.tessera.agent;

import dev.tessera.agent.config.AgentConfig;
import dev.tessera.agent.config.Endpoint;
import dev.tessera.agent.protocol.DeviceOptions;
import dev.tessera.agent.protocol.Peer;
import dev.tessera.agent.protocol.PeerConfig;
import dev.tessera.agent.protocol.WireGuardDevice;
import dev.tessera.agent.transport.UdpTransport;
import dev.tessera.agent.tun.LinkSetup;
import dev.tessera.agent.tun.PolicyRouting;
import dev.tessera.agent.tun.TsoSplitter;
import dev.tessera.agent.tun.TunDevice;
import dev.tessera.agent.uapi.UapiServer;
import dev.tessera.net.IpAddress;
import dev.tessera.net.IpCidr;
import dev.tessera.net.IpPrefix;
import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The Tessera agent: a userspace WireGuard interface with the enforcer on every packet.
 *
 * <p>Pipeline (who runs what; nothing is shared on the hot path except the device itself):
 *
 * <pre>
 *   UDP event loop i (Netty epoll, SO_REUSEPORT socket i, recvmmsg)
 *     datagram -> WireGuardDevice.onDatagram -> decrypt into loop i's direct scratch
 *       -> FilterGate.allowInbound (Enforcer worker i, sending peer)   drop: counted by reason
 *       -> TUN write (queue i mod q)
 *     handshake responses / cookie replies -> pooled ByteBuf -> flushed once per read batch
 *   TUN reader j (platform thread, TUN queue j)
 *     read -> WireGuardDevice.onTunPacket -> route to a peer
 *       -> FilterGate.allowOutbound (Enforcer worker j, that peer: conntrack)
 *       -> encrypt in place into a 64 KiB batch buffer -> runs of equal-size datagrams
 *       -> UDP GSO / sendmmsg when the TUN queue is empty or the batch is full
 *   timer thread: WireGuardDevice.onTimer at the next deadline, at least every 100 ms
 *   UAPI: /var/run/wireguard/IFACE.sock (wg show / wg set); filter watcher: SIGHUP or file change
 * </pre>
 *
 * <p>Lifecycle: {@link #start} builds everything in order and undoes what it built if a step fails;
 * {@link #close} (also run from the JVM shutdown hook on SIGTERM/SIGINT) stops threads, deletes the
 * full-tunnel policy rules ({@link PolicyRouting}), closes the UDP sockets, removes the UAPI socket
 * and pid file, and closes the TUN (the interface and its routes disappear with it), then zeroes
 * key material. Under a policy server, the bundle's peer list decides which configured peers may
 * exchange traffic ({@code distribution.PeerPolicy}); named endpoints are re-resolved by {@link
 * EndpointResolver}.
 */
public final class Agent implements AutoCloseable {
  private static final long TIMER_MAX_NANOS = 100_000_000L;

  private final AgentConfig config;
  private final AgentOptions options;
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private final List<Thread> threads = new ArrayList<>();
  private final CountDownLatch stopped = new CountDownLatch(1);
  private volatile boolean running;
  private WireGuardDevice device;
  private TunDevice tun;
  private UdpTransport udp;
  private DataPath path;
  private FilterGate filter;
  private dev.tessera.agent.distribution.PolicySubscription subscription;
  private UapiServer uapi;
  private PolicyRouting routing;
  private dev.tessera.agent.distribution.PeerPolicy peerPolicy;
  private EndpointResolver resolver;
  private Path pidFile;

  private Agent(AgentConfig config, AgentOptions options) {
    this.config = config;
    this.options = options;
  }

  /**
   * The policy servers' addresses (their host names resolved now), to keep outside a full tunnel; a
   * server whose name does not resolve is left out (logged).
   */
  private List<InetAddress> serverAddresses(java.util.function.Consumer<String> log) {
    List<InetAddress> out = new ArrayList<>();
    for (java.net.URI server :
        subscription == null ? List.<java.net.URI>of() : subscription.servers()) {
      String host = server.getHost();
      if (host == null) {
        continue;
      }
      try {
        String literal = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
        out.addAll(List.of(InetAddress.getAllByName(literal)));
      } catch (UnknownHostException | IllegalArgumentException e) {
        log.accept(
            "cannot resolve the policy server "
                + host
                + " ("
                + e.getMessage()
                + "): its traffic is not kept outside the tunnel");
      }
    }
    return out;
  }

  /** Brings the interface up. Throws with a user-facing message when a step fails. */
  public static Agent start(AgentConfig config, AgentOptions options) throws IOException {
    Agent a = new Agent(config, options);
    try {
      a.doStart();
    } catch (IOException | RuntimeException e) {
      a.close();
      throw e;
    }
    return a;
  }

  private void doStart() throws IOException {
    var log = options.log();
    running = true;

    // 1. Filter first: if it fails closed we want to say so before any packet can flow.
    Path filterFile = options.filterOverride().or(() -> config.tessera().filterFile()).orElse(null);
    if (dev.tessera.agent.distribution.DistributionSettings.requested(config.tessera())) {
      // Signed distribution: fail closed, then the persisted last good bundle, before any TUN
      // exists.
      subscription =
          dev.tessera.agent.distribution.PolicySubscription.open(
              config, options.iface(), options.filterOverride(), log);
      closeables.add(subscription);
      filter = subscription.gate();
    } else {
      filter =
          filterFile == null
              ? FilterGate.allowAll(log)
              : FilterGate.fromFile(filterFile, options.iface(), log);
    }

    Path flowLogFile = options.flowLog().or(() -> config.tessera().flowLog()).orElse(null);
    if (flowLogFile != null) {
      FlowLog flows = filter.startFlowLog(flowLogFile);
      if (flows != null) {
        closeables.add(flows);
      }
    }

    // 2. The protocol core.
    device = new WireGuardDevice(DeviceOptions.defaults());
    FilterGate gate = filter;
    device.onPeerRemoved(gate::forgetPeer);
    // Before any peer exists: each starts from its last initiation timestamp recorded on disk.
    device.setInitiationStamps(
        new InitiationStampFiles(initiationStampDir(config, options), options.log()));
    device.setPrivateKey(config.iface().privateKey());
    int mtu = config.iface().mtu().orElse(1420);
    device.setMtu(mtu);
    List<IpPrefix> routes = new ArrayList<>();
    for (AgentConfig.Peer p : config.peers()) {
      if (device.publicKey().isPresent() && device.publicKey().get().equals(p.publicKey())) {
        log.accept("ignoring [Peer] with the interface's own public key (as WireGuard does)");
        continue;
      }
      device.upsertPeer(
          new PeerConfig(
              p.publicKey(),
              p.presharedKey().orElse(null),
              p.allowedIps(),
              initialEndpoint(p),
              p.persistentKeepalive()));
      routes.addAll(p.allowedIps());
    }

    if (subscription == null) {
      // A local filter's node addresses are accepted only from their nodes' keys, as a bundle's.
      filter.onFileFilter(
          f -> device.setNodeAddresses(dev.tessera.agent.distribution.PeerPolicy.nodeAddresses(f)));
    }
    if (subscription != null) {
      // The bundle's peer list decides who may talk to this node (fail closed for the others).
      java.util.Map<dev.tessera.agent.crypto.WgKey, List<IpPrefix>> configured =
          new java.util.LinkedHashMap<>();
      for (dev.tessera.agent.protocol.Peer p : device.peers()) {
        configured.put(p.publicKey(), p.allowedIps());
      }
      peerPolicy = new dev.tessera.agent.distribution.PeerPolicy(device, configured, log);
      peerPolicy.useRouting(
          options.routing(),
          dev.tessera.agent.distribution.RoutingOptions.coversThisMachine(options.iface()));
      subscription.attachPeers(peerPolicy);
    } else if (options.routing().acceptRoutes() || options.routing().exitNode().isPresent()) {
      throw new IOException(
          "--accept-routes and --exit-node use the routes of a policy server's bundles: join a"
              + " tailnet (--server) or route in the config's AllowedIPs");
    }
    boolean exitNode = subscription != null && options.routing().exitNode().isPresent();
    if (exitNode) {
      // Default traffic goes into the tunnel (policy routing below), and there to the exit node,
      // the only peer whose AllowedIPs hold the default routes; with no usable exit node it is
      // dropped there, never sent outside the tunnel.
      routes.add(IpPrefix.ALL_V4);
      routes.add(IpPrefix.ALL_V6);
    }

    // 3. TUN interface and addresses (routes come after the UDP socket carries its fwmark).
    tun = TunDevice.open(options.iface(), options.tunQueues(), options.tunOffload());
    closeables.add(tun);
    path = new DataPath(device, tun, filter, log);
    new LinkSetup(log).configure(tun.name(), mtu, config.iface().addresses(), List.of());
    if (peerPolicy != null) {
      // Peers from the bundle are reachable through the tunnel however narrow our own address is.
      LinkSetup link = new LinkSetup(log);
      String tunName = tun.name();
      peerPolicy.routeAddressesTo(
          new dev.tessera.agent.distribution.PeerRoutes(
              new dev.tessera.agent.distribution.PeerRoutes.Routes() {
                @Override
                public void add(IpPrefix p) throws IOException {
                  link.addRoute(tunName, p);
                }

                @Override
                public void remove(IpPrefix p) {
                  link.removeRoute(tunName, p);
                }
              },
              log));
    }

    // 4. UDP sockets.
    UdpTransport.Options uo =
        UdpTransport.Options.defaults().withThreads(options.udpThreads()).withGro(options.udpGro());
    udp = UdpTransport.bind(config.iface().listenPort().orElse(0), uo, this::newReceiver, log);
    closeables.add(udp);
    device.setListenPort(udp.port());
    if (subscription != null) {
      // Polls report this node's endpoints and posture; its peers' bundles carry the endpoints.
      List<IpCidr> own = config.iface().addresses();
      subscription.reportWith(
          new dev.tessera.agent.distribution.LocalReport(
              options.routing().advertisedRoutes(),
              options.iface(),
              udp::port,
              a -> own.stream().anyMatch(c -> c.masked().contains(IpAddress.of(a)))));
    }

    // 5. Routes, and for a full tunnel wg-quick's fwmark + policy rules. The mark is on the socket
    // before the first rule exists, so no encrypted datagram can ever be routed into the tunnel.
    long configuredMark = Integer.toUnsignedLong(config.iface().fwMark().orElse(0));
    boolean nft = PolicyRouting.nftInstalled();
    PolicyRouting.Plan plan =
        PolicyRouting.plan(
            config.iface().table(),
            configuredMark,
            routes,
            config.iface().addresses(),
            tun.name(),
            PolicyRouting::tableInUse,
            nft);
    if (exitNode) {
      // The policy server stays reachable outside the tunnel: the node must never lose the
      // control plane that tells it which exit node to use (WireGuard's own datagrams carry the
      // fwmark and skip the tunnel already).
      plan = PolicyRouting.keepOutside(plan, serverAddresses(log));
    }
    if (plan.fwmark() != 0) {
      udp.setFwmark((int) plan.fwmark());
      device.setFwmark((int) plan.fwmark());
      if (plan.fwmarkChosen()) {
        log.accept(
            "full tunnel: fwmark and routing table "
                + plan.fwmark()
                + " (first free from "
                + PolicyRouting.FIRST_TABLE
                + ")");
      }
    }
    routing =
        PolicyRouting.apply(
            plan,
            PolicyRouting.stateFile(options.runDir(), tun.name()),
            PolicyRouting.SYSTEM_IP,
            log);
    closeables.add(routing);
    if (plan.fullTunnel() && !nft) {
      log.accept(
          "note: nft is not installed, so the full tunnel has no anti-spoofing and connmark rules (wg-quick's"
              + " firewall part)"
              + (PolicyRouting.strictRpFilter()
                  ? "; WARNING: net.ipv4.conf.all.rp_filter=1 (strict) will drop the endpoint's replies: use 2 (loose)"
                  : ""));
    }

    // 6. Endpoint host names: re-resolved in the background while a peer has no recent handshake.
    resolver = EndpointResolver.forConfig(config, device, log);
    if (resolver != null) {
      closeables.add(resolver);
    }

    // 7. Threads: TUN readers, timers, filter watcher, endpoint resolver.
    for (int q = 0; q < tun.queues(); q++) {
      int queue = q;
      threads.add(
          Thread.ofPlatform()
              .name("tun-reader-" + q)
              .daemon()
              .start(() -> supervise("TUN reader " + queue, () -> tunLoop(queue))));
    }
    threads.add(
        Thread.ofPlatform()
            .name("wg-timers")
            .daemon()
            .start(() -> supervise("timer loop", this::timerLoop)));
    if (filter.file() != null) {
      threads.add(
          Thread.ofPlatform()
              .name("filter-watch")
              .daemon()
              .start(() -> supervise("filter watcher", this::watchFilter)));
      installSighup();
    }
    if (resolver != null) {
      resolver.start();
    }
    if (subscription != null) {
      subscription.start(path.stats().loopRestarts);
    }

    // 8. Control: UAPI socket and pid file.
    DeviceUapi handler =
        new DeviceUapi(
            device,
            new DeviceUapi.Rebinder() {
              @Override
              public int rebind(int port) throws IOException {
                udp.rebind(port);
                return udp.port();
              }

              @Override
              public int port() {
                return udp.port();
              }

              @Override
              public void setFwmark(int mark) throws IOException {
                udp.setFwmark(mark);
              }
            },
            path,
            peerPolicy == null ? () -> {} : peerPolicy::reapply);
    uapi = UapiServer.start(options.uapiDir(), tun.name(), handler, log);
    closeables.add(uapi);
    if (options.metricsListen().isPresent()) {
      var metrics =
          new dev.tessera.agent.metrics.AgentMetrics(
              handler::tesseraStatus, device::peers, System::currentTimeMillis);
      InetSocketAddress at = options.metricsListen().get();
      var http =
          io.prometheus.metrics.exporter.httpserver.HTTPServer.builder()
              .inetAddress(at.getAddress())
              .port(at.getPort())
              .registry(metrics.registry())
              .buildAndStart();
      closeables.add(http);
      int port = http.getPort();
      log.accept(
          "metrics on http://"
              + options.metricsListen().get().getHostString()
              + ":"
              + port
              + "/metrics");
    }
    pidFile = AgentOptions.pidFile(options.runDir(), tun.name());
    dev.tessera.agent.config.PrivateFiles.writeString(
        pidFile, ProcessHandle.current().pid() + "\n");

    log.accept(
        "interface "
            + tun.name()
            + " up: public key "
            + device.publicKey().map(Object::toString).orElse("(none)")
            + ", UDP port "
            + udp.port()
            + (udp.gsoSupported() ? " (UDP GSO)" : "")
            + ", "
            + config.peers().size()
            + " peer(s), MTU "
            + mtu
            + ", UAPI "
            + uapi.path());
  }

  /**
   * The peer's endpoint at startup: a literal as is; a host name resolved once here. A name that
   * does not resolve yet (DNS not up at boot) is not fatal: the peer starts without an endpoint (it
   * can still reach us) and {@link EndpointResolver} keeps trying.
   */
  private InetSocketAddress initialEndpoint(AgentConfig.Peer p) {
    if (p.endpoint().isEmpty()) {
      return null;
    }
    Endpoint e = p.endpoint().get();
    IpAddress lit = IpAddress.tryParse(e.host());
    if (lit != null) {
      return new InetSocketAddress(lit.toInetAddress(), e.port());
    }
    try {
      return new InetSocketAddress(InetAddress.getByName(e.host()), e.port());
    } catch (UnknownHostException ex) {
      options
          .log()
          .accept(
              "warning: cannot resolve endpoint "
                  + e
                  + " ("
                  + ex.getMessage()
                  + "); starting without it and retrying in the background");
      return null;
    }
  }

  private UdpTransport.Receiver newReceiver(int index, UdpTransport.Sender sender) {
    ShellOutput out = new ShellOutput(path, sender, index % tun.queues(), false);
    return new UdpTransport.Receiver() {
      @Override
      public void onDatagram(ByteBuf content, InetSocketAddress from) {
        path.stats().datagramsReceived.increment();
        // internalNioBuffer: a view reused per ByteBuf, no allocation; valid during this call only.
        ByteBuffer nio = content.internalNioBuffer(content.readerIndex(), content.readableBytes());
        device.onDatagram(nio, from, out);
      }

      @Override
      public void onReadComplete() {
        out.flush();
      }

      @Override
      public void onClose() {
        out.close(); // frees this loop's TUN handle and any unsent batch
      }
    };
  }

  /**
   * Where the peers' last handshake-initiation timestamps are kept: beside the policy bundle
   * ({@code STATEDIR/IFACE.handshakes}, durable across reboots) with signed distribution, else in
   * the run directory (survives restarts of the agent, not a reboot when it is a tmpfs).
   */
  static Path initiationStampDir(AgentConfig config, AgentOptions options) {
    Path base =
        dev.tessera.agent.distribution.DistributionSettings.requested(config.tessera())
            ? config
                .tessera()
                .stateDir()
                .orElse(dev.tessera.agent.distribution.DistributionSettings.DEFAULT_STATE_DIR)
            : options.runDir();
    return base.resolve(options.iface() + ".handshakes");
  }

  private void supervise(String name, Runnable loop) {
    Supervisor.supervise(
        name, () -> running, loop, path.stats().loopRestarts, path::rateLimitedLog);
  }

  /**
   * Reads one TUN queue until the agent stops or the TUN closes; anything else it throws restarts
   * it.
   */
  private void tunLoop(int queue) {
    ShellOutput out = new ShellOutput(path, udp.sender(queue), queue, true);
    ByteBuffer buf = ByteBuffer.allocateDirect(65_536 + TsoSplitter.VNET_HDR_LEN);
    MemorySegment seg = MemorySegment.ofBuffer(buf);
    TsoSplitter splitter = tun.hasVnetHeader() ? new TsoSplitter() : null;
    TsoSplitter.Sink sink = pkt -> device.onTunPacket(pkt, out); // filtered in out.allowOutbound
    try (out;
        TunDevice.Io io = tun.io(queue)) {
      while (running) {
        int n = io.readNow(seg);
        if (n == TunDevice.Io.AGAIN) {
          out.flush(); // queue drained: send the batch before sleeping
          io.awaitReadable();
          continue;
        }
        if (n < 0) {
          break;
        }
        if (n == 0) {
          continue;
        }
        path.stats().tunPacketsRead.increment();
        buf.clear().limit(n);
        out.sender(udp.sender(queue)); // follows a UAPI listen_port rebind
        if (splitter != null) {
          splitter.split(buf, sink); // TSO: one read may carry dozens of TCP segments
        } else {
          sink.packet(buf);
        }
      }
    } catch (IOException e) {
      if (running) {
        options.log().accept("TUN reader " + queue + " stopped: " + e);
      }
    }
  }

  private void timerLoop() {
    ShellOutput out = new ShellOutput(path, udp.sender(0), 0, false);
    long lastRotation = System.nanoTime();
    try (out) {
      while (running) {
        long now = System.nanoTime();
        long next = device.nextTimerDeadlineNanos();
        long wait = Math.min(TIMER_MAX_NANOS, Math.max(0, next - now));
        if (wait > 0) {
          LockSupport.parkNanos(wait);
        }
        if (!running) {
          break;
        }
        out.sender(udp.sender(0));
        try {
          device.onTimer(out);
          if (peerPolicy != null && now - lastRotation >= 1_000_000_000L) {
            lastRotation = now;
            peerPolicy.rotateEndpoints(now);
          }
        } catch (RuntimeException e) {
          path.rateLimitedLog("bug: timer handler threw " + e);
        }
        out.flush();
      }
    }
  }

  private void watchFilter() {
    Path f = filter.file();
    FileTime lastTime = null;
    long lastSize = -1;
    while (running) {
      try {
        FileTime t = Files.getLastModifiedTime(f);
        long size = Files.size(f);
        if (lastTime != null && (!t.equals(lastTime) || size != lastSize)) {
          filter.reload(false);
        } else if (lastTime == null && filter.mode() == FilterGate.Mode.FAIL_CLOSED) {
          filter.reload(false); // the file appeared or became readable
        }
        lastTime = t;
        lastSize = size;
      } catch (IOException e) {
        lastTime = null; // missing right now (e.g. being replaced); retry
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(500));
    }
  }

  /** SIGHUP reloads the filter (sun.misc.Signal through reflection: the only JDK hook for it). */
  private void installSighup() {
    try {
      Class<?> signal = Class.forName("sun.misc.Signal");
      Class<?> handlerType = Class.forName("sun.misc.SignalHandler");
      Object handler =
          java.lang.reflect.Proxy.newProxyInstance(
              getClass().getClassLoader(),
              new Class<?>[] {handlerType},
              (proxy, m, args) ->
                  switch (m.getName()) {
                    case "handle" -> {
                      options.log().accept("SIGHUP: reloading filter");
                      filter.reload(true);
                      yield null;
                    }
                    case "hashCode" -> System.identityHashCode(proxy);
                    case "equals" -> proxy == args[0];
                    case "toString" -> "tessera-sighup";
                    default -> null;
                  });
      signal
          .getMethod("handle", signal, handlerType)
          .invoke(null, signal.getConstructor(String.class).newInstance("HUP"), handler);
    } catch (ReflectiveOperationException | RuntimeException e) {
      options
          .log()
          .accept(
              "note: SIGHUP reload unavailable ("
                  + e
                  + "); the filter file is still watched for changes");
    }
  }

  public String iface() {
    return tun.name();
  }

  public int listenPort() {
    return udp.port();
  }

  WireGuardDevice device() {
    return device;
  }

  public FilterGate filter() {
    return filter;
  }

  /** Blocks until {@link #close} has run. */
  public void awaitStop() throws InterruptedException {
    stopped.await();
  }

  @Override
  public synchronized void close() {
    if (!running && stopped.getCount() == 0) {
      return;
    }
    running = false;
    if (pidFile != null) {
      try {
        Files.deleteIfExists(pidFile);
      } catch (IOException e) {
        options.log().accept("could not remove " + pidFile + ": " + e.getMessage());
      }
    }
    // Reverse order of creation: UAPI, UDP, TUN (wakes readers within the poll timeout); the
    // device last, once no thread can call into it any more.
    for (int i = closeables.size() - 1; i >= 0; i--) {
      try {
        closeables.get(i).close();
      } catch (Exception e) {
        options.log().accept("shutdown: " + e);
      }
    }
    closeables.clear();
    for (Thread t : threads) {
      t.interrupt();
      LockSupport.unpark(t);
      try {
        t.join(2000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (device != null) {
      device.close(); // zeroes key material
    }
    stopped.countDown();
  }

  /**
   * Parses {@code configFile}, brings the interface up and blocks until SIGTERM/SIGINT. Returns a
   * process exit code: 0 after a clean stop, 1 when bring-up failed, 2 for config errors. Used by
   * {@code tessera-agent up} and by {@link AgentMain}.
   */
  public static int runForeground(
      Path configFile,
      Path filterOverride,
      String ifaceOverride,
      java.util.function.Consumer<String> log) {
    return runForeground(configFile, filterOverride, ifaceOverride, null, log);
  }

  /** As above, serving Prometheus metrics on {@code metricsListen} when it is not null. */
  public static int runForeground(
      Path configFile,
      Path filterOverride,
      String ifaceOverride,
      InetSocketAddress metricsListen,
      java.util.function.Consumer<String> log) {
    return runForeground(configFile, filterOverride, ifaceOverride, metricsListen, null, log);
  }

  /** As above, writing the flow log to {@code flowLog} when it is not null. */
  public static int runForeground(
      Path configFile,
      Path filterOverride,
      String ifaceOverride,
      InetSocketAddress metricsListen,
      Path flowLog,
      java.util.function.Consumer<String> log) {
    dev.tessera.agent.config.ConfigParser.Result r =
        dev.tessera.agent.config.ConfigParser.parse(configFile);
    r.problems().forEach(p -> log.accept(p.toString()));
    if (!r.ok()) {
      return 2;
    }
    String name = ifaceOverride != null ? ifaceOverride : AgentOptions.ifaceFromConfig(configFile);
    return runForeground(
        r.config().orElseThrow(),
        AgentOptions.defaults(name, log)
            .withFilter(filterOverride)
            .withMetricsListen(metricsListen)
            .withFlowLog(flowLog));
  }

  /**
   * Runs {@code config} in the foreground until SIGTERM/SIGINT; returns the exit code (1: the
   * interface could not be brought up).
   */
  public static int runForeground(AgentConfig config, AgentOptions opts) {
    var log = opts.log();
    String name = opts.iface();
    Agent agent;
    try {
      agent = start(config, opts);
    } catch (IOException | RuntimeException e) {
      log.accept("failed to bring up " + name + ": " + e.getMessage());
      return 1;
    }
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  log.accept("stopping " + name);
                  agent.close();
                },
                "agent-shutdown"));
    try {
      agent.awaitStop();
    } catch (InterruptedException e) {
      agent.close();
    }
    return 0;
  }

  /** For the integration tests and status: all peers. */
  List<Peer> peers() {
    return device.peers();
  }
}
