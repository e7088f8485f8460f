package dev.tessera.compiler.matrix;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/**
 * Output formats of {@code policyc matrix}; each renders the same {@link AccessMatrix} and states
 * its {@link Provenance} (when given one).
 */
public enum MatrixFormat {
  /** One self-contained page: inline CSS and script, no network access, drawn on demand. */
  HTML("html"),
  /** RFC 4180 grid: first column the source, one column per destination. */
  CSV("csv"),
  /** RFC 4180 long form: one row per source, destination, protocol, port range and rule. */
  CSV_LONG("csv-long"),
  /** A pull-request friendly table: one line per source and destination with access. */
  MD("md"),
  /** Everything, for tools. */
  JSON("json");

  private final String cliName;

  MatrixFormat(String cliName) {
    this.cliName = cliName;
  }

  /** The name on the command line ({@code csv-long}). */
  String cliName() {
    return cliName;
  }

  /** The format named {@code name} on the command line (any case), if any. */
  public static Optional<MatrixFormat> parse(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    return Arrays.stream(values())
        .filter(f -> f.cliName.equals(n) || f.name().toLowerCase(Locale.ROOT).equals(n))
        .findFirst();
  }

  public void render(AccessMatrix m, Provenance provenance, Writer out) {
    try {
      switch (this) {
        case HTML -> MatrixHtml.render(m, provenance, out);
        case CSV -> MatrixCsv.render(m, provenance, out);
        case CSV_LONG -> MatrixCsv.renderLong(m, provenance, out);
        case MD -> MatrixMarkdown.render(m, provenance, out);
        case JSON -> MatrixJson.render(m, provenance, out);
      }
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Without provenance (tools and benchmarks; the CLI always passes one). */
  public void render(AccessMatrix m, Writer out) {
    render(m, null, out);
  }

  public String render(AccessMatrix m, Provenance provenance) {
    java.io.StringWriter w = new java.io.StringWriter();
    render(m, provenance, w);
    return w.toString();
  }

  public String render(AccessMatrix m) {
    return render(m, (Provenance) null);
  }
}
