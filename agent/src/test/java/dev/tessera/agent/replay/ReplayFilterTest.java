package dev.tessera.agent.replay;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.agent.timers.WgConstants;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.function.LongFunction;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The kernel/wireguard-go replay test sequence (expressed relative to the window size so it runs
 * for several ring sizes), bulk in-order and reverse-order runs, and a differential test against a
 * naive reference model.
 */
class ReplayFilterTest {
  private static final long REJECT = WgConstants.REJECT_AFTER_MESSAGES;

  record Step(long counter, boolean accept) {}

  private static List<Step> kernelSequence(long lim) {
    List<Step> s = new ArrayList<>();
    LongFunction<Step> t = n -> new Step(n, true);
    LongFunction<Step> f = n -> new Step(n, false);
    s.add(t.apply(0));
    s.add(t.apply(1));
    s.add(f.apply(1));
    s.add(t.apply(9));
    s.add(t.apply(8));
    s.add(t.apply(7));
    s.add(f.apply(7));
    s.add(t.apply(lim));
    s.add(t.apply(lim - 1));
    s.add(f.apply(lim - 1));
    s.add(t.apply(lim - 2));
    s.add(t.apply(2));
    s.add(f.apply(2));
    s.add(t.apply(lim + 16));
    s.add(f.apply(3)); // now too old
    s.add(f.apply(lim + 16));
    s.add(t.apply(lim * 4));
    s.add(t.apply(lim * 4 - (lim - 1)));
    s.add(f.apply(10));
    s.add(f.apply(lim * 4 - lim));
    s.add(f.apply(lim * 4 - (lim + 1)));
    s.add(t.apply(lim * 4 - (lim - 2)));
    s.add(f.apply(lim * 4 + 1 - lim));
    s.add(f.apply(0));
    s.add(f.apply(REJECT));
    s.add(t.apply(REJECT - 1));
    s.add(f.apply(REJECT));
    s.add(f.apply(REJECT - 1));
    s.add(t.apply(REJECT - 2));
    s.add(f.apply(REJECT + 1));
    s.add(f.apply(REJECT + 2));
    s.add(f.apply(REJECT - 2));
    s.add(t.apply(REJECT - 3));
    s.add(f.apply(0));
    return s;
  }

  @ParameterizedTest(name = "{0} blocks")
  @ValueSource(ints = {4, 32, 128})
  void kernelSequence(int blocks) {
    ReplayFilter filter = new ReplayFilter(blocks);
    long lim = filter.windowSize() + 1;
    int i = 0;
    for (Step step : kernelSequence(lim)) {
      i++;
      assertThat(filter.validate(step.counter(), REJECT))
          .as("step %d: counter %s", i, Long.toUnsignedString(step.counter()))
          .isEqualTo(step.accept());
    }
  }

  @ParameterizedTest(name = "{0} blocks")
  @ValueSource(ints = {4, 128})
  void bulkRuns(int blocks) {
    ReplayFilter f = new ReplayFilter(blocks);
    long w = f.windowSize();
    for (long i = 1; i <= w; i++) {
      assertThat(f.validate(i, REJECT)).isTrue();
    }
    assertThat(f.validate(0, REJECT)).as("exactly window behind").isTrue();
    assertThat(f.validate(0, REJECT)).isFalse();

    f.reset();
    for (long i = 2; i <= w + 1; i++) {
      assertThat(f.validate(i, REJECT)).isTrue();
    }
    assertThat(f.validate(1, REJECT)).isTrue();
    assertThat(f.validate(0, REJECT)).as("window + 1 behind").isFalse();

    f.reset();
    for (long i = w + 1; i > 0; i--) {
      assertThat(f.validate(i, REJECT)).as("reverse order %d", i).isTrue();
    }

    f.reset();
    for (long i = w + 2; i > 1; i--) {
      assertThat(f.validate(i, REJECT)).isTrue();
    }
    assertThat(f.validate(0, REJECT)).isFalse();
  }

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 2, 3, 42, 20261126})
  void matchesNaiveModel(long seed) {
    Random rnd = new Random(seed);
    ReplayFilter f = new ReplayFilter(8);
    long w = f.windowSize();
    Set<Long> seen = new HashSet<>();
    long max = -1;
    for (int i = 0; i < 20_000; i++) {
      // mostly near the front, sometimes jumps, sometimes far behind
      long base = Math.max(0, max);
      long c =
          switch (rnd.nextInt(10)) {
            case 0 -> base + rnd.nextInt(3 * (int) w);
            case 1 -> Math.max(0, base - w - rnd.nextInt(50));
            default -> Math.max(0, base - rnd.nextInt((int) w + 20) + rnd.nextInt(20));
          };
      boolean expect = !seen.contains(c) && (max < 0 || c > max || max - c <= w);
      assertThat(f.validate(c, REJECT))
          .as("seed %d step %d counter %d max %d", seed, i, c, max)
          .isEqualTo(expect);
      if (expect) {
        seen.add(c);
        max = Math.max(max, c);
      }
    }
  }
}
