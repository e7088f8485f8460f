package dev.tessera.policytests;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tessera.enforcer.format.RuleOrigin;
import dev.tessera.net.IpCidr;
import dev.tessera.policy.ast.Policy;
import dev.tessera.policy.ast.SourceSpan;
import dev.tessera.policy.diag.Codes;
import dev.tessera.policy.diag.Diagnostic;
import dev.tessera.policy.diag.SourceText;
import java.io.StringReader;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.transform.stream.StreamSource;
import javax.xml.validation.Schema;
import javax.xml.validation.SchemaFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import org.xml.sax.InputSource;

/** The three renderings of the same run agree, and the JUnit XML is valid against our schema. */
class ReportsTest {

  static TestRun sampleRun() {
    TestValidator v =
        new TestValidator(
            new TestValidator.Names(
                Map.of("erp", IpCidr.parse("10.10.0.40")), Set.of("eng"), Set.of("web", "db")));
    SourceSpan t0 = new SourceSpan("policy.hujson", 120, 5, 120, 90, 0, 0);
    SourceSpan d0 = new SourceSpan("policy.hujson", 120, 43, 120, 56, 0, 0);
    SourceSpan d1 = new SourceSpan("policy.hujson", 120, 60, 120, 75, 0, 0);
    SourceSpan d2 = new SourceSpan("extra.yaml", 3, 9, 3, 20, 0, 0);
    Assertion ok =
        new Assertion(
            0,
            d0,
            t0,
            Assertion.Expect.ALLOW,
            new TestTarget.User("alice@acme.com"),
            "alice@acme.com",
            new TestTarget.Tag("web"),
            "tag:web:443",
            443,
            OptionalInt.empty());
    Assertion bad =
        new Assertion(
            0,
            d1,
            t0,
            Assertion.Expect.DENY,
            new TestTarget.User("alice@acme.com"),
            "alice@acme.com",
            new TestTarget.Tag("db"),
            "tag:db:5432",
            5432,
            OptionalInt.of(6));
    RuleOrigin r0 = new RuleOrigin("policy.hujson", 53, 5, RuleOrigin.ACL, 0);
    RuleOrigin r3 = new RuleOrigin("policy.hujson", 60, 5, RuleOrigin.ACL, 3);
    TestValidator.Invalid inv =
        new TestValidator.Invalid(1, d2, "tag:web:*", "a test names one port, not \"*\"");
    List<Outcome> outcomes =
        List.of(
            new Outcome.Passed(ok, true, List.of(r0)),
            new Outcome.Failed(
                bad, true, List.of(r3), "granted by acls[3] at policy.hujson:60:5 <&>"),
            new Outcome.Invalid(inv, "bob@acme.com"));
    assertThat(v).isNotNull();
    return new TestRun("policy.hujson", 2, outcomes, Coverage.of(Policy.empty(), outcomes), 12);
  }

  @Test
  void humanReportNamesPositionsVerdictsAndRules() {
    String text = HumanReport.render(sampleRun(), false, false);
    assertThat(text)
        .isEqualTo(
            """
            policy.hujson:120:60: FAIL alice@acme.com -> tag:db:5432 (tcp): expected DENIED, got ALLOWED
                granted by acls[3] at policy.hujson:60:5 <&>
            extra.yaml:3:9: FAIL bob@acme.com -> tag:web:*: invalid test: a test names one port, not "*"
            FAIL 2 tests, 3 assertions: 1 passed, 2 failed (1 invalid)
            """);
  }

  @Test
  void junitXmlIsValidAgainstTheSchemaAndParsesBack() throws Exception {
    String xml = JunitReport.render(sampleRun());
    var schema =
        SchemaFactory.newInstance(XMLConstants.W3C_XML_SCHEMA_NS_URI)
            .newSchema(new StreamSource(getClass().getResourceAsStream("/junit.xsd")));
    schema.newValidator().validate(new StreamSource(new StringReader(xml)));

    DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
    f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
    Document doc = f.newDocumentBuilder().parse(new InputSource(new StringReader(xml)));
    Element root = doc.getDocumentElement();
    assertThat(root.getTagName()).isEqualTo("testsuites");
    assertThat(root.getAttribute("tests")).isEqualTo("3");
    assertThat(root.getAttribute("failures")).isEqualTo("1");
    assertThat(root.getAttribute("errors")).isEqualTo("1");
    NodeList suites = root.getElementsByTagName("testsuite");
    assertThat(suites.getLength()).isEqualTo(2);
    assertThat(((Element) suites.item(0)).getAttribute("name")).isEqualTo("policy.hujson");
    assertThat(((Element) suites.item(1)).getAttribute("name")).isEqualTo("extra.yaml");
    NodeList cases = doc.getElementsByTagName("testcase");
    assertThat(cases.getLength()).isEqualTo(3);
    Element failing = (Element) cases.item(1);
    assertThat(failing.getAttribute("name")).isEqualTo("deny alice@acme.com -> tag:db:5432 (tcp)");
    assertThat(((Element) cases.item(0)).getAttribute("name"))
        .isEqualTo("accept alice@acme.com -> tag:web:443");
    assertThat(failing.getAttribute("classname"))
        .as("grouped by file, no fake package")
        .isEqualTo("policy.hujson");
    assertThat(failing.getAttribute("line")).isEqualTo("120");
    Element failure = (Element) failing.getElementsByTagName("failure").item(0);
    assertThat(failure.getAttribute("message")).isEqualTo("expected DENIED, got ALLOWED");
    assertThat(failure.getTextContent())
        .isEqualTo(
            "policy.hujson:120:60: alice@acme.com -> tag:db:5432 (tcp): expected DENIED, got ALLOWED\n"
                + "granted by acls[3] at policy.hujson:60:5 <&>");
    Element error = (Element) ((Element) cases.item(2)).getElementsByTagName("error").item(0);
    assertThat(error.getAttribute("message"))
        .isEqualTo("invalid test: a test names one port, not \"*\"");
    assertThat(((Element) cases.item(0)).getElementsByTagName("failure").getLength()).isZero();
  }

  static Schema schema() throws Exception {
    return SchemaFactory.newInstance(XMLConstants.W3C_XML_SCHEMA_NS_URI)
        .newSchema(new StreamSource(ReportsTest.class.getResourceAsStream("/junit.xsd")));
  }

  static Document parse(String xml) throws Exception {
    schema().newValidator().validate(new StreamSource(new StringReader(xml)));
    DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
    f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
    return f.newDocumentBuilder().parse(new InputSource(new StringReader(xml)));
  }

  @Test
  void coverageBelowTheThresholdIsAFailureCaseOfThePolicy() throws Exception {
    TestRun run = sampleRun();
    Coverage twoOfThree =
        new Coverage(
            List.of(
                new Coverage.Entry(
                    "acl", 0, new SourceSpan("policy.hujson", 10, 5, 10, 40, 0, 0), true, 2),
                new Coverage.Entry(
                    "acl", 1, new SourceSpan("policy.hujson", 11, 5, 11, 40, 0, 0), true, 1),
                new Coverage.Entry(
                    "grant", 0, new SourceSpan("policy.hujson", 14, 5, 14, 40, 0, 0), true, 0)));
    JunitReport.Check below =
        JunitReport.Check.coverage("policy.hujson", twoOfThree, new CoverageGate(80));
    JunitReport.Check above =
        JunitReport.Check.coverage("policy.hujson", twoOfThree, new CoverageGate(50));
    Document doc = parse(JunitReport.render(run, List.of(below)));
    assertThat(doc.getDocumentElement().getAttribute("failures")).isEqualTo("2");
    Element last = (Element) doc.getElementsByTagName("testcase").item(2);
    assertThat(last.getAttribute("name"))
        .as("after the policy's own assertions")
        .isEqualTo("rule coverage >= 80%");
    assertThat(last.getAttribute("classname")).isEqualTo("policy.hujson");
    Element failure = (Element) last.getElementsByTagName("failure").item(0);
    assertThat(failure.getAttribute("message"))
        .isEqualTo("rule coverage 66.7% is below --min-coverage 80%");
    assertThat(failure.getTextContent())
        .contains("2 of 3 rules exercised (66.7%)", "grants[0] at policy.hujson:14:5");
    Document ok = parse(JunitReport.render(run, List.of(above)));
    assertThat(ok.getDocumentElement().getAttribute("failures")).isEqualTo("1");
    Element passed = (Element) ok.getElementsByTagName("testcase").item(2);
    assertThat(passed.getAttribute("name")).isEqualTo("rule coverage >= 50%");
    assertThat(passed.getElementsByTagName("failure").getLength()).isZero();
  }

  @Test
  void inputThatCouldNotBeTestedIsAnErrorCasePerProblem() throws Exception {
    SourceText src =
        new SourceText("bad.hujson", "{\n  \"acls\": [{\"src\": [\"group:nope\"]}],\n}\n");
    Diagnostic undefined =
        Diagnostic.error(
            "undefined-group",
            "group:nope is not defined in \"groups\"",
            new SourceSpan("bad.hujson", 2, 20, 2, 32, 0, 0));
    Diagnostic warning =
        Diagnostic.warning(
            "unused", "not an error", new SourceSpan("bad.hujson", 1, 1, 1, 2, 0, 0), null);
    Diagnostic missing =
        Diagnostic.error(Codes.IO, "no such file", SourceSpan.point("inv.yaml", 0, 0, -1));
    List<JunitReport.Check> checks =
        JunitReport.Check.errors(
            List.of(warning, undefined, missing), Map.of("bad.hujson", src), "check");
    Document doc = parse(JunitReport.render("bad.hujson", checks));
    Element root = doc.getDocumentElement();
    assertThat(root.getAttribute("tests")).isEqualTo("2");
    assertThat(root.getAttribute("errors")).isEqualTo("2");
    NodeList cases = doc.getElementsByTagName("testcase");
    Element first = (Element) cases.item(0);
    assertThat(first.getAttribute("name")).isEqualTo("check bad.hujson:2:20");
    assertThat(first.getAttribute("classname")).isEqualTo("bad.hujson");
    assertThat(first.getAttribute("line")).isEqualTo("2");
    Element error = (Element) first.getElementsByTagName("error").item(0);
    assertThat(error.getAttribute("type")).isEqualTo("undefined-group");
    assertThat(error.getAttribute("message")).isEqualTo("group:nope is not defined in \"groups\"");
    assertThat(error.getTextContent())
        .contains("2 |   \"acls\": [{\"src\": [\"group:nope\"]}],", "^~~~");
    Element second = (Element) cases.item(1);
    assertThat(second.getAttribute("name")).isEqualTo("read inv.yaml");
    assertThat(second.getAttribute("classname")).isEqualTo("inv.yaml");
    assertThat(((Element) second.getElementsByTagName("error").item(0)).getAttribute("message"))
        .isEqualTo("no such file");
  }

  @Test
  void charactersXmlCannotCarryAreReplacedNotWritten() throws Exception {
    Diagnostic d =
        Diagnostic.error(
            "undefined-group",
            "group:a\u0001b\uFFFE is not defined \uD83D\uDE00 \uD800",
            new SourceSpan("p\u0007.hujson", 1, 1, 1, 2, 0, 0));
    Document doc =
        parse(
            JunitReport.render(
                "p.hujson", JunitReport.Check.errors(List.of(d), Map.of(), "check")));
    Element error = (Element) doc.getElementsByTagName("error").item(0);
    assertThat(error.getAttribute("message"))
        .isEqualTo("group:a\uFFFDb\uFFFD is not defined \uD83D\uDE00 \uFFFD");
    assertThat(((Element) doc.getElementsByTagName("testcase").item(0)).getAttribute("classname"))
        .isEqualTo("p\uFFFD.hujson");
  }

  @Test
  void schemaRejectsAFailureWithoutMessage() throws Exception {
    var schema =
        SchemaFactory.newInstance(XMLConstants.W3C_XML_SCHEMA_NS_URI)
            .newSchema(new StreamSource(getClass().getResourceAsStream("/junit.xsd")));
    String bad =
        "<testsuites><testsuite name='x' tests='1' failures='1' errors='0'>"
            + "<testcase name='a' classname='b' time='0'><failure type='t'>body</failure></testcase>"
            + "</testsuite></testsuites>";
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> schema.newValidator().validate(new StreamSource(new StringReader(bad))))
        .hasMessageContaining("message");
  }

  @Test
  void jsonReportCarriesEveryOutcome() throws Exception {
    JsonNode j = new ObjectMapper().readTree(JsonReport.render(sampleRun(), true));
    assertThat(j.get("passed").asBoolean()).isFalse();
    assertThat(j.at("/summary/assertions").asInt()).isEqualTo(3);
    assertThat(j.at("/summary/failed").asInt()).isEqualTo(1);
    assertThat(j.at("/summary/invalid").asInt()).isEqualTo(1);
    JsonNode fail = j.get("results").get(1);
    assertThat(fail.get("status").asText()).isEqualTo("fail");
    assertThat(fail.get("line").asInt()).isEqualTo(120);
    assertThat(fail.get("col").asInt()).isEqualTo(60);
    assertThat(fail.get("proto").asText()).isEqualTo("tcp");
    assertThat(fail.get("expected").asText()).isEqualTo("denied");
    assertThat(fail.get("actual").asText()).isEqualTo("allowed");
    assertThat(fail.at("/rules/0/line").asInt()).isEqualTo(60);
    assertThat(fail.at("/rules/0/index").asInt()).isEqualTo(3);
    JsonNode inv = j.get("results").get(2);
    assertThat(inv.get("status").asText()).isEqualTo("invalid");
    assertThat(inv.get("expected").isNull()).isTrue();
    assertThat(j.at("/coverage/percent").asDouble()).isEqualTo(100.0);
  }
}
