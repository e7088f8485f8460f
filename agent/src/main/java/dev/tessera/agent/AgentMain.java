package dev.tessera.agent;

import java.nio.file.Path;

/**
 * Minimal entry point inside the agent module ({@code up} only), so the agent's own integration
 * tests can start it as a child JVM without the CLI module. Users run {@code bin/tessera-agent}.
 *
 * <p>Usage: {@code AgentMain --config FILE [--filter FILE] [--interface NAME] [--metrics-listen
 * ADDR:PORT] [--flow-log FILE]}
 */
public final class AgentMain {
  private AgentMain() {}

  public static void main(String[] args) {
    Path config = null;
    Path filter = null;
    String iface = null;
    java.net.InetSocketAddress metrics = null;
    Path flowLog = null;
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (i + 1 >= args.length) {
        usage("missing value for " + a);
      }
      switch (a) {
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
    if (config == null) {
      usage("--config is required");
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
