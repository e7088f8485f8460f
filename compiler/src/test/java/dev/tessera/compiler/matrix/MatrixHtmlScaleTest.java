package dev.tessera.compiler.matrix;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.testsupport.RequiresTools;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The HTML matrix of a 10,000-node tailnet ({@link LargeTailnet}) in headless Chromium, driven as a
 * reader would over the DevTools protocol: it opens and shows its first screen within 5 s, a filter
 * typed into it answers within 1 s (both measured by the page itself with {@code
 * performance.now()}, from navigation start and from the keystroke to the answer painted; the
 * figures are printed), and what it shows is the matrix: the filtered cells are the matrix's cells,
 * a folded cell is the union of its members' cells with the right pair counts, and clicking it
 * unfolds both sections. A screenshot goes to {@code target/matrix-10000.png} (and to {@code
 * -Dtessera.screenshots=DIR} when set, for the docs).
 */
class MatrixHtmlScaleTest {
  static final int NODES = 10_000;
  @TempDir static Path tmp;
  static AccessMatrix matrix;
  static Path page;

  /**
   * The 10,000-node page, made once for the methods that run (set-up is per method: see
   * RequiresTools).
   */
  static synchronized Path page() throws IOException {
    if (page != null) {
      return page;
    }
    LargeTailnet tn = new LargeTailnet(NODES);
    long t0 = System.nanoTime();
    Acme.Compiled c = Acme.compile("policy.hujson", tn.policy, tn.inventory);
    long t1 = System.nanoTime();
    matrix = new MatrixBuilder(c.network()).build("policy.hujson on inventory.yaml", List.of());
    long t2 = System.nanoTime();
    Path file = tmp.resolve("matrix-10000.html");
    Provenance p =
        new Provenance(
            "policyc",
            "test",
            List.of(
                Provenance.Input.of(
                    "policy", "policy.hujson", tn.policy.getBytes(StandardCharsets.UTF_8), ""),
                Provenance.Input.of(
                    "inventory",
                    "inventory.yaml",
                    tn.inventory.getBytes(StandardCharsets.UTF_8),
                    "")),
            Instant.parse("2026-01-01T00:00:00Z"));
    try (var w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      MatrixFormat.HTML.render(matrix, p, w);
    }
    long t3 = System.nanoTime();
    System.out.printf(
        "%d nodes: compile %.0f ms, matrix %.0f ms (%d cells), page %.0f ms (%.1f MB)%n",
        NODES,
        (t1 - t0) / 1e6,
        (t2 - t1) / 1e6,
        matrix.cellCount(),
        (t3 - t2) / 1e6,
        Files.size(file) / 1e6);
    page = file;
    return page;
  }

  @Test
  @RequiresTools("chromium")
  void tenThousandNodesOpenInFiveSecondsAndAnswerAFilterInOne() throws Exception {
    Path page = page();
    try (HeadlessChromium b = new HeadlessChromium(tmp, 1600, 1000)) {
      b.open(page.toUri());
      double first =
          Double.parseDouble(
              b.await(
                  "document.getElementById('perf').dataset.firstScreenMs || ''",
                  Duration.ofSeconds(120)));
      int drawn = b.eval("document.querySelectorAll('#m td.g').length").asInt();
      String overview = b.eval("document.getElementById('count').textContent").asText();
      // the picture: user sections against the service tags (each folded section is one 96 px
      // column)
      List<List<Integer>> colSecs = sections(matrix.destinations());
      int firstTag = 0;
      while (!MatrixHtml.section(matrix.destinations().get(colSecs.get(firstTag).getFirst()))
          .startsWith("tag:svc-")) {
        firstTag++;
      }
      b.eval("document.getElementById('wrap').scrollLeft = " + firstTag * 96);
      b.eval(
          "new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(r, 50))))");
      screenshot(b, "matrix-10000.png");

      // a query with an answer: user-17's devices to the servers of a service tag their team
      // reaches
      String service = service("user-17@");
      b.eval(
          "(() => { const q = document.getElementById('q'); q.value = 'user-17@ -> "
              + service
              + "';"
              + " q.dispatchEvent(new Event('input')); })()");
      double query =
          Double.parseDouble(
              b.await(
                  "document.getElementById('perf').dataset.queries === '1' ? document.getElementById('perf').dataset.queryMs : ''",
                  Duration.ofSeconds(60)));
      System.out.printf(
          Locale.ROOT,
          "%d-node page in headless Chromium: first screen %.1f ms after navigation start,"
              + " filter answered %.1f ms after the keystroke (%s)%n",
          NODES,
          first,
          query,
          overview);

      assertThat(drawn).as("folded cells drawn on the first screen").isPositive();
      assertThat(overview)
          .contains("of " + matrix.sources().size() + " sources")
          .contains("sections folded");
      // The answer is the matrix: exactly the matching rows and columns, each cell as the matrix
      // has it.
      List<Integer> rows = matching(matrix.sources(), "user-17@");
      List<Integer> cols = matching(matrix.destinations(), service);
      assertThat(rows).isNotEmpty();
      assertThat(cols).isNotEmpty();
      assertThat(
              strings(
                  b, "[...document.querySelectorAll('#m th[data-row]')].map(e => e.dataset.row)"))
          .containsExactlyElementsOf(rows.stream().map(r -> matrix.sources().get(r).id()).toList());
      assertThat(
              strings(
                  b, "[...document.querySelectorAll('#m th[data-col]')].map(e => e.dataset.col)"))
          .containsExactlyElementsOf(
              cols.stream().map(c -> matrix.destinations().get(c).id()).toList());
      List<String> want = new ArrayList<>();
      for (int r : rows) {
        for (int c : cols) {
          Cell cell = matrix.cellOrNull(r, c);
          if (cell != null) {
            want.add(
                matrix.sources().get(r).label()
                    + " → "
                    + matrix.destinations().get(c).label()
                    + ": "
                    + CellText.text(cell, matrix.rules()));
          }
        }
      }
      assertThat(want).as("the filter finds access").isNotEmpty();
      assertThat(strings(b, "[...document.querySelectorAll('#m td[data-src]')].map(e => e.title)"))
          .containsExactlyElementsOf(want);
      assertThat(first).as("first screen, ms after navigation start").isLessThanOrEqualTo(5000);
      assertThat(query).as("filter answer, ms after the keystroke").isLessThanOrEqualTo(1000);
    }
  }

  @Test
  @RequiresTools("chromium")
  void aFoldedCellIsItsMembersUnionAndUnfoldsOnClick() throws Exception {
    Path page = page();
    try (HeadlessChromium b = new HeadlessChromium(tmp, 1600, 1000)) {
      b.open(page.toUri());
      b.await(
          "document.getElementById('perf').dataset.firstScreenMs || ''", Duration.ofSeconds(120));
      List<String> cell =
          strings(
              b,
              "(() => { const td = [...document.querySelectorAll('#m td.g')]"
                  + ".find(e => e.dataset.rsec !== '' && e.dataset.csec !== ''); return [td.dataset.rsec, td.dataset.csec, td.title]; })()");
      List<List<Integer>> rowSecs = sections(matrix.sources());
      List<List<Integer>> colSecs = sections(matrix.destinations());
      List<Integer> rows = rowSecs.get(Integer.parseInt(cell.get(0)));
      List<Integer> cols = colSecs.get(Integer.parseInt(cell.get(1)));
      String text = cell.get(2).substring(cell.get(2).indexOf(": ") + 2);
      assertThat(text).isEqualTo(union(rows, cols));

      b.eval(
          "(() => { const td = [...document.querySelectorAll('#m td.g')]"
              + ".find(e => e.dataset.rsec !== '' && e.dataset.csec !== ''); td.click(); })()");
      List<String> shownRows =
          strings(b, "[...document.querySelectorAll('#m th[data-row]')].map(e => e.dataset.row)");
      List<String> shownCols =
          strings(b, "[...document.querySelectorAll('#m th[data-col]')].map(e => e.dataset.col)");
      assertThat(shownRows)
          .as("the row section unfolded")
          .isNotEmpty()
          .allMatch(id -> rows.stream().anyMatch(r -> matrix.sources().get(r).id().equals(id)));
      assertThat(shownCols)
          .as("the column section unfolded")
          .isNotEmpty()
          .allMatch(
              id -> cols.stream().anyMatch(c -> matrix.destinations().get(c).id().equals(id)));
    }
  }

  /**
   * {@code svc-N-}: the name prefix of servers of a tag (not the ones everyone reaches) that {@code
   * user} reaches.
   */
  static String service(String user) {
    for (int r : matching(matrix.sources(), user)) {
      for (int k = 0; k < matrix.rowSize(r); k++) {
        String sec = matrix.destinations().get(matrix.columnAt(r, k)).section();
        if (sec.startsWith("tag:svc-") && !sec.equals("tag:svc-1") && !sec.equals("tag:svc-2")) {
          return sec.substring("tag:".length()) + "-";
        }
      }
    }
    throw new AssertionError(user + " reaches no service");
  }

  /** What the page computes for a folded cell, computed here from the matrix. */
  static String union(List<Integer> rows, List<Integer> cols) {
    record Key(String access, String rules, String compact) {}
    Map<Key, Object[]> byKey = new LinkedHashMap<>();
    for (int r : rows) {
      for (int c : cols) {
        Cell cell = matrix.cellOrNull(r, c);
        if (cell == null) {
          continue;
        }
        for (CellText.Entry e : CellText.entries(cell)) {
          Key k = new Key(e.access(), java.util.Arrays.toString(e.rules()), e.compact());
          byKey.computeIfAbsent(k, x -> new Object[] {e, 0})[1] = (int) byKey.get(k)[1] + 1;
        }
      }
    }
    int pairs = rows.size() * cols.size();
    List<Object[]> entries = new ArrayList<>(byKey.values());
    entries.sort(
        java.util.Comparator.comparingInt((Object[] x) -> ((CellText.Entry) x[0]).rules()[0])
            .thenComparing(x -> ((CellText.Entry) x[0]).access()));
    List<String> parts = new ArrayList<>();
    for (Object[] x : entries) {
      CellText.Entry e = (CellText.Entry) x[0];
      int k = (int) x[1];
      List<String> locs = new ArrayList<>();
      for (int r : e.rules()) {
        locs.add(matrix.rules().get(r).location());
      }
      parts.add(
          e.access()
              + " ("
              + String.join(", ", locs)
              + ")"
              + (k < pairs ? " [" + k + "/" + pairs + "]" : ""));
    }
    return String.join("; ", parts);
  }

  /** The page's sections: runs of equal section names along an axis. */
  static List<List<Integer>> sections(List<Endpoint> axis) {
    List<List<Integer>> out = new ArrayList<>();
    String prev = null;
    for (int i = 0; i < axis.size(); i++) {
      String s = MatrixHtml.section(axis.get(i));
      if (out.isEmpty() || !s.equals(prev)) {
        out.add(new ArrayList<>());
      }
      out.getLast().add(i);
      prev = s;
    }
    return out;
  }

  /** Endpoints whose searchable text holds {@code word}, as the page's filter decides. */
  static List<Integer> matching(List<Endpoint> axis, String word) {
    List<Integer> out = new ArrayList<>();
    for (int i = 0; i < axis.size(); i++) {
      Endpoint e = axis.get(i);
      String hay =
          (e.label() + " " + MatrixHtml.section(e) + " " + MatrixHtml.detail(e) + " " + e.id())
              .toLowerCase(Locale.ROOT);
      if (hay.contains(word)) {
        out.add(i);
      }
    }
    return out;
  }

  static List<String> strings(HeadlessChromium b, String expression) {
    List<String> out = new ArrayList<>();
    b.eval(expression).forEach(n -> out.add(n.asText()));
    return out;
  }

  static void screenshot(HeadlessChromium b, String name) throws IOException {
    byte[] png = b.screenshot();
    Path target = Path.of("target", name);
    Files.createDirectories(target.getParent());
    Files.write(target, png);
    String docs = System.getProperty("tessera.screenshots");
    if (docs != null && !docs.isBlank()) {
      Files.write(Path.of(docs).resolve(name), png);
    }
  }
}
