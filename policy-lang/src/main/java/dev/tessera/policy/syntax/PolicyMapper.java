package dev.tessera.policy.syntax;

import dev.tessera.net.IpCidr;
import dev.tessera.policy.ast.Acl;
import dev.tessera.policy.ast.AclAction;
import dev.tessera.policy.ast.AclDestination;
import dev.tessera.policy.ast.AppCapability;
import dev.tessera.policy.ast.AutoApprovers;
import dev.tessera.policy.ast.Comment;
import dev.tessera.policy.ast.Grant;
import dev.tessera.policy.ast.GrantIp;
import dev.tessera.policy.ast.GroupDef;
import dev.tessera.policy.ast.HostDef;
import dev.tessera.policy.ast.IpSetDef;
import dev.tessera.policy.ast.JsonText;
import dev.tessera.policy.ast.NodeAttr;
import dev.tessera.policy.ast.Policy;
import dev.tessera.policy.ast.PolicyTest;
import dev.tessera.policy.ast.PostureDef;
import dev.tessera.policy.ast.PostureRef;
import dev.tessera.policy.ast.Protocol;
import dev.tessera.policy.ast.Section;
import dev.tessera.policy.ast.Selector;
import dev.tessera.policy.ast.SourceSpan;
import dev.tessera.policy.ast.SshRule;
import dev.tessera.policy.ast.SshTest;
import dev.tessera.policy.ast.TagOwner;
import dev.tessera.policy.ast.TestDestination;
import dev.tessera.policy.diag.Codes;
import dev.tessera.policy.diag.Diagnostic;
import dev.tessera.policy.diag.Diagnostics;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * Maps a key-normalized {@link Tree} to the AST, parsing every string value with {@link Values}.
 *
 * <p>Design note: structure (types, required keys) is the JSON Schema's job; this mapper never
 * trusts it, though: whatever has the wrong type is skipped and recorded as a {@link TypeIssue}
 * with its path, and the caller reports those the schema did not already cover, so nothing is ever
 * dropped silently. Value problems (selectors, ports, names, postures, actions) are reported
 * directly. Invalid elements are left out of the (then partial) policy.
 */
final class PolicyMapper {

  /** A value of the wrong type at {@code path}, reported unless the schema covered it. */
  public record TypeIssue(List<Object> path, Diagnostic diagnostic) {}

  /** A minimal persistent path (keys and indexes), materialized only when reporting. */
  private record P(P parent, Object step) {
    P k(String key) {
      return new P(this, key);
    }

    P i(int index) {
      return new P(this, index);
    }

    List<Object> list() {
      List<Object> out = new ArrayList<>();
      for (P p = this; p != null && p.step != null; p = p.parent) {
        out.addFirst(p.step);
      }
      return out;
    }
  }

  private final Diagnostics d;
  private final boolean yaml;
  private final List<TypeIssue> typeIssues = new ArrayList<>();
  private final List<Acl> droppedAcls = new ArrayList<>();
  private final List<SshRule> droppedSsh = new ArrayList<>();
  private final List<Grant> droppedGrants = new ArrayList<>();

  public PolicyMapper(Diagnostics d, boolean yaml) {
    this.d = d;
    this.yaml = yaml;
  }

  public List<TypeIssue> typeIssues() {
    return List.copyOf(typeIssues);
  }

  /**
   * Rules left out of the policy because their action or proto is invalid, rebuilt as plain accept
   * rules <em>only</em> so that validation can still report their other problems (undefined groups,
   * autogroup misuse) in the same run. Never part of the policy.
   */
  public List<Acl> droppedAclsForChecking() {
    return List.copyOf(droppedAcls);
  }

  /**
   * As {@link #droppedAclsForChecking()}, for grants with an invalid {@code ip} entry; the copy
   * holds {@code ip: ["*"]} so it is not also reported as having no ip.
   */
  public List<Grant> droppedGrantsForChecking() {
    return List.copyOf(droppedGrants);
  }

  /** As {@link #droppedAclsForChecking()}, for ssh rules with an invalid action. */
  public List<SshRule> droppedSshForChecking() {
    return List.copyOf(droppedSsh);
  }

  /** Maps a normalized root object. */
  public Policy map(Tree.Obj root, List<Comment> comments) {
    Policy.Builder b = Policy.builder().span(root.span()).comments(comments);
    P top = new P(null, null);
    for (Tree.Entry e : root.entries()) {
      Section s = Section.byKey(e.key()).orElseThrow(); // normalized: only known keys remain
      b.present(s);
      P p = top.k(e.key());
      Tree v = e.value();
      switch (s) {
        case GROUPS ->
            b.groups(
                named(
                    v,
                    p,
                    "group:",
                    "group",
                    (name, ks, val, vp) -> new GroupDef(name, selectors(val, vp), ks)));
        case TAG_OWNERS ->
            b.tagOwners(
                named(
                    v,
                    p,
                    "tag:",
                    "tag",
                    (name, ks, val, vp) -> new TagOwner(name, selectors(val, vp), ks)));
        case HOSTS ->
            b.hosts(
                named(
                    v,
                    p,
                    "",
                    "host",
                    (name, ks, val, vp) ->
                        string(val, vp)
                            .flatMap(sv -> Values.prefix(sv.value(), sv.span(), d))
                            .map(ip -> new HostDef(name, ip, ks))
                            .orElse(null)));
        case IPSETS -> b.ipsets(named(v, p, "ipset:", "ipset", this::ipset));
        case POSTURES ->
            b.postures(
                named(
                    v,
                    p,
                    "posture:",
                    "posture",
                    (name, ks, val, vp) ->
                        new PostureDef(
                            name,
                            mapStrings(
                                val, vp, sv -> Values.postureCondition(sv.value(), sv.span(), d)),
                            ks)));
        case DEFAULT_SRC_POSTURE -> b.defaultSrcPosture(postureRefs(v, p));
        case ACLS -> b.acls(objects(v, p, this::acl));
        case GRANTS -> b.grants(objects(v, p, this::grant));
        case AUTO_APPROVERS -> autoApprovers(v, p).ifPresent(b::autoApprovers);
        case SSH -> b.ssh(objects(v, p, this::ssh));
        case NODE_ATTRS -> b.nodeAttrs(objects(v, p, this::nodeAttr));
        case TESTS -> b.tests(objects(v, p, this::test));
        case SSH_TESTS -> b.sshTests(objects(v, p, this::sshTest));
        case DERP_MAP -> {
          if (v instanceof Tree.Obj) {
            b.derpMap(jsonText(v));
          } else {
            typeIssue(p, v, "an object");
          }
        }
        case DISABLE_IPV4 -> bool(v, p).ifPresent(b::disableIPv4);
        case RANDOMIZE_CLIENT_PORT -> bool(v, p).ifPresent(b::randomizeClientPort);
      }
    }
    return b.build();
  }

  // ------------------------------------------------------------------ sections

  private Acl acl(Tree.Obj o, P p) {
    required(o, p, "action", "src", "dst");
    AclAction action = null;
    Optional<Tree.Entry> a = o.get("action");
    if (a.isPresent()) {
      Optional<Scalar> s = string(a.get().value(), p.k("action"));
      if (s.isPresent()) {
        String v = s.get().value();
        if (v.equals("accept")) {
          action = AclAction.ACCEPT;
        } else if (v.equals("deny")) {
          d.error(
              Codes.INVALID_ACTION,
              "action=\"deny\" is not supported",
              s.get().span(),
              "policies are allow-only (deny by default): remove this rule or narrow the accept rules");
        } else {
          d.error(
              Codes.INVALID_ACTION,
              "unknown action \"" + v + "\"",
              s.get().span(),
              "the only ACL action is \"accept\"");
        }
      }
    }
    List<Selector> src = field(o, "src", p, this::selectors);
    List<AclDestination> dst =
        field(
            o,
            "dst",
            p,
            (v, vp) -> mapStrings(v, vp, sv -> Values.aclDestination(sv.value(), sv.span(), d)));
    Optional<Protocol> proto =
        o.get("proto")
            .flatMap(e -> string(e.value(), p.k("proto")))
            .flatMap(sv -> Values.protocol(sv.value(), sv.span(), d));
    boolean portsOk = true;
    if (proto.isPresent()) {
      for (AclDestination ad : dst) {
        portsOk &= Values.checkPortsAllowed(proto.get(), ad.ports(), ad.span(), d);
      }
    }
    List<PostureRef> posture = field(o, "srcPosture", p, this::postureRefs);
    if (action == null || !portsOk || o.get("proto").isPresent() && proto.isEmpty()) {
      droppedAcls.add(new Acl(AclAction.ACCEPT, src, dst, Optional.empty(), posture, o.span()));
      return null;
    }
    return new Acl(action, src, dst, proto, posture, o.span());
  }

  private Grant grant(Tree.Obj o, P p) {
    required(o, p, "src", "dst");
    List<Selector> src = field(o, "src", p, this::selectors);
    List<Selector> dst =
        field(
            o,
            "dst",
            p,
            (v, vp) -> mapStrings(v, vp, sv -> Values.grantTarget(sv.value(), sv.span(), d)));
    List<GrantIp> ip =
        field(
            o,
            "ip",
            p,
            (v, vp) -> mapStrings(v, vp, sv -> Values.grantIp(sv.value(), sv.span(), d)));
    List<AppCapability> app = field(o, "app", p, this::appCaps);
    List<PostureRef> posture = field(o, "srcPosture", p, this::postureRefs);
    List<Selector> via = field(o, "via", p, this::selectors);
    int written =
        o.get("ip").map(e -> e.value() instanceof Tree.Arr a ? a.items().size() : 0).orElse(0);
    if (ip.size() < written) {
      // An unreadable ip entry: leave the grant out (fail closed) but keep checking the rest.
      droppedGrants.add(
          new Grant(
              src,
              dst,
              List.of(new GrantIp(Optional.empty(), dev.tessera.policy.ast.PortSpec.ALL, o.span())),
              app,
              posture,
              via,
              o.span()));
      return null;
    }
    return new Grant(src, dst, ip, app, posture, via, o.span());
  }

  /**
   * An ssh rule. Tailscale requires only action and users (a rule without src or dst matches
   * nothing; a missing or empty users list is one semantic error), and trims whitespace around ssh
   * actions, targets and users (SaaS captures); we do too, with a warning.
   */
  private SshRule ssh(Tree.Obj o, P p) {
    required(o, p, "action");
    SshRule.Action action = null;
    Optional<Tree.Entry> a = o.get("action");
    if (a.isPresent()) {
      Optional<Scalar> s = string(a.get().value(), p.k("action")).map(this::trimmed);
      if (s.isPresent()) {
        switch (s.get().value()) {
          case "accept" -> action = SshRule.Action.ACCEPT;
          case "check" -> action = SshRule.Action.CHECK;
          case "" ->
              d.error(
                  Codes.INVALID_ACTION,
                  "action must be specified",
                  s.get().span(),
                  "ssh actions are \"accept\" and \"check\"");
          default ->
              d.error(
                  Codes.INVALID_ACTION,
                  "\"" + s.get().value() + "\" is not a valid action",
                  s.get().span(),
                  "ssh actions are \"accept\" and \"check\" (lower case)");
        }
      }
    }
    List<Selector> src =
        field(
            o,
            "src",
            p,
            (v, vp) ->
                mapStrings(
                    v, vp, sv -> Values.selector(trimmed(sv).value(), trimmed(sv).span(), d)));
    List<Selector> dst =
        field(
            o,
            "dst",
            p,
            (v, vp) ->
                mapStrings(
                    v, vp, sv -> Values.selector(trimmed(sv).value(), trimmed(sv).span(), d)));
    List<String> users =
        field(
            o,
            "users",
            p,
            (v, vp) ->
                mapStrings(
                    v,
                    vp,
                    sv -> {
                      Scalar t = trimmed(sv);
                      if (t.value().isEmpty() || t.value().equals("*")) {
                        d.error(
                            Codes.INVALID_SSH,
                            "user \"" + t.value() + "\" is not valid",
                            t.span(),
                            "name a login user such as root, or autogroup:nonroot");
                        return Optional.empty();
                      }
                      return Optional.of(t.value());
                    }));
    Optional<Scalar> checkPeriodText =
        o.get("checkPeriod").flatMap(e -> string(e.value(), p.k("checkPeriod")));
    Optional<String> checkPeriod = checkPeriodText.map(Scalar::value);
    checkPeriodText.ifPresent(cp -> Values.checkPeriod(cp.value(), cp.span(), d));
    List<String> acceptEnv =
        field(
            o,
            "acceptEnv",
            p,
            (v, vp) ->
                mapStrings(
                    v,
                    vp,
                    sv -> {
                      if (sv.value().isEmpty()) {
                        d.error(Codes.INVALID_SSH, "acceptEnv values cannot be empty", sv.span());
                        return Optional.empty();
                      }
                      return Optional.of(sv.value());
                    }));
    List<PostureRef> posture = field(o, "srcPosture", p, this::postureRefs);
    List<Selector> recorder =
        field(
            o,
            "recorder",
            p,
            (v, vp) ->
                mapStrings(
                    v, vp, sv -> Values.selector(trimmed(sv).value(), trimmed(sv).span(), d)));
    Optional<Boolean> enforceRecorder =
        o.get("enforceRecorder").flatMap(e -> bool(e.value(), p.k("enforceRecorder")));
    if (action == null) {
      droppedSsh.add(
          new SshRule(
              SshRule.Action.ACCEPT,
              src,
              dst,
              users,
              Optional.empty(),
              acceptEnv,
              posture,
              recorder,
              enforceRecorder,
              o.span()));
      return null;
    }
    return new SshRule(
        action,
        src,
        dst,
        users,
        checkPeriod,
        acceptEnv,
        posture,
        recorder,
        enforceRecorder,
        o.span());
  }

  private NodeAttr nodeAttr(Tree.Obj o, P p) {
    required(o, p, "target");
    return new NodeAttr(
        field(o, "target", p, this::selectors),
        field(o, "attr", p, this::plainStrings),
        field(o, "app", p, this::appCaps),
        field(
            o,
            "ipPool",
            p,
            (v, vp) -> mapStrings(v, vp, sv -> Values.prefix(sv.value(), sv.span(), d))),
        o.span());
  }

  /**
   * A tests entry. A missing src is not a policy error: Tailscale reports it as a failing test
   * (SaaS capture policytest-malformed-test-missing-src), so it is kept with empty raw text.
   */
  private PolicyTest test(Tree.Obj o, P p) {
    Optional<Scalar> src =
        o.get("src").isEmpty()
            ? Optional.of(new Scalar("", o.span()))
            : o.get("src").flatMap(e -> string(e.value(), p.k("src")));
    Optional<Protocol> proto =
        o.get("proto")
            .flatMap(e -> string(e.value(), p.k("proto")))
            .flatMap(sv -> Values.protocol(sv.value(), sv.span(), d));
    List<TestDestination> accept =
        field(
            o,
            "accept",
            p,
            (v, vp) ->
                mapStrings(
                    v, vp, sv -> Optional.of(Values.testDestination(sv.value(), sv.span()))));
    List<TestDestination> deny =
        field(
            o,
            "deny",
            p,
            (v, vp) ->
                mapStrings(
                    v, vp, sv -> Optional.of(Values.testDestination(sv.value(), sv.span()))));
    if (src.isEmpty() || (o.get("proto").isPresent() && proto.isEmpty())) {
      return null;
    }
    return new PolicyTest(
        Values.testSource(src.get().value(), src.get().span()), proto, accept, deny, o.span());
  }

  private SshTest sshTest(Tree.Obj o, P p) {
    required(o, p, "src", "dst");
    Optional<Scalar> src = o.get("src").flatMap(e -> string(e.value(), p.k("src")));
    if (src.isEmpty()) {
      return null;
    }
    return new SshTest(
        src.get().value(),
        field(o, "dst", p, this::plainStrings),
        field(o, "accept", p, this::plainStrings),
        field(o, "check", p, this::plainStrings),
        field(o, "deny", p, this::plainStrings),
        o.span());
  }

  private Optional<AutoApprovers> autoApprovers(Tree v, P p) {
    if (!(v instanceof Tree.Obj o)) {
      typeIssue(p, v, "an object");
      return Optional.empty();
    }
    List<AutoApprovers.RouteApprover> routes = new ArrayList<>();
    Optional<Tree.Entry> r = o.get("routes");
    if (r.isPresent()) {
      Tree rv = r.get().value();
      if (rv instanceof Tree.Obj ro) {
        for (Tree.Entry e : ro.entries()) {
          Optional<IpCidr> ip = Values.prefix(e.key(), e.keySpan(), d);
          List<Selector> approvers = selectors(e.value(), p.k("routes").k(e.key()));
          ip.ifPresent(x -> routes.add(new AutoApprovers.RouteApprover(x, approvers, e.keySpan())));
        }
      } else {
        typeIssue(p.k("routes"), rv, "an object");
      }
    }
    List<Selector> exit = field(o, "exitNode", p, this::selectors);
    List<AutoApprovers.ServiceApprover> services = new ArrayList<>();
    Optional<Tree.Entry> sv = o.get("services");
    if (sv.isPresent()) {
      if (sv.get().value() instanceof Tree.Obj so) {
        for (Tree.Entry e : so.entries()) {
          Optional<Selector> key = Values.serviceApproverKey(e.key(), e.keySpan(), d);
          List<Selector> approvers = selectors(e.value(), p.k("services").k(e.key()));
          key.ifPresent(
              k -> services.add(new AutoApprovers.ServiceApprover(k, approvers, e.keySpan())));
        }
      } else {
        typeIssue(p.k("services"), sv.get().value(), "an object");
      }
    }
    return Optional.of(new AutoApprovers(routes, exit, services, o.span()));
  }

  private IpSetDef ipset(String name, SourceSpan ks, Tree val, P vp) {
    List<Values.IpSetOpParse> ops =
        mapStrings(val, vp, sv -> Values.ipsetOp(sv.value(), sv.span(), d));
    boolean anyRemove = ops.stream().anyMatch(o -> o.op().kind() == IpSetDef.Kind.REMOVE);
    if (anyRemove) {
      for (Values.IpSetOpParse o : ops) {
        if (!o.explicit()) {
          d.error(
              Codes.INVALID_IPSET_ELEMENT,
              "\""
                  + o.op().target().text()
                  + "\" needs an operation: this ipset removes, so every entry says add or remove",
              o.op().span(),
              "write \"add " + o.op().target().text() + "\"");
        }
      }
    }
    return new IpSetDef(name, ops.stream().map(Values.IpSetOpParse::op).toList(), ks);
  }

  // ------------------------------------------------------------------ helpers

  /** A string value with its span. */
  public record Scalar(String value, SourceSpan span) {}

  @FunctionalInterface
  private interface Named<T> {
    T map(String name, SourceSpan keySpan, Tree value, P valuePath);
  }

  /**
   * A user-named map ({@code group:NAME -> ...}): checks each key's prefix and name, maps values;
   * null results (invalid values) are left out.
   */
  private <T> List<T> named(Tree v, P p, String prefix, String what, Named<T> f) {
    if (!(v instanceof Tree.Obj o)) {
      typeIssue(p, v, "an object");
      return List.of();
    }
    List<T> out = new ArrayList<>();
    for (Tree.Entry e : o.entries()) {
      String key = e.key();
      if (!key.startsWith(prefix)) {
        int colon = key.indexOf(':');
        String fixed = prefix + (colon >= 0 ? key.substring(colon + 1) : key);
        d.error(
            Codes.INVALID_NAME,
            what + " name \"" + key + "\" must start with \"" + prefix + "\"",
            e.keySpan(),
            "write \"" + fixed + "\"");
        continue;
      }
      String name = key.substring(prefix.length());
      if (prefix.equals("tag:") && !name.isEmpty() && !isAsciiLetter(name.charAt(0))) {
        d.error(
            Codes.INVALID_NAME,
            "tagOwners[\"" + key + "\"]: tag names must start with a letter, after 'tag:'",
            e.keySpan(),
            "tag names are ASCII letters, digits and '-', starting with a letter");
        continue;
      }
      if (!Values.validName(name)) {
        d.error(
            Codes.INVALID_NAME,
            "invalid " + what + " name \"" + key + "\"",
            e.keySpan(),
            "names are letters, digits, '-', '_' and '.'");
        continue;
      }
      T t = f.map(name, e.keySpan(), e.value(), p.k(key));
      if (t != null) {
        out.add(t);
      }
    }
    return out;
  }

  private <T> List<T> objects(Tree v, P p, java.util.function.BiFunction<Tree.Obj, P, T> f) {
    if (!(v instanceof Tree.Arr a)) {
      typeIssue(p, v, "an array");
      return List.of();
    }
    List<T> out = new ArrayList<>(a.items().size());
    for (int i = 0; i < a.items().size(); i++) {
      Tree item = a.items().get(i);
      if (item instanceof Tree.Obj o) {
        T t = f.apply(o, p.i(i));
        if (t != null) {
          out.add(t);
        }
      } else {
        typeIssue(p.i(i), item, "an object");
      }
    }
    return out;
  }

  private <T> List<T> field(
      Tree.Obj o, String key, P p, java.util.function.BiFunction<Tree, P, List<T>> f) {
    Optional<Tree.Entry> e = o.get(key);
    return e.isPresent() ? f.apply(e.get().value(), p.k(key)) : List.of();
  }

  private <T> List<T> mapStrings(Tree v, P p, Function<Scalar, Optional<T>> f) {
    if (!(v instanceof Tree.Arr a)) {
      typeIssue(p, v, "an array");
      return List.of();
    }
    List<T> out = new ArrayList<>(a.items().size());
    for (int i = 0; i < a.items().size(); i++) {
      Optional<Scalar> s = string(a.items().get(i), p.i(i));
      if (s.isPresent()) {
        f.apply(s.get()).ifPresent(out::add);
      }
    }
    return out;
  }

  private List<Selector> selectors(Tree v, P p) {
    return mapStrings(v, p, sv -> Values.selector(sv.value(), sv.span(), d));
  }

  private List<PostureRef> postureRefs(Tree v, P p) {
    return mapStrings(v, p, sv -> Values.postureRef(sv.value(), sv.span(), d));
  }

  private List<String> plainStrings(Tree v, P p) {
    return mapStrings(v, p, sv -> Optional.of(sv.value()));
  }

  private List<AppCapability> appCaps(Tree v, P p) {
    if (!(v instanceof Tree.Obj o)) {
      typeIssue(p, v, "an object");
      return List.of();
    }
    List<AppCapability> out = new ArrayList<>();
    for (Tree.Entry e : o.entries()) {
      if (e.value() instanceof Tree.Arr a) {
        List<JsonText> values = new ArrayList<>();
        for (Tree item : a.items()) {
          values.add(jsonText(item));
        }
        out.add(new AppCapability(e.key(), values, e.keySpan()));
      } else {
        typeIssue(p.k(e.key()), e.value(), "an array");
      }
    }
    return out;
  }

  private Optional<Scalar> string(Tree v, P p) {
    if (v instanceof Tree.Str s) {
      return Optional.of(new Scalar(s.value(), s.span()));
    }
    if (yaml && v instanceof Tree.Num n) {
      // YAML writers do not quote 443 or 6; the text is what Tailscale's JSON would hold.
      return Optional.of(new Scalar(n.text(), n.span()));
    }
    typeIssue(p, v, "a string");
    return Optional.empty();
  }

  private Optional<Boolean> bool(Tree v, P p) {
    if (v instanceof Tree.Bool b) {
      return Optional.of(b.value());
    }
    typeIssue(p, v, "a boolean");
    return Optional.empty();
  }

  private static boolean isAsciiLetter(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  }

  /** The value without surrounding whitespace (warned about); SSH fields only. */
  private Scalar trimmed(Scalar s) {
    String t = s.value().strip();
    if (t.length() == s.value().length()) {
      return s;
    }
    d.warning(
        Codes.WHITESPACE,
        "surrounding whitespace in " + JsonStrings.quote(s.value()) + " is ignored",
        s.span(),
        "write \"" + t + "\"");
    int lead = s.value().indexOf(t.isEmpty() ? "" : t.substring(0, 1));
    return new Scalar(
        t, Values.sub(s.span(), s.value(), Math.max(0, lead), Math.max(0, lead) + t.length()));
  }

  /** Same rule and wording as the schema's {@code required}. */
  private void required(Tree.Obj o, P p, String... keys) {
    for (String k : keys) {
      if (o.get(k).isEmpty()) {
        List<Object> path = p.list();
        typeIssues.add(
            new TypeIssue(
                path,
                Diagnostic.error(
                    Codes.SCHEMA,
                    pathText(path) + " is missing the required key \"" + k + "\"",
                    o.span())));
      }
    }
  }

  private void typeIssue(P p, Tree v, String expected) {
    List<Object> path = p.list();
    String where = pathText(path);
    String found =
        switch (v.typeName()) {
          case "array", "object", "integer" -> "an " + v.typeName();
          default -> "a " + v.typeName();
        };
    typeIssues.add(
        new TypeIssue(
            path,
            Diagnostic.error(
                Codes.TYPE, where + " must be " + expected + ", not " + found, v.span())));
  }

  static String pathText(List<Object> path) {
    StringBuilder sb = new StringBuilder();
    for (Object step : path) {
      if (step instanceof Integer i) {
        sb.append('[').append(i).append(']');
      } else {
        if (!sb.isEmpty()) {
          sb.append('.');
        }
        sb.append(step);
      }
    }
    return sb.isEmpty() ? "the policy" : sb.toString();
  }

  /** Compact JSON of a subtree, keys in source order. */
  private static JsonText jsonText(Tree t) {
    return new JsonText(JsonBlocks.compact(t), t.span());
  }
}
