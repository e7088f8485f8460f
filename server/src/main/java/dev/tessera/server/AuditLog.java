package dev.tessera.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Append-only JSON lines: one object per event (a revision compiled or refused, a bundle served,
 * a bundle acknowledged), so an auditor can reconstruct which node enforced which filter when.
 * Opened in append mode only; the server never rewrites or truncates it.
 */
public final class AuditLog implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final Writer out;

  public AuditLog(Path file) throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    this.out = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
        StandardOpenOption.APPEND, StandardOpenOption.WRITE);
  }

  /** A revision compiled and published. */
  public void compiled(String revision, int nodes, int changed, long millis) {
    write(event("compiled", "revision", revision, "nodes", nodes, "changed", changed, "millis", millis));
  }

  /** A revision that did not compile; the previous one stays in force. */
  public void compileFailed(String revision, String error) {
    write(event("compile-failed", "revision", revision, "error", error));
  }

  public void served(String node, long version, String hash) {
    write(event("served", "node", node, "version", version, "hash", hash));
  }

  public void acknowledged(String node, long version, String hash) {
    write(event("acknowledged", "node", node, "version", version, "hash", hash));
  }

  private static Map<String, Object> event(String name, Object... keyValues) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("time", Instant.now().toString());
    m.put("event", name);
    for (int i = 0; i < keyValues.length; i += 2) {
      if (keyValues[i + 1] != null) {
        m.put((String) keyValues[i], keyValues[i + 1]);
      }
    }
    return m;
  }

  private synchronized void write(Map<String, Object> event) {
    try {
      out.write(JSON.writeValueAsString(event));
      out.write('\n');
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException("audit log write failed", e);
    }
  }

  @Override
  public synchronized void close() throws IOException {
    out.close();
  }
}
