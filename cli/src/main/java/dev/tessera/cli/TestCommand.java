package dev.tessera.cli;

import dev.tessera.compiler.inventory.Inventory;
import dev.tessera.policy.Policies;
import dev.tessera.policy.PolicyResult;
import dev.tessera.policy.ast.Policy;
import dev.tessera.policy.diag.Diagnostic;
import dev.tessera.policy.diag.DiagnosticRenderer;
import dev.tessera.policy.diag.SourceText;
import dev.tessera.policytests.HumanReport;
import dev.tessera.policytests.JsonReport;
import dev.tessera.policytests.JunitReport;
import dev.tessera.policytests.PolicyTestInputs;
import dev.tessera.policytests.PolicyTester;
import dev.tessera.policytests.TestRun;
import dev.tessera.policytests.TestSpec;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
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
 * <p>Exit codes: 0 every assertion passed (and coverage is at least {@code --min-coverage}); 1 an
 * assertion failed, a test entry is invalid, or coverage is too low; 2 the policy, inventory, a
 * test file or the command line is invalid (located diagnostics on stderr).
 */
@Command(
    name = "test",
    mixinStandardHelpOptions = true,
    description = "Run the policy's tests through the compiled filters and the enforcer's matcher.")
public final class TestCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "POLICY", description = "Policy file (.hujson, .json, .yaml, .tpol).")
  Path policyFile;

  @Option(names = "--inventory", paramLabel = "INV",
      description = "Inventory (YAML/JSON). Without it, a device is synthesized for each user, tag and host the policy names.")
  Path inventoryFile;

  @Option(names = "--tests", paramLabel = "FILE", arity = "1..*",
      description = "Extra test files (HuJSON or YAML, same shape as the tests section).")
  List<Path> testFiles = new ArrayList<>();

  @Option(names = "--junit", paramLabel = "FILE", description = "Also write a JUnit XML report to FILE.")
  Path junitFile;

  @Option(names = "--json", description = "Print the report as JSON on stdout.")
  boolean json;

  @Option(names = "--coverage", description = "List every acl and grant with the number of assertions that exercised it.")
  boolean coverage;

  @Option(names = "--min-coverage", paramLabel = "N",
      description = "Fail (exit 1) when fewer than N percent of the rules are exercised.")
  Double minCoverage;

  @Option(names = {"-v", "--verbose"}, description = "Also list passing assertions.")
  boolean verbose;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (minCoverage != null && (minCoverage.isNaN() || minCoverage < 0 || minCoverage > 100)) {
      throw new UserError("--min-coverage must be a number from 0 to 100, got " + minCoverage);
    }
    Map<String, SourceText> sources = new HashMap<>();
    List<Diagnostic> problems = new ArrayList<>();

    PolicyResult pr = Policies.read(policyFile);
    if (pr.source() != null) {
      sources.put(pr.source().name(), pr.source());
    }
    problems.addAll(pr.diagnostics());
    Optional<Inventory> inventory = Optional.empty();
    if (inventoryFile != null) {
      PolicyTestInputs.Read<Inventory> inv = PolicyTestInputs.readInventory(inventoryFile);
      inv.source().ifPresent(s -> sources.put(s.name(), s));
      problems.addAll(inv.diagnostics());
      inventory = inv.value();
    }
    List<TestSpec> extra = new ArrayList<>();
    for (Path f : testFiles) {
      PolicyTestInputs.Read<List<TestSpec>> t = PolicyTestInputs.readTests(f);
      t.source().ifPresent(s -> sources.put(s.name(), s));
      problems.addAll(t.diagnostics());
      t.value().ifPresent(extra::addAll);
    }
    if (!problems.isEmpty()) {
      err.print(DiagnosticRenderer.text(problems, sources));
    }
    Optional<Policy> policy = pr.policy();
    if (policy.isEmpty() || problems.stream().anyMatch(Diagnostic::isError)
        || (inventoryFile != null && inventory.isEmpty())) {
      err.println("policyc test: invalid input, no test was run");
      err.flush();
      return PolicyC.USAGE;
    }

    PolicyTester.Result result =
        PolicyTester.run(
            new PolicyTester.Input(policy.get(), policyFile.toString(), inventory, extra),
            PolicyTestInputs.compiler());
    return switch (result) {
      case PolicyTester.Result.Rejected rej -> {
        err.print(DiagnosticRenderer.text(rej.diagnostics(), sources));
        err.println("policyc test: the policy does not compile against the inventory, no test was run");
        err.flush();
        yield PolicyC.USAGE;
      }
      case PolicyTester.Result.Ran ran -> report(ran.run(), out, err);
    };
  }

  private int report(TestRun run, PrintWriter out, PrintWriter err) {
    if (junitFile != null) {
      try {
        Path parent = junitFile.toAbsolutePath().getParent();
        if (parent != null) {
          Files.createDirectories(parent);
        }
        Files.writeString(junitFile, JunitReport.render(run), StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new UserError("cannot write the JUnit report to " + junitFile + ": " + e.getMessage());
      }
    }
    boolean showCoverage = coverage || minCoverage != null;
    if (json) {
      out.print(JsonReport.render(run, showCoverage));
    } else {
      out.print(HumanReport.render(run, verbose, coverage));
    }
    int code = run.allPassed() ? PolicyC.OK : PolicyC.FAILED;
    if (minCoverage != null && run.coverage().percent() + 1e-9 < minCoverage) {
      err.println(String.format(Locale.ROOT, "policyc test: rule coverage %.1f%% is below --min-coverage %s%%",
          run.coverage().percent(), trim(minCoverage)));
      code = PolicyC.FAILED;
    }
    out.flush();
    err.flush();
    return code;
  }

  private static String trim(double d) {
    return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
  }
}
