package dev.tessera.policytests;

import java.util.List;

/**
 * The result of one {@code policyc test} run: every outcome in test order, and rule coverage.
 *
 * @param name what was tested, for report headers and the JUnit suite name (the policy file)
 * @param tests number of test entries read (policy, DSL and external files together)
 * @param millis wall time of the evaluation, for the JUnit {@code time} attributes
 */
public record TestRun(String name, int tests, List<Outcome> outcomes, Coverage coverage, long millis) {

  public TestRun {
    outcomes = List.copyOf(outcomes);
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

  public boolean allPassed() {
    return outcomes.stream().allMatch(Outcome::passed);
  }
}
