package dev.tessera.policytests;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.tessera.compiler.inventory.Inventory;
import dev.tessera.enforcer.format.IpProtocol;
import dev.tessera.enforcer.format.RuleOrigin;
import dev.tessera.policy.ast.Policy;
import dev.tessera.policy.ast.Protocol;
import dev.tessera.policy.diag.Diagnostic;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Optional;

/**
 * {@code policyc explain} as a library: resolve S and D (node names first, then users, groups,
 * tags, autogroups, host aliases, IPs), compile, and ask {@link Explainer}.
 */
public final class PolicyExplain {
  private PolicyExplain() {}

  /** A request; {@code proto} is the text given ({@code tcp}, {@code udp}, {@code icmp}, a number). */
  public record Request(Policy policy, Inventory inventory, String src, String dst, String proto, Integer port) {}

  /** The outcome: an explanation, a usage problem (bad S/D/proto/port), or compile diagnostics. */
  public sealed interface Result {
    record Explained(Explainer.Explanation explanation, String src, String dst, int proto, int port)
        implements Result {}

    record Usage(String message) implements Result {}

    record Rejected(List<Diagnostic> diagnostics) implements Result {
      public Rejected {
        diagnostics = List.copyOf(diagnostics);
      }
    }
  }

  public static Result explain(Request r, PolicyTester.FilterCompiler compiler) {
    Optional<Protocol> proto = Protocol.parse(r.proto() == null ? "" : r.proto().strip());
    if (proto.isEmpty()) {
      return new Result.Usage("--proto must be tcp, udp, icmp, another protocol name or a number 0-255, got \""
          + r.proto() + "\"");
    }
    int p = proto.get().number();
    int port;
    if (IpProtocol.hasPorts(p)) {
      if (r.port() == null) {
        return new Result.Usage("--port is required for " + ProtoNames.name(p));
      }
      if (r.port() < 0 || r.port() > 65535) {
        return new Result.Usage("--port must be 0-65535, got " + r.port());
      }
      port = r.port();
    } else {
      port = 0; // ICMP and other portless protocols: the filter ignores ports
    }
    TestValidator names = new TestValidator(PolicyTester.names(r.policy()));
    TestTarget src;
    TestTarget dst;
    try {
      src = target(r.src(), "--src", r.inventory(), names);
      dst = target(r.dst(), "--dst", r.inventory(), names);
    } catch (IllegalArgumentException e) {
      return new Result.Usage(e.getMessage());
    }
    Inventory inv = PolicyTester.withStandIns(r.inventory(), List.of(dst));
    PolicyTester.Compiled compiled = compiler.compile(r.policy(), inv);
    if (!compiled.ok()) {
      return new Result.Rejected(compiled.diagnostics().stream().filter(Diagnostic::isError).toList());
    }
    Evaluator ev = new Evaluator(PolicyTester.tailnet(inv, compiled.filters()), r.policy());
    Explainer ex = new Explainer(ev, compiled.rules(), compiled.nodeId());
    try {
      return new Result.Explained(ex.explain(src, dst, p, port), r.src(), r.dst(), p, port);
    } catch (Evaluator.Unresolvable e) {
      return new Result.Usage(e.getMessage());
    }
  }

  /** A node name names that node; anything else is read like a test target. */
  private static TestTarget target(String text, String flag, Inventory inv, TestValidator names) {
    if (text == null || text.isBlank()) {
      throw new IllegalArgumentException(flag + " is empty");
    }
    String t = text.strip();
    if (inv.node(t).isPresent()) {
      return new TestTarget.Node(t);
    }
    TestValidator.Either<TestTarget> parsed = names.parseTarget(t);
    if (parsed.error() != null) {
      throw new IllegalArgumentException(flag + " " + t + ": " + parsed.error()
          + " (give a node name, user, group, tag, host or IP)");
    }
    return parsed.value();
  }

  /** Text form: verdict line, one line per flow tried, and the reason. */
  public static String text(Result.Explained e) {
    Explainer.Explanation x = e.explanation();
    StringBuilder sb = new StringBuilder();
    String what = e.src() + " -> " + e.dst() + " " + ProtoNames.name(e.proto())
        + (IpProtocol.hasPorts(e.proto()) ? "/" + e.port() : "");
    sb.append(x.allowed() ? "ALLOWED " : "DENIED ").append(what).append('\n');
    for (Explainer.Pair p : x.pairs()) {
      sb.append("  ").append(p.src()).append(p.srcDevice() == null ? "" : " (" + p.srcDevice() + ")")
          .append(" -> ").append(p.dst()).append(p.enforcer() == null ? "" : " (" + p.enforcer() + ")").append(": ")
          .append(p.allowed() ? "allowed by " + HumanReport.rules(p.rules()) : "denied").append('\n');
    }
    sb.append("reason: ").append(x.reason()).append('\n');
    return sb.toString();
  }

  /** Exactly {@code {"allowed": b, "rules": [{"file", "line", "col"}], "reason": "..."}}. */
  public static String json(Explainer.Explanation x) {
    StringWriter w = new StringWriter();
    try (JsonGenerator g = new JsonFactory().createGenerator(w)) {
      g.writeStartObject();
      g.writeBooleanField("allowed", x.allowed());
      g.writeArrayFieldStart("rules");
      for (RuleOrigin o : x.rules()) {
        g.writeStartObject();
        g.writeStringField("file", o.file());
        g.writeNumberField("line", o.line());
        g.writeNumberField("col", o.col());
        g.writeEndObject();
      }
      g.writeEndArray();
      g.writeStringField("reason", x.reason());
      g.writeEndObject();
    } catch (IOException ex) {
      throw new UncheckedIOException(ex);
    }
    return w + "\n";
  }
}
