package dev.tessera.compiler.matrix;

import java.io.IOException;
import java.io.Writer;
import java.util.List;

/**
 * Markdown for a pull request. A grid of 45 columns does not fit a review page, so the access is
 * listed as a table with one line per (source, destination) that has access, grouped by source,
 * followed by the rules it cites. GitHub renders it; reviewers can diff it.
 */
final class MatrixMarkdown {
  private MatrixMarkdown() {}

  static void render(AccessMatrix m, Provenance p, Writer out) throws IOException {
    StringBuilder b = new StringBuilder();
    b.append("### Access matrix: ").append(esc(m.title())).append("\n\n");
    if (p != null) {
      b.append(p.markdown());
    }
    b.append(m.sources().size())
        .append(" sources, ")
        .append(m.destinations().size())
        .append(" destinations, ")
        .append(m.cellCount())
        .append(" with access");
    if (m.by() != Grouping.By.NODE) {
      b.append(", grouped by ").append(m.by().name().toLowerCase());
    }
    b.append(".\n\n");
    for (String n : m.notes()) {
      b.append("> ").append(esc(n)).append("\n");
    }
    if (!m.notes().isEmpty()) {
      b.append("\n");
    }
    b.append("| Source | Destination | Access | Granted by |\n");
    b.append("|---|---|---|---|\n");
    List<RuleRef> rules = m.rules();
    boolean[] used = new boolean[rules.size()];
    for (int s = 0; s < m.sources().size(); s++) {
      boolean first = true;
      for (int k = 0; k < m.rowSize(s); k++) {
        int d = m.columnAt(s, k);
        Cell c = m.cellAt(s, k);
        for (CellText.Entry e : CellText.entries(c)) {
          b.append("| ")
              .append(first ? "**" + esc(m.sources().get(s).label()) + "**" : "")
              .append(" | ")
              .append(esc(m.destinations().get(d).label()))
              .append(" | `")
              .append(e.access())
              .append('`')
              .append(e.partial() ? " (" + e.pairs() + "/" + e.total() + ")" : "")
              .append(" | ");
          int[] rs = e.rules();
          for (int i = 0; i < rs.length; i++) {
            used[rs[i]] = true;
            b.append(i > 0 ? ", " : "").append('R').append(rs[i] + 1);
          }
          b.append(" |\n");
          first = false;
        }
      }
    }
    b.append("\n**Rules**\n\n| | Location | Rule |\n|---|---|---|\n");
    for (int r = 0; r < rules.size(); r++) {
      RuleRef o = rules.get(r);
      b.append("| R")
          .append(r + 1)
          .append(" | `")
          .append(o.location())
          .append("` ")
          .append(o.path())
          .append(" | `")
          .append(o.summary().replace("`", "'").replace("|", "\\|"))
          .append('`')
          .append(used[r] ? "" : " *(grants nothing here)*")
          .append(" |\n");
    }
    out.write(b.toString());
  }

  /** Escapes the characters that break a Markdown table cell or start markup. */
  static String esc(String s) {
    return s.replace("\\", "\\\\")
        .replace("|", "\\|")
        .replace("*", "\\*")
        .replace("_", "\\_")
        .replace("<", "&lt;")
        .replace("\n", " ");
  }
}
