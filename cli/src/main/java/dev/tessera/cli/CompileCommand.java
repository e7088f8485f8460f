package dev.tessera.cli;

import dev.tessera.compiler.Compilation;
import dev.tessera.compiler.Compiler;
import dev.tessera.compiler.emit.OutputFormat;
import dev.tessera.compiler.emit.OutputWriter;
import dev.tessera.compiler.inventory.Inventory;
import dev.tessera.policy.Policies;
import dev.tessera.policy.PolicyResult;
import dev.tessera.policy.diag.Diagnostic;
import dev.tessera.policy.diag.DiagnosticRenderer;
import dev.tessera.policy.diag.SourceText;
import dev.tessera.policytests.PolicyTestInputs;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code policyc compile POLICY --inventory INV --out DIR [--format tessera|tailscale]}: one
 * filter file per node plus {@code index.json} (file and SHA-256 per node).
 *
 * <p>Problems in the policy, the inventory and compilation are printed together as located
 * diagnostics; nothing is written unless there are no errors (a partial output directory could be
 * deployed by mistake). Exit 0 written, 1 policy/inventory errors, 2 unreadable input or usage.
 */
@Command(
    name = "compile",
    mixinStandardHelpOptions = true,
    description = {
      "Compile a policy and an inventory into one packet filter per node, plus index.json with each file's SHA-256.",
      "Exit 0 written, 1 policy or inventory errors (nothing written), 2 unreadable input or usage error."
    })
final class CompileCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "POLICY", description = "Policy file (.hujson/.json, .yaml/.yml, .tpol).")
  Path policyFile;

  @Option(names = "--inventory", required = true, paramLabel = "INV", description = "Inventory (.yaml/.yml or .json).")
  Path inventoryFile;

  @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output directory (created if missing).")
  Path out;

  @Option(names = "--format", defaultValue = "tessera",
      description = "tessera (enforcer binary format, NODE.tsrf) or tailscale (FilterRule JSON, NODE.json); default ${DEFAULT-VALUE}.")
  OutputFormat format;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter stdout = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    PolicyResult pr = Policies.read(policyFile);
    Map<String, SourceText> sources = new HashMap<>();
    if (pr.source() != null) {
      sources.put(pr.source().name(), pr.source());
    }
    PolicyTestInputs.Read<Inventory> inv = PolicyTestInputs.readInventory(inventoryFile);
    inv.source().ifPresent(s -> sources.put(s.name(), s));

    List<Diagnostic> all = new ArrayList<>(pr.diagnostics());
    all.addAll(inv.diagnostics());
    Compilation c = null;
    if (pr.ok() && inv.value().isPresent()) {
      c = Compiler.compile(pr.policy().get(), inv.value().get());
      all.addAll(c.diagnostics());
    }
    all.sort(Diagnostic.ORDER);
    for (Diagnostic d : all) {
      err.print(DiagnosticRenderer.text(d, sources.get(d.span().file())));
    }
    err.flush();
    if (pr.unreadable() || inv.source().isEmpty()) {
      return PolicyC.USAGE;
    }
    if (c == null || all.stream().anyMatch(Diagnostic::isError)) {
      long n = all.stream().filter(Diagnostic::isError).count();
      err.println("policyc compile: " + n + " error" + (n == 1 ? "" : "s") + "; nothing written");
      err.flush();
      return PolicyC.FAILED;
    }
    try {
      OutputWriter.write(c, format, out);
    } catch (IOException e) {
      throw new UserError("cannot write " + out + ": " + e.getMessage());
    }
    stdout.println("compiled " + c.filters().size() + " node" + (c.filters().size() == 1 ? "" : "s") + " to " + out
        + " (" + format.name().toLowerCase(java.util.Locale.ROOT) + ")");
    stdout.flush();
    return PolicyC.OK;
  }
}
