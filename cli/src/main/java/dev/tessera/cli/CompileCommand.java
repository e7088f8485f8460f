package dev.tessera.cli;

import dev.tessera.compiler.Compilation;
import dev.tessera.compiler.Compiler;
import dev.tessera.compiler.emit.OutputFormat;
import dev.tessera.compiler.emit.OutputWriter;
import dev.tessera.policy.diag.Diagnostic;
import dev.tessera.policy.diag.DiagnosticRenderer;
import java.io.IOException;
import java.io.PrintWriter;
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
 * {@code policyc compile POLICY --inventory INV --out DIR [--format tessera|tailscale]}: one filter
 * file per node plus {@code index.json} (file and SHA-256 per node).
 *
 * <p>Problems in the policy, the inventory and compilation are printed together as located
 * diagnostics; nothing is written unless there are no errors (a partial output directory could be
 * deployed by mistake). Exit 0 written, 1 policy/inventory errors, 2 unreadable input or usage.
 */
@Command(
    name = "compile",
    mixinStandardHelpOptions = true,
    description = {
      "Compile a policy and an inventory into one packet filter per node.",
      "Writes the filters and index.json with each file's SHA-256; nothing when there are errors."
    })
final class CompileCommand implements Callable<Integer> {
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
      required = true,
      paramLabel = "DIR",
      description = "Output directory (created if missing).")
  Path out;

  @Option(
      names = "--format",
      defaultValue = "tessera",
      description =
          "tessera (enforcer binary format, NODE.tsrf) or tailscale (FilterRule JSON, NODE.json); default ${DEFAULT-VALUE}.")
  OutputFormat format;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter stdout = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    Inputs in = Inputs.read(policyFile, inventoryFile);
    List<Diagnostic> all = new ArrayList<>(in.diagnostics());
    Compilation c = null;
    int nodes = in.inventory().map(i -> i.nodes().size()).orElse(0);
    TerminalProgress progress = TerminalProgress.forNodes(err, nodes);
    if (in.valid()) {
      try (var stage =
          progress.stage("compile", String.format(java.util.Locale.ROOT, "%,d nodes", nodes))) {
        c = Compiler.compile(in.policy(), in.inventory().orElseThrow());
      }
      progress.clear();
      all.addAll(c.diagnostics());
    }
    all.sort(Diagnostic.ORDER);
    for (Diagnostic d : all) {
      err.print(DiagnosticRenderer.text(d, in.sources().get(d.span().file())));
    }
    err.flush();
    if (c == null || c.hasErrors()) {
      int code = c == null ? in.exitCode() : PolicyC.FAILED;
      err.println(
          "policyc compile: "
              + (code == PolicyC.USAGE
                  ? in.problem()
                  : Inputs.count(all.stream().filter(Diagnostic::isError).toList()))
              + "; nothing written");
      err.flush();
      return code;
    }
    try (var stage =
        progress.stage(
            "write", String.format(java.util.Locale.ROOT, "%,d filters to %s", nodes, out))) {
      OutputWriter.write(c, format, out);
    } catch (IOException e) {
      throw new UserError("cannot write " + out + ": " + e.getMessage());
    }
    progress.clear();
    stdout.println(
        "compiled "
            + c.filters().size()
            + " node"
            + (c.filters().size() == 1 ? "" : "s")
            + " to "
            + out
            + " ("
            + format.name().toLowerCase(java.util.Locale.ROOT)
            + ")");
    stdout.flush();
    return PolicyC.OK;
  }
}
