package dev.tessera.cli;

import dev.tessera.compiler.Compilation;
import dev.tessera.compiler.Compiler;
import dev.tessera.compiler.emit.OutputFormat;
import dev.tessera.compiler.emit.OutputWriter;
import dev.tessera.compiler.inventory.Inventory;
import dev.tessera.policy.ast.Policy;
import dev.tessera.policy.diag.Diagnostic;
import dev.tessera.policy.diag.DiagnosticRenderer;
import dev.tessera.policy.diag.SourceText;
import dev.tessera.policytests.HumanReport;
import dev.tessera.policytests.JunitReport;
import dev.tessera.policytests.PolicyTestInputs;
import dev.tessera.policytests.PolicyTester;
import dev.tessera.policytests.TestRun;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code policyc build}: the whole gate in one command, as a CI job runs it. Check the policy,
 * compile every node's filter against the inventory (and write them with {@code --out}), run the
 * policy's tests through the enforcer's matcher, and print one line per stage plus a verdict. Stops
 * at the first stage that fails, since later stages would only repeat its errors.
 *
 * <p>Exit codes (the table every command shares, {@link PolicyC}): 0 every stage passed; 1 the
 * policy or inventory has errors, or a test failed; 2 an input cannot be read or the command line
 * is wrong. The last line on stdout is {@code build ok} or {@code build FAILED}; with {@code
 * --junit} the report is written whichever stage failed, with an error case per problem.
 */
@Command(
    name = "build",
    mixinStandardHelpOptions = true,
    description = {
      "Check, compile and test a policy in one go: the CI job in one command.",
      "Prints one line per stage; the last line is build ok or build FAILED."
    })
final class BuildCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(
      index = "0",
      paramLabel = "POLICY",
      description = "Policy file (.hujson/.json, .yaml/.yml, .tpol).")
  Path policyFile;

  @Option(
      names = "--inventory",
      required = true,
      paramLabel = "INV",
      description = "Inventory (.yaml/.yml or .json).")
  Path inventoryFile;

  @Option(
      names = "--out",
      paramLabel = "DIR",
      description = "Write each node's filter and index.json here.")
  Path out;

  @Option(
      names = "--format",
      defaultValue = "tessera",
      description = "tessera or tailscale (default ${DEFAULT-VALUE}).")
  OutputFormat format;

  @Option(
      names = "--junit",
      paramLabel = "FILE",
      description = "Also write the test results as JUnit XML.")
  Path junit;

  @Override
  public Integer call() {
    PrintWriter stdout = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    String name = policyFile.toString();

    // 1. check
    long t = System.nanoTime();
    Inputs in = Inputs.read(policyFile, inventoryFile);
    Map<String, SourceText> sources = in.sources();
    print(err, in.diagnostics(), sources);
    if (!in.valid()) {
      junit(name, JunitReport.Check.errors(in.errors(), sources, "check"));
      stdout.printf("check    FAILED  %s%n", in.problem());
      return verdict(stdout, false, in.exitCode());
    }
    Policy policy = in.policy();
    Inventory inventory = in.inventory().orElseThrow();
    stdout.printf(
        "check    ok      %s: %d acls, %d grants, %d tests; %s: %d users, %d nodes  (%d ms)%n",
        policyFile,
        policy.acls().size(),
        policy.grants().size(),
        policy.tests().size(),
        inventoryFile,
        inventory.users().size(),
        inventory.nodes().size(),
        millis(t));

    // 2. compile
    t = System.nanoTime();
    Compilation c = Compiler.compile(policy, inventory);
    print(err, c.diagnostics(), sources);
    if (c.hasErrors()) {
      List<Diagnostic> errors = c.diagnostics().stream().filter(Diagnostic::isError).toList();
      junit(name, JunitReport.Check.errors(errors, sources, "compile"));
      stdout.printf("compile  FAILED  %s%n", Inputs.count(errors));
      return verdict(stdout, false, PolicyC.FAILED);
    }
    int rules = c.filters().values().stream().mapToInt(f -> f.rules().size()).sum();
    int peers = c.filters().values().stream().mapToInt(f -> f.peers().size()).sum();
    String written = "";
    if (out != null) {
      try {
        OutputWriter.write(c, format, out);
      } catch (IOException e) {
        throw new UserError("cannot write " + out + ": " + e.getMessage());
      }
      written =
          ", written to " + out + " (" + format.name().toLowerCase(java.util.Locale.ROOT) + ")";
    }
    stdout.printf(
        "compile  ok      %d nodes, %d filter rules, %d peer links%s  (%d ms)%n",
        c.filters().size(), rules, peers, written, millis(t));

    // 3. test
    t = System.nanoTime();
    PolicyTester.Result result =
        PolicyTester.run(
            new PolicyTester.Input(policy, name, Optional.of(inventory), List.of()),
            PolicyTestInputs.compiler());
    switch (result) {
      case PolicyTester.Result.Rejected r -> {
        print(err, r.diagnostics(), sources);
        junit(name, JunitReport.Check.errors(r.diagnostics(), sources, "compile"));
        stdout.println("test     FAILED  the policy could not be compiled for its tests");
        return verdict(stdout, false, PolicyC.FAILED);
      }
      case PolicyTester.Result.Ran ran -> {
        TestRun run = ran.run();
        if (junit != null) {
          ReportFile.write(junit, JunitReport.render(run));
        }
        if (!run.allPassed()) {
          // The failures with their positions; the summary line is this stage's own, below.
          String report = HumanReport.render(run, false, false).stripTrailing();
          stdout.println(report.substring(0, Math.max(0, report.lastIndexOf('\n'))));
        }
        stdout.printf(
            "test     %-6s  %s, through the enforcer's matcher  (%d ms)%n",
            run.allPassed() ? "ok" : "FAILED",
            HumanReport.summary(run).replaceFirst("^(PASS|FAIL) ", ""),
            millis(t));
        return verdict(stdout, run.allPassed(), PolicyC.FAILED);
      }
    }
  }

  /** With {@code --junit}: a report in which no assertion ran, {@code checks} saying why. */
  private void junit(String name, List<JunitReport.Check> checks) {
    if (junit != null) {
      ReportFile.write(junit, JunitReport.render(name, checks));
    }
  }

  /** The last line: {@code build ok}, or {@code build FAILED} and the exit code {@code failed}. */
  private static int verdict(PrintWriter stdout, boolean ok, int failed) {
    stdout.println(ok ? "build    ok" : "build    FAILED");
    stdout.flush();
    return ok ? PolicyC.OK : failed;
  }

  private static void print(PrintWriter err, List<Diagnostic> ds, Map<String, SourceText> sources) {
    for (Diagnostic d : ds) {
      err.print(DiagnosticRenderer.text(d, sources.get(d.span().file())));
    }
    err.flush();
  }

  private static long millis(long startNanos) {
    return (System.nanoTime() - startNanos) / 1_000_000;
  }
}
