package dev.tessera.cli;

import dev.tessera.compiler.inventory.Inventory;
import dev.tessera.policy.Policies;
import dev.tessera.policy.PolicyResult;
import dev.tessera.policy.diag.Diagnostic;
import dev.tessera.policy.diag.DiagnosticRenderer;
import dev.tessera.policy.diag.SourceText;
import dev.tessera.policytests.PolicyExplain;
import dev.tessera.policytests.PolicyTestInputs;
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
 * {@code policyc explain}: would this flow be allowed, by which rule, and if not, which rule came
 * closest and why it did not apply. The verdict is the enforcer Matcher's on the compiled filter of
 * the destination. Exit 0 whatever the verdict; 2 on invalid input.
 */
@Command(
    name = "explain",
    mixinStandardHelpOptions = true,
    description = "Explain whether a flow from --src to --dst is allowed, and by which rule.")
public final class ExplainCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "POLICY", description = "Policy file (.hujson, .json, .yaml, .tpol).")
  Path policyFile;

  @Option(names = "--inventory", paramLabel = "INV", required = true, description = "Inventory (YAML/JSON).")
  Path inventoryFile;

  @Option(names = "--src", paramLabel = "S", required = true,
      description = "Source: node name, user, group, tag, host alias or IP.")
  String src;

  @Option(names = "--dst", paramLabel = "D", required = true,
      description = "Destination: node name, user, group, tag, host alias or IP.")
  String dst;

  @Option(names = "--proto", paramLabel = "P", required = true,
      description = "tcp, udp, icmp, another protocol name, or a protocol number.")
  String proto;

  @Option(names = "--port", paramLabel = "N", description = "Destination port (required for tcp, udp, sctp).")
  Integer port;

  @Option(names = "--json", description = "Print {\"allowed\", \"rules\", \"reason\"} as JSON.")
  boolean json;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    Map<String, SourceText> sources = new HashMap<>();
    List<Diagnostic> problems = new ArrayList<>();
    PolicyResult pr = Policies.read(policyFile);
    if (pr.source() != null) {
      sources.put(pr.source().name(), pr.source());
    }
    problems.addAll(pr.diagnostics());
    PolicyTestInputs.Read<Inventory> inv = PolicyTestInputs.readInventory(inventoryFile);
    inv.source().ifPresent(s -> sources.put(s.name(), s));
    problems.addAll(inv.diagnostics());
    if (!problems.isEmpty()) {
      err.print(DiagnosticRenderer.text(problems, sources));
    }
    if (pr.policy().isEmpty() || inv.value().isEmpty() || problems.stream().anyMatch(Diagnostic::isError)) {
      err.println("policyc explain: invalid input");
      err.flush();
      return PolicyC.USAGE;
    }
    PolicyExplain.Result r =
        PolicyExplain.explain(
            new PolicyExplain.Request(pr.policy().get(), inv.value().get(), src, dst, proto, port),
            PolicyTestInputs.compiler());
    return switch (r) {
      case PolicyExplain.Result.Usage u -> throw new UserError(u.message());
      case PolicyExplain.Result.Rejected rej -> {
        err.print(DiagnosticRenderer.text(rej.diagnostics(), sources));
        err.println("policyc explain: the policy does not compile against the inventory");
        err.flush();
        yield PolicyC.USAGE;
      }
      case PolicyExplain.Result.Explained e -> {
        out.print(json ? PolicyExplain.json(e.explanation()) : PolicyExplain.text(e));
        out.flush();
        yield PolicyC.OK;
      }
    };
  }
}
