package dev.tessera.agent.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tessera.agent.testing.NetnsLab;
import dev.tessera.agent.testing.WgGo;
import java.io.IOException;
import java.nio.file.Path;

/** Shell tools the integration tests drive inside the namespaces. */
final class Probes {
  private Probes() {}

  /** Pings until 3 replies in a row arrive (the first may trigger a handshake). */
  static void ping(NetnsLab lab, String ns, String dst) throws IOException {
    NetnsLab.Result r =
        lab.tryIn(ns, 20, "ping", "-c", "3", "-i", "0.2", "-W", "5", "-w", "15", dst);
    assertThat(r.exit()).as("ping %s from %s:%n%s", dst, ns, r.output()).isZero();
  }

  static boolean pingFails(NetnsLab lab, String ns, String dst) throws IOException {
    return lab.tryIn(ns, 10, "ping", "-c", "2", "-i", "0.3", "-W", "1", dst).exit() != 0;
  }

  /**
   * iperf3 TCP for {@code seconds}: server in {@code serverNs} on {@code serverIp}, client in
   * {@code clientNs}; {@code reverse} makes the server send. Returns received bits per second.
   */
  static double iperf(
      NetnsLab lab, String serverNs, String serverIp, String clientNs, int seconds, boolean reverse)
      throws IOException {
    Path log = lab.dir.resolve("iperf-server.log");
    Process server = lab.spawn(serverNs, log, "iperf3", "-s", "-1", "-B", serverIp, "-p", "5201");
    try {
      NetnsLab.waitFor(
          "iperf3 server",
          5000,
          () -> {
            try {
              return lab.tryIn(serverNs, 5, "ss", "-ltn", "sport = :5201")
                  .output()
                  .contains("5201");
            } catch (IOException e) {
              return false;
            }
          });
      String[] cmd =
          reverse
              ? new String[] {
                "iperf3", "-c", serverIp, "-p", "5201", "-t", Integer.toString(seconds), "-J", "-R"
              }
              : new String[] {
                "iperf3", "-c", serverIp, "-p", "5201", "-t", Integer.toString(seconds), "-J"
              };
      NetnsLab.Result r = lab.tryIn(clientNs, seconds + 20, cmd);
      assertThat(r.exit()).as("iperf3: %s", r.output()).isZero();
      JsonNode j = new ObjectMapper().readTree(r.output());
      return j.path("end").path("sum_received").path("bits_per_second").asDouble();
    } finally {
      lab.stop(server);
    }
  }

  /** wireguard-go's latest handshake time (Unix seconds) with its only peer. */
  static long handshakeSec(WgGo w) throws IOException {
    String out = w.lab.in(w.ns, "wg", "show", w.iface, "latest-handshakes").strip();
    return Long.parseLong(out.split("\\s+")[1]);
  }

  /**
   * Waits until the wall clock is past second {@code sec}: handshake times have one-second
   * resolution (UAPI and {@code wg show}), so a later handshake is only visible as a larger number
   * once the clock has moved on.
   */
  static void waitUntilAfterSecond(long sec) {
    NetnsLab.waitFor(
        "the clock to pass second " + sec, 3000, () -> System.currentTimeMillis() / 1000 > sec);
  }
}
