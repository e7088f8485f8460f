package dev.tessera.agent.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.agent.crypto.WgKey;
import dev.tessera.agent.testing.NetnsLab;
import dev.tessera.agent.testing.TesseraNode;
import dev.tessera.testsupport.Once;
import dev.tessera.testsupport.RequiresRoot;
import dev.tessera.testsupport.RequiresTools;
import java.security.SecureRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/** Two Tessera agents: ping and iperf3 both ways, forced rekey, roaming. */
@Tag("root")
@Tag("integration")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@RequiresRoot("creates network namespaces and TUN devices")
@RequiresTools({"ip", "iperf3", "ping", "sysctl", "ss"})
class TesseraTesseraIntegrationTest {
  static final Once SETUP = new Once();
  static NetnsLab lab;
  static TesseraNode a;
  static TesseraNode b;
  static final WgKey KA = WgKey.generatePrivate(new SecureRandom());
  static final WgKey KB = WgKey.generatePrivate(new SecureRandom());

  @BeforeEach
  void setUp() throws Exception {
    SETUP.run(TesseraTesseraIntegrationTest::openLab);
  }

  static void openLab() throws Exception {
    lab = new NetnsLab();
    a = TesseraNode.start(lab, lab.nsA, lab.iface("ta"), TesseraNode.configA(KA, KB), null);
    // B has no endpoint for A: it learns it from A's handshake (and later roams).
    b =
        TesseraNode.start(
            lab,
            lab.nsB,
            lab.iface("tb"),
            TesseraNode.config(
                KB.toBase64(),
                NetnsLab.TUN_B + "/24",
                51821,
                KA.publicKey().toBase64(),
                NetnsLab.TUN_A + "/32",
                null,
                0),
            null);
  }

  @AfterAll
  static void tearDown() {
    if (lab != null) {
      lab.close();
    }
  }

  @Test
  @Order(1)
  void pingBothWays() throws Exception {
    Probes.ping(lab, lab.nsA, NetnsLab.TUN_B);
    Probes.ping(lab, lab.nsB, NetnsLab.TUN_A);
  }

  @Test
  @Order(2)
  void iperfTcpBothWays() throws Exception {
    double up = Probes.iperf(lab, lab.nsB, NetnsLab.TUN_B, lab.nsA, 3, false);
    double down = Probes.iperf(lab, lab.nsB, NetnsLab.TUN_B, lab.nsA, 3, true);
    System.err.printf("iperf3 Tessera A->B %.0f Mbit/s, B->A %.0f Mbit/s%n", up / 1e6, down / 1e6);
    assertThat(up).isGreaterThan(1e6);
    assertThat(down).isGreaterThan(1e6);
  }

  @Test
  @Order(3)
  void rekeyAfterForcedExpiry() throws Exception {
    long before = handshake(b);
    Probes.waitUntilAfterSecond(before);
    a.forceRekey();
    Probes.ping(lab, lab.nsA, NetnsLab.TUN_B);
    assertThat(handshake(b)).isGreaterThan(before);
    before = handshake(a);
    Probes.waitUntilAfterSecond(before);
    b.forceRekey();
    Probes.ping(lab, lab.nsB, NetnsLab.TUN_A);
    assertThat(handshake(a)).isGreaterThan(before);
  }

  @Test
  @Order(4)
  void roamsBothWays() throws Exception {
    String moved = "198.18.51.4";
    lab.in(lab.nsB, "sysctl", "-qw", "net.ipv4.conf.veth0.promote_secondaries=1");
    lab.in(lab.nsB, "ip", "addr", "add", moved + "/24", "dev", "veth0");
    lab.in(lab.nsB, "ip", "addr", "del", NetnsLab.UNDER_B + "/24", "dev", "veth0");
    try {
      Probes.ping(lab, lab.nsB, NetnsLab.TUN_A);
      Probes.ping(lab, lab.nsA, NetnsLab.TUN_B);
      assertThat(a.uapiGet()).contains("endpoint=" + moved + ":51821");
    } finally {
      lab.in(lab.nsB, "ip", "addr", "add", NetnsLab.UNDER_B + "/24", "dev", "veth0");
      lab.in(lab.nsB, "ip", "addr", "del", moved + "/24", "dev", "veth0");
    }
    Probes.ping(lab, lab.nsB, NetnsLab.TUN_A);
    assertThat(a.uapiGet()).contains("endpoint=" + NetnsLab.UNDER_B + ":51821");
  }

  static long handshake(TesseraNode n) throws Exception {
    for (String line : n.uapiGet().split("\n")) {
      if (line.startsWith("last_handshake_time_sec=")) {
        return Long.parseLong(line.substring(line.indexOf('=') + 1));
      }
    }
    return 0;
  }
}
