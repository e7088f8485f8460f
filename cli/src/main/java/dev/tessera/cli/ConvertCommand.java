package dev.tessera.cli;

import dev.tessera.policy.Policies;
import dev.tessera.policy.PolicyResult;
import dev.tessera.policy.Syntax;
import dev.tessera.policy.print.Conversions;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code policyc convert FILE --to hujson|yaml|tpol [-o OUT]}: the same policy in another syntax,
 * comments carried where the target can hold them (YAML turns block comments into {@code #} lines).
 * The output is read back and compared with the input before it is written (see {@link
 * Conversions}), so the meaning is the same by construction. {@code --to} may be left out when
 * {@code -o} has a known extension. A file with reading errors is not converted (exit 1); errors of
 * meaning do not block, but are counted on stderr. Exit 2 for usage or I/O problems.
 */
@Command(
    name = "convert",
    mixinStandardHelpOptions = true,
    description = {
      "Convert a policy between HuJSON, YAML and the .tpol DSL, keeping its meaning.",
      "Comments are kept where the target can hold them. Writes to stdout unless -o."
    })
final class ConvertCommand implements Callable<Integer> {
  @Parameters(arity = "1", paramLabel = "FILE", description = "Policy file to convert.")
  Path file;

  @Option(
      names = "--to",
      paramLabel = "SYNTAX",
      description = "Target syntax: hujson, yaml or tpol (default: from -o's extension).")
  Syntax to;

  @Option(
      names = {"-o", "--output"},
      paramLabel = "OUT",
      description = "Write here instead of stdout.")
  Path output;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    Syntax target = target();
    PolicyResult read = Policies.read(file);
    if (read.unreadable()) {
      FmtCommand.printDiagnostics(err, read, read.diagnostics());
      return PolicyC.USAGE;
    }
    Conversions.Result r = Conversions.print(read, target);
    if (!r.ok()) {
      FmtCommand.printDiagnostics(err, read, r.blocking());
      err.println(file + ": not converted: fix the errors above first");
      err.flush();
      return PolicyC.FAILED;
    }
    long meaningErrors = read.errors().size();
    if (meaningErrors > 0) {
      err.println(
          "note: "
              + file
              + " has "
              + meaningErrors
              + " policy error"
              + (meaningErrors == 1 ? "" : "s")
              + " (converted as is; see policyc check)");
      err.flush();
    }
    if (output != null) {
      FmtCommand.write(output, r.text());
    } else {
      out.print(r.text());
      out.flush();
    }
    return PolicyC.OK;
  }

  private Syntax target() {
    Optional<Syntax> fromOut =
        output == null ? Optional.empty() : Syntax.forFileName(output.toString());
    if (to == null && fromOut.isEmpty()) {
      throw new UserError(
          output == null
              ? "say which syntax to convert to: --to hujson, --to yaml or --to tpol"
              : "cannot tell the syntax from "
                  + output.getFileName()
                  + "; add --to hujson, yaml or tpol");
    }
    if (to != null && fromOut.isPresent() && fromOut.get() != to) {
      throw new UserError(
          "--to "
              + to.name().toLowerCase(java.util.Locale.ROOT)
              + " does not match the extension of "
              + output.getFileName());
    }
    return to != null ? to : fromOut.get();
  }
}
