package dev.tessera.agent.timers;

/**
 * A one-shot deadline in the injected monotonic clock's time base, the sans-IO analogue of
 * wireguard-go's {@code Timer} ({@code Mod}, {@code Del}, {@code IsPending}). Nothing fires by
 * itself: the device polls {@link #fire(long)} from {@code onTimer}. Not thread-safe; the owning
 * peer's lock guards it.
 */
public final class Timer {
  private long deadline;
  private boolean pending;

  /** (Re)arms the timer to fire {@code delayNanos} after {@code now}. */
  public void mod(long now, long delayNanos) {
    deadline = now + delayNanos;
    pending = true;
  }

  /** Disarms the timer. */
  public void del() {
    pending = false;
  }

  public boolean isPending() {
    return pending;
  }

  /** The deadline if pending (meaningless otherwise). */
  public long deadline() {
    return deadline;
  }

  /** If the deadline has passed at {@code now}, disarms the timer and returns true. */
  public boolean fire(long now) {
    if (pending && now - deadline >= 0) {
      pending = false;
      return true;
    }
    return false;
  }
}
