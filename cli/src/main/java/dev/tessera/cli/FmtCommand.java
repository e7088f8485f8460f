package dev.tessera.cli;

import dev.tessera.policy.Policies;
import dev.tessera.policy.PolicyResult;
import dev.tessera.policy.diag.Diagnostic;
import dev.tessera.policy.diag.DiagnosticRenderer;
import dev.tessera.policy.print.Conversions;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code policyc fmt [--check|--write] [--modernize] FILE}: layout of a policy in its own syntax
 * (chosen by extension). HuJSON is formatted as Tailscale's own formatter does: indentation, commas
 * and line breaks change; keys, their order, every value's text and every comment (before a key,
 * after a value, before a closing bracket) stay. {@code --modernize} also writes the documented key
 * spellings ({@code src}/{@code dst} for legacy {@code users}/{@code ports}).
 *
 * <p>Without a flag the formatted text goes to stdout. {@code --check} prints nothing when the file
 * is already formatted (exit 0), else a short hint with the first differing lines (exit 1), which
 * is what CI wants. {@code --write} rewrites the file in place (atomically, through a temporary
 * file in the same directory) only if it changes. A file with reading errors is not formatted (its
 * unreadable parts would be lost): the errors are printed and the exit code is 1. Exit 2 for an
 * unreadable file or bad usage.
 */
@Command(
    name = "fmt",
    mixinStandardHelpOptions = true,
    description = {
      "Format a policy file in its own syntax, keeping its comments.",
      "Reads .hujson/.json, .yaml/.yml and .tpol. Prints to stdout unless --check or --write."
    })
final class FmtCommand implements Callable<Integer> {
  static final class Mode {
    @Option(
        names = "--check",
        description = "Exit 1 with a hint if FILE is not formatted; print nothing otherwise.")
    boolean check;

    @Option(names = "--write", description = "Rewrite FILE in place if its layout changes.")
    boolean write;
  }

  @ArgGroup(exclusive = true, multiplicity = "0..1")
  Mode mode = new Mode();

  @Option(
      names = "--modernize",
      description =
          "Also write keys as Tailscale documents them: \"src\"/\"dst\" for the legacy ACL keys \"users\"/\"ports\", and the documented case (\"ACLs\" -> \"acls\"). Without it the author's keys are kept.")
  boolean modernize;

  @Parameters(arity = "1", paramLabel = "FILE", description = "Policy file to format.")
  Path file;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    PolicyResult read = Policies.read(file);
    if (read.unreadable()) {
      printDiagnostics(err, read, read.diagnostics());
      return PolicyC.USAGE;
    }
    Conversions.Result r = Conversions.format(read, modernize);
    if (!r.ok()) {
      printDiagnostics(err, read, r.blocking());
      err.println(file + ": not formatted: fix the errors above first");
      err.flush();
      return PolicyC.FAILED;
    }
    String original = read.source().text();
    boolean same = original.equals(r.text());
    if (mode.check) {
      if (!same) {
        out.print(hint(file.toString(), original, r.text()));
        out.flush();
        return PolicyC.FAILED;
      }
      return PolicyC.OK;
    }
    if (mode.write) {
      if (!same) {
        write(file, r.text());
        out.println("formatted " + file);
        out.flush();
      }
      return PolicyC.OK;
    }
    out.print(r.text());
    out.flush();
    return PolicyC.OK;
  }

  static void printDiagnostics(PrintWriter err, PolicyResult read, List<Diagnostic> ds) {
    for (Diagnostic d : ds) {
      err.print(DiagnosticRenderer.text(d, read.source()));
    }
    err.flush();
  }

  /** Writes through a temporary file and a rename, so a crash never leaves half a policy. */
  static void write(Path target, String text) {
    try {
      Path dir = target.toAbsolutePath().getParent();
      Path tmp = Files.createTempFile(dir, "." + target.getFileName(), ".tmp");
      try {
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        Files.move(
            tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } finally {
        Files.deleteIfExists(tmp);
      }
    } catch (IOException e) {
      throw new UserError("cannot write " + target + ": " + e.getMessage());
    }
  }

  /**
   * "not formatted" plus the differing region: the lines between the common prefix and the common
   * suffix of the two texts, at most {@value #HINT_LINES} of each side.
   */
  static String hint(String name, String actual, String wanted) {
    List<String> a = actual.lines().toList();
    List<String> b = wanted.lines().toList();
    int prefix = 0;
    while (prefix < a.size() && prefix < b.size() && a.get(prefix).equals(b.get(prefix))) {
      prefix++;
    }
    int suffix = 0;
    while (suffix < a.size() - prefix
        && suffix < b.size() - prefix
        && a.get(a.size() - 1 - suffix).equals(b.get(b.size() - 1 - suffix))) {
      suffix++;
    }
    StringBuilder sb = new StringBuilder();
    sb.append(name)
        .append(": not formatted (first difference at line ")
        .append(prefix + 1)
        .append(")\n");
    appendSide(sb, "-", a.subList(prefix, a.size() - suffix));
    appendSide(sb, "+", b.subList(prefix, b.size() - suffix));
    if (a.equals(b)) {
      sb.append("  (only line endings or the final newline differ)\n");
    }
    sb.append("run: policyc fmt --write ").append(name).append('\n');
    return sb.toString();
  }

  private static final int HINT_LINES = 8;

  private static void appendSide(StringBuilder sb, String mark, List<String> lines) {
    for (int i = 0; i < Math.min(lines.size(), HINT_LINES); i++) {
      sb.append("  ").append(mark).append(' ').append(lines.get(i)).append('\n');
    }
    if (lines.size() > HINT_LINES) {
      sb.append("  ")
          .append(mark)
          .append(" ... (")
          .append(lines.size() - HINT_LINES)
          .append(" more lines)\n");
    }
  }
}
