package dev.tessera.agent.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.agent.crypto.WgKey;
import dev.tessera.agent.testing.NetnsLab;
import dev.tessera.agent.testing.WgGo;
import dev.tessera.testsupport.Once;
import dev.tessera.testsupport.RequiresRoot;
import dev.tessera.testsupport.RequiresTools;
import java.security.SecureRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Proves the namespace harness itself: two stock wireguard-go instances ping each other. If this
 * fails, failures of the Tessera interop tests say nothing about the agent.
 */
@Tag("root")
@Tag("integration")
@RequiresRoot("creates network namespaces and runs wireguard-go")
@RequiresTools({"ip", "wireguard-go", "wg", "ping"})
class WgGoHarnessIntegrationTest {
  static final Once SETUP = new Once();
  static NetnsLab lab;

  @BeforeEach
  void setUp() throws Exception {
    SETUP.run(WgGoHarnessIntegrationTest::openLab);
  }

  static void openLab() throws Exception {
    lab = new NetnsLab();
  }

  @AfterAll
  static void tearDown() {
    if (lab != null) {
      lab.close();
    }
  }

  @Test
  void wireguardGoPingsWireguardGo() throws Exception {
    SecureRandom rnd = new SecureRandom();
    WgKey ka = WgKey.generatePrivate(rnd);
    WgKey kb = WgKey.generatePrivate(rnd);
    WgGo a = WgGo.start(lab, lab.nsA, lab.iface("ga"), ka.toBase64(), 51820, NetnsLab.TUN_A);
    WgGo b = WgGo.start(lab, lab.nsB, lab.iface("gb"), kb.toBase64(), 51821, NetnsLab.TUN_B);
    a.setPeer(kb.publicKey().toBase64(), NetnsLab.TUN_B + "/32", NetnsLab.UNDER_B + ":51821", 0);
    b.setPeer(ka.publicKey().toBase64(), NetnsLab.TUN_A + "/32", null, 0);

    NetnsLab.Result ping =
        lab.tryIn(lab.nsA, 15, "ping", "-c", "3", "-i", "0.2", "-W", "3", NetnsLab.TUN_B);
    assertThat(ping.exit()).as(ping.output()).isZero();
    NetnsLab.Result back =
        lab.tryIn(lab.nsB, 15, "ping", "-c", "3", "-i", "0.2", "-W", "3", NetnsLab.TUN_A);
    assertThat(back.exit()).as(back.output()).isZero();
    // b learned a's endpoint from the authenticated handshake (roaming source of truth).
    assertThat(b.show()).contains(NetnsLab.UNDER_A + ":51820");
  }
}
