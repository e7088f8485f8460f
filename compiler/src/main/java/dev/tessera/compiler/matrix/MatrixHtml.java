package dev.tessera.compiler.matrix;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import com.fasterxml.jackson.core.io.SerializedString;
import dev.tessera.net.IpProtocol;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The access matrix as one self-contained HTML page that opens at 10,000 nodes.
 *
 * <p>Design: a 10,000 x 10,000 grid is a hundred million cells; no page can hold them as elements.
 * So the page carries the matrix as compact JSON and an inline script draws only what is asked for:
 * distinct cell contents are stored once ({@code types}), each row is a run-length list of (first
 * column, run, type) ({@code patterns}), and rows with identical access share a pattern. The script
 *
 * <ul>
 *   <li>folds rows and columns by section (the user of an untagged node, the first tag of a tagged
 *       one; users, groups, tags when grouped) when an axis has more than {@link #FOLD} entries: a
 *       folded section is one row or column holding the union of its members' access, with how many
 *       member pairs have each entry ({@code k/n}); clicking a section or a folded cell unfolds it
 *       (drill-down), and a filter that leaves few rows or columns shows them unfolded;
 *   <li>draws everything when the result is small, and otherwise only the rows and columns in view
 *       (fixed cell sizes, a sizer for the scroll bars), redrawn on scroll;
 *   <li>filters ({@code sources -> destinations}, words ANDed, matched against names, users, tags,
 *       groups and addresses; also {@code #q=...} in the URL), hides rows and columns without
 *       access, and exports the rows and columns shown as the long CSV ({@code policyc matrix
 *       --format csv-long}, byte for byte).
 * </ul>
 *
 * Everything is inline (no CDN, no fonts, a CSP that forbids any fetch), so the file can be
 * attached to a ticket and opened offline. The page measures itself: {@code #perf} holds {@code
 * data-first-screen-ms} (from navigation start to the first screen painted) and {@code
 * data-query-ms} (from a filter keystroke to its answer painted), read by the headless-browser
 * test.
 *
 * <p>Drawn cells carry {@code data-src} and {@code data-dst} with the endpoint ids and a {@code
 * title} with the full text; folded cells carry {@code data-rsec}/{@code data-csec}.
 */
final class MatrixHtml {
  /** An axis with more entries than this starts folded by section. */
  static final int FOLD = 300;

  private MatrixHtml() {}

  private static final String TEMPLATE = template();

  private static String template() {
    try (InputStream in = MatrixHtml.class.getResourceAsStream("matrix-page.html")) {
      if (in == null) {
        throw new IllegalStateException("matrix-page.html is missing from the compiler jar");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static void render(AccessMatrix m, Provenance p, Writer out) throws IOException {
    String title = escHtml("Access matrix: " + m.title());
    int at = TEMPLATE.indexOf("@@DATA@@");
    out.write(TEMPLATE.substring(0, at).replace("@@TITLE@@", title));
    data(m, p, out);
    out.write(TEMPLATE.substring(at + "@@DATA@@".length()));
  }

  /** The embedded data, as JSON safe to place inside a script element. */
  static void data(AccessMatrix m, Provenance p, Writer out) throws IOException {
    JsonGenerator g = new JsonFactory().createGenerator(out);
    g.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
    g.setCharacterEscapes(new ScriptSafe());
    g.writeStartObject();
    g.writeStringField("title", m.title());
    g.writeStringField("by", m.by().name().toLowerCase());
    g.writeNumberField("fold", FOLD);
    g.writeArrayFieldStart("provenance");
    for (String l : p == null ? List.<String>of() : p.lines()) {
      g.writeString(l);
    }
    g.writeEndArray();
    g.writeArrayFieldStart("notes");
    for (String n : m.notes()) {
      g.writeString(n);
    }
    g.writeEndArray();
    g.writeArrayFieldStart("rules");
    boolean[] used = m.rulesInUse();
    for (int r = 0; r < m.rules().size(); r++) {
      RuleRef o = m.rules().get(r);
      g.writeStartArray();
      g.writeString(o.location());
      g.writeString(o.path());
      g.writeString(o.summary());
      g.writeNumber(used[r] ? 1 : 0);
      g.writeEndArray();
    }
    g.writeEndArray();
    axis(g, "rows", m.sources());
    axis(g, "cols", m.destinations());
    // Distinct cells: by object first (the builder shares equal cells), then by content.
    Map<Cell, Integer> byObject = new IdentityHashMap<>();
    Map<Cell, Integer> byContent = new HashMap<>();
    List<Cell> types = new ArrayList<>();
    Map<Runs, Integer> patternIds = new HashMap<>();
    List<int[]> patterns = new ArrayList<>();
    int[] rowPattern = new int[m.sources().size()];
    int[] buf = new int[48];
    for (int s = 0; s < m.sources().size(); s++) {
      int n = 0;
      for (int k = 0; k < m.rowSize(s); k++) {
        Cell c = m.cellAt(s, k);
        Integer t = byObject.get(c);
        if (t == null) {
          t = byContent.get(c);
          if (t == null) {
            t = types.size();
            types.add(c);
            byContent.put(c, t);
          }
          byObject.put(c, t);
        }
        int col = m.columnAt(s, k);
        if (n > 0 && buf[n - 1] == t && buf[n - 3] + buf[n - 2] == col) {
          buf[n - 2]++;
          continue;
        }
        if (n + 3 > buf.length) {
          buf = Arrays.copyOf(buf, buf.length * 2);
        }
        buf[n++] = col;
        buf[n++] = 1;
        buf[n++] = t;
      }
      Runs key = new Runs(Arrays.copyOf(buf, n));
      Integer id = patternIds.get(key);
      if (id == null) {
        id = patterns.size();
        patternIds.put(key, id);
        patterns.add(key.runs());
      }
      rowPattern[s] = id;
    }
    g.writeArrayFieldStart("types");
    for (Cell c : types) {
      cell(g, c);
    }
    g.writeEndArray();
    g.writeArrayFieldStart("patterns");
    for (int[] r : patterns) {
      g.writeArray(r, 0, r.length);
    }
    g.writeEndArray();
    g.writeFieldName("rowPattern");
    g.writeArray(rowPattern, 0, rowPattern.length);
    g.writeEndObject();
    g.flush();
  }

  /** A row's runs, compared by content. */
  private record Runs(int[] runs) {
    @Override
    public boolean equals(Object o) {
      return o instanceof Runs r && Arrays.equals(runs, r.runs);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(runs);
    }
  }

  /**
   * {@code [[[access, [rules], pairs, total, compact], ...], [[protocol, ports, rule, pairs], ...],
   * total]}: the cell's entries ({@link CellText#entries}) and its long form ({@link
   * CellText#longRows}).
   */
  private static void cell(JsonGenerator g, Cell c) throws IOException {
    g.writeStartArray();
    g.writeStartArray();
    for (CellText.Entry e : CellText.entries(c)) {
      g.writeStartArray();
      g.writeString(e.access());
      int[] rs = e.rules();
      g.writeArray(rs, 0, rs.length);
      g.writeNumber(e.pairs());
      g.writeNumber(e.total());
      g.writeString(e.compact());
      g.writeEndArray();
    }
    g.writeEndArray();
    g.writeStartArray();
    for (CellText.LongRow r : CellText.longRows(c)) {
      g.writeStartArray();
      g.writeString(IpProtocol.name(r.proto()));
      g.writeString(r.ports());
      g.writeNumber(r.rule());
      g.writeNumber(r.pairs());
      g.writeEndArray();
    }
    g.writeEndArray();
    g.writeNumber(c.totalPairs());
    g.writeEndArray();
  }

  /** [[id, label, section, detail], ...] */
  private static void axis(JsonGenerator g, String field, List<Endpoint> list) throws IOException {
    g.writeArrayFieldStart(field);
    for (Endpoint e : list) {
      g.writeStartArray();
      g.writeString(e.id());
      g.writeString(e.label());
      g.writeString(section(e));
      g.writeString(detail(e));
      g.writeEndArray();
    }
    g.writeEndArray();
  }

  static String section(Endpoint e) {
    if (e.kind() != Endpoint.Kind.GROUP) {
      return e.section();
    }
    String id = e.id();
    if (id.startsWith("user:")) {
      return "users";
    }
    if (id.startsWith("group:")) {
      return "groups";
    }
    if (id.startsWith("tag:")) {
      return "tags";
    }
    return "autogroups";
  }

  static String detail(Endpoint e) {
    List<String> parts = new ArrayList<>();
    switch (e.kind()) {
      case NODE -> {
        if (!e.user().isEmpty()) {
          parts.add(e.user());
        }
        parts.addAll(e.tags());
        parts.addAll(e.groups());
        parts.addAll(e.addresses());
      }
      case SUBNET, EXTERNAL -> {
        parts.addAll(e.addresses());
        if (!e.via().isEmpty()) {
          parts.add("via " + e.via());
        }
      }
      case GROUP -> {
        List<String> ms = e.members();
        parts.add(
            ms.size()
                + (ms.size() == 1 ? " member: " : " members: ")
                + String.join(", ", ms.subList(0, Math.min(ms.size(), 30)))
                + (ms.size() > 30 ? ", …" : ""));
      }
    }
    return String.join(" ", parts);
  }

  /**
   * Jackson's JSON escapes plus the characters that could end the script element or the page
   * ({@code < > &}) and the two line separators JavaScript once treated as line ends.
   */
  static final class ScriptSafe extends CharacterEscapes {
    private static final long serialVersionUID = 1L;
    private final int[] ascii = standardAsciiEscapesForJSON();

    ScriptSafe() {
      ascii['<'] = ESCAPE_STANDARD;
      ascii['>'] = ESCAPE_STANDARD;
      ascii['&'] = ESCAPE_STANDARD;
    }

    @Override
    public int[] getEscapeCodesForAscii() {
      return ascii;
    }

    @Override
    public SerializableString getEscapeSequence(int ch) {
      return ch == 0x2028 || ch == 0x2029
          ? new SerializedString(String.format("\\u%04x", ch))
          : null;
    }
  }

  static String escHtml(String s) {
    return s.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\"", "&quot;");
  }
}
