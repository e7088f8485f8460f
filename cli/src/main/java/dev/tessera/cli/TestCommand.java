package dev.tessera.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.tessera.policy.diag.Diagnostic;
import dev.tessera.policy.diag.DiagnosticRenderer;
import dev.tessera.policy.diag.SourceText;
import dev.tessera.policytests.CoverageGate;
import dev.tessera.policytests.HumanReport;
import dev.tessera.policytests.JsonReport;
import dev.tessera.policytests.JunitReport;
import dev.tessera.policytests.PolicyTestInputs;
import dev.tessera.policytests.PolicyTester;
import dev.tessera.policytests.TestRun;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code policyc test}: the CI gate. Runs the policy's {@code tests} (and the DSL's test
 * statements, and external test files) by compiling the policy and asking the enforcer's Matcher
 * about each assertion; see policy-tests/README.md for the semantics.
 *
 * <p>Exit codes (the table every command shares, {@link PolicyC}): 0 every assertion passed (and
 * coverage is at least {@code --min-coverage}); 1 an assertion failed, a test entry is invalid,
 * coverage is too low, or the policy, inventory or a test file has errors (located diagnostics on
 * stderr); 2 a file cannot be read or the command line is wrong. Whatever the exit code, the last
 * line on stdout says PASS or FAIL and why, and the JUnit report holds a failing case for it.
 */
@Command(
    name = "test",
    mixinStandardHelpOptions = true,
    description = "Run the policy's tests through the compiled filters and the enforcer's matcher.")
public final class TestCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Parameters(
      index = "0",
      paramLabel = "POLICY",
      description = "Policy file (.hujson, .json, .yaml, .tpol).")
  Path policyFile;

  @Option(
      names = "--inventory",
      paramLabel = "INV",
      description =
          "Inventory (YAML/JSON). Without it, a device is synthesized for each user, tag and host the policy names.")
  Path inventoryFile;

  @Option(
      names = "--tests",
      paramLabel = "FILE",
      arity = "1..*",
      description = "Extra test files (HuJSON or YAML, same shape as the tests section).")
  List<Path> testFiles = new ArrayList<>();

  @Option(
      names = "--junit",
      paramLabel = "FILE",
      description = "Also write a JUnit XML report to FILE.")
  Path junitFile;

  @Option(names = "--json", description = "Print the report as JSON on stdout.")
  boolean json;

  @Option(
      names = "--coverage",
      description = "List every acl and grant with the number of assertions that exercised it.")
  boolean coverage;

  @Option(
      names = "--min-coverage",
      paramLabel = "N",
      description = "Fail (exit 1) when fewer than N percent of the rules are exercised.")
  Double minCoverage;

  @Option(
      names = {"-v", "--verbose"},
      description = "Also list passing assertions.")
  boolean verbose;

  @Option(
      names = "--strict",
      description =
          "Without --inventory, fail (exit 1) on an assertion whose verdict depends on facts the policy"
              + " does not state (undetermined).")
  boolean strict;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    String name = policyFile.toString();
    CoverageGate gate;
    try {
      gate = minCoverage == null ? null : new CoverageGate(minCoverage);
    } catch (IllegalArgumentException e) {
      throw new UserError(e.getMessage());
    }
    Inputs in = Inputs.read(policyFile, inventoryFile, testFiles);
    if (!in.diagnostics().isEmpty()) {
      err.print(DiagnosticRenderer.text(in.diagnostics(), in.sources()));
      err.flush();
    }
    if (!in.valid()) {
      return notRun(
          out,
          name,
          in.errors(),
          in.sources(),
          "check",
          in.problem() + ", no test was run",
          in.exitCode());
    }
    PolicyTester.Result result =
        PolicyTester.run(
            new PolicyTester.Input(in.policy(), name, in.inventory(), in.extraTests(), strict),
            PolicyTestInputs.compiler());
    return switch (result) {
      case PolicyTester.Result.Rejected rej -> {
        err.print(DiagnosticRenderer.text(rej.diagnostics(), in.sources()));
        err.flush();
        yield notRun(
            out,
            name,
            rej.diagnostics(),
            in.sources(),
            "compile",
            "the policy does not compile against the inventory ("
                + Inputs.count(rej.diagnostics())
                + "), no test was run",
            PolicyC.FAILED);
      }
      case PolicyTester.Result.Ran ran -> report(ran.run(), gate, out);
    };
  }

  /**
   * No assertion was evaluated: the JUnit report gets an error case per problem, and the last line
   * on stdout (or the JSON) says the run failed and why.
   */
  private int notRun(
      PrintWriter out,
      String name,
      List<Diagnostic> problems,
      Map<String, SourceText> sources,
      String stage,
      String why,
      int code) {
    if (junitFile != null) {
      ReportFile.write(
          junitFile, JunitReport.render(name, JunitReport.Check.errors(problems, sources, stage)));
    }
    if (json) {
      out.print(notRunJson(name, why, problems));
    } else {
      out.println("FAIL " + why);
    }
    out.flush();
    return code;
  }

  private static String notRunJson(String name, String why, List<Diagnostic> problems) {
    StringWriter w = new StringWriter();
    try (JsonGenerator g = new JsonFactory().createGenerator(w)) {
      g.useDefaultPrettyPrinter();
      g.writeStartObject();
      g.writeStringField("policy", name);
      g.writeBooleanField("passed", false);
      g.writeStringField("error", why);
      g.writeArrayFieldStart("diagnostics");
      for (Diagnostic d : problems) {
        if (d.isError()) {
          DiagnosticRenderer.json(d, g);
        }
      }
      g.writeEndArray();
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return w + "\n";
  }

  private int report(TestRun run, CoverageGate gate, PrintWriter out) {
    if (junitFile != null) {
      List<JunitReport.Check> checks =
          gate == null
              ? List.of()
              : List.of(JunitReport.Check.coverage(run.name(), run.coverage(), gate));
      ReportFile.write(junitFile, JunitReport.render(run, checks));
    }
    if (json) {
      out.print(JsonReport.render(run, coverage, gate));
    } else {
      out.print(HumanReport.render(run, verbose, coverage, gate));
    }
    out.flush();
    boolean ok = run.allPassed() && (gate == null || gate.met(run.coverage()));
    return ok ? PolicyC.OK : PolicyC.FAILED;
  }
}
