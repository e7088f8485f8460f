package dev.tessera.policy.diag;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.Collection;
import java.util.Map;

/**
 * Prints diagnostics for people and for machines.
 *
 * <p>Text form (one block per diagnostic):
 *
 * <pre>
 * acme.hujson:12:15: error: group "group:engg" is not defined
 *    12 |     "src": ["group:engg"],
 *       |             ^~~~~~~~~~~~
 *   help: did you mean group:eng?
 * </pre>
 *
 * The caret sits under the first character of the span and tildes run to its end (or to the end of
 * the line for multi-line spans). Tabs in the excerpt are expanded to 4 spaces so the caret stays
 * aligned. JSON form: one object per diagnostic with file, line, col, endLine, endCol, severity,
 * code, message and help (null when absent).
 */
public final class DiagnosticRenderer {
  private static final JsonFactory JSON = new JsonFactory();

  private DiagnosticRenderer() {}

  /** Renders one diagnostic; {@code source} may be null (then no excerpt is printed). */
  public static String text(Diagnostic d, SourceText source) {
    StringBuilder sb = new StringBuilder();
    sb.append(d.span())
        .append(": ")
        .append(d.severity().label())
        .append(": ")
        .append(d.message())
        .append('\n');
    int line = d.span().startLine();
    if (source != null && line >= 1 && line <= source.lineCount()) {
      String raw = source.line(line);
      String gutter = String.format("%5d", line);
      String blank = " ".repeat(gutter.length());
      StringBuilder shown = new StringBuilder();
      int caretCol = -1;
      int caretEnd = -1;
      int startCol = Math.max(1, d.span().startCol());
      int endCol =
          d.span().endLine() == line ? Math.max(d.span().endCol(), startCol + 1) : raw.length() + 1;
      for (int i = 0; i <= raw.length(); i++) {
        if (i + 1 == startCol) {
          caretCol = shown.length();
        }
        if (i + 1 == endCol) {
          caretEnd = shown.length();
        }
        if (i == raw.length()) {
          break;
        }
        char c = raw.charAt(i);
        if (c == '\t') {
          shown.append("    ");
        } else {
          shown.append(c);
        }
      }
      if (caretCol < 0) {
        caretCol = shown.length();
      }
      if (caretEnd <= caretCol) {
        caretEnd = caretCol + 1;
      }
      sb.append(gutter).append(" | ").append(shown).append('\n');
      sb.append(blank).append(" | ").append(" ".repeat(caretCol)).append('^');
      sb.append("~".repeat(Math.max(0, caretEnd - caretCol - 1))).append('\n');
    }
    if (d.help() != null) {
      sb.append("  help: ").append(d.help()).append('\n');
    }
    return sb.toString();
  }

  /** Renders all diagnostics in the given order, looking up sources by file name. */
  public static String text(Collection<Diagnostic> ds, Map<String, SourceText> sources) {
    StringBuilder sb = new StringBuilder();
    for (Diagnostic d : ds) {
      sb.append(text(d, sources.get(d.span().file())));
    }
    return sb.toString();
  }

  /** Writes one diagnostic as a JSON object into an open generator. */
  public static void json(Diagnostic d, JsonGenerator g) throws IOException {
    g.writeStartObject();
    g.writeStringField("file", d.span().file());
    g.writeNumberField("line", d.span().startLine());
    g.writeNumberField("col", d.span().startCol());
    g.writeNumberField("endLine", d.span().endLine());
    g.writeNumberField("endCol", d.span().endCol());
    g.writeStringField("severity", d.severity().label());
    g.writeStringField("code", d.code());
    g.writeStringField("message", d.message());
    if (d.help() == null) {
      g.writeNullField("help");
    } else {
      g.writeStringField("help", d.help());
    }
    g.writeEndObject();
  }

  /** One diagnostic as a compact JSON object. */
  public static String json(Diagnostic d) {
    StringWriter w = new StringWriter();
    try (JsonGenerator g = JSON.createGenerator(w)) {
      json(d, g);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return w.toString();
  }

  /** A JSON array of diagnostics. */
  public static String json(Collection<Diagnostic> ds) {
    StringWriter w = new StringWriter();
    try (JsonGenerator g = JSON.createGenerator(w)) {
      g.writeStartArray();
      for (Diagnostic d : ds) {
        json(d, g);
      }
      g.writeEndArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return w.toString();
  }
}
