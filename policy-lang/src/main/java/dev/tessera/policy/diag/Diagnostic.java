package dev.tessera.policy.diag;

import dev.tessera.policy.ast.SourceSpan;
import java.util.Comparator;
import java.util.Objects;

/**
 * A located problem: a stable machine code (kebab-case, e.g. {@code unknown-key}, {@code
 * undefined-group}; see {@link Codes}), a severity, a one-line message, where, and an optional hint
 * ({@code did you mean group:eng?}). Diagnostics are values collected by every pass; they are never
 * thrown.
 *
 * @param help nullable hint text, rendered as {@code help: ...}
 */
public record Diagnostic(
    String code, Severity severity, String message, SourceSpan span, String help)
    implements Comparable<Diagnostic> {

  /** Position first, then severity, code and message: a total, deterministic order. */
  public static final Comparator<Diagnostic> ORDER =
      Comparator.comparing(Diagnostic::span, (a, b) -> a.compareTo(b))
          .thenComparing(Diagnostic::severity)
          .thenComparing(Diagnostic::code)
          .thenComparing(Diagnostic::message);

  public Diagnostic {
    Objects.requireNonNull(code, "code");
    Objects.requireNonNull(severity, "severity");
    Objects.requireNonNull(message, "message");
    Objects.requireNonNull(span, "span");
  }

  public static Diagnostic error(String code, String message, SourceSpan span) {
    return new Diagnostic(code, Severity.ERROR, message, span, null);
  }

  public static Diagnostic error(String code, String message, SourceSpan span, String help) {
    return new Diagnostic(code, Severity.ERROR, message, span, help);
  }

  public static Diagnostic warning(String code, String message, SourceSpan span, String help) {
    return new Diagnostic(code, Severity.WARNING, message, span, help);
  }

  public boolean isError() {
    return severity == Severity.ERROR;
  }

  /** True if code, severity, message, help and location all match (span equality is ignored). */
  public boolean sameAs(Diagnostic o) {
    return equals(o) && span.sameLocation(o.span);
  }

  @Override
  public int compareTo(Diagnostic o) {
    return ORDER.compare(this, o);
  }

  /** One line: {@code file:line:col: error: message}. */
  @Override
  public String toString() {
    return span + ": " + severity.label() + ": " + message;
  }
}
