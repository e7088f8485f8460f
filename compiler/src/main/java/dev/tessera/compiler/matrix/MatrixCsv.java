package dev.tessera.compiler.matrix;

import java.io.IOException;
import java.io.Writer;
import java.util.List;

/**
 * CSV per RFC 4180: CRLF line ends, fields quoted when they hold a comma, quote, CR or LF,
 * quotes doubled. Row 1: {@code source} then the destination labels; then one row per
 * source, its cells in {@link CellText} form (empty when there is no access). Spreadsheets
 * open it as a grid; notes are left out so every row has the same shape.
 */
final class MatrixCsv {
  private MatrixCsv() {}

  static void render(AccessMatrix m, Writer out) throws IOException {
    StringBuilder line = new StringBuilder();
    line.append(field("source \\ destination"));
    for (Endpoint d : m.destinations()) {
      line.append(',').append(field(d.label()));
    }
    out.write(line.append("\r\n").toString());
    List<RuleOrigin> rules = m.rules();
    for (int s = 0; s < m.sources().size(); s++) {
      line.setLength(0);
      line.append(field(m.sources().get(s).label()));
      for (int d = 0; d < m.destinations().size(); d++) {
        Cell c = m.cells().get(AccessMatrix.key(s, d));
        line.append(',');
        if (c != null) {
          line.append(field(CellText.text(c, rules)));
        }
      }
      out.write(line.append("\r\n").toString());
    }
  }

  static String field(String s) {
    boolean quote = false;
    for (int i = 0; i < s.length(); i++) {
      char ch = s.charAt(i);
      if (ch == ',' || ch == '"' || ch == '\r' || ch == '\n') {
        quote = true;
        break;
      }
    }
    // A leading = + - @ would make a spreadsheet evaluate the cell as a formula (CSV
    // injection); labels come from policy and inventory text, so neutralize with a quote.
    if (!s.isEmpty() && "=+-@".indexOf(s.charAt(0)) >= 0) {
      s = "'" + s;
    }
    return quote ? '"' + s.replace("\"", "\"\"") + '"' : s;
  }
}
