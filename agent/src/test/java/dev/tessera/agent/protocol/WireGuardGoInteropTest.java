package dev.tessera.agent.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.agent.crypto.WgKey;
import dev.tessera.testsupport.ChildJvm;
import dev.tessera.testsupport.RequiresRoot;
import dev.tessera.testsupport.RequiresTools;
import dev.tessera.testsupport.Tools;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The protocol core against stock wireguard-go, over real UDP between two network namespaces: a
 * child JVM ({@link InteropProbe}) runs the core with a plain UDP socket in one namespace,
 * wireguard-go with a real TUN in the other. Checks both handshake roles, data both ways (ICMP echo
 * answered by the kernel on the wireguard-go side), and rekey after forced key expiry. The agent's
 * own end-to-end tests (TUN, Netty, UAPI) live with the I/O shell; this one isolates the protocol.
 * Needs root, wireguard-go and wg.
 */
@RequiresRoot("network namespaces and TUN for wireguard-go")
@RequiresTools({"ip", "wireguard-go", "wg", "ping"})
class WireGuardGoInteropTest {
  private static final String PROBE_IP = "198.19.77.1";
  private static final String WGGO_IP = "198.19.77.2";
  private static final String PROBE_TUN = "10.213.9.1";
  private static final String WGGO_TUN = "10.213.9.2";

  private String id;
  private String nsGo;
  private String nsProbe;
  private String iface;
  private Process wgGo;
  private Path dir;
  private final List<String> cleanup = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    id = Integer.toString(ThreadLocalRandom.current().nextInt(0x10000, 0xfffff), 36);
    nsGo = "tsp-" + id + "-g";
    nsProbe = "tsp-" + id + "-j";
    iface = "tp" + id;
    dir = Files.createTempDirectory("tsp-" + id);
    run("ip", "netns", "add", nsGo);
    cleanup.add(nsGo);
    run("ip", "netns", "add", nsProbe);
    cleanup.add(nsProbe);
    run(
        "ip",
        "link",
        "add",
        "v" + id + "g",
        "netns",
        nsGo,
        "type",
        "veth",
        "peer",
        "name",
        "v" + id + "j",
        "netns",
        nsProbe);
    in(nsGo, "ip", "addr", "add", WGGO_IP + "/24", "dev", "v" + id + "g");
    in(nsProbe, "ip", "addr", "add", PROBE_IP + "/24", "dev", "v" + id + "j");
    in(nsGo, "ip", "link", "set", "v" + id + "g", "up");
    in(nsProbe, "ip", "link", "set", "v" + id + "j", "up");
    in(nsGo, "ip", "link", "set", "lo", "up");
    in(nsProbe, "ip", "link", "set", "lo", "up");
    wgGo =
        Tools.process("ip", "netns", "exec", nsGo, "wireguard-go", "-f", iface)
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("wireguard-go.log").toFile())
            .start();
    Path sock = Path.of("/var/run/wireguard/" + iface + ".sock");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!Files.exists(sock)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(
            "wireguard-go did not start: " + Files.readString(dir.resolve("wireguard-go.log")));
      }
      Thread.sleep(50);
    }
  }

  @AfterEach
  void tearDown() throws Exception {
    if (wgGo != null) {
      wgGo.destroy();
      if (!wgGo.waitFor(5, TimeUnit.SECONDS)) {
        wgGo.destroyForcibly();
      }
    }
    for (String ns : cleanup) {
      exec(10, "ip", "netns", "del", ns);
    }
    if (iface != null) {
      Files.deleteIfExists(Path.of("/var/run/wireguard/" + iface + ".sock"));
    }
  }

  private record Keys(WgKey probe, WgKey go) {}

  private Keys configureWgGo(boolean withEndpoint) throws IOException {
    SecureRandom rnd = new SecureRandom();
    WgKey probe = WgKey.generatePrivate(rnd);
    WgKey go = WgKey.generatePrivate(rnd);
    Path keyFile = dir.resolve("go.key");
    Files.writeString(keyFile, go.toBase64() + "\n");
    List<String> cmd =
        new ArrayList<>(
            List.of(
                "wg",
                "set",
                iface,
                "private-key",
                keyFile.toString(),
                "listen-port",
                "51820",
                "peer",
                probe.publicKey().toBase64(),
                "allowed-ips",
                PROBE_TUN + "/32"));
    if (withEndpoint) {
      cmd.addAll(List.of("endpoint", PROBE_IP + ":51821"));
    }
    in(nsGo, cmd.toArray(String[]::new));
    in(nsGo, "ip", "addr", "add", WGGO_TUN + "/24", "dev", iface);
    in(nsGo, "ip", "link", "set", iface, "up");
    return new Keys(probe, go);
  }

  private String probe(Keys k, String mode, int timeoutSeconds) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String cp = ChildJvm.classPath();
    return exec(
        timeoutSeconds,
        "ip",
        "netns",
        "exec",
        nsProbe,
        java,
        "-cp",
        cp,
        InteropProbe.class.getName(),
        k.probe().toBase64(),
        k.go().publicKey().toBase64(),
        PROBE_IP,
        "51821",
        WGGO_IP,
        "51820",
        PROBE_TUN,
        WGGO_TUN,
        mode);
  }

  @Test
  void weInitiateAndRekeyAfterForcedExpiry() throws Exception {
    Keys k = configureWgGo(false);
    String out = probe(k, "initiate", 60);
    String show = in(nsGo, "wg", "show", iface, "dump");
    assertThat(out).as(out + "\nwg show: " + show + "\nlog: " + log()).contains("OK initiate");
    // wireguard-go learned our endpoint by roaming (it had none configured)
    assertThat(show).contains(PROBE_IP + ":51821");
  }

  @Test
  void wireGuardGoInitiatesAndWeRespond() throws Exception {
    Keys k = configureWgGo(true);
    Process probe =
        Tools.process(
                "ip",
                "netns",
                "exec",
                nsProbe,
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                ChildJvm.classPath(),
                InteropProbe.class.getName(),
                k.probe().toBase64(),
                k.go().publicKey().toBase64(),
                PROBE_IP,
                "51821",
                WGGO_IP,
                "51820",
                PROBE_TUN,
                WGGO_TUN,
                "respond")
            .redirectErrorStream(true)
            .start();
    try {
      awaitReady(probe);
      String ping =
          exec(
              40, "ip", "netns", "exec", nsGo, "ping", "-c", "3", "-i", "0.5", "-W", "5",
              PROBE_TUN);
      assertThat(probe.waitFor(30, TimeUnit.SECONDS)).isTrue();
      String out = new String(probe.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(out).as(out + "\nping: " + ping + "\nlog: " + log()).contains("OK respond");
      assertThat(ping).contains("3 received");
    } finally {
      probe.destroyForcibly();
    }
  }

  /**
   * Reads the probe's output up to its READY line (its socket is bound); fails if it exits first.
   */
  private static void awaitReady(Process probe) throws IOException {
    java.io.BufferedReader r =
        new java.io.BufferedReader(
            new java.io.InputStreamReader(probe.getInputStream(), StandardCharsets.UTF_8));
    StringBuilder seen = new StringBuilder();
    for (String line = r.readLine(); line != null; line = r.readLine()) {
      if (line.equals("READY")) {
        return;
      }
      seen.append(line).append('\n');
    }
    throw new AssertionError("the probe exited before it was ready:\n" + seen);
  }

  private String log() throws IOException {
    return Files.readString(dir.resolve("wireguard-go.log"));
  }

  private String in(String ns, String... cmd) throws IOException {
    String[] full = new String[cmd.length + 4];
    full[0] = "ip";
    full[1] = "netns";
    full[2] = "exec";
    full[3] = ns;
    System.arraycopy(cmd, 0, full, 4, cmd.length);
    return run(full);
  }

  private static String run(String... cmd) throws IOException {
    Process p = Tools.process(cmd).redirectErrorStream(true).start();
    try {
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException(String.join(" ", cmd) + " timed out");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.exitValue() != 0) {
      throw new IOException(String.join(" ", cmd) + " exited " + p.exitValue() + ": " + out);
    }
    return out;
  }

  private static String exec(int timeoutSeconds, String... cmd) throws IOException {
    Process p = Tools.process(cmd).redirectErrorStream(true).start();
    try {
      if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        p.waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
    return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
  }
}
