package dev.tessera.policytests;

import dev.tessera.enforcer.format.RuleOrigin;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The terminal report: one block per failure, in test order, then a summary line.
 *
 * <pre>
 * policy.hujson:142:43: FAIL alice@acme.com -> tag:db:5432: expected DENIED, got ALLOWED
 *     granted by acls[3] at policy.hujson:60:5
 * </pre>
 *
 * Positions come first so editors and CI annotators can jump to the assertion.
 */
public final class HumanReport {
  private HumanReport() {}

  public static String render(TestRun run, boolean verbose, boolean coverage) {
    return render(run, verbose, coverage, null);
  }

  /**
   * As {@link #render(TestRun, boolean, boolean)}, the summary judging coverage by {@code gate}
   * (nullable).
   */
  public static String render(TestRun run, boolean verbose, boolean coverage, CoverageGate gate) {
    StringBuilder sb = new StringBuilder();
    for (Outcome o : run.outcomes()) {
      switch (o) {
        case Outcome.Passed p -> {
          if (verbose) {
            sb.append(p.span())
                .append(": ok   ")
                .append(p.subject())
                .append(": ")
                .append(Outcome.word(p.allowed()))
                .append('\n');
          }
        }
        case Outcome.Failed f -> {
          sb.append(f.span())
              .append(": FAIL ")
              .append(f.subject())
              .append(": ")
              .append(f.message())
              .append('\n');
          sb.append("    ").append(f.detail()).append('\n');
        }
        case Outcome.Undetermined u -> {
          sb.append(u.span())
              .append(": ")
              .append(run.strict() ? "FAIL " : "UNDETERMINED ")
              .append(u.subject())
              .append(": ")
              .append(u.fact())
              .append('\n');
          sb.append("    on a synthesized tailnet: ")
              .append(Outcome.word(u.allowed()))
              .append("; give --inventory, or this verdict is not proven")
              .append('\n');
        }
        case Outcome.Invalid i -> {
          sb.append(i.span())
              .append(": FAIL ")
              .append(i.subject())
              .append(": ")
              .append(i.message())
              .append('\n');
        }
      }
    }
    if (coverage) {
      sb.append(coverageText(run.coverage()));
    }
    sb.append(summary(run, gate)).append('\n');
    return sb.toString();
  }

  public static String summary(TestRun run) {
    return summary(run, null);
  }

  /**
   * {@code PASS|FAIL N tests, M assertions: P passed, F failed}; with a gate (nullable), also the
   * coverage verdict, and FAIL when coverage is below it: the line says why the exit code is not 0.
   */
  public static String summary(TestRun run, CoverageGate gate) {
    if (gate == null) {
      return counts(run);
    }
    boolean ok = run.allPassed() && gate.met(run.coverage());
    return (ok ? "PASS " : "FAIL ")
        + counts(run).substring(5)
        + "; "
        + gate.verdict(run.coverage());
  }

  private static String counts(TestRun run) {
    long total = run.outcomes().size();
    String s =
        run.tests()
            + (run.tests() == 1 ? " test, " : " tests, ")
            + total
            + (total == 1 ? " assertion: " : " assertions: ")
            + run.passedCount()
            + " passed, "
            + (run.failedCount() + run.invalidCount())
            + " failed";
    if (run.invalidCount() > 0) {
      s += " (" + run.invalidCount() + " invalid)";
    }
    if (run.undeterminedCount() > 0) {
      s += ", " + run.undeterminedCount() + " undetermined" + (run.strict() ? " (--strict)" : "");
    }
    return (run.allPassed() ? "PASS " : "FAIL ") + s;
  }

  static String coverageText(Coverage c) {
    StringBuilder sb = new StringBuilder();
    sb.append("rule coverage:\n");
    for (Coverage.Entry e : c.rules()) {
      String hits =
          e.testable()
              ? e.hits() + (e.hits() == 1 ? " assertion" : " assertions")
              : "n/a (no packet-filter rule)";
      sb.append(String.format(Locale.ROOT, "  %-11s %s  %s%n", e.path(), e.span(), hits));
    }
    List<Coverage.Entry> unc = c.uncovered();
    if (!unc.isEmpty()) {
      sb.append("uncovered: ")
          .append(
              unc.stream().map(e -> e.path() + " at " + e.span()).collect(Collectors.joining(", ")))
          .append('\n');
    }
    sb.append(
        String.format(
            Locale.ROOT,
            "coverage: %d of %d rules (%.1f%%)%n",
            c.coveredCount(),
            c.testableCount(),
            c.percent()));
    return sb.toString();
  }

  /** {@code acls[3] at policy.hujson:60:5}. */
  static String rule(RuleOrigin o) {
    String path =
        (o.kind().equals(RuleOrigin.ACL)
                ? "acls"
                : o.kind().equals(RuleOrigin.GRANT) ? "grants" : o.kind())
            + "["
            + o.index()
            + "]";
    return path
        + " at "
        + (o.file().isEmpty() ? "<policy>" : o.file())
        + ":"
        + o.line()
        + ":"
        + o.col();
  }

  static String rules(List<RuleOrigin> os) {
    return os.stream().map(HumanReport::rule).collect(Collectors.joining(", "));
  }
}
