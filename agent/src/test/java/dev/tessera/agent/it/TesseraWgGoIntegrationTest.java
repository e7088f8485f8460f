package dev.tessera.agent.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.agent.crypto.WgKey;
import dev.tessera.agent.testing.NetnsLab;
import dev.tessera.agent.testing.TesseraNode;
import dev.tessera.agent.testing.WgGo;
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

/**
 * Tessera agent (namespace A) against stock wireguard-go configured with {@code wg} (namespace B):
 * ping and iperf3 TCP both ways, rekey after forced expiry from either side, roaming after B's
 * underlay address changes. The tests share one pair of daemons and run in order.
 */
@Tag("root")
@Tag("integration")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@RequiresRoot("creates network namespaces, TUN devices and runs wireguard-go")
@RequiresTools({"ip", "wireguard-go", "wg", "iperf3", "ping", "sysctl", "ss"})
class TesseraWgGoIntegrationTest {
  static final Once SETUP = new Once();
  static NetnsLab lab;
  static TesseraNode tessera;
  static WgGo wggo;
  static final WgKey KA = WgKey.generatePrivate(new SecureRandom());
  static final WgKey KB = WgKey.generatePrivate(new SecureRandom());

  @BeforeEach
  void setUp() throws Exception {
    SETUP.run(TesseraWgGoIntegrationTest::openLab);
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

  @Test
  @Order(1)
  void pingBothWays() throws Exception {
    Probes.ping(lab, lab.nsA, NetnsLab.TUN_B);
    Probes.ping(lab, lab.nsB, NetnsLab.TUN_A);
    assertThat(tessera.status()).containsEntry("filter_mode", "allow_all");
    assertThat(tessera.logText()).contains("ALLOWS ALL traffic");
  }

  @Test
  @Order(2)
  void iperfTcpBothWays() throws Exception {
    double up = Probes.iperf(lab, lab.nsB, NetnsLab.TUN_B, lab.nsA, 3, false);
    double down = Probes.iperf(lab, lab.nsB, NetnsLab.TUN_B, lab.nsA, 3, true);
    System.err.printf(
        "iperf3 Tessera->wireguard-go %.0f Mbit/s, wireguard-go->Tessera %.0f Mbit/s%n",
        up / 1e6, down / 1e6);
    assertThat(up).isGreaterThan(1e6);
    assertThat(down).isGreaterThan(1e6);
  }

  @Test
  @Order(3)
  void rekeyAfterForcedExpiryOnTesseraSide() throws Exception {
    long before = Probes.handshakeSec(wggo);
    Probes.waitUntilAfterSecond(before);
    tessera.forceRekey();
    Probes.ping(lab, lab.nsA, NetnsLab.TUN_B);
    long after = Probes.handshakeSec(wggo);
    assertThat(after).as("wireguard-go saw a new handshake").isGreaterThan(before);
  }

  @Test
  @Order(4)
  void rekeyWhenWireguardGoForgetsTheSession() throws Exception {
    // Removing and re-adding the peer drops wireguard-go's keypairs; it must initiate anew and the
    // agent must answer as responder while it still holds the old (now useless) session.
    lab.in(lab.nsB, "wg", "set", wggo.iface, "peer", KA.publicKey().toBase64(), "remove");
    wggo.setPeer(KA.publicKey().toBase64(), NetnsLab.TUN_A + "/32", NetnsLab.UNDER_A + ":51820", 0);
    Probes.ping(lab, lab.nsB, NetnsLab.TUN_A);
    Probes.ping(lab, lab.nsA, NetnsLab.TUN_B);
  }

  @Test
  @Order(5)
  void roamsWhenPeerAddressChanges() throws Exception {
    String moved = "198.18.51.3";
    // Keep the new address when the primary one goes (else the kernel drops secondaries with it).
    lab.in(lab.nsB, "sysctl", "-qw", "net.ipv4.conf.veth0.promote_secondaries=1");
    lab.in(lab.nsB, "ip", "addr", "add", moved + "/24", "dev", "veth0");
    lab.in(lab.nsB, "ip", "addr", "del", NetnsLab.UNDER_B + "/24", "dev", "veth0");
    // wireguard-go (2022) keeps sending from its cached ("sticky") source address, now gone, so
    // re-setting the endpoint clears that cache: what a roaming host's new socket would do.
    wggo.setPeer(KA.publicKey().toBase64(), NetnsLab.TUN_A + "/32", NetnsLab.UNDER_A + ":51820", 0);
    try {
      // B talks first from its new address; the agent must follow the authenticated source.
      try {
        Probes.ping(lab, lab.nsB, NetnsLab.TUN_A);
        Probes.ping(lab, lab.nsA, NetnsLab.TUN_B);
      } catch (AssertionError e) {
        throw new AssertionError(
            e.getMessage()
                + "\nwireguard-go: "
                + wggo.show()
                + "\nagent: "
                + tessera.uapiGet()
                + tessera.status()
                + "\n"
                + lab.in(lab.nsB, "ip", "addr")
                + lab.in(lab.nsB, "ip", "route"),
            e);
      }
      assertThat(tessera.uapiGet()).contains("endpoint=" + moved + ":51821");
    } finally {
      lab.in(lab.nsB, "ip", "addr", "add", NetnsLab.UNDER_B + "/24", "dev", "veth0");
      lab.in(lab.nsB, "ip", "addr", "del", moved + "/24", "dev", "veth0");
    }
    // B moves back (clearing the sticky source again) and the agent follows again.
    wggo.setPeer(KA.publicKey().toBase64(), NetnsLab.TUN_A + "/32", NetnsLab.UNDER_A + ":51820", 0);
    Probes.ping(lab, lab.nsB, NetnsLab.TUN_A);
    assertThat(tessera.uapiGet()).contains("endpoint=" + NetnsLab.UNDER_B + ":51821");
  }

  @Test
  @Order(6)
  void wgShowWorksAgainstTheAgent() throws Exception {
    NetnsLab.Result r = lab.tryIn(lab.nsA, 10, "wg", "show", tessera.iface, "dump");
    assertThat(r.exit()).as(r.output()).isZero();
    String[] lines = r.output().split("\n");
    assertThat(lines[0]).startsWith(KA.toBase64() + "\t" + KA.publicKey().toBase64() + "\t51820\t");
    String[] peer = lines[1].split("\t");
    assertThat(peer[0]).isEqualTo(KB.publicKey().toBase64());
    assertThat(peer[3]).isEqualTo(NetnsLab.TUN_B + "/32");
    assertThat(Long.parseLong(peer[4])).as("latest handshake").isPositive();
    assertThat(Long.parseLong(peer[5])).as("rx bytes").isPositive();
    assertThat(Long.parseLong(peer[6])).as("tx bytes").isPositive();
    // wg set: add an allowed IP and a keepalive; read them back.
    lab.in(
        lab.nsA,
        "wg",
        "set",
        tessera.iface,
        "peer",
        KB.publicKey().toBase64(),
        "allowed-ips",
        NetnsLab.TUN_B + "/32,10.213.9.0/24",
        "persistent-keepalive",
        "25");
    String dump = lab.in(lab.nsA, "wg", "show", tessera.iface, "allowed-ips");
    assertThat(dump).contains("10.213.9.0/24");
    assertThat(lab.in(lab.nsA, "wg", "show", tessera.iface, "persistent-keepalive")).contains("25");
  }
}
