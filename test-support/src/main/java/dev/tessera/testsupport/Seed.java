package dev.tessera.testsupport;

import java.util.Random;

/**
 * The seed of one randomized test, from {@code -Dtessera.seed=N} when given, else fresh. A test
 * takes it as a parameter ({@link Seeded}); a failure names it with the command line that reruns
 * the test with it.
 */
public record Seed(long value) {
  public Random random() {
    return new Random(value);
  }

  /** A seed derived from this one for the {@code i}-th case of a loop. */
  public long derive(long i) {
    long z = value + 0x9E3779B97F4A7C15L * (i + 1);
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
