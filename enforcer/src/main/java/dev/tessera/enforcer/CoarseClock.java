package dev.tessera.enforcer;

/**
 * The ticker behind {@link Enforcer.Clock#COARSE}: one daemon thread per JVM, started on first use,
 * writes the monotonic millisecond time every {@value #TICK_MILLIS} ms into one volatile field, so
 * the packet path pays a plain load for its clock.
 */
final class CoarseClock {
  static final int TICK_MILLIS = 5;
  private static volatile long millis = System.nanoTime() / 1_000_000L;

  static {
    Thread t =
        Thread.ofPlatform()
            .daemon()
            .name("tessera-enforcer-clock")
            .unstarted(
                () -> {
                  while (true) {
                    try {
                      Thread.sleep(TICK_MILLIS);
                    } catch (InterruptedException e) {
                      // a daemon that must keep ticking: ignore and go on
                    }
                    millis = System.nanoTime() / 1_000_000L;
                  }
                });
    t.start();
  }

  private CoarseClock() {}

  static long now() {
    return millis;
  }
}
