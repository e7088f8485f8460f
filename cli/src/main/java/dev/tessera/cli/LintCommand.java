package dev.tessera.cli;

import dev.tessera.compiler.inventory.Inventory;
import dev.tessera.compiler.inventory.InventoryNode;
import dev.tessera.compiler.lint.Linter;
import dev.tessera.compiler.matrix.AccessMatrix;
import dev.tessera.compiler.matrix.AuditLoader;
import dev.tessera.compiler.matrix.CompiledNetwork;
import dev.tessera.compiler.matrix.MatrixBuilder;
import dev.tessera.compiler.matrix.PolicyIndex;
import dev.tessera.compiler.matrix.SyntheticInventory;
import dev.tessera.policy.ast.Policy;
import dev.tessera.policy.diag.Diagnostic;
import dev.tessera.policy.diag.DiagnosticRenderer;
import dev.tessera.policy.diag.SourceText;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code policyc lint}: rules and definitions that do nothing.
 *
 * <p>Exit codes (the table every command shares, {@link PolicyC}): 0 no findings, or findings
 * without {@code --strict} (they are warnings); 1 findings with {@code --strict}, or policy,
 * inventory or compile errors; 2 a file cannot be read or the command line is wrong.
 */
@Command(
    name = "lint",
    mixinStandardHelpOptions = true,
    description = {
      "Find rules that grant nothing and names never used.",
      "Rules shadowed by other rules (they grant nothing new), rules that grant nothing for the",
      "inventory, and tags, groups and hosts never used; each with file:line and a suggestion.",
      "Without --inventory, rules are checked on a synthesized inventory (postures taken as passed)."
    })
final class LintCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "POLICY", description = "Policy file.")
  Path policy;

  @Option(names = "--inventory", paramLabel = "INV", description = "Inventory (YAML or JSON).")
  Path inventory;

  @Option(names = "--strict", description = "Exit 1 when there is any finding.")
  boolean strict;

  @Option(
      names = "--format",
      defaultValue = "text",
      paramLabel = "FMT",
      description = "text or json (default: ${DEFAULT-VALUE}).")
  Format format;

  enum Format {
    TEXT,
    JSON
  }

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    String policyText = MatrixCommand.readPolicy(policy);
    AuditLoader loader = new AuditLoader();
    Optional<Policy> p = loader.policy(policy.toString(), policyText);
    boolean synthesized = inventory == null;
    Optional<Inventory> inv =
        synthesized
            ? p.map(SyntheticInventory::from)
            : loader.inventory(inventory.toString(), MatrixCommand.read(inventory));
    Optional<CompiledNetwork> net = Optional.empty();
    PolicyIndex index = null;
    if (p.isPresent() && inv.isPresent()) {
      index = PolicyIndex.of(p.get(), policy.toString());
      net = loader.compile(index, inv.get(), synthesized);
    }
    if (net.isEmpty()) {
      err.print(loader.renderDiagnostics());
      err.println("lint: invalid input: fix the errors above");
      err.flush();
      return PolicyC.FAILED;
    }
    Map<String, Integer> tagged = null;
    if (!synthesized) {
      tagged = new TreeMap<>();
      for (InventoryNode n : inv.get().nodes()) {
        for (String t : n.tags()) {
          tagged.merge(t, 1, Integer::sum);
        }
      }
    }
    AccessMatrix m = new MatrixBuilder(net.get()).build(policy.toString(), List.of());
    List<Diagnostic> findings = Linter.lint(index, m, tagged, net.get()::emptyReason);
    if (format == Format.JSON) {
      out.println(DiagnosticRenderer.json(findings));
    } else {
      if (synthesized) {
        out.println("note: " + SyntheticInventory.NOTE);
      }
      if (!findings.isEmpty()) {
        out.print(
            DiagnosticRenderer.text(
                findings,
                Map.of(policy.toString(), new SourceText(policy.toString(), policyText))));
      }
      Map<String, Long> byCode =
          findings.stream()
              .collect(
                  Collectors.groupingBy(Diagnostic::code, TreeMap::new, Collectors.counting()));
      out.println(
          "lint: "
              + (findings.isEmpty()
                  ? "no findings"
                  : findings.size()
                      + (findings.size() == 1 ? " finding" : " findings")
                      + " ("
                      + byCode.entrySet().stream()
                          .map(e -> e.getValue() + " " + e.getKey())
                          .collect(Collectors.joining(", "))
                      + ")"));
    }
    out.flush();
    return strict && !findings.isEmpty() ? PolicyC.FAILED : PolicyC.OK;
  }
}
