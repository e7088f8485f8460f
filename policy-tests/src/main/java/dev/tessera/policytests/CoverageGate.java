package dev.tessera.policytests;

import java.util.Locale;

/**
 * {@code --min-coverage N}: the run fails when fewer than {@code min} percent of the testable rules
 * are exercised. One place decides, so the exit code, the summary line, the JSON and the JUnit
 * report agree.
 *
 * @param min percent, 0 to 100
 */
public record CoverageGate(double min) {
  public CoverageGate {
    if (Double.isNaN(min) || min < 0 || min > 100) {
      throw new IllegalArgumentException(
          "--min-coverage must be a number from 0 to 100, got " + percent(min));
    }
  }

  public boolean met(Coverage c) {
    return c.percent() + 1e-9 >= min;
  }

  /** {@code rule coverage 66.7% is below --min-coverage 80%}, or {@code ... meets ...}. */
  public String verdict(Coverage c) {
    return String.format(
        Locale.ROOT,
        "rule coverage %.1f%% %s --min-coverage %s%%",
        c.percent(),
        met(c) ? "meets" : "is below",
        percent(min));
  }

  /** 80 for 80.0, 87.5 for 87.5. */
  static String percent(double d) {
    return d == Math.rint(d) && !Double.isInfinite(d)
        ? Long.toString((long) d)
        : Double.toString(d);
  }
}
