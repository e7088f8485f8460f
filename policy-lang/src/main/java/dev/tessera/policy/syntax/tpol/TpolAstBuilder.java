package dev.tessera.policy.syntax.tpol;

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
import dev.tessera.policy.ast.PostureCondition;
import dev.tessera.policy.ast.PostureDef;
import dev.tessera.policy.ast.PostureOperator;
import dev.tessera.policy.ast.PostureRef;
import dev.tessera.policy.ast.PostureValue;
import dev.tessera.policy.ast.Protocol;
import dev.tessera.policy.ast.Section;
import dev.tessera.policy.ast.Selector;
import dev.tessera.policy.ast.SourceSpan;
import dev.tessera.policy.ast.SshRule;
import dev.tessera.policy.ast.SshTest;
import dev.tessera.policy.ast.TagOwner;
import dev.tessera.policy.ast.TestDestination;
import dev.tessera.policy.diag.Codes;
import dev.tessera.policy.diag.Diagnostics;
import dev.tessera.policy.diag.SourceText;
import dev.tessera.policy.diag.Suggest;
import dev.tessera.policy.syntax.JsonBlocks;
import dev.tessera.policy.syntax.Tree;
import dev.tessera.policy.syntax.TreeReader;
import dev.tessera.policy.syntax.Values;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.antlr.v4.runtime.ParserRuleContext;
import org.antlr.v4.runtime.Token;
import org.antlr.v4.runtime.tree.ErrorNode;
import org.antlr.v4.runtime.tree.ParseTree;

/**
 * Parse tree to AST for the DSL. Every value string goes through {@link Values}, exactly as in the
 * HuJSON and YAML readers, so messages and meaning match across syntaxes; what is particular to the
 * DSL (statement shapes, clauses, names with or without their prefix, quoting) is checked here.
 * Invalid statements are reported and left out; nothing here throws on bad input.
 */
final class TpolAstBuilder {
  private static final Pattern NUMBER = Pattern.compile("-?[0-9]+(\\.[0-9]+)?");
  private static final Pattern VERSION_LIKE = Pattern.compile("[0-9][0-9.]*");
  private static final List<String> SETTINGS = List.of("disableIPv4", "randomizeClientPort");

  /** A word as written: its value (unquoted, unescaped), span, and whether it was quoted. */
  record W(String text, SourceSpan span, boolean quoted) {}

  private final SourceText src;
  private final Positions pos;
  private final Diagnostics d;

  private final EnumSet<Section> present = EnumSet.noneOf(Section.class);
  private final List<GroupDef> groups = new ArrayList<>();
  private final List<TagOwner> tagOwners = new ArrayList<>();
  private final List<HostDef> hosts = new ArrayList<>();
  private final List<IpSetDef> ipsets = new ArrayList<>();
  private final List<PostureDef> postures = new ArrayList<>();
  private final List<PostureRef> defaultSrcPosture = new ArrayList<>();
  private final List<Acl> acls = new ArrayList<>();
  private final List<Grant> grants = new ArrayList<>();
  private final List<AutoApprovers.RouteApprover> routes = new ArrayList<>();
  private final List<Selector> exitNode = new ArrayList<>();
  private final List<AutoApprovers.ServiceApprover> services = new ArrayList<>();
  private final List<SshRule> ssh = new ArrayList<>();
  private final List<NodeAttr> nodeAttrs = new ArrayList<>();
  private final List<PolicyTest> tests = new ArrayList<>();
  private final List<SshTest> sshTests = new ArrayList<>();
  private JsonText derpMap;
  private Boolean disableIPv4;
  private Boolean randomizeClientPort;
  private SourceSpan approversSpan;

  /** Rules left out for an invalid action or proto, kept so validation still checks the rest. */
  private final List<Acl> droppedAcls = new ArrayList<>();

  private final List<SshRule> droppedSsh = new ArrayList<>();

  /** First definition of each name, per kind, for duplicate reports. */
  private final Map<String, Map<String, SourceSpan>> defined = new HashMap<>();

  /** First statement that set a single-valued section (default posture, derp, settings). */
  private final Map<Section, SourceSpan> singles = new EnumMap<>(Section.class);

  TpolAstBuilder(SourceText src, Positions pos, Diagnostics d) {
    this.src = src;
    this.pos = pos;
    this.d = d;
  }

  List<Acl> droppedAcls() {
    return List.copyOf(droppedAcls);
  }

  List<SshRule> droppedSsh() {
    return List.copyOf(droppedSsh);
  }

  Policy build(TpolParser.PolicyContext tree, List<Comment> comments, boolean hadSyntaxErrors) {
    for (TpolParser.StatementContext st : tree.statement()) {
      if (hadSyntaxErrors && hasSyntaxError(st)) {
        continue; // already reported by the error listener
      }
      statement(st);
    }
    Policy.Builder b = Policy.builder().comments(comments).span(pos.span(0, src.text().length()));
    for (Section s : present) {
      switch (s) {
        case GROUPS -> b.groups(groups);
        case TAG_OWNERS -> b.tagOwners(tagOwners);
        case HOSTS -> b.hosts(hosts);
        case IPSETS -> b.ipsets(ipsets);
        case POSTURES -> b.postures(postures);
        case DEFAULT_SRC_POSTURE -> b.defaultSrcPosture(defaultSrcPosture);
        case ACLS -> b.acls(acls);
        case GRANTS -> b.grants(grants);
        case AUTO_APPROVERS ->
            b.autoApprovers(
                new AutoApprovers(
                    routes,
                    exitNode,
                    services,
                    approversSpan == null ? SourceSpan.NONE : approversSpan));
        case SSH -> b.ssh(ssh);
        case NODE_ATTRS -> b.nodeAttrs(nodeAttrs);
        case TESTS -> b.tests(tests);
        case SSH_TESTS -> b.sshTests(sshTests);
        case DERP_MAP -> {
          if (derpMap != null) {
            b.derpMap(derpMap);
          }
        }
        case DISABLE_IPV4 -> {
          if (disableIPv4 != null) {
            b.disableIPv4(disableIPv4);
          }
        }
        case RANDOMIZE_CLIENT_PORT -> {
          if (randomizeClientPort != null) {
            b.randomizeClientPort(randomizeClientPort);
          }
        }
      }
    }
    return b.build();
  }

  private static boolean hasSyntaxError(ParseTree t) {
    if (t instanceof ErrorNode) {
      return true;
    }
    if (t instanceof ParserRuleContext ctx) {
      if (ctx.exception != null) {
        return true;
      }
      for (int i = 0; i < ctx.getChildCount(); i++) {
        if (hasSyntaxError(ctx.getChild(i))) {
          return true;
        }
      }
    }
    return false;
  }

  // ------------------------------------------------------------------ statements

  private void statement(TpolParser.StatementContext st) {
    switch (st) {
      case TpolParser.GroupStmtContext c -> {
        present.add(Section.GROUPS);
        String name = definedName(c.name(), "group:", "group");
        if (name != null) {
          groups.add(new GroupDef(name, selectors(c.list()), span(c.name())));
        }
      }
      case TpolParser.TagStmtContext c -> {
        present.add(Section.TAG_OWNERS);
        String name = definedName(c.name(), "tag:", "tag");
        if (name != null) {
          List<Selector> owners = c.list() == null ? List.of() : selectors(c.list());
          tagOwners.add(new TagOwner(name, owners, span(c.name())));
        }
      }
      case TpolParser.HostStmtContext c -> {
        present.add(Section.HOSTS);
        W value = word(c.word());
        String name = definedName(c.name(), "", "host");
        Optional<IpCidr> ip =
            value == null ? Optional.empty() : Values.prefix(value.text(), value.span(), d);
        if (name != null && ip.isPresent()) {
          hosts.add(new HostDef(name, ip.get(), span(c.name())));
        }
      }
      case TpolParser.IpsetStmtContext c -> {
        present.add(Section.IPSETS);
        String name = definedName(c.name(), "ipset:", "ipset");
        List<IpSetDef.Op> ops = new ArrayList<>();
        for (TpolParser.IpsetOpContext op : c.ipsetOps().ipsetOp()) {
          W w = word(op.word());
          if (w == null) {
            continue;
          }
          IpSetDef.Kind kind =
              op.kind != null && op.kind.getType() == TpolLexer.REMOVE
                  ? IpSetDef.Kind.REMOVE
                  : IpSetDef.Kind.ADD;
          Values.selector(w.text(), w.span(), d)
              .ifPresent(s -> ops.add(new IpSetDef.Op(kind, s, span(op))));
        }
        if (name != null) {
          ipsets.add(new IpSetDef(name, ops, span(c.name())));
        }
      }
      case TpolParser.PostureStmtContext c -> {
        present.add(Section.POSTURES);
        String name = definedName(c.name(), "posture:", "posture");
        List<PostureCondition> conds = new ArrayList<>();
        boolean ok = true;
        for (TpolParser.ConditionContext cc : c.conditions().condition()) {
          PostureCondition pc = condition(cc);
          if (pc == null) {
            ok = false;
          } else {
            conds.add(pc);
          }
        }
        if (name != null && ok) {
          postures.add(new PostureDef(name, conds, span(c.name())));
        }
      }
      case TpolParser.DefaultPostureStmtContext c -> {
        present.add(Section.DEFAULT_SRC_POSTURE);
        if (single(Section.DEFAULT_SRC_POSTURE, span(c), "default posture")) {
          defaultSrcPosture.addAll(postureRefs(c.list()));
        }
      }
      case TpolParser.AclStmtContext c -> acl(c);
      case TpolParser.GrantStmtContext c -> grant(c);
      case TpolParser.SshStmtContext c -> sshRule(c);
      case TpolParser.SshTestStmtContext c -> sshTest(c);
      case TpolParser.TestStmtContext c -> test(c);
      case TpolParser.NodeAttrStmtContext c -> nodeAttr(c);
      case TpolParser.ApproveRouteStmtContext c -> {
        present.add(Section.AUTO_APPROVERS);
        approversSpan = approversSpan == null ? span(c) : approversSpan;
        W route = word(c.route);
        List<Selector> approvers = selectors(c.list());
        if (route == null) {
          return;
        }
        Optional<IpCidr> ip = Values.prefix(route.text(), route.span(), d);
        if (ip.isPresent()
            && firstDefinition(
                "route", ip.get().toCompactString(), route.span(), "route " + route.text())) {
          routes.add(new AutoApprovers.RouteApprover(ip.get(), approvers, route.span()));
        }
      }
      case TpolParser.ApproveExitStmtContext c -> {
        present.add(Section.AUTO_APPROVERS);
        approversSpan = approversSpan == null ? span(c) : approversSpan;
        exitNode.addAll(selectors(c.list()));
      }
      case TpolParser.ApproveServiceStmtContext c -> {
        present.add(Section.AUTO_APPROVERS);
        approversSpan = approversSpan == null ? span(c) : approversSpan;
        W service = word(c.service);
        List<Selector> approvers = selectors(c.list());
        if (service == null) {
          return;
        }
        Optional<Selector> key = Values.serviceApproverKey(service.text(), service.span(), d);
        if (key.isPresent()
            && firstDefinition(
                "service", key.get().text(), service.span(), "service " + service.text())) {
          services.add(new AutoApprovers.ServiceApprover(key.get(), approvers, service.span()));
        }
      }
      case TpolParser.DerpStmtContext c -> {
        present.add(Section.DERP_MAP);
        if (single(Section.DERP_MAP, span(c), "derp")) {
          Optional<Tree> t = json(c.JSON_BLOCK().getSymbol());
          if (t.isPresent()) {
            if (t.get() instanceof Tree.Obj) {
              derpMap =
                  new JsonText(JsonBlocks.compact(t.get()), pos.span(c.JSON_BLOCK().getSymbol()));
            } else {
              d.error(
                  Codes.TYPE,
                  "derp must be a JSON object, not " + article(t.get().typeName()),
                  pos.span(c.JSON_BLOCK().getSymbol()));
            }
          }
        }
      }
      case TpolParser.SetStmtContext c -> setting(c);
      case TpolParser.EmptyStmtContext c -> {
        for (W w : words(c.list())) {
          Optional<Section> s = Section.byKey(w.text());
          if (s.isEmpty()) {
            d.error(
                Codes.UNKNOWN_KEY,
                "unknown section \"" + w.text() + "\"",
                w.span(),
                Suggest.didYouMean(w.text(), listSectionKeys()));
          } else if (s.get() == Section.DERP_MAP
              || s.get() == Section.DISABLE_IPV4
              || s.get() == Section.RANDOMIZE_CLIENT_PORT) {
            d.error(
                Codes.SYNTAX,
                s.get().key() + " is a value, not a list: it cannot be empty",
                w.span(),
                s.get() == Section.DERP_MAP
                    ? "write derp { ... }"
                    : "write set " + s.get().key() + " = true");
          } else {
            present.add(s.get());
          }
        }
      }
      default -> throw new IllegalStateException("statement kind not handled: " + st.getClass());
    }
  }

  private static List<String> listSectionKeys() {
    List<String> keys = new ArrayList<>();
    for (Section s : Section.values()) {
      keys.add(s.key());
    }
    return keys;
  }

  private void acl(TpolParser.AclStmtContext c) {
    present.add(Section.ACLS);
    List<Selector> src = selectors(c.src);
    List<AclDestination> dst = new ArrayList<>();
    for (W w : words(c.dst)) {
      Values.aclDestination(w.text(), w.span(), d).ifPresent(dst::add);
    }
    Clauses cl =
        clauses(c.clause(), "an allow rule", EnumSet.of(ClauseKind.PROTO, ClauseKind.WHEN));
    boolean ok = cl.ok;
    if (c.action.getType() == TpolLexer.DENY) {
      d.error(
          Codes.INVALID_ACTION,
          "action=\"deny\" is not supported",
          pos.span(c.action),
          "policies are allow-only (deny by default): remove this rule or narrow the allow rules");
      ok = false;
    }
    Optional<Protocol> proto = Optional.empty();
    if (cl.proto != null) {
      W p = word(cl.proto.word());
      proto = p == null ? Optional.empty() : Values.protocol(p.text(), p.span(), d);
      ok &= proto.isPresent();
      if (proto.isPresent()) {
        for (AclDestination ad : dst) {
          ok &= Values.checkPortsAllowed(proto.get(), ad.ports(), ad.span(), d);
        }
      }
    }
    List<PostureRef> posture = cl.when == null ? List.of() : postureRefs(cl.when.list());
    if (ok) {
      acls.add(new Acl(AclAction.ACCEPT, src, dst, proto, posture, span(c)));
    } else {
      droppedAcls.add(new Acl(AclAction.ACCEPT, src, dst, Optional.empty(), posture, span(c)));
    }
  }

  private void grant(TpolParser.GrantStmtContext c) {
    present.add(Section.GRANTS);
    List<Selector> src = selectors(c.src);
    List<Selector> dst = selectors(c.dst);
    Clauses cl =
        clauses(
            c.clause(),
            "a grant",
            EnumSet.of(ClauseKind.IP, ClauseKind.APP, ClauseKind.VIA, ClauseKind.WHEN));
    List<GrantIp> ip = new ArrayList<>();
    if (cl.ip != null) {
      for (W w : words(cl.ip.list())) {
        Values.grantIp(w.text(), w.span(), d).ifPresent(ip::add);
      }
    }
    List<AppCapability> app = cl.app == null ? List.of() : app(cl.app.JSON_BLOCK().getSymbol());
    List<Selector> via = cl.via == null ? List.of() : selectors(cl.via.list());
    List<PostureRef> posture = cl.when == null ? List.of() : postureRefs(cl.when.list());
    if (cl.ok) {
      grants.add(new Grant(src, dst, ip, app, posture, via, span(c)));
    }
  }

  private void sshRule(TpolParser.SshStmtContext c) {
    present.add(Section.SSH);
    W action = word(c.action);
    SshRule.Action a = null;
    if (action != null) {
      switch (action.text()) {
        case "accept" -> a = SshRule.Action.ACCEPT;
        case "check" -> a = SshRule.Action.CHECK;
        default ->
            d.error(
                Codes.INVALID_ACTION,
                "unknown ssh action \"" + action.text() + "\"",
                action.span(),
                "ssh actions are accept and check: ssh accept SRC -> DST as USERS");
      }
    }
    List<Selector> src = selectors(c.src);
    List<Selector> dst = selectors(c.dst);
    Clauses cl =
        clauses(
            c.clause(),
            "an ssh rule",
            EnumSet.of(
                ClauseKind.AS,
                ClauseKind.PERIOD,
                ClauseKind.ENV,
                ClauseKind.WHEN,
                ClauseKind.RECORDER,
                ClauseKind.ENFORCE_RECORDER));
    List<String> users = new ArrayList<>();
    if (cl.as != null) {
      for (W w : words(cl.as.list())) {
        String u = w.text().strip(); // as the HuJSON reader (Tailscale trims ssh users)
        if (u.isEmpty() || u.equals("*")) {
          d.error(
              Codes.INVALID_SSH,
              "user \"" + u + "\" is not valid",
              w.span(),
              "name a login user such as root, or autogroup:nonroot");
        } else {
          users.add(u);
        }
      }
    }
    Optional<String> period = Optional.empty();
    if (cl.period != null) {
      W p = word(cl.period.word());
      period = p == null ? Optional.empty() : Optional.of(p.text());
      if (p != null) {
        Values.checkPeriod(p.text(), p.span(), d); // reported like HuJSON's; the rule is kept
      }
    }
    List<String> env = new ArrayList<>();
    if (cl.env != null) {
      for (W w : words(cl.env.list())) {
        if (w.text().isEmpty()) {
          d.error(Codes.INVALID_SSH, "acceptEnv values cannot be empty", w.span());
        } else {
          env.add(w.text());
        }
      }
    }
    List<PostureRef> posture = cl.when == null ? List.of() : postureRefs(cl.when.list());
    List<Selector> recorder = cl.recorder == null ? List.of() : selectors(cl.recorder.list());
    Optional<Boolean> enforce = Optional.empty();
    if (cl.enforceRecorder != null) {
      W v = word(cl.enforceRecorder.word());
      if (v != null && (v.text().equals("true") || v.text().equals("false"))) {
        enforce = Optional.of(v.text().equals("true"));
      } else if (v != null) {
        cl.ok = false;
        d.error(
            Codes.TYPE,
            "enforce-recorder takes true or false, not \"" + v.text() + "\"",
            v.span(),
            "write enforce-recorder true");
      }
    }
    if (a != null && cl.ok) {
      ssh.add(new SshRule(a, src, dst, users, period, env, posture, recorder, enforce, span(c)));
    } else {
      droppedSsh.add(
          new SshRule(
              SshRule.Action.ACCEPT,
              src,
              dst,
              users,
              Optional.empty(),
              env,
              posture,
              recorder,
              enforce,
              span(c)));
    }
  }

  private void sshTest(TpolParser.SshTestStmtContext c) {
    present.add(Section.SSH_TESTS);
    W srcW = word(c.src);
    List<String> dst = texts(c.dst);
    List<String> accept = null;
    List<String> check = null;
    List<String> deny = null;
    boolean ok = srcW != null;
    for (TpolParser.SshTestClauseContext tc : c.sshTestClause()) {
      switch (tc) {
        case TpolParser.SshTestAcceptContext x -> {
          ok &= once(accept, x.ACCEPT().getSymbol());
          accept = texts(x.list());
        }
        case TpolParser.SshTestCheckContext x -> {
          ok &= once(check, x.CHECK().getSymbol());
          check = texts(x.list());
        }
        case TpolParser.SshTestDenyContext x -> {
          ok &= once(deny, x.DENY().getSymbol());
          deny = texts(x.list());
        }
        default -> throw new IllegalStateException("ssh test clause not handled: " + tc.getClass());
      }
    }
    if (ok) {
      sshTests.add(
          new SshTest(srcW.text(), dst, orEmpty(accept), orEmpty(check), orEmpty(deny), span(c)));
    }
  }

  private void test(TpolParser.TestStmtContext c) {
    present.add(Section.TESTS);
    W srcW = word(c.src);
    boolean ok = srcW != null;
    Optional<Protocol> proto = Optional.empty();
    Token protoSeen = null;
    List<TestDestination> accept = null;
    List<TestDestination> deny = null;
    for (TpolParser.TestClauseContext tc : c.testClause()) {
      switch (tc) {
        case TpolParser.TestProtoContext x -> {
          if (protoSeen != null) {
            twice(x.PROTO().getSymbol());
            ok = false;
          }
          protoSeen = x.PROTO().getSymbol();
          W p = word(x.word());
          proto = p == null ? Optional.empty() : Values.protocol(p.text(), p.span(), d);
          ok &= proto.isPresent();
        }
        case TpolParser.TestAcceptContext x -> {
          ok &= once(accept, x.CAN().getSymbol());
          accept = testDestinations(x.list());
        }
        case TpolParser.TestDenyContext x -> {
          ok &= once(deny, x.CANNOT().getSymbol());
          deny = testDestinations(x.list());
        }
        default -> throw new IllegalStateException("test clause not handled: " + tc.getClass());
      }
    }
    if (ok) {
      tests.add(
          new PolicyTest(
              Values.testSource(srcW.text(), srcW.span()),
              proto,
              orEmpty(accept),
              orEmpty(deny),
              span(c)));
    }
  }

  private List<TestDestination> testDestinations(TpolParser.ListContext l) {
    List<TestDestination> out = new ArrayList<>();
    for (W w : words(l)) {
      out.add(Values.testDestination(w.text(), w.span()));
    }
    return out;
  }

  private void nodeAttr(TpolParser.NodeAttrStmtContext c) {
    present.add(Section.NODE_ATTRS);
    List<String> attrs = texts(c.attrs);
    List<Selector> targets = selectors(c.targets);
    Clauses cl =
        clauses(c.clause(), "an attr statement", EnumSet.of(ClauseKind.APP, ClauseKind.POOL));
    List<AppCapability> app = cl.app == null ? List.of() : app(cl.app.JSON_BLOCK().getSymbol());
    List<IpCidr> pool = new ArrayList<>();
    if (cl.pool != null) {
      for (W w : words(cl.pool.list())) {
        Values.prefix(w.text(), w.span(), d).ifPresent(pool::add);
      }
    }
    if (cl.ok) {
      nodeAttrs.add(new NodeAttr(targets, attrs, app, pool, span(c)));
    }
  }

  private void setting(TpolParser.SetStmtContext c) {
    W name = word(c.name().word());
    W value = word(c.word());
    if (name == null || value == null) {
      return;
    }
    Optional<Section> s = Section.byKey(name.text());
    if (s.isEmpty()
        || (s.get() != Section.DISABLE_IPV4 && s.get() != Section.RANDOMIZE_CLIENT_PORT)) {
      d.error(
          Codes.UNKNOWN_KEY,
          "unknown setting \"" + name.text() + "\"",
          name.span(),
          Optional.ofNullable(Suggest.didYouMean(name.text(), SETTINGS))
              .orElse("settings are " + String.join(" and ", SETTINGS)));
      return;
    }
    present.add(s.get());
    if (!name.text().equals(s.get().key())) {
      d.warning(
          Codes.KEY_CASE,
          "setting \""
              + name.text()
              + "\" is spelled \""
              + s.get().key()
              + "\" in Tailscale's documentation",
          name.span(),
          "write " + s.get().key());
    }
    if (value.quoted() || !(value.text().equals("true") || value.text().equals("false"))) {
      d.error(
          Codes.TYPE, s.get().key() + " must be true or false, not " + quote(value), value.span());
      return;
    }
    if (!single(s.get(), span(c), "set " + s.get().key())) {
      return;
    }
    boolean v = value.text().equals("true");
    if (s.get() == Section.DISABLE_IPV4) {
      disableIPv4 = v;
    } else {
      randomizeClientPort = v;
    }
  }

  // ------------------------------------------------------------------ clauses

  private enum ClauseKind {
    PROTO("proto"),
    WHEN("when"),
    IP("ip"),
    APP("app"),
    VIA("via"),
    AS("as"),
    PERIOD("period"),
    ENV("env"),
    POOL("pool"),
    RECORDER("recorder"),
    ENFORCE_RECORDER("enforce-recorder");

    final String word;

    ClauseKind(String word) {
      this.word = word;
    }
  }

  /** The clauses of one statement, each at most once; ok is false after any problem. */
  private static final class Clauses {
    boolean ok = true;
    TpolParser.ProtoClauseContext proto;
    TpolParser.WhenClauseContext when;
    TpolParser.IpClauseContext ip;
    TpolParser.AppClauseContext app;
    TpolParser.ViaClauseContext via;
    TpolParser.AsClauseContext as;
    TpolParser.PeriodClauseContext period;
    TpolParser.EnvClauseContext env;
    TpolParser.PoolClauseContext pool;
    TpolParser.RecorderClauseContext recorder;
    TpolParser.EnforceRecorderClauseContext enforceRecorder;
  }

  private Clauses clauses(
      List<TpolParser.ClauseContext> list, String where, EnumSet<ClauseKind> allowed) {
    Clauses cl = new Clauses();
    EnumSet<ClauseKind> seen = EnumSet.noneOf(ClauseKind.class);
    for (TpolParser.ClauseContext c : list) {
      ClauseKind k =
          switch (c) {
            case TpolParser.ProtoClauseContext x -> {
              cl.proto = x;
              yield ClauseKind.PROTO;
            }
            case TpolParser.WhenClauseContext x -> {
              cl.when = x;
              yield ClauseKind.WHEN;
            }
            case TpolParser.IpClauseContext x -> {
              cl.ip = x;
              yield ClauseKind.IP;
            }
            case TpolParser.AppClauseContext x -> {
              cl.app = x;
              yield ClauseKind.APP;
            }
            case TpolParser.ViaClauseContext x -> {
              cl.via = x;
              yield ClauseKind.VIA;
            }
            case TpolParser.AsClauseContext x -> {
              cl.as = x;
              yield ClauseKind.AS;
            }
            case TpolParser.PeriodClauseContext x -> {
              cl.period = x;
              yield ClauseKind.PERIOD;
            }
            case TpolParser.EnvClauseContext x -> {
              cl.env = x;
              yield ClauseKind.ENV;
            }
            case TpolParser.PoolClauseContext x -> {
              cl.pool = x;
              yield ClauseKind.POOL;
            }
            case TpolParser.RecorderClauseContext x -> {
              cl.recorder = x;
              yield ClauseKind.RECORDER;
            }
            case TpolParser.EnforceRecorderClauseContext x -> {
              cl.enforceRecorder = x;
              yield ClauseKind.ENFORCE_RECORDER;
            }
            default -> throw new IllegalStateException("clause not handled: " + c.getClass());
          };
      Token kw = c.getStart();
      if (!allowed.contains(k)) {
        cl.ok = false;
        d.error(
            Codes.UNKNOWN_KEY,
            "'" + k.word + "' is not allowed in " + where,
            pos.span(kw),
            clauseHelp(k, allowed));
      } else if (!seen.add(k)) {
        cl.ok = false;
        twice(kw);
      }
    }
    return cl;
  }

  private static String clauseHelp(ClauseKind k, EnumSet<ClauseKind> allowed) {
    String home =
        switch (k) {
          case PROTO -> "proto belongs to allow rules; in a grant write ip tcp:443";
          case IP, APP, VIA -> k.word + " belongs to grant rules";
          case AS, PERIOD, ENV, RECORDER, ENFORCE_RECORDER -> k.word + " belongs to ssh rules";
          case POOL -> "pool (ipPool) belongs to attr statements";
          case WHEN -> "when (source posture) belongs to allow, grant and ssh rules";
        };
    StringBuilder sb = new StringBuilder(home).append("; here: ");
    List<String> names = new ArrayList<>();
    for (ClauseKind a : allowed) {
      names.add(a.word);
    }
    return sb.append(String.join(", ", names)).toString();
  }

  private boolean once(List<?> already, Token kw) {
    if (already != null) {
      twice(kw);
      return false;
    }
    return true;
  }

  private void twice(Token kw) {
    d.error(
        Codes.DUPLICATE_KEY,
        "'" + kw.getText() + "' given twice in one statement",
        pos.span(kw),
        "merge the two lists into one");
  }

  // ------------------------------------------------------------------ postures

  private PostureCondition condition(TpolParser.ConditionContext cc) {
    W attr;
    PostureOperator op;
    List<PostureValue> values = new ArrayList<>();
    boolean ok = true;
    switch (cc) {
      case TpolParser.CompareCondContext c -> {
        attr = word(c.attr);
        op =
            switch (c.op.getType()) {
              case TpolLexer.EQEQ -> PostureOperator.EQ;
              case TpolLexer.NEQ -> PostureOperator.NE;
              case TpolLexer.LT -> PostureOperator.LT;
              case TpolLexer.LE -> PostureOperator.LE;
              case TpolLexer.GT -> PostureOperator.GT;
              default -> PostureOperator.GE;
            };
        PostureValue v = postureValue(c.postureValue());
        ok = v != null;
        if (v != null) {
          values.add(v);
        }
      }
      case TpolParser.InCondContext c -> {
        attr = word(c.attr);
        op = c.NOT() != null ? PostureOperator.NOT_IN : PostureOperator.IN;
        for (TpolParser.PostureValueContext pv : c.postureValue()) {
          PostureValue v = postureValue(pv);
          ok &= v != null;
          if (v != null) {
            values.add(v);
          }
        }
      }
      case TpolParser.SetCondContext c -> {
        attr = word(c.attr);
        op = c.IS() != null ? PostureOperator.IS_SET : PostureOperator.NOT_SET;
      }
      default -> throw new IllegalStateException("condition not handled: " + cc.getClass());
    }
    if (attr == null || !ok) {
      return null;
    }
    String a = attr.text();
    int colon = a.indexOf(':');
    if (colon <= 0
        || colon == a.length() - 1
        || !Values.validName(a.substring(0, colon))
        || !Values.validName(a.substring(colon + 1))) {
      d.error(
          Codes.INVALID_POSTURE,
          "invalid posture attribute \"" + a + "\"",
          attr.span(),
          "attributes look like node:os, node:tsVersion or custom:NAME");
      return null;
    }
    return new PostureCondition(a, op, values, span(cc));
  }

  private PostureValue postureValue(TpolParser.PostureValueContext pv) {
    Token t = pv.getStart();
    SourceSpan sp = pos.span(t);
    switch (t.getType()) {
      case TpolLexer.STRING -> {
        String s = unquote(t);
        return s == null ? null : PostureValue.string(s);
      }
      case TpolLexer.TRUE, TpolLexer.FALSE -> {
        return new PostureValue(PostureValue.Kind.BOOLEAN, t.getText());
      }
      case TpolLexer.NUMBER -> {
        return new PostureValue(PostureValue.Kind.NUMBER, t.getText());
      }
      default -> {
        String text = t.getText();
        if (NUMBER.matcher(text).matches()) {
          return new PostureValue(PostureValue.Kind.NUMBER, text);
        }
        if (VERSION_LIKE.matcher(text).matches()) {
          d.error(
              Codes.INVALID_POSTURE,
              "unquoted version \"" + text + "\"",
              sp,
              "quote it: \"" + text + "\" (a bare 1.60 is a number)");
          return null;
        }
        // A bare word is a string: node:os == macos.
        return PostureValue.string(text);
      }
    }
  }

  private List<PostureRef> postureRefs(TpolParser.ListContext l) {
    List<PostureRef> out = new ArrayList<>();
    for (W w : words(l)) {
      String t = w.text().startsWith("posture:") ? w.text() : "posture:" + w.text();
      Values.postureRef(t, w.span(), d).ifPresent(out::add);
    }
    return out;
  }

  // ------------------------------------------------------------------ JSON blocks

  private List<AppCapability> app(Token block) {
    Optional<Tree> t = json(block);
    if (t.isEmpty()) {
      return List.of();
    }
    if (!(t.get() instanceof Tree.Obj o)) {
      d.error(
          Codes.TYPE,
          "app must be a JSON object of capability lists, not " + article(t.get().typeName()),
          pos.span(block));
      return List.of();
    }
    List<AppCapability> out = new ArrayList<>();
    for (Tree.Entry e : o.entries()) {
      if (e.value() instanceof Tree.Arr a) {
        List<JsonText> values = new ArrayList<>();
        for (Tree item : a.items()) {
          values.add(new JsonText(JsonBlocks.compact(item), item.span()));
        }
        out.add(new AppCapability(e.key(), values, e.keySpan()));
      } else {
        d.error(
            Codes.TYPE,
            "app." + e.key() + " must be an array, not " + article(e.value().typeName()),
            e.value().span(),
            "write \"" + e.key() + "\": [ ... ]");
      }
    }
    return out;
  }

  /**
   * Parses a JSON_BLOCK token with the HuJSON tree reader (comments and trailing commas allowed,
   * duplicate keys reported). The block is parsed as if it stood at its place in the file (blank
   * lines and spaces before it) so that line and column of every problem inside are exact.
   */
  private Optional<Tree> json(Token block) {
    SourceSpan s = pos.span(block);
    String text = block.getText();
    StringBuilder padded = new StringBuilder(s.startLine() + s.startCol() + text.length());
    padded.repeat('\n', s.startLine() - 1).repeat(' ', s.startCol() - 1).append(text);
    return TreeReader.read(new SourceText(src.name(), padded.toString()), false, d);
  }

  // ------------------------------------------------------------------ words and names

  private String definedName(TpolParser.NameContext n, String prefix, String kind) {
    W w = word(n.word());
    if (w == null) {
      return null;
    }
    String name =
        !prefix.isEmpty() && w.text().startsWith(prefix)
            ? w.text().substring(prefix.length())
            : w.text();
    if (prefix.equals("tag:")
        && !name.isEmpty()
        && !((name.charAt(0) >= 'a' && name.charAt(0) <= 'z')
            || (name.charAt(0) >= 'A' && name.charAt(0) <= 'Z'))) {
      // Same rule and words as the HuJSON reader (Tailscale's own message).
      d.error(
          Codes.INVALID_NAME,
          "tagOwners[\"tag:" + name + "\"]: tag names must start with a letter, after 'tag:'",
          w.span(),
          "tag names are ASCII letters, digits and '-', starting with a letter");
      return null;
    }
    if (!Values.validName(name)) {
      d.error(
          Codes.INVALID_NAME,
          "invalid " + kind + " name \"" + w.text() + "\"",
          w.span(),
          "names are letters, digits, '-', '_' and '.'");
      return null;
    }
    return firstDefinition(kind, name, w.span(), kind + " " + name) ? name : null;
  }

  private boolean firstDefinition(String kind, String key, SourceSpan at, String what) {
    SourceSpan first = defined.computeIfAbsent(kind, k -> new HashMap<>()).putIfAbsent(key, at);
    if (first != null) {
      d.error(
          Codes.DUPLICATE_KEY,
          what + " is defined twice (first at line " + first.startLine() + ")",
          at,
          "remove one of them; merge their contents if both are needed");
      return false;
    }
    return true;
  }

  private boolean single(Section s, SourceSpan at, String what) {
    SourceSpan first = singles.putIfAbsent(s, at);
    if (first != null) {
      d.error(
          Codes.DUPLICATE_KEY,
          what + " is given twice (first at line " + first.startLine() + ")",
          at,
          "keep one");
      return false;
    }
    return true;
  }

  private List<Selector> selectors(TpolParser.ListContext l) {
    return mapWords(l, w -> Values.selector(w.text(), w.span(), d));
  }

  private List<String> texts(TpolParser.ListContext l) {
    return mapWords(l, w -> Optional.of(w.text()));
  }

  private <T> List<T> mapWords(TpolParser.ListContext l, Function<W, Optional<T>> f) {
    List<T> out = new ArrayList<>();
    for (W w : words(l)) {
      f.apply(w).ifPresent(out::add);
    }
    return out;
  }

  private List<W> words(TpolParser.ListContext l) {
    List<W> out = new ArrayList<>();
    if (l == null) {
      return out;
    }
    for (TpolParser.WordContext wc : l.word()) {
      W w = word(wc);
      if (w != null) {
        out.add(w);
      }
    }
    return out;
  }

  /** The word's value; null (reported) for a string with a bad escape. */
  private W word(TpolParser.WordContext wc) {
    if (wc == null) {
      return null;
    }
    Token t = wc.getStart();
    if (t.getType() == TpolLexer.STRING) {
      String v = unquote(t);
      return v == null ? null : new W(v, pos.span(t), true);
    }
    return new W(t.getText(), pos.span(t), false);
  }

  /** JSON string escapes plus \' ; null after reporting an invalid one. */
  private String unquote(Token t) {
    String s = t.getText();
    String body = s.substring(1, s.length() - 1);
    if (body.indexOf('\\') < 0) {
      return body;
    }
    StringBuilder sb = new StringBuilder(body.length());
    for (int i = 0; i < body.length(); i++) {
      char c = body.charAt(i);
      if (c != '\\') {
        sb.append(c);
        continue;
      }
      char e = i + 1 < body.length() ? body.charAt(i + 1) : '\0';
      switch (e) {
        case '"', '\'', '\\', '/' -> sb.append(e);
        case 'b' -> sb.append('\b');
        case 'f' -> sb.append('\f');
        case 'n' -> sb.append('\n');
        case 'r' -> sb.append('\r');
        case 't' -> sb.append('\t');
        case 'u' -> {
          int v = i + 6 <= body.length() ? hex4(body, i + 2) : -1;
          if (v < 0) {
            badEscape(t, i, Math.min(body.length(), i + 6));
            return null;
          }
          sb.append((char) v);
          i += 4;
        }
        default -> {
          badEscape(t, i, i + 2);
          return null;
        }
      }
      i++;
    }
    return sb.toString();
  }

  private static int hex4(String s, int at) {
    int v = 0;
    for (int k = at; k < at + 4; k++) {
      int h = Character.digit(s.charAt(k), 16);
      if (h < 0) {
        return -1;
      }
      v = v * 16 + h;
    }
    return v;
  }

  private void badEscape(Token t, int from, int to) {
    SourceSpan whole = pos.span(t);
    String text = t.getText();
    String esc = text.substring(1 + from, Math.min(text.length() - 1, 1 + to));
    d.error(
        Codes.SYNTAX,
        "invalid escape \"" + esc + "\" in string",
        Values.sub(whole, text, 1 + from, 1 + to),
        "escapes are \\\" \\' \\\\ \\/ \\b \\f \\n \\r \\t and \\uXXXX");
  }

  private SourceSpan span(ParserRuleContext ctx) {
    return pos.span(ctx);
  }

  private static <T> List<T> orEmpty(List<T> l) {
    return l == null ? List.of() : l;
  }

  private static String article(String typeName) {
    return switch (typeName) {
      case "array", "object", "integer" -> "an " + typeName;
      default -> "a " + typeName;
    };
  }

  private static String quote(W w) {
    return w.quoted() ? "the string \"" + w.text() + "\"" : "\"" + w.text() + "\"";
  }
}
