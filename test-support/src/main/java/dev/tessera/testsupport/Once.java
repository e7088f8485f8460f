package dev.tessera.testsupport;

/**
 * Class-wide set-up that runs on first use by a test that actually runs, instead of in
 * {@code @BeforeAll} (which runs even when every method of the class is skipped). Call {@link #run}
 * from {@code @BeforeEach}; a set-up that failed fails every later test of the class with the same
 * cause instead of running them against half-built state.
 */
public final class Once {
  /** A set-up step that may throw. */
  @FunctionalInterface
  public interface SetUp {
    void run() throws Exception;
  }

  private boolean done;
  private Throwable failure;

  public synchronized void run(SetUp setUp) throws Exception {
    if (failure != null) {
      throw new IllegalStateException(
          "class set-up failed in an earlier test: " + failure, failure);
    }
    if (done) {
      return;
    }
    try {
      setUp.run();
      done = true;
    } catch (Exception | Error e) {
      failure = e;
      throw e;
    }
  }

  /** Whether the set-up ran (successfully or not); tear-down code checks it. */
  public synchronized boolean started() {
    return done || failure != null;
  }
}
