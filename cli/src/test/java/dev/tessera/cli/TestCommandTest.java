package dev.tessera.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

/** {@code policyc test} through the real command line: exit codes, stdout, stderr, files. */
class TestCommandTest {

  record Run(int code, String out, String err) {}

  static Path root() {
    Path p = Path.of("").toAbsolutePath();
    while (p != null && !Files.isDirectory(p.resolve("examples/failing"))) {
      p = p.getParent();
    }
    return p;
  }

  static Run policyc(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = PolicyC.run(new PrintWriter(out), new PrintWriter(err), args);
    return new Run(code, out.toString(), err.toString());
  }

  static String ex(String rel) {
    return root().resolve(rel).toString();
  }

  @Test
  void acmePassesWithExitZero() {
    Run r =
        policyc(
            "test",
            ex("examples/acme/policy.hujson"),
            "--inventory",
            ex("examples/acme/inventory.yaml"));
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).startsWith("PASS 6 tests, 16 assertions: 16 passed, 0 failed");
  }

  @Test
  void failingExampleExitsOneWithTheExactMessages() {
    Run r =
        policyc(
            "test",
            ex("examples/failing/policy.hujson"),
            "--inventory",
            ex("examples/failing/inventory.yaml"),
            "--tests",
            ex("examples/failing/extra-tests.yaml"));
    assertThat(r.code()).isEqualTo(1);
    String policy = ex("examples/failing/policy.hujson");
    assertThat(r.out())
        .contains(
            policy
                + ":61:15: FAIL bob@example.com -> tag:db:5432: expected DENIED, got ALLOWED\n"
                + "    granted by acls[1] at "
                + policy
                + ":34:3\n")
        .contains(
            policy
                + ":68:35: FAIL group:ops -> wiki:443: expected ALLOWED, got DENIED\n"
                + "    no rule allows 100.64.0.3 (laptop-dave) -> 100.64.1.10 (wiki) port 443\n")
        .contains(
            policy
                + ":71:43: FAIL alice@example.com -> tag:web:80-443: invalid test: a test names one port, not a range\n")
        .endsWith("FAIL 7 tests, 9 assertions: 4 passed, 5 failed (1 invalid)\n");
  }

  @Test
  void junitAndJsonReports(@TempDir Path tmp) throws Exception {
    Path xml = tmp.resolve("reports/policy.xml");
    Run r =
        policyc(
            "test",
            ex("examples/failing/policy.hujson"),
            "--inventory",
            ex("examples/failing/inventory.yaml"),
            "--junit",
            xml.toString(),
            "--json");
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.out()).startsWith("{").contains("\"passed\" : false");
    DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
    f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
    Document d = f.newDocumentBuilder().parse(xml.toFile());
    assertThat(d.getDocumentElement().getAttribute("tests")).isEqualTo("7");
    assertThat(d.getElementsByTagName("failure").getLength()).isEqualTo(3);
    assertThat(d.getElementsByTagName("error").getLength()).isEqualTo(1);
  }

  @Test
  void minCoverageFailsBelowTheThresholdOnStdoutAndInJunit(@TempDir Path tmp) throws Exception {
    Path xml = tmp.resolve("junit.xml");
    Run r =
        policyc(
            "test",
            ex("examples/acme/policy.hujson"),
            "--inventory",
            ex("examples/acme/inventory.yaml"),
            "--min-coverage",
            "80",
            "--junit",
            xml.toString());
    assertThat(r.code()).isEqualTo(1);
    assertThat(lastLine(r.out()))
        .isEqualTo(
            "FAIL 6 tests, 16 assertions: 16 passed, 0 failed; rule coverage 66.7% is below --min-coverage 80%");
    Document d = parse(xml);
    assertThat(d.getDocumentElement().getAttribute("failures")).isEqualTo("1");
    Element failure = (Element) d.getElementsByTagName("failure").item(0);
    assertThat(failure.getAttribute("message"))
        .isEqualTo("rule coverage 66.7% is below --min-coverage 80%");
    assertThat(((Element) failure.getParentNode()).getAttribute("name"))
        .isEqualTo("rule coverage >= 80%");
    assertThat(failure.getTextContent()).contains("8 of 12 rules exercised");

    Run json =
        policyc(
            "test",
            ex("examples/acme/policy.hujson"),
            "--inventory",
            ex("examples/acme/inventory.yaml"),
            "--min-coverage",
            "80",
            "--json");
    assertThat(json.code()).isEqualTo(1);
    assertThat(json.out()).contains("\"passed\" : false", "\"min\" : 80.0", "\"met\" : false");

    Run ok =
        policyc(
            "test",
            ex("examples/acme/policy.hujson"),
            "--inventory",
            ex("examples/acme/inventory.yaml"),
            "--min-coverage",
            "60",
            "--coverage",
            "--junit",
            xml.toString());
    assertThat(ok.code()).isZero();
    assertThat(ok.out()).contains("coverage: 8 of 12 rules (66.7%)");
    assertThat(lastLine(ok.out()))
        .isEqualTo(
            "PASS 6 tests, 16 assertions: 16 passed, 0 failed; rule coverage 66.7% meets --min-coverage 60%");
    Document passed = parse(xml);
    assertThat(passed.getDocumentElement().getAttribute("failures")).isEqualTo("0");
    assertThat(passed.getDocumentElement().getAttribute("tests")).isEqualTo("17");
  }

  @Test
  void invalidPolicyExitsOneAndSaysSoOnStdoutAndInJunit(@TempDir Path tmp) throws Exception {
    Path bad = tmp.resolve("bad.hujson");
    Files.writeString(
        bad,
        "{\"acls\": [{\"action\": \"accept\", \"src\": [\"group:nope\"], \"dst\": [\"*:*\"]}]}\n");
    Path xml = tmp.resolve("out/junit.xml");
    Run r = policyc("test", bad.toString(), "--junit", xml.toString());
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).contains(bad + ":1:").contains("group:nope").contains("^");
    assertThat(lastLine(r.out())).isEqualTo("FAIL 1 error in " + bad + ", no test was run");
    Document d = parse(xml);
    assertThat(d.getDocumentElement().getAttribute("errors")).isEqualTo("1");
    Element error = (Element) d.getElementsByTagName("error").item(0);
    assertThat(error.getAttribute("message")).contains("group:nope");
    assertThat(((Element) error.getParentNode()).getAttribute("classname"))
        .isEqualTo(bad.toString());

    Run json = policyc("test", bad.toString(), "--json");
    assertThat(json.code()).isEqualTo(1);
    assertThat(json.out()).contains("\"passed\" : false", "\"code\" : \"undefined-group\"");
  }

  @Test
  void unreadableInputExitsTwoAndSaysSoOnStdoutAndInJunit(@TempDir Path tmp) throws Exception {
    Path xml = tmp.resolve("junit.xml");
    Path none = tmp.resolve("none.hujson");
    Run missing = policyc("test", none.toString(), "--junit", xml.toString());
    assertThat(missing.code()).isEqualTo(2);
    assertThat(lastLine(missing.out()))
        .isEqualTo("FAIL cannot read " + none + ": no such file, no test was run");
    Element error = (Element) parse(xml).getElementsByTagName("error").item(0);
    assertThat(((Element) error.getParentNode()).getAttribute("name")).isEqualTo("read " + none);

    Run inventory =
        policyc(
            "test",
            ex("examples/acme/policy.hujson"),
            "--inventory",
            tmp.resolve("inv.yaml").toString(),
            "--junit",
            xml.toString());
    assertThat(inventory.code()).isEqualTo(2);
    assertThat(parse(xml).getDocumentElement().getAttribute("errors")).isEqualTo("1");
  }

  @Test
  void invalidTestFilesAndOptions(@TempDir Path tmp) throws Exception {
    Path badTests = tmp.resolve("t.yaml");
    Files.writeString(badTests, "tests:\n  - src: a@b.c\n    acept: [x:1]\n");
    Run t = policyc("test", ex("examples/acme/policy.hujson"), "--tests", badTests.toString());
    assertThat(t.code()).isEqualTo(1);
    assertThat(t.err()).contains(badTests + ":3:5: error: unknown key \"acept\"");
    assertThat(lastLine(t.out())).isEqualTo("FAIL 1 error in " + badTests + ", no test was run");
    Run usage = policyc("test", ex("examples/acme/policy.hujson"), "--min-coverage", "120");
    assertThat(usage.code()).isEqualTo(2);
    assertThat(usage.err()).contains("--min-coverage must be a number from 0 to 100, got 120");
  }

  static String lastLine(String out) {
    String[] lines = out.stripTrailing().split("\n");
    return lines[lines.length - 1];
  }

  static Document parse(Path xml) throws Exception {
    DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
    f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
    return f.newDocumentBuilder().parse(xml.toFile());
  }

  @Test
  void withoutInventoryATailnetIsSynthesized() {
    Run r = policyc("test", ex("examples/acme/policy.hujson"));
    // Posture-gated and role-free tests still evaluate; synthesized devices carry no posture, so
    // olivia's posture-gated database access is denied (README, "Without --inventory").
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.out()).contains("olivia@acme.com -> tag:db:5432: expected ALLOWED, got DENIED");
  }
}
