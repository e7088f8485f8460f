import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * The closing lines of {@code bin/test}: per-module counts, every skipped test with its reason,
 * and one line over all modules, from the Surefire reports written after a stamp file.
 *
 * <p>Usage: {@code java bin/lib/TestSummary.java ROOT STAMP}. Prints nothing else; exit 0.
 */
public class TestSummary {
  record Skip(String module, String test, String reason) {}

  public static void main(String[] args) throws Exception {
    Path root = Path.of(args[0]);
    long since = Files.getLastModifiedTime(Path.of(args[1])).toMillis();
    List<Path> reports;
    try (Stream<Path> s = Files.walk(root, 5)) {
      reports = s.filter(p -> p.getFileName().toString().startsWith("TEST-") && p.toString().endsWith(".xml"))
          .filter(p -> p.getParent().getFileName().toString().equals("surefire-reports"))
          .filter(p -> modified(p) >= since)
          .sorted().toList();
    }
    Map<String, int[]> perModule = new TreeMap<>(); // tests, failed, skipped
    List<Skip> skips = new ArrayList<>();
    DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
    f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
    for (Path r : reports) {
      String module = root.relativize(r).getName(0).toString();
      Document d = f.newDocumentBuilder().parse(r.toFile());
      NodeList cases = d.getElementsByTagName("testcase");
      int[] c = perModule.computeIfAbsent(module, k -> new int[3]);
      for (int i = 0; i < cases.getLength(); i++) {
        Element tc = (Element) cases.item(i);
        c[0]++;
        if (tc.getElementsByTagName("failure").getLength() + tc.getElementsByTagName("error").getLength() > 0) {
          c[1]++;
        }
        NodeList sk = tc.getElementsByTagName("skipped");
        if (sk.getLength() > 0) {
          c[2]++;
          String cls = tc.getAttribute("classname");
          Element skip = (Element) sk.item(0);
          String reason = skip.getAttribute("message");
          if (reason.isBlank()) { // an aborted test (an assumption in its body): the reason is the exception's first line
            String text = skip.getTextContent().strip();
            String first = text.lines().findFirst().orElse("");
            reason = first.replaceFirst("^[\\w.$]+(Exception|Error): ", "");
          }
          skips.add(new Skip(module, cls.substring(cls.lastIndexOf('.') + 1) + "." + tc.getAttribute("name"),
              reason.isBlank() ? "(no reason given)" : reason.strip()));
        }
      }
    }
    int tests = 0;
    int failed = 0;
    int skipped = 0;
    System.out.println("per module (tests / failed / skipped):");
    for (Map.Entry<String, int[]> e : perModule.entrySet()) {
      int[] c = e.getValue();
      System.out.printf("  %-14s %5d %4d %4d%n", e.getKey(), c[0], c[1], c[2]);
      tests += c[0];
      failed += c[1];
      skipped += c[2];
    }
    if (!skips.isEmpty()) {
      System.out.println("skipped tests and why:");
      for (Skip s : skips) {
        System.out.printf("  %-12s %-70s %s%n", s.module(), s.test(), s.reason());
      }
    }
    System.out.printf("all modules: %d passed, %d failed, %d skipped%n", tests - failed - skipped, failed, skipped);
  }

  private static long modified(Path p) {
    try {
      return Files.getLastModifiedTime(p).toMillis();
    } catch (IOException e) {
      return 0;
    }
  }
}
