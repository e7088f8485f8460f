package dev.tessera.agent.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.agent.crypto.WgKey;
import dev.tessera.agent.testing.NetnsLab;
import dev.tessera.agent.testing.TesseraNode;
import dev.tessera.agent.testing.WgGo;
import dev.tessera.enforcer.format.CompiledFilter;
import dev.tessera.enforcer.format.DstPorts;
import dev.tessera.enforcer.format.FilterCodec;
import dev.tessera.enforcer.format.FilterRule;
import dev.tessera.enforcer.format.Peer;
import dev.tessera.enforcer.format.RuleOrigin;
import dev.tessera.net.IpPrefix;
import dev.tessera.net.IpProtocol;
import dev.tessera.testsupport.RequiresRoot;
import dev.tessera.testsupport.RequiresTools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Source spoofing through an exit node's broad AllowedIPs, on live tunnels with three nodes in
 * three network namespaces: node A (the Tessera agent under test), exit node E (stock wireguard-go
 * in nsB, {@code TUN_B}) whose AllowedIPs on A are 0.0.0.0/0, and node C (stock wireguard-go in a
 * third namespace, {@code 10.213.0.3}). A's filter lists E and C as nodes and lets both ping A.
 *
 * <p>E sends pings with C's tunnel address as their source through its own tunnel. Cryptokey
 * routing alone lets them in (0.0.0.0/0 covers C's address while C has no [Peer] on A), and A's
 * filter would then judge them by C's rules. A node's address is accepted only from that node's
 * key: they are dropped as {@code SPOOFED_SOURCE}, counted in {@code tessera-agent show} ({@code
 * wg_drop_spoofed_source}) and in the metrics, and nothing is answered. E's own pings and, once C
 * is a peer of A, C's genuine pings pass.
 */
@Tag("root")
@Tag("integration")
@RequiresRoot("creates network namespaces, TUN devices and runs wireguard-go")
@RequiresTools({"ip", "wireguard-go", "wg", "ping", "curl"})
class SpoofedSourceIntegrationTest {
  static final String TUN_C = "10.213.0.3";
  static final String UNDER_A_TO_C = "198.18.52.1";
  static final String UNDER_C = "198.18.52.3";
  static final String METRICS = "127.0.0.1:9587";
  static final WgKey KA = WgKey.generatePrivate(new SecureRandom());
  static final WgKey KE = WgKey.generatePrivate(new SecureRandom());
  static final WgKey KC = WgKey.generatePrivate(new SecureRandom());

  /** A may be pinged by E and by C; E is an exit node (route 0.0.0.0/0), C a plain node. */
  static CompiledFilter filter() {
    IpPrefix a = IpPrefix.parse(NetnsLab.TUN_A + "/32");
    return CompiledFilter.of(
        "a",
        List.of(a),
        List.of(
            new FilterRule(
                List.of(IpPrefix.parse(NetnsLab.TUN_B + "/32"), IpPrefix.parse(TUN_C + "/32")),
                List.of(IpProtocol.ICMP),
                List.of(DstPorts.allPorts(a)),
                RuleOrigin.synthetic(RuleOrigin.ACL, 0))),
        List.of(
            new Peer(
                "exit",
                KE.publicKey().toBase64(),
                List.of(IpPrefix.parse(NetnsLab.TUN_B + "/32")),
                List.of(IpPrefix.parse("0.0.0.0/0"))),
            new Peer(
                "c", KC.publicKey().toBase64(), List.of(IpPrefix.parse(TUN_C + "/32")), List.of())),
        List.of());
  }

  /** Pings A from {@code ns} with source {@code source}; true if any reply came back. */
  static boolean pingFrom(NetnsLab lab, String ns, String source) throws IOException {
    return lab.tryIn(
                ns, 15, "ping", "-c", "3", "-i", "0.3", "-W", "2", "-I", source, NetnsLab.TUN_A)
            .exit()
        == 0;
  }

  @Test
  void anExitNodeCannotSpeakWithAnotherNodesAddress() throws Exception {
    try (NetnsLab lab = new NetnsLab()) {
      String nsC = "tsr-" + lab.id + "-c";
      NetnsLab.run("ip", "netns", "add", nsC);
      try {
        NetnsLab.run(
            "ip", "link", "add", "vc0", "netns", lab.nsA, "type", "veth", "peer", "name", "vc0",
            "netns", nsC);
        lab.in(lab.nsA, "ip", "addr", "add", UNDER_A_TO_C + "/24", "dev", "vc0");
        lab.in(nsC, "ip", "addr", "add", UNDER_C + "/24", "dev", "vc0");
        lab.in(lab.nsA, "ip", "link", "set", "vc0", "up");
        lab.in(nsC, "ip", "link", "set", "vc0", "up");
        lab.in(nsC, "ip", "link", "set", "lo", "up");

        // E: the exit node, in nsB; it also holds C's address locally, to send from it.
        WgGo.peerOfA(lab, KE, KA, true);
        lab.in(lab.nsB, "ip", "addr", "add", TUN_C + "/32", "dev", "lo");
        // C: in its own namespace, with A as its peer (A learns C only later).
        WgGo c = WgGo.start(lab, nsC, lab.iface("gc"), KC.toBase64(), 51822, TUN_C);
        c.setPeer(KA.publicKey().toBase64(), NetnsLab.TUN_A + "/32", UNDER_A_TO_C + ":51820", 0);

        Path f = lab.dir.resolve("a.tfilter");
        Files.write(f, FilterCodec.encode(filter()));
        TesseraNode a =
            TesseraNode.startWithMetrics(
                lab,
                lab.nsA,
                lab.iface("sp"),
                TesseraNode.withInterfaceLines(
                    TesseraNode.config(
                        KA.toBase64(),
                        NetnsLab.TUN_A + "/24",
                        51820,
                        KE.publicKey().toBase64(),
                        "0.0.0.0/0",
                        NetnsLab.UNDER_B + ":51821",
                        0),
                    "Table = off"),
                f,
                METRICS);
        try {
          // E's own traffic passes.
          Probes.ping(lab, lab.nsB, NetnsLab.TUN_A);

          // E sends with C's address: dropped, counted, never answered.
          long before = a.counter("wg_drop_spoofed_source");
          assertThat(pingFrom(lab, lab.nsB, TUN_C)).as("E pinging A as C gets answers").isFalse();
          long spoofed = a.counter("wg_drop_spoofed_source") - before;
          assertThat(spoofed)
              .as("SPOOFED_SOURCE drops in tessera-agent show")
              .isGreaterThanOrEqualTo(3);
          assertThat(
                  a.scrape()
                      .sum("tessera_agent_wireguard_drops_total", "reason=\"spoofed_source\""))
              .as("SPOOFED_SOURCE drops in the metrics")
              .isGreaterThanOrEqualTo(3);
          assertThat(a.counter("peer_drop_" + KE.publicKey().toHex() + "_spoofed_source"))
              .as("counted against E")
              .isGreaterThanOrEqualTo(3);

          // C becomes A's peer: its genuine traffic passes, E still cannot speak for it.
          lab.in(
              lab.nsA,
              "wg",
              "set",
              a.iface,
              "peer",
              KC.publicKey().toBase64(),
              "allowed-ips",
              TUN_C + "/32",
              "endpoint",
              UNDER_C + ":51822");
          Probes.ping(lab, nsC, NetnsLab.TUN_A);
          assertThat(pingFrom(lab, lab.nsB, TUN_C)).as("E pinging A as C, C peered").isFalse();
          Probes.ping(lab, lab.nsB, NetnsLab.TUN_A);
          System.out.printf(
              "spoofed pings dropped: %d (SPOOFED_SOURCE), then %d more after C joined%n",
              spoofed,
              a.counter("wg_drop_spoofed_source")
                  + a.counter("wg_drop_inner_source_not_allowed")
                  - before
                  - spoofed);
        } finally {
          a.stop();
        }
      } finally {
        NetnsLab.exec(15, "ip", "netns", "del", nsC);
      }
    }
  }
}
