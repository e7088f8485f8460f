package dev.tessera.policytests;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.tessera.compiler.inventory.Inventory;
import dev.tessera.enforcer.format.RuleOrigin;
import dev.tessera.net.IpProtocol;
import dev.tessera.policy.ast.AutoGroup;
import dev.tessera.policy.ast.Policy;
import dev.tessera.policy.ast.Protocol;
import dev.tessera.policy.diag.Diagnostic;
import dev.tessera.policy.diag.Suggest;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * {@code policyc explain} as a library: resolve S and D (node names first, then users, groups,
 * tags, autogroups, host aliases, IPs), compile, and ask {@link Explainer}.
 */
public final class PolicyExplain {
  private PolicyExplain() {}

  /**
   * A request; {@code proto} is the text given ({@code tcp}, {@code udp}, {@code icmp}, a number).
   */
  public record Request(
      Policy policy, Inventory inventory, String src, String dst, String proto, Integer port) {}

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
      return new Result.Usage(
          "--proto must be tcp, udp, icmp, another protocol name or a number 0-255, got \""
              + r.proto()
              + "\"");
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
    TestValidator.Names known = PolicyTester.names(r.policy());
    TestValidator names = new TestValidator(known);
    TestTarget src;
    TestTarget dst;
    try {
      src = target(r.src(), "--src", r.inventory(), names, known);
      dst = target(r.dst(), "--dst", r.inventory(), names, known);
    } catch (IllegalArgumentException e) {
      return new Result.Usage(e.getMessage());
    }
    Inventory inv = PolicyTester.withStandIns(r.inventory(), List.of(dst));
    PolicyTester.Compiled compiled = compiler.compile(r.policy(), inv);
    if (!compiled.ok()) {
      return new Result.Rejected(
          compiled.diagnostics().stream().filter(Diagnostic::isError).toList());
    }
    Evaluator ev = new Evaluator(PolicyTester.tailnet(inv, compiled.filters()), r.policy());
    Explainer ex = new Explainer(ev, compiled.rules(), compiled.nodeId());
    try {
      return new Result.Explained(ex.explain(src, dst, p, port), r.src(), r.dst(), p, port);
    } catch (Evaluator.Unresolvable e) {
      return new Result.Usage(e.getMessage());
    }
  }

  /**
   * A node name names that node; anything else is read like a test target. A name neither the
   * policy nor the inventory knows is a usage error that offers the closest known name.
   */
  private static TestTarget target(
      String text, String flag, Inventory inv, TestValidator names, TestValidator.Names known) {
    if (text == null || text.isBlank()) {
      throw new IllegalArgumentException(flag + " is empty");
    }
    String t = text.strip();
    if (inv.node(t).isPresent()) {
      return new TestTarget.Node(t);
    }
    TestValidator.Either<TestTarget> parsed = names.parseTarget(t);
    if (parsed.error() != null) {
      throw new IllegalArgumentException(
          flag
              + " "
              + t
              + ": "
              + parsed.error()
              + " ("
              + closest(t, inv, known)
                  .map(c -> "did you mean " + c + "?")
                  .orElse("give a node name, user, group, tag, host or IP")
              + ")");
    }
    if (parsed.value() instanceof TestTarget.User
        && inv.user(t).isEmpty()
        && inv.nodes().stream().noneMatch(n -> n.user().filter(t::equals).isPresent())) {
      Optional<String> c = closest(t, inv, known);
      if (c.isPresent()) {
        throw new IllegalArgumentException(
            flag + " " + t + ": no such user in the inventory (did you mean " + c.get() + "?)");
      }
    }
    return parsed.value();
  }

  /** The known name closest to {@code t}: nodes, users, groups, tags, hosts and autogroups. */
  static Optional<String> closest(String t, Inventory inv, TestValidator.Names names) {
    List<String> known = new ArrayList<>();
    inv.nodes().forEach(n -> known.add(n.name()));
    inv.users().forEach(u -> known.add(u.login()));
    names.groups().stream().sorted().forEach(g -> known.add("group:" + g));
    names.tags().stream().sorted().forEach(g -> known.add("tag:" + g));
    names.hosts().keySet().stream().sorted().forEach(known::add);
    for (AutoGroup a : AutoGroup.values()) {
      known.add(a.text());
    }
    return Suggest.closest(t, known);
  }

  /** Text form: verdict line, one line per flow tried, and the reason. */
  public static String text(Result.Explained e) {
    Explainer.Explanation x = e.explanation();
    StringBuilder sb = new StringBuilder();
    String what =
        e.src()
            + " -> "
            + e.dst()
            + " "
            + ProtoNames.name(e.proto())
            + (IpProtocol.hasPorts(e.proto()) ? "/" + e.port() : "");
    sb.append(x.allowed() ? "ALLOWED " : "DENIED ").append(what).append('\n');
    for (Explainer.Pair p : x.pairs()) {
      sb.append("  ")
          .append(p.src())
          .append(p.srcDevice() == null ? "" : " (" + p.srcDevice() + ")")
          .append(" -> ")
          .append(p.dst())
          .append(
              p.enforcer() == null
                  ? ""
                  : " ("
                      + (p.through() == null ? "" : "through " + p.through() + " ")
                      + p.enforcer()
                      + ")")
          .append(": ")
          .append(p.allowed() ? "allowed by " + HumanReport.rules(p.rules()) : "denied")
          .append('\n');
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
