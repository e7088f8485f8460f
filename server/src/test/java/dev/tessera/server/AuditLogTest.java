package dev.tessera.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The audit log is written off the event loops: nothing lost, per-thread order kept, appended. */
class AuditLogTest {
  @TempDir Path dir;

  @Test
  void everyEventIsWrittenInOrderAndTheFileIsOnlyAppended() throws Exception {
    Path file = dir.resolve("audit.jsonl");
    Files.writeString(file, "{\"event\":\"earlier\"}\n");
    int threads = 4;
    int each = 500;
    try (AuditLog log = new AuditLog(file)) {
      List<Thread> ts = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        String node = "node-" + t;
        Thread th = new Thread(() -> {
          for (int v = 1; v <= each; v++) {
            log.served(node, v, "h" + v);
          }
        });
        th.start();
        ts.add(th);
      }
      for (Thread th : ts) {
        th.join();
      }
      log.sync(); // written and flushed now, while the log stays open
      assertThat(Files.readAllLines(file)).hasSize(1 + threads * each);
      log.compiled("rev", 3, 2, 10);
      log.acknowledged("node-0", 7, "h7");
    }
    List<String> lines = Files.readAllLines(file);
    assertThat(lines).hasSize(1 + threads * each + 2);
    assertThat(lines.getFirst()).isEqualTo("{\"event\":\"earlier\"}");
    ObjectMapper json = new ObjectMapper();
    long[] last = new long[threads];
    for (String line : lines.subList(1, 1 + threads * each)) {
      JsonNode j = json.readTree(line);
      assertThat(j.path("event").asText()).isEqualTo("served");
      int t = Integer.parseInt(j.path("node").asText().substring(5));
      long v = j.path("version").asLong();
      assertThat(v).isEqualTo(last[t] + 1);
      last[t] = v;
    }
    assertThat(json.readTree(lines.get(lines.size() - 2)).path("event").asText()).isEqualTo("compiled");
    assertThat(json.readTree(lines.getLast()).path("event").asText()).isEqualTo("acknowledged");
  }
}
