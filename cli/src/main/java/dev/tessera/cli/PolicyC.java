package dev.tessera.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code policyc}: the command line for policy authors, CI and auditors.
 *
 * <p>Each subcommand lives in its own class and is registered in {@link #commandLine()}.
 * Exit codes are shared by every subcommand and are part of the CLI's contract, since CI
 * pipelines branch on them: {@link #OK}, {@link #FAILED}, {@link #USAGE}, {@link #INTERNAL}.
 * A user never sees a stack trace: bad input becomes located diagnostics (exit 1) or a usage
 * message (exit 2); a bug becomes a one-line "internal error" (exit 3), with the trace only
 * when {@code TESSERA_DEBUG=1}.
 */
@Command(
    name = "policyc",
    mixinStandardHelpOptions = true,
    versionProvider = PolicyC.Version.class,
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
    cl.addSubcommand(new MatrixCommand());
    cl.addSubcommand(new DiffCommand());
    cl.addSubcommand(new LintCommand());
    return configure(cl);
  }

  /** Applies the shared error handling to a command tree (also used by tessera-agent). */
  public static CommandLine configure(CommandLine cl) {
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

  /** Version from the jar manifest when packaged, else "dev". */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = PolicyC.class.getPackage().getImplementationVersion();
      return new String[] {"policyc " + (v == null ? "dev" : v)};
    }
  }
}
