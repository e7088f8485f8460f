package dev.tessera.cli;

import dev.tessera.policy.diag.DiagnosticRenderer;
import dev.tessera.policy.diag.SourceText;
import dev.tessera.policytests.PolicyExplain;
import dev.tessera.policytests.PolicyTestInputs;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code policyc explain}: would this flow be allowed, by which rule, and if not, which rule came
 * closest and why it did not apply. The verdict is the enforcer Matcher's on the compiled filter of
 * the destination. Exit 0 whatever the verdict; 1 the policy or inventory has errors; 2 a file
 * cannot be read, or --src, --dst, --proto or --port is not valid (with the closest name the policy
 * and inventory know, when there is one).
 */
@Command(
    name = "explain",
    mixinStandardHelpOptions = true,
    description = "Explain whether a flow from --src to --dst is allowed, and by which rule.")
public final class ExplainCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Parameters(
      index = "0",
      paramLabel = "POLICY",
      description = "Policy file (.hujson, .json, .yaml, .tpol).")
  Path policyFile;

  @Option(
      names = "--inventory",
      paramLabel = "INV",
      required = true,
      description = "Inventory (YAML/JSON).")
  Path inventoryFile;

  @Option(
      names = "--src",
      paramLabel = "S",
      required = true,
      description = "Source: node name, user, group, tag, host alias or IP.")
  String src;

  @Option(
      names = "--dst",
      paramLabel = "D",
      required = true,
      description = "Destination: node name, user, group, tag, host alias or IP.")
  String dst;

  @Option(
      names = "--proto",
      paramLabel = "P",
      required = true,
      description = "tcp, udp, icmp, another protocol name, or a protocol number.")
  String proto;

  @Option(
      names = "--port",
      paramLabel = "N",
      description = "Destination port (required for tcp, udp, sctp).")
  Integer port;

  @Option(names = "--json", description = "Print {\"allowed\", \"rules\", \"reason\"} as JSON.")
  boolean json;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    Inputs in = Inputs.read(policyFile, inventoryFile);
    Map<String, SourceText> sources = in.sources();
    if (!in.diagnostics().isEmpty()) {
      err.print(DiagnosticRenderer.text(in.diagnostics(), sources));
    }
    if (!in.valid()) {
      err.println("policyc explain: " + in.problem());
      err.flush();
      return in.exitCode();
    }
    PolicyExplain.Result r =
        PolicyExplain.explain(
            new PolicyExplain.Request(
                in.policy(), in.inventory().orElseThrow(), src, dst, proto, port),
            PolicyTestInputs.compiler());
    return switch (r) {
      case PolicyExplain.Result.Usage u -> throw new UserError(u.message());
      case PolicyExplain.Result.Rejected rej -> {
        err.print(DiagnosticRenderer.text(rej.diagnostics(), sources));
        err.println("policyc explain: the policy does not compile against the inventory");
        err.flush();
        yield PolicyC.FAILED;
      }
      case PolicyExplain.Result.Explained e -> {
        out.print(json ? PolicyExplain.json(e.explanation()) : PolicyExplain.text(e));
        out.flush();
        yield PolicyC.OK;
      }
    };
  }
}
