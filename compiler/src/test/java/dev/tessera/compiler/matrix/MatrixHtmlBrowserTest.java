package dev.tessera.compiler.matrix;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.testsupport.RequiresTools;
import dev.tessera.testsupport.Tools;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Opens the acme matrix page in headless Chromium (Debian package {@code chromium}) and checks what
 * the browser actually drew: the DOM after the inline script ran ({@code --dump-dom}) must hold
 * exactly the matrix's cells, the filter (given as {@code #q=...}) must narrow rows and columns,
 * and a screenshot is written to {@code target/matrix-acme.png} for a human to look at (and to
 * {@code -Dtessera.screenshots=DIR} when set, for the docs).
 */
class MatrixHtmlBrowserTest {
  private static final Pattern CELL =
      Pattern.compile(
          "<td class=\"([^\"]*)\" data-src=\"([^\"]*)\" data-dst=\"([^\"]*)\" title=\"([^\"]*)\">(.*?)</td>");
  private static final Pattern ROW = Pattern.compile("<th class=\"rh\" data-row=\"([^\"]*)\"");
  private static final Pattern COL = Pattern.compile("<th class=\"col\" data-col=\"([^\"]*)\"");

  @TempDir static Path tmp;
  static AccessMatrix matrix;
  static Path page;

  @BeforeAll
  static void setUp() throws IOException {
    matrix = Acme.acme().matrix();
    page = tmp.resolve("acme.html");
    Files.writeString(
        page, MatrixFormat.HTML.render(matrix, Acme.PROVENANCE), StandardCharsets.UTF_8);
  }

  @Test
  @RequiresTools("chromium")
  void browserDrawsEveryCellOfTheMatrix() throws Exception {
    String dom = run("--dump-dom", page.toUri().toString());
    Map<String, String> drawn = new HashMap<>();
    Matcher m = CELL.matcher(dom);
    while (m.find()) {
      drawn.put(unescape(m.group(2)) + " -> " + unescape(m.group(3)), unescape(m.group(4)));
    }
    assertThat(drawn).as("cells in the DOM").hasSize(matrix.cells().size());
    for (var e : matrix.cells().entrySet()) {
      int s = (int) (e.getKey() >>> 32);
      int d = (int) (long) e.getKey();
      String key = matrix.sources().get(s).id() + " -> " + matrix.destinations().get(d).id();
      String expected =
          matrix.sources().get(s).label()
              + " → "
              + matrix.destinations().get(d).label()
              + ": "
              + CellText.text(e.getValue(), matrix.rules());
      assertThat(drawn.get(key)).as(key).isEqualTo(expected);
    }
    assertThat(drawn.get("api-1 -> db-1")).endsWith("tcp 5432 (policy.hujson:85)");
    assertThat(drawn).doesNotContainKey("laptop-peggy -> db-1");
    assertThat(count(ROW, dom)).isEqualTo(matrix.sources().size());
    assertThat(count(COL, dom)).isEqualTo(matrix.destinations().size());
  }

  @Test
  @RequiresTools("chromium")
  void filterNarrowsRowsAndColumns() throws Exception {
    // "olivia -> tag:db": sources matching olivia, destinations matching tag:db.
    String dom = run("--dump-dom", page.toUri() + "#q=olivia%20-%3E%20tag:db");
    assertThat(all(ROW, dom)).containsExactly("laptop-olivia");
    assertThat(all(COL, dom)).containsExactly("db-1", "db-2");
    Matcher m = CELL.matcher(dom);
    List<String> cells = new ArrayList<>();
    while (m.find()) {
      cells.add(m.group(3) + ": " + unescape(m.group(5)).replaceAll("<[^>]+>", " ").trim());
    }
    assertThat(cells).containsExactly("db-1: 22,5432 R4", "db-2: 22,5432 R4");
    assertThat(dom).contains("showing 1 of 45 sources, 2 of 47 destinations");
  }

  @Test
  @RequiresTools("chromium")
  void screenshotForReview() throws Exception {
    Path shot = Path.of("target", "matrix-acme.png").toAbsolutePath();
    Files.createDirectories(shot.getParent());
    Files.deleteIfExists(shot);
    run("--screenshot=" + shot, "--window-size=1600,1000", page.toUri().toString());
    assertThat(shot).exists();
    byte[] png = Files.readAllBytes(shot);
    assertThat(png.length).as("screenshot size").isGreaterThan(20_000);
    assertThat(new String(png, 1, 3, StandardCharsets.US_ASCII)).isEqualTo("PNG");
    String docs = System.getProperty("tessera.screenshots");
    if (docs != null && !docs.isBlank()) {
      Files.copy(
          shot,
          Path.of(docs).resolve("matrix-acme.png"),
          java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
  }

  /**
   * The page's export button writes what {@code policyc matrix --format csv-long} writes, for the
   * rows shown.
   */
  @Test
  @RequiresTools("chromium")
  void exportFromThePageIsTheLongCsv() throws Exception {
    Path withProvenance = tmp.resolve("acme-provenance.html");
    Files.writeString(
        withProvenance,
        MatrixFormat.HTML.render(matrix, MatrixGoldenTest.PROVENANCE),
        StandardCharsets.UTF_8);
    try (HeadlessChromium b = new HeadlessChromium(tmp, 1200, 800)) {
      b.open(withProvenance.toUri());
      b.await(
          "document.getElementById('perf').dataset.firstScreenMs || ''",
          java.time.Duration.ofSeconds(60));
      assertThat(b.eval("accessMatrix.exportCsv()").asText())
          .isEqualTo(MatrixFormat.CSV_LONG.render(matrix, MatrixGoldenTest.PROVENANCE));
      assertThat(b.eval("document.getElementById('prov').textContent").asText())
          .contains(
              "generated by policyc test at 2026-01-02T03:04:05Z", Provenance.sha256("policy"));
      b.eval(
          "(() => { const q = document.getElementById('q'); q.value = 'olivia -> tag:db';"
              + " q.dispatchEvent(new Event('input')); })()");
      b.await(
          "document.getElementById('perf').dataset.queries || ''",
          java.time.Duration.ofSeconds(30));
      List<String> rows =
          b.eval("accessMatrix.exportCsv()")
              .asText()
              .lines()
              .filter(l -> !l.startsWith("#"))
              .toList();
      assertThat(rows.getFirst()).startsWith("source,destination,");
      assertThat(rows.subList(1, rows.size()))
          .isNotEmpty()
          .allMatch(
              l -> l.startsWith("laptop-olivia,db-1,") || l.startsWith("laptop-olivia,db-2,"));
    }
  }

  @Test
  void pageNeedsNoNetwork() {
    String html = MatrixFormat.HTML.render(matrix);
    // Self-contained: nothing is fetched (no src/href to other documents, no url(), CSP denies
    // all).
    assertThat(html).doesNotContainPattern("(?i)<(script|link|img|iframe)[^>]+(src|href)=");
    assertThat(html)
        .doesNotContain("url(")
        .doesNotContain("http://")
        .doesNotContain("https://")
        .doesNotContain("@import");
    assertThat(html).contains("default-src 'none'");
    assertThat(html).contains("@media print");
  }

  private static String run(String... args) throws IOException, InterruptedException {
    Path profile = Files.createTempDirectory(tmp, "profile");
    List<String> cmd =
        new ArrayList<>(
            List.of(
                "chromium",
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--user-data-dir=" + profile));
    cmd.addAll(List.of(args));
    Path out = tmp.resolve("chromium-" + System.nanoTime() + ".out");
    Process p =
        Tools.process(cmd)
            .redirectOutput(out.toFile())
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    if (!p.waitFor(90, TimeUnit.SECONDS)) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      throw new AssertionError("chromium did not finish in 90 s: " + cmd);
    }
    try (Stream<Path> s = Files.walk(profile)) {
      s.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    }
    return Files.readString(out, StandardCharsets.UTF_8);
  }

  private static int count(Pattern p, String s) {
    return all(p, s).size();
  }

  private static List<String> all(Pattern p, String s) {
    List<String> out = new ArrayList<>();
    Matcher m = p.matcher(s);
    while (m.find()) {
      out.add(unescape(m.group(1)));
    }
    return out;
  }

  private static String unescape(String s) {
    return s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
  }
}
