package dev.tessera.policytests;

import java.io.StringWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.xml.stream.XMLOutputFactory;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamWriter;

/**
 * JUnit XML, the report format CI systems (GitHub Actions test reporters, GitLab's {@code
 * artifacts:reports:junit}, Jenkins) display.
 *
 * <p>Shape (the de-facto format of Ant's JUnit task, which those tools read): {@code <testsuites>}
 * holding one {@code <testsuite>} per file that contributed tests (the policy, each external test
 * file), one {@code <testcase>} per assertion. {@code classname} is {@code FILE.tests[i]} so CI
 * groups a test entry's destinations; {@code name} is the assertion ({@code src -> dst:port}).
 * A wrong verdict is a {@code <failure>}; an invalid test entry is an {@code <error>} (it fails
 * the run as in Tailscale, but nothing was evaluated). Both carry a one-line {@code message} and
 * a body with the position and the granting rule. The schema we validate against is {@code
 * src/test/resources/junit.xsd}.
 */
public final class JunitReport {
  private JunitReport() {}

  public static String render(TestRun run) {
    Map<String, List<Outcome>> byFile = new LinkedHashMap<>();
    for (Outcome o : run.outcomes()) {
      byFile.computeIfAbsent(o.span().file(), k -> new ArrayList<>()).add(o);
    }
    StringWriter w = new StringWriter();
    try {
      XMLStreamWriter x = XMLOutputFactory.newFactory().createXMLStreamWriter(w);
      x.writeStartDocument("UTF-8", "1.0");
      x.writeCharacters("\n");
      x.writeStartElement("testsuites");
      x.writeAttribute("name", "policyc test " + run.name());
      counts(x, run.outcomes());
      x.writeAttribute("time", seconds(run.millis()));
      for (Map.Entry<String, List<Outcome>> e : byFile.entrySet()) {
        x.writeCharacters("\n  ");
        x.writeStartElement("testsuite");
        x.writeAttribute("name", e.getKey().isEmpty() ? run.name() : e.getKey());
        counts(x, e.getValue());
        x.writeAttribute("time", seconds(run.millis() * e.getValue().size() / Math.max(1, run.outcomes().size())));
        for (Outcome o : e.getValue()) {
          testcase(x, o, e.getKey().isEmpty() ? run.name() : e.getKey());
        }
        x.writeCharacters("\n  ");
        x.writeEndElement();
      }
      x.writeCharacters("\n");
      x.writeEndElement();
      x.writeCharacters("\n");
      x.writeEndDocument();
      x.close();
    } catch (XMLStreamException e) {
      // Writing to a StringWriter cannot fail for I/O reasons; an exception here is a bug.
      throw new IllegalStateException("JUnit XML writer failed", e);
    }
    return w.toString();
  }

  private static void counts(XMLStreamWriter x, List<Outcome> os) throws XMLStreamException {
    long failures = os.stream().filter(o -> o instanceof Outcome.Failed).count();
    long errors = os.stream().filter(o -> o instanceof Outcome.Invalid).count();
    x.writeAttribute("tests", Integer.toString(os.size()));
    x.writeAttribute("failures", Long.toString(failures));
    x.writeAttribute("errors", Long.toString(errors));
    x.writeAttribute("skipped", "0");
  }

  private static void testcase(XMLStreamWriter x, Outcome o, String file) throws XMLStreamException {
    x.writeCharacters("\n    ");
    boolean empty = o.passed();
    if (empty) {
      x.writeEmptyElement("testcase");
    } else {
      x.writeStartElement("testcase");
    }
    x.writeAttribute("name", o.subject());
    x.writeAttribute("classname", file + ".tests[" + o.testIndex() + "]");
    x.writeAttribute("file", file);
    x.writeAttribute("line", Integer.toString(Math.max(0, o.span().startLine())));
    x.writeAttribute("time", "0");
    switch (o) {
      case Outcome.Passed p -> {}
      case Outcome.Failed f -> {
        x.writeCharacters("\n      ");
        x.writeStartElement("failure");
        x.writeAttribute("message", f.message());
        x.writeAttribute("type", "AssertionFailure");
        x.writeCharacters(f.span() + ": " + f.subject() + ": " + f.message() + "\n" + f.detail());
        x.writeEndElement();
      }
      case Outcome.Invalid i -> {
        x.writeCharacters("\n      ");
        x.writeStartElement("error");
        x.writeAttribute("message", i.message());
        x.writeAttribute("type", "InvalidTest");
        x.writeCharacters(i.span() + ": " + i.subject() + ": " + i.message());
        x.writeEndElement();
      }
    }
    if (!empty) {
      x.writeCharacters("\n    ");
      x.writeEndElement();
    }
  }

  static String seconds(long millis) {
    return String.format(Locale.ROOT, "%.3f", millis / 1000.0);
  }
}
