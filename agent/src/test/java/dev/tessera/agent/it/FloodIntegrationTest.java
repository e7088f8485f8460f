package dev.tessera.agent.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.agent.crypto.WgKey;
import dev.tessera.agent.testing.NetnsLab;
import dev.tessera.agent.testing.TesseraNode;
import dev.tessera.agent.testing.WgGo;
import dev.tessera.testsupport.ChildJvm;
import dev.tessera.testsupport.Once;
import dev.tessera.testsupport.RequiresRoot;
import dev.tessera.testsupport.RequiresTools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Unauthenticated load: garbage datagrams, then handshake initiations with valid MAC1, from a
 * second UDP port in namespace B, while B's stock wireguard-go (an established peer) keeps pinging
 * through the agent. The agent must stay silent to garbage, answer initiations with cookie replies
 * once under load, and keep serving the established peer.
 */
@Tag("root")
@Tag("integration")
@RequiresRoot("creates network namespaces, TUN devices and runs wireguard-go")
@RequiresTools({"ip", "wireguard-go", "wg", "ping"})
class FloodIntegrationTest {
  static final Once SETUP = new Once();
  static NetnsLab lab;
  static TesseraNode tessera;
  static WgGo wggo;
  static final WgKey KA = WgKey.generatePrivate(new SecureRandom());
  static final WgKey KB = WgKey.generatePrivate(new SecureRandom());

  @BeforeEach
  void setUp() throws Exception {
    SETUP.run(FloodIntegrationTest::openLab);
  }

  static void openLab() throws Exception {
    lab = new NetnsLab();
    wggo = WgGo.peerOfA(lab, KB, KA, true);
    tessera = TesseraNode.start(lab, lab.nsA, lab.iface("ta"), TesseraNode.configA(KA, KB), null);
  }

  @AfterAll
  static void tearDown() {
    if (lab != null) {
      lab.close();
    }
  }

  String flood(String mode, int seconds, int rate) throws Exception {
    Path log = lab.dir.resolve("flood-" + mode + ".log");
    Process p =
        lab.spawn(
            lab.nsB,
            log,
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-cp",
            ChildJvm.classPath(),
            Flood.class.getName(),
            NetnsLab.UNDER_A,
            "51820",
            KA.publicKey().toBase64(),
            Integer.toString(seconds),
            Integer.toString(rate),
            mode);
    // The established peer keeps working while the flood runs (wait for it to start sending).
    NetnsLab.waitFor(
        "the flood to start",
        15_000,
        () -> {
          try {
            return Files.exists(log) && Files.readString(log).contains("flooding");
          } catch (java.io.IOException e) {
            return false;
          }
        });
    Probes.ping(lab, lab.nsB, NetnsLab.TUN_A);
    assertThat(p.waitFor(seconds + 20, TimeUnit.SECONDS)).isTrue();
    lab.stop(p);
    return Files.readString(log);
  }

  @Test
  void survivesGarbageAndInitiationFloodsAndAnswersWithCookies() throws Exception {
    Probes.ping(lab, lab.nsB, NetnsLab.TUN_A); // establish the session first

    String garbage = flood("garbage", 4, 20_000);
    assertThat(garbage).as(garbage).contains("replies=0 ");
    assertThat(tessera.counter("wg_drop_malformed")).isPositive();

    String init = flood("init", 4, 20_000);
    long cookies = Long.parseLong(init.replaceAll("(?s).*cookies=(\\d+).*", "$1"));
    assertThat(cookies).as("cookie replies under load: " + init).isPositive();
    assertThat(tessera.counter("wg_drop_cookie_required")).isPositive();

    // Still healthy afterwards, both directions.
    Probes.ping(lab, lab.nsA, NetnsLab.TUN_B);
    Probes.ping(lab, lab.nsB, NetnsLab.TUN_A);
    assertThat(tessera.process.isAlive()).isTrue();
  }
}
