package dev.tessera.cli;

import dev.tessera.compiler.inventory.Inventory;
import dev.tessera.compiler.matrix.AccessMatrix;
import dev.tessera.compiler.matrix.AuditLoader;
import dev.tessera.compiler.matrix.CompiledNetwork;
import dev.tessera.compiler.matrix.Grouping;
import dev.tessera.compiler.matrix.MatrixBuilder;
import dev.tessera.compiler.matrix.MatrixFormat;
import dev.tessera.compiler.matrix.PolicyIndex;
import dev.tessera.compiler.matrix.Provenance;
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
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code policyc matrix}: who can reach what, read off the compiled filters.
 *
 * <p>Exit codes: 0 written; 1 the policy, inventory or compilation has errors (printed as located
 * diagnostics); 2 usage or unreadable files.
 */
@Command(
    name = "matrix",
    mixinStandardHelpOptions = true,
    description = {
      "Show who can reach what: the access matrix read off the compiled filters.",
      "Rows are sources, columns destinations, cells the protocols and ports allowed, each",
      "naming the rule(s) granting it (file:line), as the enforcer's Matcher decides them.",
      "Formats: html (one self-contained page, drawn on demand: it opens at 10,000 nodes),",
      "csv (RFC 4180 grid), csv-long (one row per source, destination, protocol, port range",
      "and rule), md (pull-request table), json (for tools). Every output states the tool",
      "version, the inputs' SHA-256 and git revision, and the time."
    })
final class MatrixCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(
      index = "0",
      paramLabel = "POLICY",
      description = "Policy file (.hujson, .json, .yaml, .tpol).")
  Path policy;

  @Option(
      names = "--inventory",
      required = true,
      paramLabel = "INV",
      description = "Inventory (YAML or JSON).")
  Path inventory;

  @Option(
      names = "--format",
      defaultValue = "html",
      paramLabel = "FMT",
      converter = FormatConverter.class,
      description = "html, csv, csv-long, md or json (default: ${DEFAULT-VALUE}).")
  MatrixFormat format;

  @Option(
      names = {"-o", "--output"},
      paramLabel = "FILE",
      description = "Write here instead of standard output.")
  Path output;

  @Option(
      names = "--by",
      defaultValue = "node",
      paramLabel = "AXIS",
      description =
          "Rows and columns per node, user, group or tag (default: ${DEFAULT-VALUE}). Tagged devices always group by tag.")
  Grouping.By by;

  /** Accepts the formats' command-line names ({@code csv-long}). */
  static final class FormatConverter implements CommandLine.ITypeConverter<MatrixFormat> {
    @Override
    public MatrixFormat convert(String value) {
      return MatrixFormat.parse(value)
          .orElseThrow(
              () ->
                  new CommandLine.TypeConversionException(
                      "unknown format \"" + value + "\" (html, csv, csv-long, md, json)"));
    }
  }

  @Override
  public Integer call() throws IOException {
    PrintWriter err = spec.commandLine().getErr();
    AuditInput policyIn = AuditInput.read("policy", checkSyntax(policy));
    AuditInput inventoryIn = AuditInput.read("inventory", inventory);
    Provenance provenance =
        new Provenance(
            "policyc",
            AuditInput.version(spec),
            List.of(policyIn.provenance(), inventoryIn.provenance()),
            Provenance.now());
    AuditLoader loader = new AuditLoader();
    Optional<Policy> p = loader.policy(policy.toString(), policyIn.text());
    Optional<Inventory> inv = loader.inventory(inventory.toString(), inventoryIn.text());
    Optional<CompiledNetwork> net = Optional.empty();
    TerminalProgress progress =
        TerminalProgress.forNodes(err, inv.map(i -> i.nodes().size()).orElse(0));
    if (p.isPresent() && inv.isPresent()) {
      PolicyIndex index = PolicyIndex.of(p.get(), policy.toString());
      try (var stage =
          progress.stage(
              "compile",
              String.format(java.util.Locale.ROOT, "%,d nodes", inv.get().nodes().size()))) {
        net = loader.compile(index, inv.get());
      }
    }
    progress.clear();
    if (!loader.diagnostics().isEmpty()) {
      err.print(loader.renderDiagnostics());
      err.flush();
    }
    if (net.isEmpty()) {
      err.println("matrix: not written: fix the errors above");
      return PolicyC.FAILED;
    }
    String title = policy.getFileName() + " on " + inventory.getFileName();
    AccessMatrix m =
        Grouping.apply(new MatrixBuilder(net.get()).build(title, List.of(), progress), by);
    progress.clear();
    if (output == null) {
      PrintWriter out = spec.commandLine().getOut();
      format.render(m, provenance, out);
      out.flush();
    } else {
      try (Writer w = Files.newBufferedWriter(output, StandardCharsets.UTF_8)) {
        format.render(m, provenance, w);
      } catch (IOException | java.io.UncheckedIOException e) {
        throw new UserError("cannot write " + output + ": " + e.getMessage());
      }
      err.println(
          "matrix: wrote "
              + output
              + " ("
              + m.sources().size()
              + " sources x "
              + m.destinations().size()
              + " destinations, "
              + m.cellCount()
              + " with access)");
    }
    return PolicyC.OK;
  }

  /**
   * The text of a policy file; a name whose syntax is unknown is unreadable, as for every command.
   */
  static String readPolicy(Path file) {
    return read(checkSyntax(file));
  }

  /**
   * {@code file}, if its name tells the policy syntax; else a usage error, as for every command.
   */
  static Path checkSyntax(Path file) {
    if (dev.tessera.policy.Syntax.forFileName(file.toString()).isEmpty()) {
      throw new UserError(
          "cannot tell the policy syntax from the file name \""
              + file.getFileName()
              + "\" (use .hujson or .json, .yaml or .yml, or .tpol)");
    }
    return file;
  }

  static String read(Path file) {
    return AuditInput.read("input", file).text();
  }
}
