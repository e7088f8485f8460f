package dev.tessera.policytests;

import java.util.List;

/**
 * The result of one {@code policyc test} run: every outcome in test order, and rule coverage.
 *
 * @param name what was tested, for report headers and the JUnit suite name (the policy file)
 * @param tests number of test entries read (policy, DSL and external files together)
 * @param millis wall time of the evaluation, for the JUnit {@code time} attributes
 */
public record TestRun(
    String name,
    int tests,
    List<Outcome> outcomes,
    Coverage coverage,
    long millis,
    boolean strict) {

  public TestRun {
    outcomes = List.copyOf(outcomes);
  }

  /** Not strict: an undetermined assertion does not fail the run. */
  public TestRun(String name, int tests, List<Outcome> outcomes, Coverage coverage, long millis) {
    this(name, tests, outcomes, coverage, millis, false);
  }

  public long undeterminedCount() {
    return outcomes.stream().filter(o -> o instanceof Outcome.Undetermined).count();
  }

  public long passedCount() {
    return outcomes.stream().filter(Outcome::passed).count();
  }

  public long failedCount() {
    return outcomes.stream().filter(o -> o instanceof Outcome.Failed).count();
  }

  public long invalidCount() {
    return outcomes.stream().filter(o -> o instanceof Outcome.Invalid).count();
  }

  /** Every assertion passed; an undetermined one counts as passed unless the run is strict. */
  public boolean allPassed() {
    return outcomes.stream()
        .allMatch(o -> o.passed() || !strict && o instanceof Outcome.Undetermined);
  }
}
