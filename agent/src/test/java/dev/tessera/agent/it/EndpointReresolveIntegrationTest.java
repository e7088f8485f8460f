package dev.tessera.agent.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.agent.crypto.WgKey;
import dev.tessera.agent.testing.NetnsLab;
import dev.tessera.agent.testing.TesseraNode;
import dev.tessera.agent.testing.WgGo;
import dev.tessera.testsupport.Once;
import dev.tessera.testsupport.RequiresRoot;
import dev.tessera.testsupport.RequiresTools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Endpoint host names are looked up again when the peer stops answering (wireguard-tools'
 * reresolve-dns.sh): the agent reaches B by name through nsA's own /etc/hosts; B moves to another
 * address, the name is pointed there, and the agent follows once its last handshake is older than
 * the threshold (3 s here instead of 135 s), without a restart and without B talking first.
 */
@Tag("root")
@Tag("integration")
@RequiresRoot("creates network namespaces, TUN devices and /etc/netns/NS/hosts")
@RequiresTools({"ip", "wireguard-go", "wg", "ping", "sysctl"})
class EndpointReresolveIntegrationTest {
  static final Once SETUP = new Once();
  static final String NAME = "peer-b.tessera.test";
  static final String MOVED = "198.18.51.4";
  static final WgKey KA = WgKey.generatePrivate(new SecureRandom());
  static final WgKey KB = WgKey.generatePrivate(new SecureRandom());
  static NetnsLab lab;
  static TesseraNode agent;
  static Path hosts;

  @BeforeEach
  void setUp() throws Exception {
    SETUP.run(EndpointReresolveIntegrationTest::openLab);
  }

  static void openLab() throws Exception {
    lab = new NetnsLab();
    hosts = lab.hostsFile(lab.nsA, NetnsLab.UNDER_B + " " + NAME + "\n");
    WgGo.peerOfA(
        lab, KB, KA, false); // B never talks first: only the agent's re-resolution can reconnect
    agent =
        TesseraNode.start(
            lab,
            lab.nsA,
            lab.iface("ta"),
            TesseraNode.config(
                KA.toBase64(),
                NetnsLab.TUN_A + "/24",
                51820,
                KB.publicKey().toBase64(),
                NetnsLab.TUN_B + "/32",
                NAME + ":51821",
                0),
            null,
            "-Dtessera.agent.reresolveSeconds=1",
            "-Dtessera.agent.reresolveAfterSeconds=3",
            "-Dsun.net.inetaddr.ttl=0");
  }

  @AfterAll
  static void tearDown() {
    if (lab != null) {
      lab.close(); // also removes /etc/netns/NS
    }
  }

  @Test
  void followsTheNameWhenThePeerMoves() throws Exception {
    Probes.ping(lab, lab.nsA, NetnsLab.TUN_B);
    assertThat(agent.uapiGet()).contains("endpoint=" + NetnsLab.UNDER_B + ":51821");

    lab.in(lab.nsB, "sysctl", "-qw", "net.ipv4.conf.veth0.promote_secondaries=1");
    lab.in(lab.nsB, "ip", "addr", "add", MOVED + "/24", "dev", "veth0");
    lab.in(lab.nsB, "ip", "addr", "del", NetnsLab.UNDER_B + "/24", "dev", "veth0");
    Files.writeString(
        hosts,
        "127.0.0.1 localhost\n"
            + MOVED
            + " "
            + NAME
            + "\n"); // in place: the bind mount follows the inode
    try {
      assertThat(Probes.pingFails(lab, lab.nsA, NetnsLab.TUN_B))
          .as("the old address is gone")
          .isTrue();
      Probes.ping(
          lab,
          lab.nsA,
          NetnsLab.TUN_B); // keeps pinging up to 15 s: the re-resolution happens meanwhile
      assertThat(agent.uapiGet()).contains("endpoint=" + MOVED + ":51821");
      assertThat(agent.logText()).contains("now resolves to " + MOVED);
    } finally {
      lab.in(lab.nsB, "ip", "addr", "add", NetnsLab.UNDER_B + "/24", "dev", "veth0");
      lab.in(lab.nsB, "ip", "addr", "del", MOVED + "/24", "dev", "veth0");
    }
  }
}
