package dev.tessera.policytests;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.tessera.enforcer.format.RuleOrigin;
import dev.tessera.policy.ast.SourceSpan;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * The machine-readable report ({@code policyc test --json}):
 *
 * <pre>{@code
 * {"policy": "policy.hujson", "passed": false,
 *  "summary": {"tests": 6, "assertions": 14, "passed": 13, "failed": 1, "invalid": 0},
 *  "results": [{"status": "fail", "test": 0, "file": "policy.hujson", "line": 120, "col": 43,
 *               "src": "alice@acme.com", "dst": "tag:db:5432", "proto": null,
 *               "expected": "denied", "actual": "allowed", "message": "expected DENIED, got ALLOWED",
 *               "detail": "...", "rules": [{"file": "policy.hujson", "line": 60, "col": 5,
 *                                            "kind": "acl", "index": 3}]}, ...],
 *  "coverage": {"percent": 90.9, "covered": 10, "testable": 11,
 *               "rules": [{"kind": "acl", "index": 0, "file": ..., "line": ..., "col": ...,
 *                          "testable": true, "hits": 3}, ...]}}
 * }</pre>
 *
 * Invalid entries have {@code "status": "invalid"}, {@code expected}/{@code actual} null and the
 * reason in {@code message}. With {@code --min-coverage}, {@code coverage} also holds {@code min}
 * and {@code met}, and {@code passed} is false below the threshold. Field order is fixed so outputs
 * diff cleanly.
 */
public final class JsonReport {
  private static final JsonFactory JSON = new JsonFactory();

  private JsonReport() {}

  public static String render(TestRun run, boolean withCoverage) {
    return render(run, withCoverage, null);
  }

  /**
   * As {@link #render(TestRun, boolean)}, with {@code --min-coverage} (nullable): {@code passed} is
   * then also false below the threshold, and {@code coverage} carries {@code min} and {@code met}.
   */
  public static String render(TestRun run, boolean withCoverage, CoverageGate gate) {
    StringWriter w = new StringWriter();
    try (JsonGenerator g = JSON.createGenerator(w)) {
      g.useDefaultPrettyPrinter();
      g.writeStartObject();
      g.writeStringField("policy", run.name());
      g.writeBooleanField("passed", run.allPassed() && (gate == null || gate.met(run.coverage())));
      g.writeObjectFieldStart("summary");
      g.writeNumberField("tests", run.tests());
      g.writeNumberField("assertions", run.outcomes().size());
      g.writeNumberField("passed", run.passedCount());
      g.writeNumberField("failed", run.failedCount());
      g.writeNumberField("undetermined", run.undeterminedCount());
      g.writeNumberField("invalid", run.invalidCount());
      g.writeEndObject();
      g.writeArrayFieldStart("results");
      for (Outcome o : run.outcomes()) {
        outcome(g, o);
      }
      g.writeEndArray();
      if (withCoverage || gate != null) {
        coverage(g, run.coverage(), gate);
      }
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return w.toString() + "\n";
  }

  private static void outcome(JsonGenerator g, Outcome o) throws IOException {
    g.writeStartObject();
    g.writeStringField(
        "status",
        switch (o) {
          case Outcome.Passed p -> "pass";
          case Outcome.Failed f -> "fail";
          case Outcome.Undetermined u -> "undetermined";
          case Outcome.Invalid i -> "invalid";
        });
    g.writeNumberField("test", o.testIndex());
    position(g, o.span());
    switch (o) {
      case Outcome.Passed p -> {
        assertion(g, p.assertion());
        g.writeStringField("actual", p.allowed() ? "allowed" : "denied");
        g.writeNullField("message");
        g.writeNullField("detail");
        rules(g, p.rules());
      }
      case Outcome.Failed f -> {
        assertion(g, f.assertion());
        g.writeStringField("actual", f.allowed() ? "allowed" : "denied");
        g.writeStringField("message", f.message());
        g.writeStringField("detail", f.detail());
        rules(g, f.rules());
      }
      case Outcome.Undetermined u -> {
        assertion(g, u.assertion());
        g.writeStringField("actual", u.allowed() ? "allowed" : "denied");
        g.writeStringField("message", u.message());
        g.writeStringField("detail", u.fact());
        rules(g, u.rules());
      }
      case Outcome.Invalid i -> {
        g.writeStringField("src", i.src().isEmpty() ? null : i.src());
        g.writeStringField("dst", i.problem().subject());
        g.writeNullField("proto");
        g.writeNullField("expected");
        g.writeNullField("actual");
        g.writeStringField("message", i.message());
        g.writeNullField("detail");
        rules(g, List.of());
      }
    }
    g.writeEndObject();
  }

  private static void assertion(JsonGenerator g, Assertion a) throws IOException {
    g.writeStringField("src", a.srcText());
    g.writeStringField("dst", a.dstText());
    if (a.proto().isPresent()) {
      g.writeStringField("proto", ProtoNames.name(a.proto().getAsInt()));
    } else {
      g.writeNullField("proto");
    }
    g.writeStringField("expected", a.expect() == Assertion.Expect.ALLOW ? "allowed" : "denied");
  }

  private static void position(JsonGenerator g, SourceSpan s) throws IOException {
    g.writeStringField("file", s.file());
    g.writeNumberField("line", s.startLine());
    g.writeNumberField("col", s.startCol());
  }

  static void rules(JsonGenerator g, List<RuleOrigin> rules) throws IOException {
    g.writeArrayFieldStart("rules");
    for (RuleOrigin r : rules) {
      g.writeStartObject();
      g.writeStringField("file", r.file());
      g.writeNumberField("line", r.line());
      g.writeNumberField("col", r.col());
      g.writeStringField("kind", r.kind());
      g.writeNumberField("index", r.index());
      g.writeEndObject();
    }
    g.writeEndArray();
  }

  private static void coverage(JsonGenerator g, Coverage c, CoverageGate gate) throws IOException {
    g.writeObjectFieldStart("coverage");
    if (gate != null) {
      g.writeNumberField("min", gate.min());
      g.writeBooleanField("met", gate.met(c));
    }
    g.writeNumberField("percent", Math.round(c.percent() * 10) / 10.0);
    g.writeNumberField("covered", c.coveredCount());
    g.writeNumberField("testable", c.testableCount());
    g.writeArrayFieldStart("rules");
    for (Coverage.Entry e : c.rules()) {
      g.writeStartObject();
      g.writeStringField("kind", e.kind());
      g.writeNumberField("index", e.index());
      position(g, e.span());
      g.writeBooleanField("testable", e.testable());
      g.writeNumberField("hits", e.hits());
      g.writeEndObject();
    }
    g.writeEndArray();
    g.writeEndObject();
  }
}
