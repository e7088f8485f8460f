package dev.tessera.cli;

import dev.tessera.compiler.inventory.Inventory;
import dev.tessera.compiler.matrix.AccessMatrix;
import dev.tessera.compiler.matrix.AuditLoader;
import dev.tessera.compiler.matrix.CompiledNetwork;
import dev.tessera.compiler.matrix.Grouping;
import dev.tessera.compiler.matrix.MatrixBuilder;
import dev.tessera.compiler.matrix.MatrixFormat;
import dev.tessera.compiler.matrix.PolicyIndex;
import dev.tessera.policy.ast.Policy;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code policyc matrix}: who can reach what, read off the compiled filters.
 *
 * <p>Exit codes: 0 written; 1 the policy, inventory or compilation has errors (printed as
 * located diagnostics); 2 usage or unreadable files.
 */
@Command(
    name = "matrix",
    mixinStandardHelpOptions = true,
    description = {
      "Show who can reach what: the access matrix read off the compiled filters.",
      "Rows are sources, columns destinations, cells the protocols and ports allowed, each",
      "naming the rule(s) granting it (file:line). Formats: html (one self-contained page with",
      "filter box, sticky headers, sections, legend, print styles), csv (RFC 4180 grid),",
      "md (pull-request table), json (for tools)."
    })
final class MatrixCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "POLICY", description = "Policy file (.hujson, .json, .yaml, .tpol).")
  Path policy;

  @Option(names = "--inventory", required = true, paramLabel = "INV", description = "Inventory (YAML or JSON).")
  Path inventory;

  @Option(names = "--format", defaultValue = "html", paramLabel = "FMT",
      description = "html, csv, md or json (default: ${DEFAULT-VALUE}).")
  MatrixFormat format;

  @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Write here instead of standard output.")
  Path output;

  @Option(names = "--by", defaultValue = "node", paramLabel = "AXIS",
      description = "Rows and columns per node, user, group or tag (default: ${DEFAULT-VALUE}). Tagged devices always group by tag.")
  Grouping.By by;

  @Override
  public Integer call() throws IOException {
    PrintWriter err = spec.commandLine().getErr();
    AuditLoader loader = new AuditLoader();
    Optional<Policy> p = loader.policy(policy.toString(), readPolicy(policy));
    Optional<Inventory> inv = loader.inventory(inventory.toString(), read(inventory));
    Optional<CompiledNetwork> net = Optional.empty();
    PolicyIndex index = null;
    if (p.isPresent() && inv.isPresent()) {
      index = PolicyIndex.of(p.get(), policy.toString());
      net = loader.compile(index, inv.get());
    }
    if (!loader.diagnostics().isEmpty()) {
      err.print(loader.renderDiagnostics());
      err.flush();
    }
    if (net.isEmpty()) {
      err.println("matrix: not written: fix the errors above");
      return PolicyC.FAILED;
    }
    String title = policy.getFileName() + " on " + inventory.getFileName();
    AccessMatrix m = Grouping.apply(new MatrixBuilder(net.get()).build(title, List.of()), by);
    if (output == null) {
      PrintWriter out = spec.commandLine().getOut();
      format.render(m, out);
      out.flush();
    } else {
      try (Writer w = Files.newBufferedWriter(output, StandardCharsets.UTF_8)) {
        format.render(m, w);
      } catch (IOException e) {
        throw new UserError("cannot write " + output + ": " + e.getMessage());
      }
      err.println("matrix: wrote " + output + " (" + m.sources().size() + " sources x "
          + m.destinations().size() + " destinations, " + m.cells().size() + " with access)");
    }
    return PolicyC.OK;
  }

  /** The text of a policy file; a name whose syntax is unknown is unreadable, as for every command. */
  static String readPolicy(Path file) {
    if (dev.tessera.policy.Syntax.forFileName(file.toString()).isEmpty()) {
      throw new UserError("cannot tell the policy syntax from the file name \"" + file.getFileName()
          + "\" (use .hujson or .json, .yaml or .yml, or .tpol)");
    }
    return read(file);
  }

  static String read(Path file) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException | java.io.UncheckedIOException e) {
      throw new UserError("cannot read " + file + ": " + (e instanceof java.nio.file.NoSuchFileException ? "no such file" : e.getMessage()));
    }
  }
}
