package dev.tessera.policytests;

import dev.tessera.enforcer.format.RuleOrigin;
import dev.tessera.policy.ast.SourceSpan;
import java.util.List;

/**
 * What happened to one assertion (or one invalid test entry).
 *
 * <p>Every reporter (human, JUnit XML, JSON) renders the same outcomes, so the three always agree
 * on what passed. {@code rules} are the rules that granted the flow, as reported by the enforcer's
 * Matcher: for a passing accept, the grants that let it through; for a failing deny, the rules that
 * opened it by mistake.
 */
public sealed interface Outcome {

  int testIndex();

  /** Where the report points: the destination string, or the invalid value. */
  SourceSpan span();

  /** e.g. {@code alice@acme.com -> tag:web:443 (tcp)}. */
  String subject();

  boolean passed();

  /** An assertion that was put through the Matcher: it reports at, and as, its assertion. */
  sealed interface Checked extends Outcome {
    Assertion assertion();

    /** What the enforcer decided. */
    boolean allowed();

    @Override
    default int testIndex() {
      return assertion().testIndex();
    }

    @Override
    default SourceSpan span() {
      return assertion().span();
    }

    @Override
    default String subject() {
      return assertion().describe();
    }
  }

  /** The assertion held. */
  record Passed(Assertion assertion, boolean allowed, List<RuleOrigin> rules) implements Checked {
    public Passed {
      rules = List.copyOf(rules);
    }

    @Override
    public boolean passed() {
      return true;
    }
  }

  /**
   * The assertion did not hold: {@code allowed} is what the enforcer decided.
   *
   * @param detail why, in one line: which source address was denied and that no rule matched, or
   *     which rule granted the flow
   */
  record Failed(Assertion assertion, boolean allowed, List<RuleOrigin> rules, String detail)
      implements Checked {
    public Failed {
      rules = List.copyOf(rules);
    }

    @Override
    public boolean passed() {
      return false;
    }

    /** {@code expected ALLOWED, got DENIED}. */
    public String message() {
      return "expected "
          + word(assertion.expect() == Assertion.Expect.ALLOW)
          + ", got "
          + word(allowed);
    }
  }

  /**
   * Without an inventory, the verdict depends on a fact the policy does not state ({@code fact}
   * names it, e.g. whether a user is an admin): neither a pass nor a fail can be proven. {@code
   * allowed} is the verdict on the synthesized tailnet. Not a failure unless the run is strict.
   */
  record Undetermined(Assertion assertion, boolean allowed, List<RuleOrigin> rules, String fact)
      implements Checked {
    public Undetermined {
      rules = List.copyOf(rules);
    }

    @Override
    public boolean passed() {
      return false;
    }

    /** {@code undetermined: depends on whether ...; give --inventory or declare roles}. */
    public String message() {
      return "undetermined: " + fact;
    }
  }

  /** The test entry is not a valid Tailscale test; it fails without any packet being sent. */
  record Invalid(TestValidator.Invalid problem, String src) implements Outcome {
    @Override
    public int testIndex() {
      return problem.testIndex();
    }

    @Override
    public SourceSpan span() {
      return problem.span();
    }

    @Override
    public String subject() {
      return src.isEmpty() ? problem.subject() : src + " -> " + problem.subject();
    }

    @Override
    public boolean passed() {
      return false;
    }

    public String message() {
      return "invalid test: " + problem.reason();
    }
  }

  static String word(boolean allowed) {
    return allowed ? "ALLOWED" : "DENIED";
  }
}
