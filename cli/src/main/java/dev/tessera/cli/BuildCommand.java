package dev.tessera.cli;

import dev.tessera.compiler.Compilation;
import dev.tessera.compiler.Compiler;
import dev.tessera.compiler.emit.OutputFormat;
import dev.tessera.compiler.emit.OutputWriter;
import dev.tessera.compiler.inventory.Inventory;
import dev.tessera.policy.Policies;
import dev.tessera.policy.PolicyResult;
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
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
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
 * policy's tests through the enforcer's matcher, and print one line per stage plus a verdict.
 * Stops at the first stage that fails, since later stages would only repeat its errors.
 *
 * <p>Exit codes: 0 every stage passed; 1 the policy or inventory has errors, or a test failed;
 * 2 an input is unreadable or the command line is wrong.
 */
@Command(
    name = "build",
    mixinStandardHelpOptions = true,
    description = {
      "Check, compile and test a policy in one go, and print a summary (the CI job in one command).",
      "Exit 0 all passed, 1 policy/inventory errors or a failed test, 2 unreadable input or usage error."
    })
final class BuildCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "POLICY", description = "Policy file (.hujson/.json, .yaml/.yml, .tpol).")
  Path policyFile;

  @Option(names = "--inventory", required = true, paramLabel = "INV", description = "Inventory (.yaml/.yml or .json).")
  Path inventoryFile;

  @Option(names = "--out", paramLabel = "DIR", description = "Write each node's filter and index.json here.")
  Path out;

  @Option(names = "--format", defaultValue = "tessera", description = "tessera or tailscale (default ${DEFAULT-VALUE}).")
  OutputFormat format;

  @Option(names = "--junit", paramLabel = "FILE", description = "Also write the test results as JUnit XML.")
  Path junit;

  @Override
  public Integer call() {
    PrintWriter stdout = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    Map<String, SourceText> sources = new HashMap<>();

    // 1. check
    long t = System.nanoTime();
    PolicyResult read = Policies.read(policyFile);
    if (read.source() != null) {
      sources.put(read.source().name(), read.source());
    }
    PolicyTestInputs.Read<Inventory> inv = PolicyTestInputs.readInventory(inventoryFile);
    inv.source().ifPresent(s -> sources.put(s.name(), s));
    List<Diagnostic> diagnostics = new ArrayList<>(read.diagnostics());
    diagnostics.addAll(inv.diagnostics());
    print(err, diagnostics, sources);
    if (read.unreadable() || (inv.source().isEmpty())) {
      return PolicyC.USAGE;
    }
    long errors = diagnostics.stream().filter(Diagnostic::isError).count();
    if (read.policy().isEmpty() || inv.value().isEmpty()) {
      stdout.printf("check    FAILED  %d error%s%n", errors, errors == 1 ? "" : "s");
      return verdict(stdout, false);
    }
    Policy policy = read.policy().get();
    stdout.printf("check    ok      %s: %d acls, %d grants, %d tests; %s: %d users, %d nodes  (%d ms)%n",
        policyFile, policy.acls().size(), policy.grants().size(), policy.tests().size(), inventoryFile,
        inv.value().get().users().size(), inv.value().get().nodes().size(), millis(t));

    // 2. compile
    t = System.nanoTime();
    Compilation c = Compiler.compile(policy, inv.value().get());
    print(err, c.diagnostics(), sources);
    if (c.hasErrors()) {
      stdout.printf("compile  FAILED  %d errors%n", c.diagnostics().stream().filter(Diagnostic::isError).count());
      return verdict(stdout, false);
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
      written = ", written to " + out + " (" + format.name().toLowerCase(java.util.Locale.ROOT) + ")";
    }
    stdout.printf("compile  ok      %d nodes, %d filter rules, %d peer links%s  (%d ms)%n",
        c.filters().size(), rules, peers, written, millis(t));

    // 3. test
    t = System.nanoTime();
    PolicyTester.Result result = PolicyTester.run(
        new PolicyTester.Input(policy, policyFile.toString(), Optional.of(inv.value().get()), List.of()),
        PolicyTestInputs.compiler());
    switch (result) {
      case PolicyTester.Result.Rejected r -> {
        print(err, r.diagnostics(), sources);
        stdout.println("test     FAILED  the policy could not be compiled for its tests");
        return verdict(stdout, false);
      }
      case PolicyTester.Result.Ran ran -> {
        TestRun run = ran.run();
        if (junit != null) {
          try {
            Files.writeString(junit, JunitReport.render(run), StandardCharsets.UTF_8);
          } catch (IOException e) {
            throw new UserError("cannot write " + junit + ": " + e.getMessage());
          }
        }
        if (!run.allPassed()) {
          // The failures with their positions; the summary line is this stage's own, below.
          String report = HumanReport.render(run, false, false).stripTrailing();
          stdout.println(report.substring(0, Math.max(0, report.lastIndexOf('\n'))));
        }
        stdout.printf("test     %-6s  %s, through the enforcer's matcher  (%d ms)%n", run.allPassed() ? "ok" : "FAILED",
            HumanReport.summary(run).replaceFirst("^(PASS|FAIL) ", ""), millis(t));
        return verdict(stdout, run.allPassed());
      }
    }
  }

  private static int verdict(PrintWriter stdout, boolean ok) {
    stdout.println(ok ? "build    ok" : "build    FAILED");
    stdout.flush();
    return ok ? PolicyC.OK : PolicyC.FAILED;
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
