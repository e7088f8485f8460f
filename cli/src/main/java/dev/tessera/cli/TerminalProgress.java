package dev.tessera.cli;

import dev.tessera.compiler.matrix.Progress;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Progress of long work on standard error, one line redrawn in place, when standard error is a
 * terminal and the input is large (at least {@link #MIN_NODES} nodes); silent otherwise, so logs
 * and pipes see only results. Two shapes: counted steps ({@code matrix: 4,100/10,000 destinations
 * (41%)}) and a stage with its elapsed time ({@code compile: 10,000 nodes, 3.2 s}). Thread-safe;
 * prints at most every 200 ms.
 */
final class TerminalProgress implements Progress {
  /** Below this many nodes the work takes a second or two: no progress is shown. */
  static final int MIN_NODES = 1000;

  private final PrintWriter err;
  private final boolean on;
  private long lastPrint;
  private boolean dirty;

  private TerminalProgress(PrintWriter err, boolean on) {
    this.err = err;
    this.on = on;
  }

  /** Progress for work over {@code nodes} nodes, shown iff standard error is a terminal. */
  static TerminalProgress forNodes(PrintWriter err, int nodes) {
    return new TerminalProgress(err, nodes >= MIN_NODES && stderrIsTerminal());
  }

  boolean enabled() {
    return on;
  }

  /**
   * Whether file descriptor 2 is a terminal. On Linux, /proc tells exactly (a pseudo-terminal or a
   * console); elsewhere the JVM's console, which looks at standard input and output.
   */
  static boolean stderrIsTerminal() {
    try {
      String target = Files.readSymbolicLink(Path.of("/proc/self/fd/2")).toString();
      return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
    } catch (Exception e) {
      java.io.Console c = System.console();
      return c != null && c.isTerminal();
    }
  }

  @Override
  public synchronized void step(String stage, long done, long total) {
    if (!on) {
      return;
    }
    long now = System.nanoTime();
    if (done < total && now - lastPrint < 200_000_000L) {
      return;
    }
    lastPrint = now;
    String unit = stage.equals("matrix") || stage.equals("diff") ? " destinations" : "";
    line(
        String.format(
            Locale.ROOT,
            "%s: %,d/%,d%s (%d%%)",
            stage,
            done,
            total,
            unit,
            total == 0 ? 100 : done * 100 / total));
  }

  /**
   * A stage without counts ({@code compile}): its elapsed time, redrawn every 200 ms until closed.
   */
  Stage stage(String name, String what) {
    return new Stage(name, what);
  }

  final class Stage implements AutoCloseable {
    private final long start = System.nanoTime();
    private final Thread ticker;

    Stage(String name, String what) {
      if (!on) {
        ticker = null;
        return;
      }
      ticker =
          Thread.ofPlatform()
              .daemon()
              .name("progress")
              .start(
                  () -> {
                    try {
                      while (true) {
                        synchronized (TerminalProgress.this) {
                          line(
                              String.format(
                                  Locale.ROOT,
                                  "%s: %s, %.1f s",
                                  name,
                                  what,
                                  (System.nanoTime() - start) / 1e9));
                        }
                        Thread.sleep(200);
                      }
                    } catch (InterruptedException e) {
                      // closed
                    }
                  });
    }

    @Override
    public void close() {
      if (ticker != null) {
        ticker.interrupt();
        try {
          ticker.join();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
  }

  /** Clears the progress line, so what follows starts on a clean line. */
  synchronized void clear() {
    if (on && dirty) {
      err.print("\r\033[K");
      err.flush();
      dirty = false;
    }
  }

  private void line(String text) {
    err.print("\r\033[K" + text);
    err.flush();
    dirty = true;
  }
}
