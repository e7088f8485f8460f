package dev.tessera.compiler.matrix;

import dev.tessera.net.IpProtocol;
import java.io.IOException;
import java.io.Writer;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * CSV per RFC 4180 (CRLF line ends, fields quoted when they hold a comma, quote, CR or LF, quotes
 * doubled), in two shapes:
 *
 * <ul>
 *   <li>grid: row 1 is {@code source} then the destination labels; then one row per source, its
 *       cells in {@link CellText} form (empty when there is no access). Spreadsheets open it as a
 *       grid.
 *   <li>long: one row per source, destination, protocol, port range and granting rule, with the
 *       rule's location and text ({@code pairs} and {@code of} added when grouped): what a tool or
 *       a pivot table wants.
 * </ul>
 *
 * Provenance comes first as lines starting with {@code #} (pandas: {@code comment='#'};
 * spreadsheets show them as rows of one cell), so that every data row has the header's shape.
 */
final class MatrixCsv {
  private MatrixCsv() {}

  static void render(AccessMatrix m, Provenance p, Writer out) throws IOException {
    provenance(p, out);
    StringBuilder line = new StringBuilder();
    line.append(field("source \\ destination"));
    for (Endpoint d : m.destinations()) {
      line.append(',').append(field(d.label()));
    }
    out.write(line.append("\r\n").toString());
    List<RuleRef> rules = m.rules();
    Map<Cell, String> texts = new IdentityHashMap<>();
    int cols = m.destinations().size();
    for (int s = 0; s < m.sources().size(); s++) {
      line.setLength(0);
      line.append(field(m.sources().get(s).label()));
      int d = 0;
      for (int k = 0; k < m.rowSize(s); k++) {
        for (int c = m.columnAt(s, k); d < c; d++) {
          line.append(',');
        }
        line.append(',')
            .append(texts.computeIfAbsent(m.cellAt(s, k), c -> field(CellText.text(c, rules))));
        d++;
      }
      for (; d < cols; d++) {
        line.append(',');
      }
      out.write(line.append("\r\n").toString());
    }
  }

  static void renderLong(AccessMatrix m, Provenance p, Writer out) throws IOException {
    provenance(p, out);
    boolean grouped = m.by() != Grouping.By.NODE;
    out.write(
        "source,destination,protocol,ports,rule,rule_location,rule_path,rule_text"
            + (grouped ? ",pairs,of" : "")
            + "\r\n");
    List<RuleRef> rules = m.rules();
    String[] ruleFields = new String[rules.size()];
    for (int r = 0; r < rules.size(); r++) {
      RuleRef o = rules.get(r);
      ruleFields[r] =
          "R"
              + (r + 1)
              + ","
              + field(o.location())
              + ","
              + field(o.path())
              + ","
              + field(o.summary());
    }
    Map<Cell, List<CellText.LongRow>> rowsOf = new IdentityHashMap<>();
    StringBuilder b = new StringBuilder();
    for (int s = 0; s < m.sources().size(); s++) {
      String src = field(m.sources().get(s).label());
      for (int k = 0; k < m.rowSize(s); k++) {
        Cell c = m.cellAt(s, k);
        String dst = field(m.destinations().get(m.columnAt(s, k)).label());
        b.setLength(0);
        for (CellText.LongRow r : rowsOf.computeIfAbsent(c, CellText::longRows)) {
          b.append(src)
              .append(',')
              .append(dst)
              .append(',')
              .append(IpProtocol.name(r.proto()))
              .append(',')
              .append(r.ports())
              .append(',')
              .append(ruleFields[r.rule()]);
          if (grouped) {
            b.append(',').append(r.pairs()).append(',').append(c.totalPairs());
          }
          b.append("\r\n");
        }
        out.write(b.toString());
      }
    }
  }

  private static void provenance(Provenance p, Writer out) throws IOException {
    if (p == null) {
      return;
    }
    for (String l : p.lines()) {
      out.write("# " + l.replace('\r', ' ').replace('\n', ' ') + "\r\n");
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
