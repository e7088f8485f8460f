package dev.tessera.cli;

import dev.tessera.server.AuditChain;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code policyc audit}: checks on a policy server's audit log. */
@Command(
    name = "audit",
    mixinStandardHelpOptions = true,
    description = "Check a policy server's audit log.",
    subcommands = {AuditCommand.Verify.class})
final class AuditCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return PolicyC.USAGE;
  }

  /** {@code policyc audit verify FILE}. */
  @Command(
      name = "verify",
      mixinStandardHelpOptions = true,
      description = {
        "Check the hash chain of an audit log (STATE/audit.jsonl of `policyc serve`): every line must",
        "carry the SHA-256 of the line before it. Prints the number of lines and the hash of the last",
        "one (compare it with the head `policyc status` showed, to detect lines cut off the end);",
        "exit 1 at the first line that breaks the chain, naming it."
      })
  static final class Verify implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(paramLabel = "FILE", description = "The audit log.")
    Path file;

    @Override
    public Integer call() {
      if (!Files.isRegularFile(file)) {
        throw new UserError("no audit log at " + file);
      }
      AuditChain.Result r;
      try {
        r = AuditChain.verify(file);
      } catch (IOException e) {
        throw new UserError("cannot read " + file + ": " + e.getMessage());
      }
      PrintWriter out = spec.commandLine().getOut();
      if (r.broken().isPresent()) {
        AuditChain.Break b = r.broken().get();
        out.printf("BROKEN   %s:%d: %s%n", file, b.line(), b.problem());
        out.printf(
            "         lines 1-%d chain correctly (head before the break %s)%n",
            b.line() - 1, r.head());
        return PolicyC.FAILED;
      }
      out.printf(
          "ok       %s: %d lines, %d chained, head %s%n", file, r.lines(), r.chained(), r.head());
      return PolicyC.OK;
    }
  }
}
