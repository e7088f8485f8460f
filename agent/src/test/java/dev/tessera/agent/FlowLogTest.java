package dev.tessera.agent;

import static dev.tessera.agent.DropLogTest.FILTER;
import static dev.tessera.agent.DropLogTest.PEER;
import static dev.tessera.agent.DropLogTest.PEER_B64;
import static dev.tessera.agent.DropLogTest.v4;
import static dev.tessera.agent.DropLogTest.v6;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tessera.enforcer.Matcher;
import dev.tessera.enforcer.Verdict;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FlowLogTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final int ACCEPT_RULE = Verdict.ACCEPT_RULE.ordinal();
  static final int OUTBOUND = Verdict.ACCEPT_OUTBOUND.ordinal();
  static final int NO_RULE = Verdict.DROP_NO_RULE.ordinal();

  long now = 1_700_000_000_000L;
  final List<String> lines = new ArrayList<>();

  FlowLog log(int ring) {
    Matcher m = Matcher.of(FILTER);
    return new FlowLog(ring, () -> now, () -> m, lines::add);
  }

  List<JsonNode> parsed() throws IOException {
    List<JsonNode> out = new ArrayList<>();
    for (String l : lines) {
      out.add(JSON.readTree(l));
    }
    return out;
  }

  @Test
  void anAdmittedInboundFlowIsOneLineNamingItsRuleAndPeer() throws IOException {
    FlowLog f = log(16);
    ByteBuffer syn = v4(6, "10.213.0.2", "10.213.0.1", 40000, 443);
    f.record(true, true, ACCEPT_RULE, syn, PEER);
    f.record(true, true, ACCEPT_RULE, syn, PEER); // the same flow again
    // this node's answers belong to the same flow
    f.record(false, true, OUTBOUND, v4(6, "10.213.0.1", "10.213.0.2", 443, 40000), PEER);
    assertThat(f.drain()).isEqualTo(1);
    assertThat(lines)
        .containsExactly(
            "{\"time\":\"2023-11-14T22:13:20Z\",\"direction\":\"inbound\",\"verdict\":\"accept\","
                + "\"reason\":\"rule\",\"rule\":\""
                + FILTER.rules().getFirst().origin()
                + "\",\"peer\":\""
                + PEER_B64
                + "\",\"proto\":\"tcp\",\"src\":\"10.213.0.2\",\"dst\":\"10.213.0.1\","
                + "\"sport\":40000,\"dport\":443}");
    assertThat(syn.position()).as("the packet is left as it was").isZero();
  }

  @Test
  void deniedAndOutboundFlowsAreLoggedOncePerTupleAndVerdict() throws IOException {
    FlowLog f = log(16);
    ByteBuffer ssh = v4(6, "10.213.0.2", "10.213.0.1", 40000, 22);
    f.record(true, false, NO_RULE, ssh, PEER);
    now += 1000;
    f.record(true, false, NO_RULE, ssh, PEER); // its retransmit
    f.record(true, false, FlowLog.FILTER_UNAVAILABLE, ssh, null); // another reason
    f.record(true, true, ACCEPT_RULE, ssh, PEER); // admitted after a policy change
    f.record(false, true, OUTBOUND, v6(17, "fd00::1", "fd00::2", 5353, 53), PEER);
    f.record(false, true, OUTBOUND, v6(17, "fd00::1", "fd00::2", 5353, 53), PEER);
    f.record(true, false, NO_RULE, ByteBuffer.wrap(new byte[] {0x45, 0, 0}), PEER); // not IP
    f.drain();
    List<JsonNode> l = parsed();
    assertThat(l).hasSize(4);
    assertThat(l.get(0).get("verdict").asText()).isEqualTo("drop");
    assertThat(l.get(0).get("reason").asText()).isEqualTo("no-rule");
    assertThat(l.get(0).get("rule").isNull()).isTrue();
    assertThat(l.get(0).get("dport").asInt()).isEqualTo(22);
    assertThat(l.get(1).get("reason").asText()).isEqualTo("filter-unavailable");
    assertThat(l.get(1).get("peer").isNull()).isTrue();
    assertThat(l.get(1).get("time").asText()).isEqualTo("2023-11-14T22:13:21Z");
    assertThat(l.get(2).get("verdict").asText()).isEqualTo("accept");
    assertThat(l.get(2).get("rule").isNull()).as("no rule admits port 22").isTrue();
    JsonNode out = l.get(3);
    assertThat(out.get("direction").asText()).isEqualTo("outbound");
    assertThat(out.get("reason").asText()).isEqualTo("outbound");
    assertThat(out.get("proto").asText()).isEqualTo("udp");
    assertThat(out.get("src").asText()).isEqualTo("fd00::1");
    assertThat(out.get("dst").asText()).isEqualTo("fd00::2");
    assertThat(out.get("sport").asInt()).isEqualTo(5353);
    assertThat(out.get("dport").asInt()).isEqualTo(53);
    assertThat(f.written()).isEqualTo(4);
  }

  @Test
  void aFullRingCountsTheLostFlowsAndTheNextLineSaysHowMany() throws IOException {
    FlowLog f = log(4);
    for (int port = 1; port <= 6; port++) {
      f.record(true, false, NO_RULE, v4(17, "192.0.2.9", "10.213.0.1", 1000, port), PEER);
    }
    assertThat(f.lost()).isEqualTo(2);
    assertThat(f.drain()).isEqualTo(4);
    f.record(true, false, NO_RULE, v4(17, "192.0.2.9", "10.213.0.1", 1000, 7), PEER);
    f.drain();
    List<JsonNode> l = parsed();
    assertThat(l).extracting(n -> n.get("dport").asInt()).containsExactly(1, 2, 3, 4, 7);
    assertThat(l.get(0).get("lost").asLong())
        .as("the first line written after the loss says how many flows were lost")
        .isEqualTo(2);
    assertThat(l.subList(1, 5)).allMatch(n -> !n.has("lost"));
    // the ring is reused lap after lap
    for (int lap = 0; lap < 3; lap++) {
      for (int port = 0; port < 4; port++) {
        f.record(true, false, NO_RULE, v4(17, "192.0.2.8", "10.213.0.1", lap, port), PEER);
      }
      assertThat(f.drain()).isEqualTo(4);
    }
    assertThat(f.lost()).isEqualTo(2);
  }

  @Test
  void aFlowThatCannotBeDescribedIsSkippedAndCountedAndTheWriterGoesOn() throws IOException {
    boolean[] fail = {true};
    Matcher m = Matcher.of(FILTER);
    FlowLog f =
        new FlowLog(
            16,
            () -> now,
            () -> {
              if (fail[0]) {
                throw new IllegalStateException("no matcher");
              }
              return m;
            },
            lines::add);
    f.record(true, true, ACCEPT_RULE, v4(6, "10.213.0.2", "10.213.0.1", 40000, 443), PEER);
    assertThat(f.drain()).isZero();
    assertThat(f.lost()).isEqualTo(1);
    fail[0] = false;
    f.record(true, true, ACCEPT_RULE, v4(6, "10.213.0.2", "10.213.0.1", 40001, 443), PEER);
    assertThat(f.drain()).isEqualTo(1);
    assertThat(parsed().getFirst().get("sport").asInt()).isEqualTo(40001);
    assertThat(parsed().getFirst().get("lost").asLong()).isEqualTo(1);
  }

  @Test
  void recordingAllocatesNothing() {
    var bean = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    bean.setThreadAllocatedMemoryEnabled(true);
    FlowLog f = log(1 << 12);
    ByteBuffer[] packets = new ByteBuffer[8192];
    for (int i = 0; i < packets.length; i++) {
      packets[i] =
          i % 2 == 0
              ? v4(6, "10.213.0.2", "10.213.0.1", 1024 + i, 443)
              : v6(17, "fd00::2", "fd00::1", 1024 + i, 53);
    }
    Runnable run =
        () -> {
          for (int k = 0; k < 50; k++) {
            for (ByteBuffer p : packets) {
              f.record(k % 2 == 0, k % 3 == 0, NO_RULE, p, PEER);
            }
          }
        };
    run.run(); // warm-up: the JIT compiles record
    long tid = Thread.currentThread().threadId();
    long before = bean.getThreadAllocatedBytes(tid);
    run.run(); // 409,600 packets: new flows, flows already logged, and a full ring
    long allocated = bean.getThreadAllocatedBytes(tid) - before;
    assertThat(allocated).as("bytes allocated for 409,600 records").isLessThan(16_384);
    assertThat(f.lost()).as("the ring filled up along the way").isPositive();
  }

  @Test
  void theFileRollsOverAndKeepsABoundedNumberOfFiles(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("flows.jsonl");
    FlowLog.Sink sink = FlowLog.rollingFile(file, 2_000, 2);
    String line = "{\"n\":\"" + "x".repeat(90) + "\"}";
    for (int i = 0; i < 200; i++) {
      sink.line(line);
    }
    sink.close();
    try (var files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrder("flows.jsonl", "flows.jsonl.1", "flows.jsonl.2");
    }
    for (String name : List.of("flows.jsonl", "flows.jsonl.1", "flows.jsonl.2")) {
      Path p = dir.resolve(name);
      assertThat(Files.size(p)).as(name).isLessThanOrEqualTo(2_000 + line.length() + 1);
      assertThat(Files.readAllLines(p)).isNotEmpty().allMatch(line::equals);
    }
  }

  @Test
  void theWriterThreadWritesAndCloseFlushes(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("flows.jsonl");
    Matcher m = Matcher.of(FILTER);
    FlowLog f = FlowLog.toFile(file, 1 << 20, 2, () -> m);
    f.record(true, true, ACCEPT_RULE, v4(6, "10.213.0.2", "10.213.0.1", 40000, 443), PEER);
    f.record(true, false, NO_RULE, v4(6, "10.213.0.2", "10.213.0.1", 40001, 22), PEER);
    f.close();
    List<String> written = Files.readAllLines(file);
    assertThat(written).hasSize(2);
    assertThat(JSON.readTree(written.get(0)).get("verdict").asText()).isEqualTo("accept");
    assertThat(JSON.readTree(written.get(1)).get("verdict").asText()).isEqualTo("drop");
  }
}
