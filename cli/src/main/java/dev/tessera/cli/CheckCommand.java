package dev.tessera.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.tessera.policy.Policies;
import dev.tessera.policy.PolicyResult;
import dev.tessera.policy.diag.Diagnostic;
import dev.tessera.policy.diag.DiagnosticRenderer;
import dev.tessera.policy.diag.Severity;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code policyc check FILE... [--format text|json]}: reads each policy (HuJSON, YAML or .tpol by
 * extension), validates structure and meaning, and prints every diagnostic of every file.
 *
 * <p>Exit codes: 0 all files valid (warnings allowed), 1 at least one policy error, 2 a file could
 * not be read or its syntax is unknown (usage/I-O wins over policy errors, since the check is then
 * incomplete). Text output goes to stdout: per diagnostic {@code file:line:col: severity: message},
 * the source line with a caret, and {@code help:}; then a summary. JSON output is one object:
 * {@code {"valid": bool, "errors": n, "warnings": n, "files": [{"file", "valid", "diagnostics":
 * [...]}]}}.
 */
@Command(
    name = "check",
    mixinStandardHelpOptions = true,
    description = {
      "Check policy files: syntax, structure and meaning.",
      "Reads .hujson/.json, .yaml/.yml and .tpol, and prints every problem with its position."
    })
final class CheckCommand implements Callable<Integer> {
  enum Format {
    text,
    json
  }

  @Parameters(arity = "1..*", paramLabel = "FILE", description = "Policy files to check.")
  List<Path> files;

  @Option(
      names = "--format",
      defaultValue = "text",
      description = "Output format: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
  Format format;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    List<PolicyResult> results = new ArrayList<>(files.size());
    for (Path f : files) {
      results.add(Policies.read(f));
    }
    int errors = 0;
    int warnings = 0;
    boolean unreadable = false;
    for (PolicyResult r : results) {
      unreadable |= r.unreadable();
      for (Diagnostic d : r.diagnostics()) {
        if (d.severity() == Severity.ERROR) {
          errors++;
        } else if (d.severity() == Severity.WARNING) {
          warnings++;
        }
      }
    }
    if (format == Format.json) {
      out.println(json(results, errors, warnings));
    } else {
      for (PolicyResult r : results) {
        String name = name(r);
        if (!r.diagnostics().isEmpty()) {
          for (Diagnostic d : r.diagnostics()) {
            out.print(DiagnosticRenderer.text(d, r.source()));
          }
        }
        if (r.ok()) {
          out.println(name + ": ok");
        }
      }
      if (errors + warnings > 0) {
        out.println(
            plural(errors, "error")
                + ", "
                + plural(warnings, "warning")
                + " in "
                + plural(files.size(), "file"));
      }
    }
    out.flush();
    if (unreadable) {
      return PolicyC.USAGE;
    }
    return errors > 0 ? PolicyC.FAILED : PolicyC.OK;
  }

  private static String name(PolicyResult r) {
    if (r.source() != null) {
      return r.source().name();
    }
    return r.diagnostics().isEmpty() ? "?" : r.diagnostics().getFirst().span().file();
  }

  private static String plural(int n, String word) {
    return n + " " + word + (n == 1 ? "" : "s");
  }

  private static String json(List<PolicyResult> results, int errors, int warnings) {
    java.io.StringWriter w = new java.io.StringWriter();
    try (JsonGenerator g = new JsonFactory().createGenerator(w)) {
      g.writeStartObject();
      g.writeBooleanField(
          "valid", errors == 0 && results.stream().noneMatch(PolicyResult::unreadable));
      g.writeNumberField("errors", errors);
      g.writeNumberField("warnings", warnings);
      g.writeArrayFieldStart("files");
      for (PolicyResult r : results) {
        g.writeStartObject();
        g.writeStringField("file", name(r));
        g.writeBooleanField("valid", r.ok());
        g.writeArrayFieldStart("diagnostics");
        for (Diagnostic d : r.diagnostics()) {
          DiagnosticRenderer.json(d, g);
        }
        g.writeEndArray();
        g.writeEndObject();
      }
      g.writeEndArray();
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return w.toString();
  }
}
