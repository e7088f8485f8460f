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
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Revocation in both directions, end to end: B (stock wireguard-go) keeps a TCP connection and a
 * UDP exchange open to services on A (the Tessera agent), each side sending a line every 100 ms. A
 * new filter without those rules is installed on A: from the swap on, no line crosses in either
 * direction, while both sides keep trying (A counts the drops both ways as revoked).
 */
@Tag("root")
@Tag("integration")
@RequiresRoot("creates network namespaces, TUN devices and runs wireguard-go")
@RequiresTools({"ip", "wireguard-go", "wg", "nc", "sh", "ss"})
class RevocationIntegrationTest {
  static final WgKey KA = WgKey.generatePrivate(new SecureRandom());
  static final WgKey KB = WgKey.generatePrivate(new SecureRandom());
  static final int TCP_PORT = 5001;
  static final int UDP_PORT = 5002;

  static CompiledFilter filter(boolean allow) {
    List<FilterRule> rules = new ArrayList<>();
    IpPrefix a = IpPrefix.parse(NetnsLab.TUN_A + "/32");
    if (allow) {
      rules.add(
          new FilterRule(
              List.of(IpPrefix.parse(NetnsLab.TUN_B + "/32")),
              List.of(IpProtocol.TCP),
              List.of(new DstPorts(a, TCP_PORT, TCP_PORT)),
              RuleOrigin.synthetic(RuleOrigin.ACL, 0)));
      rules.add(
          new FilterRule(
              List.of(IpPrefix.parse(NetnsLab.TUN_B + "/32")),
              List.of(IpProtocol.UDP),
              List.of(new DstPorts(a, UDP_PORT, UDP_PORT)),
              RuleOrigin.synthetic(RuleOrigin.ACL, 1)));
    }
    return CompiledFilter.of(
        "a",
        List.of(a),
        rules,
        List.of(
            new Peer(
                "b",
                KB.publicKey().toBase64(),
                List.of(IpPrefix.parse(NetnsLab.TUN_B + "/32")),
                List.of())),
        List.of());
  }

  static long size(Path p) {
    try {
      return Files.exists(p) ? Files.size(p) : 0;
    } catch (IOException e) {
      return 0;
    }
  }

  static long counter(TesseraNode n, String key) {
    try {
      return n.counter(key);
    } catch (IOException e) {
      return -1;
    }
  }

  /** A shell loop that prints a line every 100 ms into {@code nc ARGS}. */
  static String[] talker(String who, String ncArgs) {
    return new String[] {
      "sh", "-c", "while :; do echo from-" + who + "; sleep 0.1; done | nc " + ncArgs
    };
  }

  @Test
  void aNewFilterCutsLongRunningTcpAndUdpFlowsInBothDirections() throws Exception {
    try (NetnsLab lab = new NetnsLab()) {
      WgGo.peerOfA(lab, KB, KA, true);
      Path f = lab.dir.resolve("a.tfilter");
      Files.write(f, FilterCodec.encode(filter(true)));
      TesseraNode a =
          TesseraNode.start(
              lab,
              lab.nsA,
              lab.iface("tr"),
              TesseraNode.config(
                  KA.toBase64(),
                  NetnsLab.TUN_A + "/24",
                  51820,
                  KB.publicKey().toBase64(),
                  NetnsLab.TUN_B + "/32",
                  NetnsLab.UNDER_B + ":51821",
                  0),
              f);
      try {
        Path tcpAtA = lab.dir.resolve("tcp-at-a.log");
        Path tcpAtB = lab.dir.resolve("tcp-at-b.log");
        Path udpAtA = lab.dir.resolve("udp-at-a.log");
        Path udpAtB = lab.dir.resolve("udp-at-b.log");
        lab.spawn(lab.nsA, tcpAtA, talker("a", "-l " + TCP_PORT));
        lab.spawn(lab.nsA, udpAtA, talker("a", "-u -l " + UDP_PORT));
        NetnsLab.waitFor(
            "listeners on A",
            5000,
            () -> {
              try {
                String out = lab.tryIn(lab.nsA, 5, "ss", "-ltnu").output();
                return out.contains(":" + TCP_PORT) && out.contains(":" + UDP_PORT);
              } catch (IOException e) {
                return false;
              }
            });
        lab.spawn(lab.nsB, tcpAtB, talker("b", NetnsLab.TUN_A + " " + TCP_PORT));
        lab.spawn(lab.nsB, udpAtB, talker("b", "-u -p 40002 " + NetnsLab.TUN_A + " " + UDP_PORT));
        // both flows carry lines both ways
        NetnsLab.waitFor(
            "TCP and UDP lines in both directions",
            20_000,
            () -> size(tcpAtA) > 40 && size(tcpAtB) > 40 && size(udpAtA) > 40 && size(udpAtB) > 40);

        long reloads = counter(a, "filter_reloads");
        FilterIntegrationTest.install(f, FilterCodec.encode(filter(false)));
        NetnsLab.waitFor("filter reload", 5000, () -> counter(a, "filter_reloads") > reloads);
        long[] at = {size(tcpAtA), size(tcpAtB), size(udpAtA), size(udpAtB)};
        long inBefore = counter(a, "drop_inbound_revoked");
        long outBefore = counter(a, "drop_outbound_revoked");
        // both sides keep sending: wait until A has dropped a good number of packets each way
        NetnsLab.waitFor(
            "revoked drops both ways",
            20_000,
            () ->
                counter(a, "drop_inbound_revoked") - inBefore >= 10
                    && counter(a, "drop_outbound_revoked") - outBefore >= 10);
        assertThat(new long[] {size(tcpAtA), size(tcpAtB), size(udpAtA), size(udpAtB)})
            .as("bytes received since the swap: TCP at A, TCP at B, UDP at A, UDP at B")
            .containsExactly(at);
      } finally {
        a.stop();
      }
    }
  }
}
