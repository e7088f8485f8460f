package dev.tessera.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.agent.crypto.WgKey;
import dev.tessera.agent.protocol.DeviceOptions;
import dev.tessera.agent.protocol.Peer;
import dev.tessera.agent.protocol.WireGuardDevice;
import dev.tessera.enforcer.Enforcer;
import dev.tessera.enforcer.format.CompiledFilter;
import dev.tessera.enforcer.format.DstPorts;
import dev.tessera.enforcer.format.FilterCodec;
import dev.tessera.enforcer.format.FilterJson;
import dev.tessera.enforcer.format.FilterRule;
import dev.tessera.enforcer.format.RuleOrigin;
import dev.tessera.net.IpPrefix;
import dev.tessera.net.IpProtocol;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FilterGateTest {
  @TempDir Path dir;
  final List<String> log = new ArrayList<>();

  static CompiledFilter allow(int port) {
    return CompiledFilter.of(
        "n",
        List.of(IpPrefix.parse("10.0.0.1/32")),
        List.of(
            new FilterRule(
                List.of(IpPrefix.parse("10.0.0.0/24")),
                List.of(IpProtocol.TCP),
                List.of(new DstPorts(IpPrefix.parse("10.0.0.1/32"), port, port)),
                RuleOrigin.synthetic(RuleOrigin.ACL, 0))),
        List.of(),
        List.of());
  }

  /** A TCP SYN 10.0.0.2:40000 -> 10.0.0.1:port. */
  static ByteBuffer syn(int port) {
    ByteBuffer b = ByteBuffer.allocate(40);
    b.put(0, (byte) 0x45).putShort(2, (short) 40).put(8, (byte) 64).put(9, (byte) 6);
    b.put(12, (byte) 10).put(15, (byte) 2).put(16, (byte) 10).put(19, (byte) 1);
    b.putShort(20, (short) 40000)
        .putShort(22, (short) port)
        .put(32, (byte) 0x50)
        .put(33, (byte) 0x02);
    return b;
  }

  @Test
  void noFilterAllowsAllAndSaysSo() {
    FilterGate g = FilterGate.allowAll(log::add);
    assertThat(g.mode()).isEqualTo(FilterGate.Mode.ALLOW_ALL);
    assertThat(g.newWorker()).isNull();
    assertThat(g.allowInbound(null, syn(22))).isTrue();
    assertThat(log).singleElement().asString().contains("ALLOWS ALL");
  }

  @Test
  void missingFileFailsClosedThenLoadsAndEnforces() throws Exception {
    Path f = dir.resolve("n.tfilter");
    FilterGate g = FilterGate.fromFile(f, "n", log::add);
    Enforcer.Worker w = g.newWorker();
    assertThat(g.mode()).isEqualTo(FilterGate.Mode.FAIL_CLOSED);
    assertThat(g.allowInbound(w, syn(443))).isFalse();
    assertThat(log.getFirst()).contains("no such file").contains("FAILING CLOSED");

    Files.write(f, FilterCodec.encode(allow(443)));
    assertThat(g.reload(false)).isTrue();
    assertThat(g.mode()).isEqualTo(FilterGate.Mode.ENFORCE);
    assertThat(g.allowInbound(w, syn(443))).isTrue();
    assertThat(g.allowInbound(w, syn(22))).isFalse();
    StringBuilder sb = new StringBuilder();
    g.appendStatus(sb);
    assertThat(sb.toString())
        .contains("filter_mode=enforce\n")
        .contains("drop_inbound_filter-unavailable=1\n")
        .contains("drop_inbound_no-rule=1\n")
        .contains("accept_inbound_rule=1\n");
  }

  @Test
  void corruptReloadKeepsThePreviousFilterAndJsonIsAccepted() throws Exception {
    Path f = dir.resolve("n.json");
    Files.writeString(f, FilterJson.write(allow(443)));
    FilterGate g = FilterGate.fromFile(f, "n", log::add);
    assertThat(g.mode()).isEqualTo(FilterGate.Mode.ENFORCE);
    assertThat(g.reload(false)).as("unchanged file is not re-applied").isFalse();
    Files.write(f, new byte[] {1, 2, 3});
    assertThat(g.reload(false)).isFalse();
    assertThat(g.mode()).isEqualTo(FilterGate.Mode.ENFORCE);
    assertThat(g.allowInbound(g.newWorker(), syn(443))).isTrue();
    assertThat(log.getLast()).contains("previous filter stays in force");
  }

  @Test
  void theTunnelBenchmarkFilterLoads() throws Exception {
    Path bench =
        dev.tessera.testsupport.ProjectRoot.get()
            .resolve("benchmarks/tunnel/filter-allow-iperf.json");
    FilterGate g = FilterGate.fromFile(bench, "bench", log::add);
    assertThat(g.mode()).as(log.toString()).isEqualTo(FilterGate.Mode.ENFORCE);
  }

  static long peerDrops(Peer p, String direction, String reason) {
    return FilterGate.DROP_LABELS.stream()
        .filter(l -> l.direction().equals(direction) && l.reason().equals(reason))
        .mapToLong(l -> p.filterDrops(l.index()))
        .sum();
  }

  @Test
  void dropsAreCountedOnThePeerByReasonAndDirection() throws Exception {
    WireGuardDevice device = new WireGuardDevice(DeviceOptions.defaults());
    Peer a = device.addPeer(WgKey.generatePrivate(new java.security.SecureRandom()).publicKey());
    Peer b = device.addPeer(WgKey.generatePrivate(new java.security.SecureRandom()).publicKey());
    Path f = dir.resolve("n.tfilter");
    Files.write(f, FilterCodec.encode(allow(443)));
    FilterGate g = FilterGate.fromFile(f, "n", log::add);
    Enforcer.Worker w = g.newWorker();
    assertThat(g.allowInbound(w, syn(22), a)).isFalse();
    assertThat(g.allowInbound(w, syn(22), a)).isFalse();
    assertThat(g.allowInbound(w, syn(443), b)).isTrue();
    assertThat(g.allowInbound(w, ByteBuffer.wrap(new byte[] {0x45, 0, 0}), b)).isFalse();
    assertThat(peerDrops(a, "inbound", "no-rule")).isEqualTo(2);
    assertThat(peerDrops(b, "inbound", "no-rule")).isZero();
    assertThat(peerDrops(b, "inbound", "truncated")).isEqualTo(1);
    assertThat(peerDrops(a, "outbound", "no-rule")).isZero();

    FilterGate closed = FilterGate.fromBundles("n", log::add);
    Enforcer.Worker cw = closed.newWorker();
    assertThat(closed.allowOutbound(cw, syn(443), a)).isFalse();
    assertThat(peerDrops(a, "outbound", "filter-unavailable")).isEqualTo(1);
    assertThat(peerDrops(a, "inbound", "filter-unavailable")).isZero();
  }

  @Test
  void everyDropLabelHasItsOwnIndex() {
    assertThat(FilterGate.DROP_LABELS)
        .extracting(FilterGate.DropLabel::index)
        .doesNotHaveDuplicates()
        .allMatch(i -> i >= 0 && i < Peer.FILTER_DROP_REASONS);
  }
}
