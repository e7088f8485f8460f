package dev.tessera.compiler.matrix;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;

/** Output formats of {@code policyc matrix}; each renders the same {@link AccessMatrix}. */
public enum MatrixFormat {
  /** One self-contained page: inline CSS and script, no network access. */
  HTML,
  /** RFC 4180 grid: first column the source, one column per destination. */
  CSV,
  /** A pull-request friendly table: one line per source and destination with access. */
  MD,
  /** Everything, for tools. */
  JSON;

  public void render(AccessMatrix m, Writer out) {
    try {
      switch (this) {
        case HTML -> MatrixHtml.render(m, out);
        case CSV -> MatrixCsv.render(m, out);
        case MD -> MatrixMarkdown.render(m, out);
        case JSON -> MatrixJson.render(m, out);
      }
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public String render(AccessMatrix m) {
    java.io.StringWriter w = new java.io.StringWriter();
    render(m, w);
    return w.toString();
  }
}
