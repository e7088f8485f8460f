package dev.tessera.policytests;

import dev.tessera.policy.diag.Codes;
import dev.tessera.policy.diag.Diagnostic;
import dev.tessera.policy.diag.DiagnosticRenderer;
import dev.tessera.policy.diag.SourceText;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import javax.xml.stream.XMLOutputFactory;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamWriter;

/**
 * JUnit XML, the report format CI systems (GitHub Actions test reporters, GitLab's {@code
 * artifacts:reports:junit}, Jenkins) display.
 *
 * <p>Shape (the de-facto format of Ant's JUnit task, which those tools read): {@code <testsuites>}
 * holding one {@code <testsuite>} per file that contributed test cases (the policy, the inventory,
 * each external test file), one {@code <testcase>} per assertion. {@code classname} is the file, so
 * CI groups by policy file; {@code name} says what the case asserts ({@code accept alice@acme.com
 * -> tag:web:443}, {@code deny bob@acme.com -> tag:db:5432 (tcp)}). A wrong verdict is a {@code
 * <failure>}; an invalid test entry is an {@code <error>} (it fails the run as in Tailscale, but
 * nothing was evaluated). Both carry a one-line {@code message} and a body with the position and
 * the granting rule.
 *
 * <p>Everything else that can make the run fail is a {@link Check} in the same report, so a
 * non-zero exit is never a green report: an input that could not be read or has errors is an {@code
 * <error>} per problem (and then no assertion ran), a policy the compiler rejects likewise, and a
 * rule coverage below the threshold is a {@code <failure>}. The schema we validate against is
 * {@code src/test/resources/junit.xsd}.
 */
public final class JunitReport {
  private JunitReport() {}

  /**
   * How a {@link Check} ended: passed, failed (a {@code <failure>}), or could not be done ({@code
   * <error>}).
   */
  public enum Verdict {
    PASSED,
    FAILURE,
    ERROR
  }

  /**
   * A test case besides the assertions: reading and checking an input, compiling the policy, the
   * coverage threshold.
   *
   * @param file the file it is about; also its {@code classname}, so it groups with that file's
   *     assertions
   * @param line 1-based, or 0 when the check is about the whole file
   * @param name what the case asserts, e.g. {@code check policy.hujson:3:34}
   * @param type the kind of problem (a diagnostic code, {@code coverage}); unused when passed
   * @param message one line; unused when passed
   * @param detail the body: the rendered diagnostic or the uncovered rules
   */
  public record Check(
      String file,
      int line,
      String name,
      Verdict verdict,
      String type,
      String message,
      String detail) {
    public Check {
      Objects.requireNonNull(file, "file");
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(verdict, "verdict");
    }

    /**
     * The error case for one diagnostic: {@code read FILE} when the file could not be read, else
     * {@code STAGE FILE:LINE:COL}, with the rendered diagnostic (source line and caret) as body.
     *
     * @param stage what was being done, {@code check} or {@code compile}
     * @param source the text of the diagnostic's file, for the excerpt; may be null
     */
    public static Check of(Diagnostic d, SourceText source, String stage) {
      boolean unread = d.code().equals(Codes.IO) || d.code().equals(Codes.UNSUPPORTED_SYNTAX);
      String file = d.span().file();
      int line = Math.max(0, d.span().startLine());
      String name = unread ? "read " + file : stage + " " + d.span();
      return new Check(
          file,
          line,
          name,
          Verdict.ERROR,
          d.code(),
          d.message(),
          DiagnosticRenderer.text(d, source).stripTrailing());
    }

    /** The error cases of every error among {@code ds}, in order; warnings are left out. */
    public static List<Check> errors(
        List<Diagnostic> ds, Map<String, SourceText> sources, String stage) {
      return ds.stream()
          .filter(Diagnostic::isError)
          .map(d -> of(d, sources.get(d.span().file()), stage))
          .toList();
    }

    /**
     * The coverage threshold as a test case of the policy file: passed, or a {@code <failure>}
     * whose body lists the rules no assertion exercised.
     */
    public static Check coverage(String policyFile, Coverage coverage, CoverageGate gate) {
      String name = "rule coverage >= " + CoverageGate.percent(gate.min()) + "%";
      if (gate.met(coverage)) {
        return new Check(policyFile, 0, name, Verdict.PASSED, "", "", "");
      }
      StringBuilder body = new StringBuilder();
      body.append(
          String.format(
              Locale.ROOT,
              "%d of %d rules exercised (%.1f%%); not exercised:",
              coverage.coveredCount(),
              coverage.testableCount(),
              coverage.percent()));
      for (Coverage.Entry e : coverage.uncovered()) {
        body.append("\n  ").append(e.path()).append(" at ").append(e.span());
      }
      return new Check(
          policyFile,
          0,
          name,
          Verdict.FAILURE,
          "coverage",
          gate.verdict(coverage),
          body.toString());
    }
  }

  /** The assertions of a run. */
  public static String render(TestRun run) {
    return render(run, List.of());
  }

  /** The assertions of a run, then {@code checks} (the coverage threshold). */
  public static String render(TestRun run, List<Check> checks) {
    List<Row> rows = new ArrayList<>();
    for (Outcome o : run.outcomes()) {
      rows.add(row(o, run.name(), run.strict()));
    }
    for (Check c : checks) {
      rows.add(row(c));
    }
    return write(run.name(), rows, run.millis());
  }

  /**
   * A run in which no assertion was evaluated: {@code checks} say why (unreadable or invalid
   * input).
   */
  public static String render(String name, List<Check> checks) {
    return write(name, checks.stream().map(JunitReport::row).toList(), 0);
  }

  /** One {@code <testcase>}, whatever it came from. {@code kind} is null for a passed case. */
  private record Row(
      String file, int line, String name, String kind, String type, String message, String body) {}

  private static Row row(Outcome o, String runName, boolean strict) {
    String file = o.span().file().isEmpty() ? runName : o.span().file();
    int line = Math.max(0, o.span().startLine());
    return switch (o) {
      case Outcome.Passed p -> new Row(file, line, name(p), null, null, null, null);
      // Not proven either way: skipped (a failure with --strict).
      case Outcome.Undetermined u ->
          strict
              ? new Row(
                  file,
                  line,
                  name(u),
                  "failure",
                  "Undetermined",
                  u.message(),
                  u.span() + ": " + u.subject() + ": " + u.message())
              : new Row(
                  file,
                  line,
                  name(u),
                  "skipped",
                  null,
                  u.message(),
                  u.span() + ": " + u.subject() + ": " + u.message());
      case Outcome.Failed f ->
          new Row(
              file,
              line,
              name(f),
              "failure",
              "AssertionFailure",
              f.message(),
              f.span() + ": " + f.subject() + ": " + f.message() + "\n" + f.detail());
      case Outcome.Invalid i ->
          new Row(
              file,
              line,
              i.subject(),
              "error",
              "InvalidTest",
              i.message(),
              i.span() + ": " + i.subject() + ": " + i.message());
    };
  }

  /** {@code accept alice@acme.com -> tag:web:443}: the expectation, then the flow. */
  private static String name(Outcome.Checked c) {
    return (c.assertion().expect() == Assertion.Expect.ALLOW ? "accept " : "deny ") + c.subject();
  }

  private static Row row(Check c) {
    String kind =
        switch (c.verdict()) {
          case PASSED -> null;
          case FAILURE -> "failure";
          case ERROR -> "error";
        };
    return new Row(c.file(), c.line(), c.name(), kind, c.type(), c.message(), c.detail());
  }

  private static String write(String name, List<Row> rows, long millis) {
    Map<String, List<Row>> byFile = new LinkedHashMap<>();
    for (Row r : rows) {
      byFile.computeIfAbsent(r.file(), k -> new ArrayList<>()).add(r);
    }
    StringWriter w = new StringWriter();
    try {
      XMLStreamWriter x = XMLOutputFactory.newFactory().createXMLStreamWriter(w);
      x.writeStartDocument("UTF-8", "1.0");
      x.writeCharacters("\n");
      x.writeStartElement("testsuites");
      x.writeAttribute("name", xml("policyc test " + name));
      counts(x, rows);
      x.writeAttribute("time", seconds(millis));
      for (Map.Entry<String, List<Row>> e : byFile.entrySet()) {
        x.writeCharacters("\n  ");
        x.writeStartElement("testsuite");
        x.writeAttribute("name", xml(e.getKey()));
        counts(x, e.getValue());
        x.writeAttribute("time", seconds(millis * e.getValue().size() / Math.max(1, rows.size())));
        for (Row r : e.getValue()) {
          testcase(x, r);
        }
        x.writeCharacters("\n  ");
        x.writeEndElement();
      }
      x.writeCharacters("\n");
      x.writeEndElement();
      x.writeCharacters("\n");
      x.writeEndDocument();
      x.close();
    } catch (XMLStreamException e) {
      // Writing to a StringWriter cannot fail for I/O reasons; an exception here is a bug.
      throw new IllegalStateException("JUnit XML writer failed", e);
    }
    return w.toString();
  }

  private static void counts(XMLStreamWriter x, List<Row> rows) throws XMLStreamException {
    long failures = rows.stream().filter(r -> "failure".equals(r.kind())).count();
    long errors = rows.stream().filter(r -> "error".equals(r.kind())).count();
    long skipped = rows.stream().filter(r -> "skipped".equals(r.kind())).count();
    x.writeAttribute("tests", Integer.toString(rows.size()));
    x.writeAttribute("failures", Long.toString(failures));
    x.writeAttribute("errors", Long.toString(errors));
    x.writeAttribute("skipped", Long.toString(skipped));
  }

  private static void testcase(XMLStreamWriter x, Row r) throws XMLStreamException {
    x.writeCharacters("\n    ");
    boolean passed = r.kind() == null;
    if (passed) {
      x.writeEmptyElement("testcase");
    } else {
      x.writeStartElement("testcase");
    }
    x.writeAttribute("name", xml(r.name()));
    x.writeAttribute("classname", xml(r.file()));
    x.writeAttribute("file", xml(r.file()));
    x.writeAttribute("line", Integer.toString(r.line()));
    x.writeAttribute("time", "0");
    if (!passed) {
      x.writeCharacters("\n      ");
      x.writeStartElement(r.kind());
      x.writeAttribute("message", xml(r.message()));
      if (r.type() != null) {
        x.writeAttribute("type", xml(r.type()));
      }
      x.writeCharacters(xml(r.body()));
      x.writeEndElement();
      x.writeCharacters("\n    ");
      x.writeEndElement();
    }
  }

  /**
   * The text with every character XML 1.0 cannot carry (controls other than tab and newlines, lone
   * surrogates, U+FFFE/U+FFFF) replaced by U+FFFD: the writer escapes markup but passes those
   * through, and a policy or a file name may contain them.
   */
  static String xml(String s) {
    StringBuilder sb = null;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c)
          && i + 1 < s.length()
          && Character.isLowSurrogate(s.charAt(i + 1))) {
        if (sb != null) {
          sb.append(c).append(s.charAt(i + 1));
        }
        i++;
        continue;
      }
      boolean ok =
          c == '\t'
              || c == '\n'
              || c == '\r'
              || (c >= 0x20 && c <= 0xD7FF)
              || (c >= 0xE000 && c <= 0xFFFD);
      if (!ok && sb == null) {
        sb = new StringBuilder(s.length()).append(s, 0, i);
      }
      if (sb != null) {
        sb.append(ok ? c : '\uFFFD');
      }
    }
    return sb == null ? s : sb.toString();
  }

  static String seconds(long millis) {
    return String.format(Locale.ROOT, "%.3f", millis / 1000.0);
  }
}
