package dev.tessera.cli;

import java.io.PrintWriter;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code policyc}: the command line for policy authors, CI and auditors.
 *
 * <p>Each subcommand lives in its own class and is registered in {@link #commandLine()}. Exit codes
 * are shared by every subcommand and are part of the CLI's contract, since CI pipelines branch on
 * them: {@link #OK}, {@link #FAILED}, {@link #USAGE}, {@link #INTERNAL}, {@link #CHANGED}; {@link
 * #EXIT_CODES} is the table every command's help and man page prints. A user never sees a stack
 * trace: bad input becomes located diagnostics (exit 1) or a usage message (exit 2); a bug becomes
 * a one-line "internal error" (exit 3), with the trace only when {@code TESSERA_DEBUG=1}.
 */
@Command(
    name = "policyc",
    mixinStandardHelpOptions = true,
    description = "Check, compile, test, explain and audit Tailscale-compatible access policies.",
    subcommands = {CommandLine.HelpCommand.class})
public final class PolicyC implements Callable<Integer> {
  /** Success: the policy is valid, every test passed, access unchanged (diff). */
  public static final int OK = 0;

  /** The input was read, and it has problems: policy errors, failed assertions, access changed. */
  public static final int FAILED = 1;

  /** Usage error or unreadable input (missing file, bad flag, invalid inventory for test). */
  public static final int USAGE = 2;

  /** A bug in policyc itself. */
  public static final int INTERNAL = 3;

  /**
   * {@code diff} only: access changed. Not 1, so that a broken policy is never taken for a change.
   */
  public static final int CHANGED = 4;

  /** The exit-code table, as every command's help and man page print it. */
  public static final Map<String, String> EXIT_CODES = exitCodes();

  private static Map<String, String> exitCodes() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put(Integer.toString(OK), "ok: valid, every test passed, formatted, access unchanged (diff)");
    m.put(
        Integer.toString(FAILED),
        "the input was read and has problems: syntax or policy errors, inventory or compile "
            + "errors, a failed or invalid test, coverage below --min-coverage, not formatted (fmt --check), "
            + "findings (lint --strict)");
    m.put(
        Integer.toString(USAGE),
        "usage error, or an input that cannot be read (missing file, unknown file type, "
            + "not UTF-8, unknown git revision)");
    m.put(
        Integer.toString(INTERNAL),
        "internal error, a bug in policyc (TESSERA_DEBUG=1 shows the trace)");
    m.put(Integer.toString(CHANGED), "diff only: access changed");
    return Collections.unmodifiableMap(m);
  }

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return USAGE;
  }

  /** Builds the command tree. Subcommands are registered here, one line each. */
  public static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new PolicyC());
    // -- subcommands (keep one per line; each class documents its own options) --
    cl.addSubcommand(new TestCommand());
    cl.addSubcommand(new ExplainCommand());
    cl.addSubcommand(new CheckCommand());
    cl.addSubcommand(new CompileCommand());
    cl.addSubcommand(new FmtCommand());
    cl.addSubcommand(new ConvertCommand());
    cl.addSubcommand(new BuildCommand());
    cl.addSubcommand(new KeygenCommand());
    cl.addSubcommand(new ServeCommand());
    cl.addSubcommand(new StatusCommand());
    cl.addSubcommand(new AuditCommand());
    cl.addSubcommand(new MatrixCommand());
    cl.addSubcommand(new DiffCommand());
    cl.addSubcommand(new LintCommand());
    cl.addSubcommand(new NodesCommand());
    cl.addSubcommand(new InventoryCommand());
    cl.addSubcommand(new AuthKeyCommand());
    return configure(cl, EXIT_CODES);
  }

  /**
   * Applies what every command of a tree shares (also used by tessera-agent): error handling, the
   * exit-code table in every help, {@code --help} on every subcommand, a command list that shows
   * each command's first sentence whole, and a hidden {@code generate-completion} command printing
   * the bash/zsh completion script.
   */
  public static CommandLine configure(CommandLine cl, Map<String, String> exitCodes) {
    CommandLine completion = new CommandLine(new AutoComplete.GenerateCompletion());
    completion.getCommandSpec().usageMessage().hidden(true);
    cl.addSubcommand("generate-completion", completion);
    HelpText.apply(cl, exitCodes);
    cl.setCaseInsensitiveEnumValuesAllowed(true);
    cl.setExecutionExceptionHandler(
        (ex, cmd, parseResult) -> {
          PrintWriter err = cmd.getErr();
          if (ex instanceof UserError ue) {
            err.println(cmd.getCommandName() + ": " + ue.getMessage());
            err.flush();
            return ue.exitCode();
          }
          err.println(cmd.getCommandName() + ": internal error: " + ex);
          if ("1".equals(System.getenv("TESSERA_DEBUG"))) {
            ex.printStackTrace(err);
          } else {
            err.println("(set TESSERA_DEBUG=1 for details; please report this)");
          }
          err.flush();
          return INTERNAL;
        });
    cl.setParameterExceptionHandler(
        (ex, args) -> {
          CommandLine cmd = ex.getCommandLine();
          PrintWriter err = cmd.getErr();
          err.println(cmd.getCommandName() + ": " + ex.getMessage());
          if (!CommandLine.UnmatchedArgumentException.printSuggestions(ex, err)) {
            err.println("Try '" + cmd.getCommandSpec().qualifiedName() + " --help'.");
          }
          err.flush();
          return USAGE;
        });
    return cl;
  }

  /** Runs policyc with the given streams; returns the exit code. Used by tests. */
  public static int run(PrintWriter out, PrintWriter err, String... args) {
    CommandLine cl = commandLine();
    cl.setOut(out);
    cl.setErr(err);
    int code = cl.execute(args);
    out.flush();
    err.flush();
    return code;
  }

  public static void main(String[] args) {
    PrintWriter out = new PrintWriter(System.out, false);
    PrintWriter err = new PrintWriter(System.err, false);
    System.exit(run(out, err, args));
  }
}
