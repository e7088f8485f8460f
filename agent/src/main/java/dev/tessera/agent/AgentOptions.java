package dev.tessera.agent;

import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * How to run an agent, beyond its config file.
 *
 * @param iface interface name (wg-quick derives it from the config file name)
 * @param filterOverride {@code --filter FILE}; overrides [Tessera] FilterFile
 * @param uapiDir directory of the UAPI socket (/var/run/wireguard)
 * @param runDir directory of the pid file (/var/run/tessera)
 * @param udpThreads UDP sockets/event loops (SO_REUSEPORT)
 * @param tunQueues TUN queues (IFF_MULTI_QUEUE) and reader threads
 * @param udpGro ask the kernel for UDP GRO on receive
 * @param tunOffload TUN with virtio-net headers and TCP segmentation offload (see TsoSplitter)
 * @param log where status lines go (stderr in the CLI)
 * @param metricsListen {@code --metrics-listen}: where to serve Prometheus metrics (empty: nowhere)
 * @param flowLog {@code --flow-log}: the flow log file; overrides [Tessera] FlowLog
 * @param routing an enrolled node's use of its peers' routes and its advertised routes ({@code
 *     --accept-routes}, {@code --exit-node}, ...); only under a policy server
 */
public record AgentOptions(
    String iface,
    Optional<Path> filterOverride,
    Path uapiDir,
    Path runDir,
    int udpThreads,
    int tunQueues,
    boolean udpGro,
    boolean tunOffload,
    Consumer<String> log,
    Optional<java.net.InetSocketAddress> metricsListen,
    Optional<Path> flowLog,
    dev.tessera.agent.distribution.RoutingOptions routing) {

  public static final Path DEFAULT_RUN_DIR = Path.of("/var/run/tessera");

  /** Defaults: threads from system properties {@code tessera.agent.udpThreads/tunQueues/udpGro}. */
  public static AgentOptions defaults(String iface, Consumer<String> log) {
    int cpus = Runtime.getRuntime().availableProcessors();
    return new AgentOptions(
        iface,
        Optional.empty(),
        dev.tessera.agent.uapi.UapiServer.DEFAULT_DIR,
        DEFAULT_RUN_DIR,
        Integer.getInteger("tessera.agent.udpThreads", Math.max(1, Math.min(2, cpus))),
        Integer.getInteger("tessera.agent.tunQueues", 1),
        Boolean.getBoolean("tessera.agent.udpGro"),
        !"false".equals(System.getProperty("tessera.agent.tunOffload")),
        log,
        Optional.empty(),
        Optional.empty(),
        dev.tessera.agent.distribution.RoutingOptions.NONE);
  }

  public AgentOptions withDirs(Path uapi, Path run) {
    return new AgentOptions(
        iface,
        filterOverride,
        uapi,
        run,
        udpThreads,
        tunQueues,
        udpGro,
        tunOffload,
        log,
        metricsListen,
        flowLog,
        routing);
  }

  public AgentOptions withFilter(Path f) {
    return new AgentOptions(
        iface,
        Optional.ofNullable(f),
        uapiDir,
        runDir,
        udpThreads,
        tunQueues,
        udpGro,
        tunOffload,
        log,
        metricsListen,
        flowLog,
        routing);
  }

  public AgentOptions withMetricsListen(java.net.InetSocketAddress listen) {
    return new AgentOptions(
        iface,
        filterOverride,
        uapiDir,
        runDir,
        udpThreads,
        tunQueues,
        udpGro,
        tunOffload,
        log,
        Optional.ofNullable(listen),
        flowLog,
        routing);
  }

  public AgentOptions withFlowLog(Path file) {
    return new AgentOptions(
        iface,
        filterOverride,
        uapiDir,
        runDir,
        udpThreads,
        tunQueues,
        udpGro,
        tunOffload,
        log,
        metricsListen,
        Optional.ofNullable(file),
        routing);
  }

  public AgentOptions withRouting(dev.tessera.agent.distribution.RoutingOptions r) {
    return new AgentOptions(
        iface,
        filterOverride,
        uapiDir,
        runDir,
        udpThreads,
        tunQueues,
        udpGro,
        tunOffload,
        log,
        metricsListen,
        flowLog,
        r);
  }

  /**
   * Interface name from a config path as wg-quick does: {@code /etc/wireguard/wg0.conf} gives
   * {@code wg0}.
   */
  public static String ifaceFromConfig(Path config) {
    String n = config.getFileName().toString();
    return n.endsWith(".conf") ? n.substring(0, n.length() - 5) : n;
  }

  public static Path pidFile(Path runDir, String iface) {
    return runDir.resolve(iface + ".pid");
  }
}
