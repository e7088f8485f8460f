package dev.tessera.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tessera.bundle.PrivateFiles;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Append-only, hash-chained JSON lines: one object per event (a revision compiled or refused, a
 * bundle served, a bundle acknowledged), so an auditor can reconstruct which node enforced which
 * filter when. Opened in append mode only (created 0600); the server never rewrites or truncates
 * it.
 *
 * <p><b>Tamper evidence.</b> Every line ends with {@code "prev"}: the SHA-256 (hex) of the bytes of
 * the line before it (64 zeros for the first line of a file). Editing, deleting, inserting or
 * reordering any line breaks the chain at the next line, and {@link AuditChain#verify} (behind
 * {@code policyc audit verify FILE}) finds it. Cutting lines off the end leaves a valid shorter
 * chain: {@link #head()} (in {@code /v1/status}) is the hash of the last line written, for a
 * monitor to record elsewhere.
 *
 * <p><b>Cost and failure.</b> Events are stamped and queued by the caller and written by one writer
 * thread, which flushes after each batch it drains, so the event loops never wait for the disk. A
 * repeated {@code served} or {@code acknowledged} of the same node and version (a node asking again
 * and again) is not written again; such repeats are counted and written as one {@code repeats} line
 * per minute. The queue is bounded; events beyond it are dropped and counted. A failed write never
 * stops the server: the error, the time and the number of lost lines are kept for {@code
 * /v1/status}, and the next batch tries again.
 */
public final class AuditLog implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Map<String, Object> STOP = Map.of();
  static final String GENESIS = "0".repeat(64);
  static final int MAX_QUEUED = 100_000;
  static final long REPEATS_EVERY_MILLIS = 60_000;

  private final Path file;
  private FileChannel out;
  private final LinkedBlockingQueue<Map<String, Object>> queue =
      new LinkedBlockingQueue<>(MAX_QUEUED);
  private final Thread writer;
  private final AtomicLong queued = new AtomicLong();
  private final AtomicLong written = new AtomicLong();
  private final AtomicLong dropped = new AtomicLong();
  private final AtomicLong coalesced = new AtomicLong();

  /** node -> "event:version" last written for it (served/acknowledged), to coalesce repeats. */
  private final Map<String, String> lastPerNode = new ConcurrentHashMap<>();

  /** Writer thread only: repeats since the last {@code repeats} line, per node. */
  private final Map<String, Long> repeats = new TreeMap<>();

  private final AtomicLong repeatsPending = new AtomicLong();
  private long repeatsWrittenAt = System.currentTimeMillis();
  private volatile String head;
  private volatile String failure;
  private volatile long failedAtMillis;
  private volatile boolean closed;

  public AuditLog(Path file) throws IOException {
    this.file = file;
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      PrivateFiles.createDirectories(parent);
    }
    this.head = lastLineHash(file);
    this.out = PrivateFiles.openAppend(file);
    this.writer = new Thread(this::drain, "tessera-audit");
    writer.setDaemon(true);
    writer.start();
  }

  /** A revision compiled and published. */
  public void compiled(String revision, int nodes, int changed, long millis) {
    write(
        event(
            "compiled",
            "revision",
            revision,
            "nodes",
            nodes,
            "changed",
            changed,
            "millis",
            millis));
  }

  /** A revision that did not compile; the previous one stays in force. */
  public void compileFailed(String revision, String error) {
    write(event("compile-failed", "revision", revision, "error", error));
  }

  public void served(String node, long version, String hash) {
    if (repeated(node, "served:" + version)) {
      return;
    }
    write(event("served", "node", node, "version", version, "hash", hash));
  }

  public void acknowledged(String node, long version, String hash) {
    if (repeated(node, "acknowledged:" + version + ":" + hash)) {
      return;
    }
    write(event("acknowledged", "node", node, "version", version, "hash", hash));
  }

  private boolean repeated(String node, String what) {
    String before = lastPerNode.put(node, what);
    if (what.equals(before)) {
      coalesced.incrementAndGet();
      write(event("repeat", "node", node));
      return true;
    }
    return false;
  }

  /** SHA-256 (hex) of the last line written: the chain's head. */
  public String head() {
    return head;
  }

  /** A JSON-ready view for {@code /v1/status}. */
  public Map<String, Object> status() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("file", file.toString());
    m.put("written", written.get());
    m.put("coalesced", coalesced.get());
    m.put("dropped", dropped.get());
    m.put("head", head);
    if (failure != null) {
      m.put("error", failure);
      m.put("errorAt", failedAtMillis);
    }
    return m;
  }

  /** Lines lost to write failures or a full queue. */
  public long dropped() {
    return dropped.get();
  }

  /** Blocks until every event logged before this call is handled (tests, shutdown). */
  public void sync() throws IOException {
    long target = queued.get();
    synchronized (written) {
      while (handled.get() < target && writer.isAlive()) {
        try {
          written.wait(100);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException("interrupted while syncing the audit log", e);
        }
      }
    }
    String f = failure;
    if (f != null) {
      throw new IOException(f);
    }
  }

  private final AtomicLong handled = new AtomicLong();

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
    if (queue.offer(event)) {
      queued.incrementAndGet();
    } else {
      dropped.incrementAndGet();
    }
  }

  private void drain() {
    List<Map<String, Object>> batch = new ArrayList<>();
    while (true) {
      try {
        Map<String, Object> first = queue.poll(1, java.util.concurrent.TimeUnit.SECONDS);
        if (first != null) {
          batch.add(first);
        }
      } catch (InterruptedException e) {
        return;
      }
      queue.drainTo(batch);
      boolean stop = false;
      ByteArrayOutputStream lines = new ByteArrayOutputStream();
      String chain = head;
      int events = 0;
      try {
        for (Map<String, Object> e : batch) {
          if (e == STOP) {
            stop = true;
            continue;
          }
          events++;
          if ("repeat".equals(e.get("event"))) {
            repeats.merge((String) e.get("node"), 1L, Long::sum);
            repeatsPending.incrementAndGet();
            continue;
          }
          chain = append(lines, e, chain);
        }
        long now = System.currentTimeMillis();
        if (repeatsPending.get() > 0 && (stop || now - repeatsWrittenAt >= REPEATS_EVERY_MILLIS)) {
          chain = append(lines, event("repeats", "nodes", new TreeMap<>(repeats)), chain);
          repeats.clear();
          repeatsPending.set(0);
          repeatsWrittenAt = now;
        }
        if (lines.size() > 0) {
          writeOut(lines.toByteArray());
          head = chain;
          written.addAndGet(countLines(lines));
        }
        failure = null;
      } catch (IOException | RuntimeException e) {
        // Surfaced in status; serving goes on. The lines of this batch are lost (counted).
        failure = "audit write to " + file + " failed: " + e.getMessage();
        failedAtMillis = System.currentTimeMillis();
        dropped.addAndGet(countLines(lines));
        reopen();
      }
      batch.clear();
      synchronized (written) {
        handled.addAndGet(events);
        written.notifyAll();
      }
      if (stop) {
        return;
      }
    }
  }

  private static long countLines(ByteArrayOutputStream lines) {
    byte[] b = lines.toByteArray();
    long n = 0;
    for (byte x : b) {
      if (x == '\n') {
        n++;
      }
    }
    return n;
  }

  /** Appends one chained line to {@code lines}; returns its hash. */
  private static String append(ByteArrayOutputStream lines, Map<String, Object> e, String prev)
      throws IOException {
    e.put("prev", prev);
    byte[] line = JSON.writeValueAsBytes(e);
    lines.write(line);
    lines.write('\n');
    return sha256(line);
  }

  private void writeOut(byte[] bytes) throws IOException {
    if (out == null) {
      out = PrivateFiles.openAppend(file);
    }
    ByteBuffer b = ByteBuffer.wrap(bytes);
    while (b.hasRemaining()) {
      out.write(b);
    }
  }

  private void reopen() {
    try {
      if (out != null) {
        out.close();
      }
    } catch (IOException ignored) {
      // replaced below
    }
    out = null;
  }

  static String sha256(byte[] line) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(line));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every Java platform", e);
    }
  }

  /**
   * The hash of the file's last complete line (the chain continues from it), or the genesis value.
   */
  static String lastLineHash(Path file) throws IOException {
    if (!Files.isRegularFile(file) || Files.size(file) == 0) {
      return GENESIS;
    }
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
      long end = f.length();
      int tail = (int) Math.min(end, 1 << 20);
      byte[] buf = new byte[tail];
      f.seek(end - tail);
      f.readFully(buf);
      int stop = buf.length;
      if (buf[stop - 1] == '\n') {
        stop--;
      }
      int start = stop;
      while (start > 0 && buf[start - 1] != '\n') {
        start--;
      }
      return sha256(java.util.Arrays.copyOfRange(buf, start, stop));
    }
  }

  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    queue.offer(STOP);
    try {
      writer.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    synchronized (this) {
      if (out != null) {
        out.force(true);
        out.close();
      }
    }
    String f = failure;
    if (f != null) {
      throw new IOException(f);
    }
  }
}
