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
        Thread th =
            new Thread(
                () -> {
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
    assertThat(json.readTree(lines.get(lines.size() - 2)).path("event").asText())
        .isEqualTo("compiled");
    assertThat(json.readTree(lines.getLast()).path("event").asText()).isEqualTo("acknowledged");
  }

  /**
   * Each line carries the hash of the one before; any edit, deletion or insertion breaks the chain
   * there.
   */
  @Test
  void theChainDetectsEditsDeletionsAndInsertions() throws Exception {
    Path file = dir.resolve("audit.jsonl");
    try (AuditLog log = new AuditLog(file)) {
      log.compiled("rev1", 3, 3, 10);
      for (int v = 1; v <= 5; v++) {
        log.served("web-1", v, "h" + v);
      }
    }
    try (AuditLog log = new AuditLog(file)) { // reopened: the chain continues from the last line
      log.acknowledged("web-1", 5, "h5");
    }
    AuditChain.Result ok = AuditChain.verify(file);
    assertThat(ok.ok()).isTrue();
    assertThat(ok.lines()).isEqualTo(7);
    assertThat(ok.chained()).isEqualTo(7);
    List<String> lines = Files.readAllLines(file);

    record Case(String name, List<String> lines, long brokenAt) {}
    List<String> edited = new ArrayList<>(lines);
    edited.set(2, edited.get(2).replace("\"version\":2", "\"version\":9"));
    List<String> deleted = new ArrayList<>(lines);
    deleted.remove(3);
    List<String> inserted = new ArrayList<>(lines);
    inserted.add(4, lines.get(4));
    List<String> swapped = new ArrayList<>(lines);
    java.util.Collections.swap(swapped, 1, 2);
    for (Case c :
        List.of(
            new Case("edited line 3", edited, 4),
            new Case("deleted line 4", deleted, 4),
            new Case("duplicated line 5", inserted, 6),
            new Case("swapped lines 2 and 3", swapped, 2))) {
      Path f = dir.resolve("tampered.jsonl");
      Files.write(f, c.lines());
      AuditChain.Result r = AuditChain.verify(f);
      assertThat(r.broken())
          .as(c.name())
          .hasValueSatisfying(b -> assertThat(b.line()).isEqualTo(c.brokenAt()));
    }
  }

  /** A node asking again and again for the same version is logged once plus a per-minute count. */
  @Test
  void repeatedServesAreCoalesced() throws Exception {
    Path file = dir.resolve("audit.jsonl");
    try (AuditLog log = new AuditLog(file)) {
      for (int i = 0; i < 1000; i++) {
        log.served("web-1", 7, "h7");
      }
      log.served("web-1", 8, "h8");
    }
    List<String> lines = Files.readAllLines(file);
    assertThat(lines).hasSize(3);
    assertThat(lines.get(0)).contains("\"served\"", "\"version\":7");
    assertThat(lines.get(1)).contains("\"served\"", "\"version\":8");
    assertThat(lines.get(2)).contains("\"repeats\"", "\"web-1\":999");
    assertThat(AuditChain.verify(file).ok()).isTrue();
  }
}
