package dev.tessera.policy.diag;

import dev.tessera.policy.ast.SourceSpan;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A collector passed through reading and validation. Duplicate diagnostics (same code, message and
 * location) are dropped, so two passes noticing the same thing report it once. {@link #sorted()}
 * gives the position order the CLI prints.
 */
public final class Diagnostics {
  private final List<Diagnostic> items = new ArrayList<>();
  private final Set<String> seen = new HashSet<>();
  private int errors;

  public void add(Diagnostic d) {
    String key =
        d.code()
            + '\u0000'
            + d.message()
            + '\u0000'
            + d.span().file()
            + ':'
            + d.span().startLine()
            + ':'
            + d.span().startCol()
            + ':'
            + d.span().endLine()
            + ':'
            + d.span().endCol();
    if (seen.add(key)) {
      items.add(d);
      if (d.isError()) {
        errors++;
      }
    }
  }

  public void addAll(Iterable<Diagnostic> ds) {
    for (Diagnostic d : ds) {
      add(d);
    }
  }

  public void error(String code, String message, SourceSpan span) {
    add(Diagnostic.error(code, message, span));
  }

  public void error(String code, String message, SourceSpan span, String help) {
    add(Diagnostic.error(code, message, span, help));
  }

  public void warning(String code, String message, SourceSpan span, String help) {
    add(Diagnostic.warning(code, message, span, help));
  }

  public boolean hasErrors() {
    return errors > 0;
  }

  public int errorCount() {
    return errors;
  }

  public int size() {
    return items.size();
  }

  /** All diagnostics, sorted by position. */
  public List<Diagnostic> sorted() {
    List<Diagnostic> copy = new ArrayList<>(items);
    copy.sort(Diagnostic.ORDER);
    return List.copyOf(copy);
  }
}
