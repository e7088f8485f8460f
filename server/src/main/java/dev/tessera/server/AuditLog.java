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
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Append-only JSON lines: one object per event (a revision compiled or refused, a bundle served,
 * a bundle acknowledged), so an auditor can reconstruct which node enforced which filter when.
 * Opened in append mode only; the server never rewrites or truncates it.
 *
 * <p>Events are stamped and queued by the caller and written by one writer thread, which flushes
 * after each batch it drains. When 10k long-polls are answered at once, the event loops then do
 * not serialise on a lock and a write system call per served bundle; lines still reach the file
 * within milliseconds, in the order they were logged, and {@link #close} writes every queued line.
 */
public final class AuditLog implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Map<String, Object> STOP = Map.of();
  private final Writer out;
  private final LinkedBlockingQueue<Map<String, Object>> queue = new LinkedBlockingQueue<>();
  private final Thread writer;
  private final AtomicLong queued = new AtomicLong();
  private final AtomicLong written = new AtomicLong();
  private volatile IOException failure;
  private volatile boolean closed;

  public AuditLog(Path file) throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    this.out = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
        StandardOpenOption.APPEND, StandardOpenOption.WRITE);
    this.writer = new Thread(this::drain, "tessera-audit");
    writer.setDaemon(true);
    writer.start();
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

  /** Blocks until every event logged before this call is written and flushed (tests, shutdown). */
  public void sync() throws IOException {
    long target = queued.get();
    synchronized (written) {
      while (written.get() < target && writer.isAlive()) {
        try {
          written.wait(100);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException("interrupted while syncing the audit log", e);
        }
      }
    }
    if (failure != null) {
      throw failure;
    }
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

  private void write(Map<String, Object> event) {
    if (closed) {
      throw new IllegalStateException("audit log is closed");
    }
    if (failure != null) {
      // Do not serve on while the audit trail is broken (same as the synchronous writer did).
      throw new UncheckedIOException("audit log write failed", failure);
    }
    queued.incrementAndGet();
    queue.add(event);
  }

  private void drain() {
    List<Map<String, Object>> batch = new ArrayList<>();
    while (true) {
      try {
        batch.add(queue.take());
      } catch (InterruptedException e) {
        return;
      }
      queue.drainTo(batch);
      boolean stop = false;
      int events = 0;
      try {
        for (Map<String, Object> e : batch) {
          if (e == STOP) {
            stop = true;
            continue;
          }
          out.write(JSON.writeValueAsString(e));
          out.write('\n');
          events++;
        }
        out.flush();
      } catch (IOException e) {
        failure = e;
      }
      batch.clear();
      synchronized (written) {
        written.addAndGet(events);
        written.notifyAll();
      }
      if (stop) {
        return;
      }
    }
  }

  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    queue.add(STOP);
    try {
      writer.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    synchronized (this) {
      out.close();
    }
    if (failure != null) {
      throw failure;
    }
  }
}
