package dev.tessera.agent.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.agent.crypto.WgKey;
import dev.tessera.agent.testing.NetnsLab;
import dev.tessera.agent.testing.TesseraNode;
import dev.tessera.agent.testing.WgGo;
import dev.tessera.compiler.Compilation;
import dev.tessera.compiler.Compiler;
import dev.tessera.compiler.inventory.Inventory;
import dev.tessera.compiler.inventory.InventoryReader;
import dev.tessera.enforcer.format.FilterCodec;
import dev.tessera.policy.Policies;
import dev.tessera.policy.PolicyResult;
import dev.tessera.policy.Syntax;
import dev.tessera.policy.diag.Diagnostic;
import dev.tessera.policy.diag.Diagnostics;
import dev.tessera.testsupport.Once;
import dev.tessera.testsupport.RequiresRoot;
import dev.tessera.testsupport.RequiresTools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A Tessera exit node, end to end: the client (stock wireguard-go in namespace B) sends traffic for
 * an address outside the tailnet through the exit node (the Tessera agent in namespace A, which
 * owns that "internet" address on its loopback, so forwarded and delivered traffic meet the same
 * inbound check). The exit node's filter is compiled by the real compiler from a policy and an
 * inventory in which A has an approved 0.0.0.0/0 route: the client reaches the internet address if
 * and only if the policy grants it autogroup:internet.
 */
@Tag("root")
@Tag("integration")
@RequiresRoot("creates network namespaces, TUN devices and runs wireguard-go")
@RequiresTools({"ip", "wireguard-go", "wg", "nc", "ping"})
class ExitNodeIntegrationTest {
  static final String INTERNET = "198.18.60.7";
  static final Once SETUP = new Once();
  static NetnsLab lab;
  static WgGo wggo;
  static final WgKey KA = WgKey.generatePrivate(new SecureRandom());
  static final WgKey KB = WgKey.generatePrivate(new SecureRandom());
  TesseraNode exit;

  @BeforeEach
  void setUp() throws Exception {
    SETUP.run(ExitNodeIntegrationTest::openLab);
  }

  static void openLab() throws Exception {
    lab = new NetnsLab();
    lab.in(lab.nsA, "ip", "addr", "add", INTERNET + "/32", "dev", "lo");
    wggo = WgGo.peerOfA(lab, KB, KA, true);
    // The client uses A as its exit node for the internet address.
    wggo.setPeer(
        KA.publicKey().toBase64(),
        NetnsLab.TUN_A + "/32," + INTERNET + "/32",
        NetnsLab.UNDER_A + ":51820",
        0);
    lab.in(lab.nsB, "ip", "route", "add", INTERNET + "/32", "dev", wggo.iface);
    lab.spawn(lab.nsA, lab.dir.resolve("nc443.log"), "nc", "-lk", "443");
  }

  @AfterEach
  void stopAgent() {
    if (exit != null) {
      exit.stop();
      exit = null;
    }
  }

  @AfterAll
  static void tearDown() {
    if (lab != null) {
      lab.close();
    }
  }

  static String inventory() {
    return """
        users:
          - {login: alice@acme.com}
        nodes:
          - {name: laptop, user: alice@acme.com, ips: [%s], key: "%s"}
          - {name: exit, tags: [tag:exit], ips: [%s], key: "%s", routes: [0.0.0.0/0]}
        """
        .formatted(
            NetnsLab.TUN_B, KB.publicKey().toBase64(), NetnsLab.TUN_A, KA.publicKey().toBase64());
  }

  /**
   * The exit node's filter compiled from a policy that lets alice reach the exit node itself (so
   * the tunnel can be checked) plus {@code acls}, written where the agent reads it.
   */
  static Path compiledFilter(String name, String acls) throws Exception {
    PolicyResult p =
        Policies.read(
            "p.hujson",
            """
        {"tagOwners": {"tag:exit": ["alice@acme.com"]},
         "acls": [{"action": "accept", "src": ["alice@acme.com"], "dst": ["tag:exit:*"]}, %s]}
        """
                .formatted(acls),
            Syntax.HUJSON);
    assertThat(p.errors()).isEmpty();
    Diagnostics d = new Diagnostics();
    Inventory inv = InventoryReader.read("inv.yaml", inventory(), d);
    assertThat(d.sorted()).filteredOn(Diagnostic::isError).isEmpty();
    Compilation c = Compiler.compile(p.policy().orElseThrow(), inv);
    assertThat(c.diagnostics()).filteredOn(Diagnostic::isError).isEmpty();
    Path f = lab.dir.resolve(name + ".tsrf");
    Files.write(f, FilterCodec.encode(c.filter("exit").orElseThrow()));
    return f;
  }

  TesseraNode startExit(Path filter) throws Exception {
    return TesseraNode.start(
        lab,
        lab.nsA,
        lab.iface("ex"),
        TesseraNode.config(
            KA.toBase64(),
            NetnsLab.TUN_A + "/24",
            51820,
            KB.publicKey().toBase64(),
            NetnsLab.TUN_B + "/32",
            NetnsLab.UNDER_B + ":51821",
            0),
        filter);
  }

  boolean reachesTheInternet() throws Exception {
    return lab.tryIn(lab.nsB, 10, "nc", "-z", "-w", "2", INTERNET, "443").exit() == 0;
  }

  @Test
  void theClientReachesTheInternetThroughTheExitNodeIffThePolicyGrantsIt() throws Exception {
    exit =
        startExit(
            compiledFilter(
                "internet",
                "{\"action\": \"accept\", \"src\": [\"alice@acme.com\"], \"dst\": [\"autogroup:internet:443\"]}"));
    Probes.ping(lab, lab.nsB, NetnsLab.TUN_A); // the tunnel is up
    assertThat(reachesTheInternet()).as("granted autogroup:internet:443").isTrue();
  }

  @Test
  void withoutAnInternetGrantTheExitNodeDropsIt() throws Exception {
    exit =
        startExit(
            compiledFilter(
                "nointernet",
                "{\"action\": \"accept\", \"src\": [\"alice@acme.com\"], \"dst\": [\"tag:exit:443\"]}"));
    Probes.ping(
        lab, lab.nsB, NetnsLab.TUN_A); // the tunnel works and the exit node itself is reachable
    assertThat(reachesTheInternet()).as("no autogroup:internet grant").isFalse();
  }
}
