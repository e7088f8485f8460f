package dev.tessera.agent;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * Keeps a long-running loop of the agent alive. The loop body runs until it returns (the agent is
 * stopping, or its resource closed); when it throws anything, {@link Error}s included, the throw is
 * counted, logged, and the body runs again after a short pause that doubles up to a second. Without
 * this, one unexpected exception would end a TUN reader, the timer thread or the policy
 * subscription silently and leave the tunnel half dead or the node on an old policy.
 */
public final class Supervisor {
  static final long FIRST_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
  static final long MAX_PAUSE_NANOS = TimeUnit.SECONDS.toNanos(1);

  private Supervisor() {}

  /**
   * Runs {@code body} until it returns normally or {@code running} turns false.
   *
   * @param restarts counts every restart after a throw
   * @param log receives one line per restart
   */
  public static void supervise(
      String name,
      BooleanSupplier running,
      Runnable body,
      LongAdder restarts,
      Consumer<String> log) {
    long pause = FIRST_PAUSE_NANOS;
    while (running.getAsBoolean()) {
      try {
        body.run();
        return;
      } catch (Throwable t) {
        if (!running.getAsBoolean()) {
          return;
        }
        if (t instanceof OutOfMemoryError || t instanceof InternalError) {
          // Still restarted (the alternative is a dead loop), but said loudly.
          log.accept("ERROR: " + name + " hit " + t + "; restarting it");
        } else {
          log.accept("bug: " + name + " threw " + t + "; restarting it");
        }
        restarts.increment();
        LockSupport.parkNanos(pause);
        pause = Math.min(MAX_PAUSE_NANOS, pause * 2);
      }
    }
  }
}
