package dev.tessera.policy.print;

import dev.tessera.policy.ast.Acl;
import dev.tessera.policy.ast.AppCapability;
import dev.tessera.policy.ast.AutoApprovers;
import dev.tessera.policy.ast.Grant;
import dev.tessera.policy.ast.HostDef;
import dev.tessera.policy.ast.IpSetDef;
import dev.tessera.policy.ast.JsonText;
import dev.tessera.policy.ast.NodeAttr;
import dev.tessera.policy.ast.Policy;
import dev.tessera.policy.ast.PolicyTest;
import dev.tessera.policy.ast.PostureCondition;
import dev.tessera.policy.ast.PostureRef;
import dev.tessera.policy.ast.Section;
import dev.tessera.policy.ast.SshRule;
import dev.tessera.policy.ast.SshTest;
import dev.tessera.policy.ast.TestDestination;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The HuJSON/YAML document structure of a policy, as a small tree of printable nodes: both printers
 * lay out the same tree, so the two syntaxes cannot disagree on which keys a section has or in
 * which order they come. Key order inside each object follows Tailscale's documentation; optional
 * keys are left out when empty, required ones (src, dst, action, ...) are always written. Each node
 * may carry an anchor (the AST node it came from) for {@link CommentPlan}.
 */
final class TreeEmitter {
  private TreeEmitter() {}

  /** A printable document node. */
  sealed interface Node permits Obj, Arr, Str, Raw, JsonValue {}

  /** Object; entries in print order; anchor nodes per entry for comments (may be null). */
  record Obj(List<Field> fields) implements Node {}

  record Field(String key, Node value, Object anchor) {}

  /** Array; anchors per item for comments (may be null). */
  record Arr(List<Node> items, List<Object> anchors) implements Node {}

  record Str(String value) implements Node {}

  /** A literal that is not a string: true, false. */
  record Raw(String text) implements Node {}

  /** An opaque JSON value. */
  record JsonValue(JsonText json) implements Node {}

  /** An opaque JSON value as printable nodes (numbers, booleans and null become raw text). */
  static Node fromJson(dev.tessera.policy.syntax.Tree t) {
    return switch (t) {
      case dev.tessera.policy.syntax.Tree.Obj o -> {
        List<Field> fs = new ArrayList<>(o.entries().size());
        for (dev.tessera.policy.syntax.Tree.Entry e : o.entries()) {
          fs.add(new Field(e.key(), fromJson(e.value()), null));
        }
        yield new Obj(fs);
      }
      case dev.tessera.policy.syntax.Tree.Arr a -> {
        List<Node> items = new ArrayList<>(a.items().size());
        for (dev.tessera.policy.syntax.Tree item : a.items()) {
          items.add(fromJson(item));
        }
        yield new Arr(items, null);
      }
      case dev.tessera.policy.syntax.Tree.Str str -> new Str(str.value());
      default -> new Raw(Json.scalar(t));
    };
  }

  /** Replaces every {@link JsonValue} by its nodes. */
  static Node expand(Node n) {
    return switch (n) {
      case JsonValue j -> fromJson(Json.tree(j.json()));
      case Obj o -> {
        List<Field> fs = new ArrayList<>(o.fields().size());
        for (Field f : o.fields()) {
          fs.add(new Field(f.key(), expand(f.value()), f.anchor()));
        }
        yield new Obj(fs);
      }
      case Arr a -> {
        List<Node> items = new ArrayList<>(a.items().size());
        for (Node item : a.items()) {
          items.add(expand(item));
        }
        yield new Arr(items, a.anchors());
      }
      case Str s -> s;
      case Raw r -> r;
    };
  }

  static Obj document(Policy p) {
    return document(p, Written.NONE);
  }

  /** The document, values in the author's text where {@code w} knows it. */
  static Obj document(Policy p, Written w) {
    List<Field> fs = new ArrayList<>();
    for (Section s : Section.values()) {
      if (!p.has(s)) {
        continue;
      }
      Node v =
          switch (s) {
            case GROUPS ->
                named(p.groups(), g -> "group:" + g.name(), g -> strings(g.members(), w::selector));
            case TAG_OWNERS ->
                named(p.tagOwners(), t -> "tag:" + t.tag(), t -> strings(t.owners(), w::selector));
            case HOSTS -> named(p.hosts(), HostDef::name, h -> new Str(w.host(h)));
            case IPSETS -> named(p.ipsets(), s2 -> "ipset:" + s2.name(), s2 -> ipsetOps(s2, w));
            case POSTURES ->
                named(
                    p.postures(),
                    d -> "posture:" + d.name(),
                    d -> strings(d.conditions(), PostureCondition::text));
            case DEFAULT_SRC_POSTURE -> strings(p.defaultSrcPosture(), PostureRef::text);
            case ACLS -> items(p.acls(), a -> acl(a, w));
            case GRANTS -> items(p.grants(), g -> grant(g, w));
            case AUTO_APPROVERS -> autoApprovers(p.autoApprovers(), w);
            case SSH -> items(p.ssh(), r -> ssh(r, w));
            case NODE_ATTRS -> items(p.nodeAttrs(), n -> nodeAttr(n, w));
            case TESTS -> items(p.tests(), TreeEmitter::test);
            case SSH_TESTS -> items(p.sshTests(), TreeEmitter::sshTest);
            case DERP_MAP -> p.derpMap().<Node>map(JsonValue::new).orElse(new Obj(List.of()));
            case DISABLE_IPV4 -> new Raw(p.disableIPv4().map(String::valueOf).orElse("false"));
            case RANDOMIZE_CLIENT_PORT ->
                new Raw(p.randomizeClientPort().map(String::valueOf).orElse("false"));
          };
      Object anchor =
          switch (s) {
            case DEFAULT_SRC_POSTURE -> p.defaultSrcPosture();
            case DERP_MAP -> p.derpMap().orElse(null);
            default -> null;
          };
      fs.add(new Field(s.key(), v, anchor));
    }
    return new Obj(fs);
  }

  private static <T> Obj named(List<T> defs, Function<T, String> key, Function<T, Node> value) {
    List<Field> fs = new ArrayList<>(defs.size());
    for (T d : defs) {
      fs.add(new Field(key.apply(d), value.apply(d), d));
    }
    return new Obj(fs);
  }

  private static <T> Arr items(List<T> list, Function<T, Node> f) {
    List<Node> out = new ArrayList<>(list.size());
    List<Object> anchors = new ArrayList<>(list.size());
    for (T t : list) {
      out.add(f.apply(t));
      anchors.add(t);
    }
    return new Arr(out, anchors);
  }

  private static <T> Arr strings(List<T> list, Function<T, String> text) {
    List<Node> out = new ArrayList<>(list.size());
    for (T t : list) {
      out.add(new Str(text.apply(t)));
    }
    return new Arr(out, null);
  }

  private static Node ipsetOps(IpSetDef s, Written w) {
    // Tailscale accepts bare entries only in sets that just add; write add/remove when removing,
    // and where the author wrote it.
    boolean explicit = s.ops().stream().anyMatch(o -> o.kind() == IpSetDef.Kind.REMOVE);
    return strings(s.ops(), o -> explicit || w.explicitOp(o) ? o.text() : o.target().text());
  }

  private static Node acl(Acl a, Written w) {
    List<Field> fs = new ArrayList<>();
    fs.add(new Field("action", new Str(a.action().text()), null));
    fs.add(new Field("src", strings(a.src(), w::selector), null));
    a.proto().ifPresent(pr -> fs.add(new Field("proto", new Str(pr.toString()), null)));
    fs.add(new Field("dst", strings(a.dst(), w::aclDestination), null));
    posture(fs, a.srcPosture());
    return new Obj(fs);
  }

  private static Node grant(Grant g, Written w) {
    List<Field> fs = new ArrayList<>();
    fs.add(new Field("src", strings(g.src(), w::selector), null));
    fs.add(new Field("dst", strings(g.dst(), w::selector), null));
    if (!g.ip().isEmpty()) {
      fs.add(new Field("ip", strings(g.ip(), w::grantIp), null));
    }
    if (!g.app().isEmpty()) {
      fs.add(new Field("app", app(g.app()), null));
    }
    posture(fs, g.srcPosture());
    if (!g.via().isEmpty()) {
      fs.add(new Field("via", strings(g.via(), w::selector), null));
    }
    return new Obj(fs);
  }

  private static Node app(List<AppCapability> caps) {
    List<Field> fs = new ArrayList<>();
    for (AppCapability c : caps) {
      List<Node> values = new ArrayList<>();
      for (JsonText j : c.values()) {
        values.add(new JsonValue(j));
      }
      fs.add(new Field(c.name(), new Arr(values, null), null));
    }
    return new Obj(fs);
  }

  private static Node autoApprovers(AutoApprovers a, Written w) {
    List<Field> fs = new ArrayList<>();
    if (!a.routes().isEmpty()) {
      List<Field> rs = new ArrayList<>();
      for (AutoApprovers.RouteApprover r : a.routes()) {
        rs.add(new Field(w.prefix(r.route(), r.span()), strings(r.approvers(), w::selector), r));
      }
      fs.add(new Field("routes", new Obj(rs), null));
    }
    if (!a.exitNode().isEmpty()) {
      fs.add(new Field("exitNode", strings(a.exitNode(), w::selector), a.exitNode()));
    }
    if (!a.services().isEmpty()) {
      List<Field> ss = new ArrayList<>();
      for (AutoApprovers.ServiceApprover r : a.services()) {
        ss.add(new Field(r.service().text(), strings(r.approvers(), w::selector), r));
      }
      fs.add(new Field("services", new Obj(ss), null));
    }
    return new Obj(fs);
  }

  private static Node ssh(SshRule r, Written w) {
    List<Field> fs = new ArrayList<>();
    fs.add(new Field("action", new Str(r.action().text()), null));
    fs.add(new Field("src", strings(r.src(), w::selector), null));
    fs.add(new Field("dst", strings(r.dst(), w::selector), null));
    fs.add(new Field("users", strings(r.users(), Function.identity()), null));
    r.checkPeriod().ifPresent(cp -> fs.add(new Field("checkPeriod", new Str(cp), null)));
    if (!r.acceptEnv().isEmpty()) {
      fs.add(new Field("acceptEnv", strings(r.acceptEnv(), Function.identity()), null));
    }
    posture(fs, r.srcPosture());
    if (!r.recorder().isEmpty()) {
      fs.add(new Field("recorder", strings(r.recorder(), w::selector), null));
    }
    r.enforceRecorder()
        .ifPresent(e -> fs.add(new Field("enforceRecorder", new Raw(String.valueOf(e)), null)));
    return new Obj(fs);
  }

  private static Node nodeAttr(NodeAttr n, Written w) {
    List<Field> fs = new ArrayList<>();
    fs.add(new Field("target", strings(n.target(), w::selector), null));
    if (!n.attr().isEmpty() || (n.app().isEmpty() && n.ipPool().isEmpty())) {
      fs.add(new Field("attr", strings(n.attr(), Function.identity()), null));
    }
    if (!n.app().isEmpty()) {
      fs.add(new Field("app", app(n.app()), null));
    }
    if (!n.ipPool().isEmpty()) {
      fs.add(
          new Field("ipPool", strings(n.ipPool(), dev.tessera.net.IpCidr::toCompactString), null));
    }
    return new Obj(fs);
  }

  private static Node test(PolicyTest t) {
    List<Field> fs = new ArrayList<>();
    fs.add(new Field("src", new Str(t.src().raw()), null));
    t.proto().ifPresent(pr -> fs.add(new Field("proto", new Str(pr.toString()), null)));
    if (!t.accept().isEmpty()) {
      fs.add(new Field("accept", strings(t.accept(), TestDestination::raw), null));
    }
    if (!t.deny().isEmpty()) {
      fs.add(new Field("deny", strings(t.deny(), TestDestination::raw), null));
    }
    return new Obj(fs);
  }

  private static Node sshTest(SshTest t) {
    List<Field> fs = new ArrayList<>();
    fs.add(new Field("src", new Str(t.src()), null));
    fs.add(new Field("dst", strings(t.dst(), Function.identity()), null));
    if (!t.accept().isEmpty()) {
      fs.add(new Field("accept", strings(t.accept(), Function.identity()), null));
    }
    if (!t.check().isEmpty()) {
      fs.add(new Field("check", strings(t.check(), Function.identity()), null));
    }
    if (!t.deny().isEmpty()) {
      fs.add(new Field("deny", strings(t.deny(), Function.identity()), null));
    }
    return new Obj(fs);
  }

  private static void posture(List<Field> fs, List<PostureRef> refs) {
    if (!refs.isEmpty()) {
      fs.add(new Field("srcPosture", strings(refs, PostureRef::text), null));
    }
  }
}
