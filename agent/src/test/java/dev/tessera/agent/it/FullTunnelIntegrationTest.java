package dev.tessera.agent.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.agent.crypto.WgKey;
import dev.tessera.agent.testing.NetnsLab;
import dev.tessera.agent.testing.TesseraNode;
import dev.tessera.agent.testing.WgGo;
import dev.tessera.testsupport.Once;
import dev.tessera.testsupport.RequiresRoot;
import dev.tessera.testsupport.RequiresTools;
import java.io.IOException;
import java.security.SecureRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * A full tunnel (AllowedIPs = 0.0.0.0/0, ::/0) with wg-quick's fwmark and policy rules.
 *
 * <pre>
 *   nsA: agent, default route via 198.18.51.2 (the "physical" gateway)
 *   nsB: wireguard-go, listening on 198.18.52.2 (its public address, reachable from A only via
 *        that default route) and owning 198.18.53.7 ("a server on the internet" behind the peer)
 * </pre>
 *
 * Once the agent is up, A's main default route is shadowed by the tunnel's, so the encrypted UDP to
 * 198.18.52.2 reaches B only because it carries the fwmark that the {@code not fwmark} rule lets
 * through to the main table; the inner traffic to 198.18.53.7 goes through the tunnel.
 */
@Tag("root")
@Tag("integration")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@RequiresRoot("creates network namespaces, TUN devices, routing rules")
@RequiresTools({"ip", "wireguard-go", "wg", "ping", "nft", "ss", "sysctl"})
class FullTunnelIntegrationTest {
  static final Once SETUP = new Once();
  static final String B_PUBLIC = "198.18.52.2";
  static final String BEHIND_B = "198.18.53.7";
  // IPv6 (::/0): documentation-free ULA ranges, the underlay on the same veth pair.
  static final String UNDER6_A = "fd00:51::1";
  static final String UNDER6_B = "fd00:51::2";
  static final String BEHIND6_B = "fd00:53::7";
  static final String TUN6_A = "fd00:213::1";
  static final String TUN6_B = "fd00:213::2";
  static final WgKey KA = WgKey.generatePrivate(new SecureRandom());
  static final WgKey KB = WgKey.generatePrivate(new SecureRandom());
  static NetnsLab lab;
  static WgGo wggo;
  static String iface;
  static String rulesBefore;
  TesseraNode agent;

  @BeforeEach
  void setUp() throws Exception {
    SETUP.run(FullTunnelIntegrationTest::openLab);
  }

  static void openLab() throws Exception {
    lab = new NetnsLab();
    lab.in(lab.nsB, "ip", "addr", "add", B_PUBLIC + "/32", "dev", "lo");
    lab.in(lab.nsB, "ip", "addr", "add", BEHIND_B + "/32", "dev", "lo");
    lab.in(lab.nsA, "ip", "route", "add", "default", "via", NetnsLab.UNDER_B, "dev", "veth0");
    lab.in(lab.nsA, "ip", "-6", "addr", "add", UNDER6_A + "/64", "dev", "veth0", "nodad");
    lab.in(lab.nsB, "ip", "-6", "addr", "add", UNDER6_B + "/64", "dev", "veth0", "nodad");
    lab.in(lab.nsB, "ip", "-6", "addr", "add", BEHIND6_B + "/128", "dev", "lo");
    lab.in(lab.nsA, "ip", "-6", "route", "add", "default", "via", UNDER6_B, "dev", "veth0");
    wggo = WgGo.start(lab, lab.nsB, lab.iface("gb"), KB.toBase64(), 51821, NetnsLab.TUN_B);
    lab.in(lab.nsB, "ip", "-6", "addr", "add", TUN6_B + "/64", "dev", wggo.iface, "nodad");
    wggo.setPeer(
        KA.publicKey().toBase64(),
        NetnsLab.TUN_A + "/32," + TUN6_A + "/128",
        null,
        0); // B learns A's endpoint
    iface = lab.iface("ta");
    rulesBefore = rules();
  }

  @AfterEach
  void stopAgent() {
    if (agent != null) {
      agent.stop(); // its log is printed when the lab closes
      agent = null;
    }
  }

  @AfterAll
  static void tearDown() {
    if (lab != null) {
      lab.close();
    }
  }

  static String rules() throws IOException {
    return lab.in(lab.nsA, "ip", "-4", "rule", "show")
        + lab.in(lab.nsA, "ip", "-6", "rule", "show");
  }

  static TesseraNode start(String... interfaceLines) throws IOException {
    String config =
        TesseraNode.config(
            KA.toBase64(),
            NetnsLab.TUN_A + "/24, " + TUN6_A + "/64",
            51820,
            KB.publicKey().toBase64(),
            "0.0.0.0/0, ::/0",
            B_PUBLIC + ":51821",
            0);
    return TesseraNode.start(
        lab, lab.nsA, iface, TesseraNode.withInterfaceLines(config, interfaceLines), null);
  }

  static String nftTables() throws IOException {
    return lab.in(lab.nsA, "nft", "list", "tables");
  }

  /** From B, a packet for A's tunnel address sent over the underlay instead of the tunnel. */
  static boolean spoofedPingAnswered() throws IOException {
    lab.in(
        lab.nsB,
        "ip",
        "route",
        "add",
        NetnsLab.TUN_A + "/32",
        "via",
        NetnsLab.UNDER_A,
        "dev",
        "veth0");
    try {
      return !Probes.pingFails(lab, lab.nsB, NetnsLab.TUN_A);
    } finally {
      lab.in(
          lab.nsB,
          "ip",
          "route",
          "del",
          NetnsLab.TUN_A + "/32",
          "via",
          NetnsLab.UNDER_A,
          "dev",
          "veth0");
    }
  }

  static int count(String haystack, String needle) {
    return haystack.split(java.util.regex.Pattern.quote(needle), -1).length - 1;
  }

  @Test
  @Order(1)
  void defaultRouteThroughTheTunnelWhileItsOwnUdpTakesThePhysicalRoute() throws Exception {
    agent = start();
    String rules = rules();
    assertThat(count(rules, "not from all fwmark 0xca6c lookup 51820"))
        .as(rules)
        .isEqualTo(2); // -4 and -6
    assertThat(count(rules, "from all lookup main suppress_prefixlength 0")).as(rules).isEqualTo(2);
    assertThat(lab.in(lab.nsA, "ip", "-4", "route", "show", "table", "51820"))
        .contains("default dev " + iface);
    assertThat(agent.uapiGet()).contains("fwmark=51820");
    assertThat(lab.in(lab.nsA, "wg", "show", iface, "fwmark").strip()).isEqualTo("0xca6c");
    assertThat(lab.in(lab.nsA, "ss", "-uane", "sport = :51820")).contains("fwmark:0xca6c");

    // Unmarked traffic (anything of the host's) goes into the tunnel; marked traffic (the agent's
    // own datagrams) to the endpoint goes out through the physical gateway.
    assertThat(lab.in(lab.nsA, "ip", "route", "get", BEHIND_B)).contains("dev " + iface);
    assertThat(lab.in(lab.nsA, "ip", "route", "get", B_PUBLIC, "mark", "51820"))
        .contains("via " + NetnsLab.UNDER_B)
        .contains("dev veth0");

    Probes.ping(lab, lab.nsA, BEHIND_B); // an address behind the peer, through the tunnel
    Probes.ping(lab, lab.nsA, NetnsLab.TUN_B);
    assertThat(lab.in(lab.nsA, "ip", "-6", "route", "get", BEHIND6_B)).contains("dev " + iface);
    Probes.ping(lab, lab.nsA, BEHIND6_B); // ::/0 through the tunnel too
    // B saw the handshake and data arrive over the underlay from A's physical address.
    assertThat(wggo.show()).contains(NetnsLab.UNDER_A + ":51820");
  }

  @Test
  @Order(2)
  void downRestoresTheRoutingRules() throws Exception {
    agent = start();
    assertThat(rules()).isNotEqualTo(rulesBefore);
    agent.stop();
    agent = null;
    assertThat(rules()).isEqualTo(rulesBefore);
    assertThat(nftTables()).doesNotContain("tessera-");
    assertThat(lab.in(lab.nsA, "ip", "route", "show", "default"))
        .contains("via " + NetnsLab.UNDER_B); // untouched
  }

  @Test
  @Order(3)
  void rulesLeftByACrashAreRemovedByTheNextUp() throws Exception {
    agent = start();
    agent.kill();
    agent = null;
    assertThat(rules()).as("a killed agent leaves its rules").contains("lookup 51820");
    agent = start();
    String rules = rules();
    assertThat(count(rules, "not from all fwmark 0xca6c lookup 51820")).as(rules).isEqualTo(2);
    assertThat(count(rules, "suppress_prefixlength 0")).as(rules).isEqualTo(2);
    assertThat(agent.logText())
        .containsPattern(
            "removed [46] routing rule\\(s\\)/nft table\\(s\\) left by a previous agent");
    assertThat(count(nftTables(), "tessera-" + iface)).isEqualTo(2); // ip and ip6, once each
    Probes.ping(lab, lab.nsA, BEHIND_B);
    agent.stop();
    agent = null;
    assertThat(rules()).isEqualTo(rulesBefore);
    assertThat(nftTables()).doesNotContain("tessera-");
  }

  @Test
  @Order(4)
  void configuredFwMarkIsTheTableAndWgSetFwmarkReachesTheSocket() throws Exception {
    agent = start("FwMark = 0x1234");
    assertThat(lab.in(lab.nsA, "ip", "-4", "rule", "show"))
        .contains("not from all fwmark 0x1234 lookup 4660");
    Probes.ping(lab, lab.nsA, BEHIND_B);
    lab.in(lab.nsA, "wg", "set", iface, "fwmark", "0x4321");
    assertThat(lab.in(lab.nsA, "wg", "show", iface, "fwmark").strip()).isEqualTo("0x4321");
    assertThat(lab.in(lab.nsA, "ss", "-uane", "sport = :51820"))
        .contains("fwmark:0x4321")
        .doesNotContain("fwmark:0x1234");
    // With the mark no longer matching the rule, the agent's own datagrams would loop into the
    // tunnel (exactly what the rule prevents); set it back and traffic flows again.
    lab.in(lab.nsA, "wg", "set", iface, "fwmark", "0x1234");
    agent.forceRekey();
    Probes.ping(lab, lab.nsA, BEHIND_B);
  }

  @Test
  @Order(5)
  void tableOffInstallsNothingAndANamedTableGetsEveryRoute() throws Exception {
    agent = start("Table = off");
    assertThat(rules()).isEqualTo(rulesBefore);
    assertThat(spoofedPingAnswered())
        .as("control: without the full tunnel's firewall the tunnel address answers on veth0")
        .isTrue();
    assertThat(lab.in(lab.nsA, "ip", "route", "show", "dev", iface)).doesNotContain("default");
    agent.stop();
    agent = start("Table = 1234");
    assertThat(rules()).isEqualTo(rulesBefore);
    assertThat(lab.in(lab.nsA, "ip", "-4", "route", "show", "table", "1234"))
        .contains("default dev " + iface);
    assertThat(lab.in(lab.nsA, "ip", "route", "get", BEHIND_B)).contains("via " + NetnsLab.UNDER_B);
  }

  /** wg-quick's nft part: anti-spoofing for the tunnel address, connmark for a strict rp_filter. */
  @Test
  @Order(6)
  void withNftTheTunnelAddressIsGuardedAndStrictRpFilterWorks() throws Exception {
    agent = start();
    String v4 = lab.in(lab.nsA, "nft", "list", "table", "ip", "tessera-" + iface);
    assertThat(v4)
        .contains(
            "iifname != \""
                + iface
                + "\" ip daddr "
                + NetnsLab.TUN_A
                + " fib saddr type != local drop")
        .contains("ct mark set meta mark")
        .contains("meta mark set ct mark");
    assertThat(lab.in(lab.nsA, "nft", "list", "table", "ip6", "tessera-" + iface))
        .contains("ip6 daddr " + TUN6_A);
    assertThat(lab.in(lab.nsA, "sysctl", "-n", "net.ipv4.conf.all.src_valid_mark").strip())
        .isEqualTo("1");
    assertThat(spoofedPingAnswered())
        .as("a packet for the tunnel address arriving on veth0 is dropped")
        .isFalse();

    // Strict reverse-path filtering: the endpoint's replies pass because their conntrack entry
    // gives them the tunnel's fwmark back (without it the kernel would route 198.18.52.2 into the
    // tunnel and drop them as martians).
    lab.in(lab.nsA, "sysctl", "-qw", "net.ipv4.conf.all.rp_filter=1");
    lab.in(lab.nsA, "sysctl", "-qw", "net.ipv4.conf.veth0.rp_filter=1");
    try {
      agent.forceRekey(); // a fresh handshake under the strict filter
      Probes.ping(lab, lab.nsA, BEHIND_B);
    } finally {
      lab.in(lab.nsA, "sysctl", "-qw", "net.ipv4.conf.all.rp_filter=0");
      lab.in(lab.nsA, "sysctl", "-qw", "net.ipv4.conf.veth0.rp_filter=0");
    }
    agent.stop();
    agent = null;
    assertThat(nftTables()).doesNotContain("tessera-");
    assertThat(rules()).isEqualTo(rulesBefore);
  }
}
