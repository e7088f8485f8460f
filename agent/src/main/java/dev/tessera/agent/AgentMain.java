package dev.tessera.agent;

import java.nio.file.Path;

/**
 * Minimal entry point inside the agent module ({@code up} only), so the agent's own integration
 * tests can start it as a child JVM without the CLI module. Users run {@code bin/tessera-agent}.
 *
 * <p>Usage: {@code AgentMain --config FILE [--filter FILE] [--interface NAME] [--metrics-listen
 * ADDR:PORT] [--flow-log FILE]}, or joining a control plane: {@code AgentMain --state-dir DIR
 * [--server URL[,URL...]]... [--auth-key KEY] [--hostname H] [--advertise-routes P,...]
 * [--advertise-exit-node] [--accept-routes] [--exit-node NAME|IP] [--server-key KEY] [--interface
 * NAME]}, or {@code AgentMain --logout --state-dir DIR}.
 */
public final class AgentMain {
  private AgentMain() {}

  public static void main(String[] args) {
    Path config = null;
    Path filter = null;
    String iface = null;
    java.net.InetSocketAddress metrics = null;
    Path flowLog = null;
    Path stateDir = null;
    java.util.List<String> servers = new java.util.ArrayList<>();
    String authKey = null;
    String hostname = null;
    String serverKey = null;
    java.util.Optional<java.util.List<String>> routes = java.util.Optional.empty();
    java.util.Optional<Boolean> exitNode = java.util.Optional.empty();
    java.util.Optional<Boolean> acceptRoutes = java.util.Optional.empty();
    java.util.Optional<String> useExitNode = java.util.Optional.empty();
    boolean logout = false;
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (a.equals("--advertise-exit-node")) {
        exitNode = java.util.Optional.of(true);
        continue;
      }
      if (a.equals("--accept-routes")) {
        acceptRoutes = java.util.Optional.of(true);
        continue;
      }
      if (a.equals("--logout")) {
        logout = true;
        continue;
      }
      if (i + 1 >= args.length) {
        usage("missing value for " + a);
      }
      switch (a) {
        case "--state-dir" -> stateDir = Path.of(args[++i]);
        case "--server" -> servers.add(args[++i]);
        case "--auth-key" -> authKey = args[++i];
        case "--hostname" -> hostname = args[++i];
        case "--server-key" -> serverKey = args[++i];
        case "--advertise-routes" ->
            routes = java.util.Optional.of(java.util.List.of(args[++i].split(",")));
        case "--exit-node" -> useExitNode = java.util.Optional.of(args[++i]);
        case "--config" -> config = Path.of(args[++i]);
        case "--filter" -> filter = Path.of(args[++i]);
        case "--interface" -> iface = args[++i];
        case "--flow-log" -> flowLog = Path.of(args[++i]);
        case "--metrics-listen" -> {
          String v = args[++i];
          int colon = v.lastIndexOf(':');
          metrics =
              new java.net.InetSocketAddress(
                  v.substring(0, colon), Integer.parseInt(v.substring(colon + 1)));
        }
        default -> usage("unknown argument " + a);
      }
    }
    if (stateDir != null && logout) {
      try {
        dev.tessera.agent.enroll.Enroller.logout(stateDir, AgentLog.consumer());
        dev.tessera.agent.enroll.Enroller.forget(stateDir);
      } catch (dev.tessera.agent.enroll.EnrollException e) {
        System.err.println("AgentMain: " + e.getMessage());
        System.exit(e.exitCode());
      }
      System.exit(0);
    }
    if (stateDir != null) {
      var log = AgentLog.consumer();
      dev.tessera.agent.enroll.Enroller.Prepared p;
      try {
        p =
            dev.tessera.agent.enroll.Enroller.prepare(
                new dev.tessera.agent.enroll.Enroller.Options(
                    servers,
                    java.util.Optional.ofNullable(authKey),
                    java.util.Optional.ofNullable(hostname),
                    routes,
                    exitNode,
                    acceptRoutes,
                    useExitNode,
                    stateDir,
                    java.util.Optional.ofNullable(serverKey),
                    java.util.List.of(),
                    java.util.Optional.ofNullable(iface),
                    java.util.OptionalInt.empty()),
                log);
      } catch (dev.tessera.agent.enroll.EnrollException e) {
        System.err.println("AgentMain: " + e.getMessage());
        System.exit(e.exitCode());
        return;
      }
      System.exit(
          Agent.runForeground(
              p.config(),
              AgentOptions.defaults(p.iface(), log)
                  .withMetricsListen(metrics)
                  .withFlowLog(flowLog)
                  .withRouting(p.routing())));
    }
    if (config == null) {
      usage("--config or --state-dir is required");
    }
    System.exit(Agent.runForeground(config, filter, iface, metrics, flowLog, AgentLog.consumer()));
  }

  private static void usage(String msg) {
    System.err.println(
        "AgentMain: "
            + msg
            + "\nusage: AgentMain --config FILE [--filter FILE] [--interface NAME] [--metrics-listen ADDR:PORT]"
            + " [--flow-log FILE]");
    System.exit(2);
  }
}
