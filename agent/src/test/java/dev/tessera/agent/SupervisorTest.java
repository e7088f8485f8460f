package dev.tessera.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class SupervisorTest {

  record Case(String name, Supplier<Throwable> thrown, String logPrefix) {
    @Override
    public String toString() {
      return name;
    }
  }

  static List<Case> throwables() {
    return List.of(
        new Case("runtime exception", () -> new IllegalStateException("boom"), "bug: "),
        new Case("assertion error", () -> new AssertionError("broken invariant"), "bug: "),
        new Case("stack overflow", StackOverflowError::new, "bug: "),
        new Case("out of memory", () -> new OutOfMemoryError("Direct buffer memory"), "ERROR: "));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("throwables")
  void aLoopThatThrowsIsCountedLoggedAndRunAgain(Case c) {
    AtomicInteger runs = new AtomicInteger();
    LongAdder restarts = new LongAdder();
    List<String> log = new ArrayList<>();
    Supervisor.supervise(
        "TUN reader 0",
        () -> true,
        () -> {
          if (runs.incrementAndGet() <= 3) {
            sneakyThrow(c.thrown().get());
          }
        },
        restarts,
        log::add);
    assertThat(runs.get()).isEqualTo(4);
    assertThat(restarts.sum()).isEqualTo(3);
    assertThat(log)
        .hasSize(3)
        .allSatisfy(
            line ->
                assertThat(line)
                    .startsWith(c.logPrefix() + "TUN reader 0")
                    .endsWith("restarting it"));
  }

  @Test
  void aThrowWhileStoppingEndsTheLoopWithoutARestart() {
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicInteger runs = new AtomicInteger();
    LongAdder restarts = new LongAdder();
    List<String> log = new ArrayList<>();
    Supervisor.supervise(
        "timer loop",
        running::get,
        () -> {
          runs.incrementAndGet();
          running.set(false); // the agent is closing; its resources throw as they go
          throw new IllegalStateException("closed");
        },
        restarts,
        log::add);
    assertThat(runs.get()).isEqualTo(1);
    assertThat(restarts.sum()).isZero();
    assertThat(log).isEmpty();
  }

  @Test
  void aLoopThatReturnsIsNotRestarted() {
    AtomicInteger runs = new AtomicInteger();
    LongAdder restarts = new LongAdder();
    Supervisor.supervise("filter watcher", () -> true, runs::incrementAndGet, restarts, line -> {});
    assertThat(runs.get()).isEqualTo(1);
    assertThat(restarts.sum()).isZero();
  }

  @SuppressWarnings("unchecked")
  private static <T extends Throwable> void sneakyThrow(Throwable t) throws T {
    throw (T) t;
  }
}
