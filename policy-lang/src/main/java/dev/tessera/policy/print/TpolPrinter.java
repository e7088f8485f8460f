package dev.tessera.policy.print;

import dev.tessera.net.IpCidr;
import dev.tessera.policy.ast.Acl;
import dev.tessera.policy.ast.AppCapability;
import dev.tessera.policy.ast.AutoApprovers;
import dev.tessera.policy.ast.Comment;
import dev.tessera.policy.ast.Grant;
import dev.tessera.policy.ast.IpSetDef;
import dev.tessera.policy.ast.JsonText;
import dev.tessera.policy.ast.NodeAttr;
import dev.tessera.policy.ast.Policy;
import dev.tessera.policy.ast.PolicyTest;
import dev.tessera.policy.ast.PostureCondition;
import dev.tessera.policy.ast.PostureDef;
import dev.tessera.policy.ast.PostureRef;
import dev.tessera.policy.ast.PostureValue;
import dev.tessera.policy.ast.Section;
import dev.tessera.policy.ast.SshRule;
import dev.tessera.policy.ast.SshTest;
import dev.tessera.policy.ast.TagOwner;
import dev.tessera.policy.ast.TestDestination;
import dev.tessera.policy.syntax.Tree;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Canonical DSL layout: sections in {@link Section} order separated by a blank line, one statement
 * per definition or rule, clauses in a fixed order, lines filled to {@value #WIDTH} columns and
 * continued with a 4-space indent (newlines are not significant in the DSL, so any break between
 * tokens reads back the same). Words are printed bare when the lexer reads them back as one word,
 * else quoted ({@link Quoting#tpol}). Comments are written with {@code #} (block comments keep
 * {@code /* *}{@code /}).
 */
final class TpolPrinter {
  static final int WIDTH = 100;
  private static final String CONT = "    ";

  /**
   * Marks a word that starts a clause. A statement too long for one line breaks before each of its
   * clauses first (one clause per line) and only then fills within a clause.
   */
  private static final String CLAUSE = "\u0001";

  private final Policy p;
  private final CommentPlan plan;
  private final StringBuilder out = new StringBuilder();
  private boolean sectionOpen;

  private final Written written;

  TpolPrinter(Policy p) {
    this(p, Written.NONE);
  }

  TpolPrinter(Policy p, Written written) {
    this.p = p;
    this.written = written;
    this.plan = CommentPlan.of(p);
  }

  String print() {
    for (Comment c : plan.head()) {
      comment(c, "");
    }
    if (!plan.head().isEmpty()) {
      out.append('\n');
    }
    for (Section s : Section.values()) {
      if (p.has(s)) {
        section(s);
      }
    }
    if (!plan.tail().isEmpty()) {
      if (!out.isEmpty()) {
        out.append('\n');
      }
      for (Comment c : plan.tail()) {
        comment(c, "");
      }
    }
    return out.toString();
  }

  private void section(Section s) {
    sectionOpen = false;
    if (!out.isEmpty() && out.charAt(out.length() - 1) == '\n' && !endsWithBlankLine()) {
      out.append('\n');
    }
    int before = out.length();
    switch (s) {
      case GROUPS ->
          p.groups()
              .forEach(
                  g ->
                      stmt(
                          g,
                          words(
                              "group",
                              Quoting.tpol(g.name()),
                              "=",
                              list(g.members(), written::selector))));
      case TAG_OWNERS -> p.tagOwners().forEach(this::tag);
      case HOSTS ->
          p.hosts()
              .forEach(
                  h ->
                      stmt(
                          h,
                          words(
                              "host",
                              Quoting.tpol(h.name()),
                              "=",
                              List.of(Quoting.tpol(written.host(h))))));
      case IPSETS -> p.ipsets().forEach(this::ipset);
      case POSTURES -> p.postures().forEach(this::posture);
      case DEFAULT_SRC_POSTURE ->
          stmt(
              p.defaultSrcPosture(),
              words("default", "posture", postureRefs(p.defaultSrcPosture())));
      case ACLS -> p.acls().forEach(this::acl);
      case GRANTS -> p.grants().forEach(this::grant);
      case AUTO_APPROVERS -> autoApprovers(p.autoApprovers());
      case SSH -> p.ssh().forEach(this::ssh);
      case NODE_ATTRS -> p.nodeAttrs().forEach(this::nodeAttr);
      case TESTS -> p.tests().forEach(this::test);
      case SSH_TESTS -> p.sshTests().forEach(this::sshTest);
      case DERP_MAP -> p.derpMap().ifPresent(j -> stmt(j, words("derp", List.of(json(j)))));
      case DISABLE_IPV4 ->
          p.disableIPv4()
              .ifPresent(v -> stmt(null, words("set", "disableIPv4", "=", v.toString())));
      case RANDOMIZE_CLIENT_PORT ->
          p.randomizeClientPort()
              .ifPresent(v -> stmt(null, words("set", "randomizeClientPort", "=", v.toString())));
    }
    if (out.length() == before) {
      // Present but empty: say so, since an empty acls section denies everything.
      stmt(null, words("empty", s.key()));
    }
  }

  private boolean endsWithBlankLine() {
    return out.length() >= 2
        && out.charAt(out.length() - 1) == '\n'
        && out.charAt(out.length() - 2) == '\n';
  }

  // ------------------------------------------------------------------ statements

  private void tag(TagOwner t) {
    List<String> w = words("tag", Quoting.tpol(t.tag()));
    if (!t.owners().isEmpty()) {
      w.addAll(clause("owned by", list(t.owners(), written::selector)));
    }
    stmt(t, w);
  }

  private void ipset(IpSetDef s) {
    boolean explicit = s.ops().stream().anyMatch(o -> o.kind() == IpSetDef.Kind.REMOVE);
    List<String> items = new ArrayList<>();
    for (IpSetDef.Op o : s.ops()) {
      String target = Quoting.tpol(o.target().text());
      items.add(explicit || written.explicitOp(o) ? o.kind().text() + " " + target : target);
    }
    stmt(s, words("ipset", Quoting.tpol(s.name()), "=", commaList(items)));
  }

  private void posture(PostureDef d) {
    List<String> w = words("posture", Quoting.tpol(d.name()), "=");
    if (d.conditions().isEmpty()) {
      w.add("[]");
    }
    for (int i = 0; i < d.conditions().size(); i++) {
      List<String> c = condition(d.conditions().get(i));
      if (i > 0) {
        c.set(0, CLAUSE + "and " + c.getFirst()); // breaks go before "and", never after
      }
      w.addAll(c);
    }
    stmt(d, w);
  }

  private static List<String> condition(PostureCondition c) {
    List<String> w = new ArrayList<>();
    w.add(Quoting.tpol(c.attribute()));
    w.add(c.operator().text());
    switch (c.operator().arity()) {
      case NONE -> {}
      case ONE -> w.add(value(c.values().getFirst()));
      case LIST -> {
        List<String> vs = new ArrayList<>();
        for (PostureValue v : c.values()) {
          vs.add(value(v));
        }
        List<String> items = commaList(vs);
        items.set(0, "[" + items.getFirst());
        items.set(items.size() - 1, items.getLast() + "]");
        w.addAll(items);
      }
    }
    return w;
  }

  private static String value(PostureValue v) {
    return switch (v.kind()) {
      case STRING -> Quoting.json(v.text());
      case NUMBER, BOOLEAN -> v.text();
    };
  }

  private void acl(Acl a) {
    List<String> w =
        words(
            "allow",
            list(a.src(), written::selector),
            "->",
            list(a.dst(), written::aclDestination));
    a.proto().ifPresent(pr -> w.addAll(clause("proto", List.of(Quoting.tpol(pr.toString())))));
    when(w, a.srcPosture());
    stmt(a, w);
  }

  private void grant(Grant g) {
    List<String> w =
        words("grant", list(g.src(), written::selector), "->", list(g.dst(), written::selector));
    if (!g.ip().isEmpty()) {
      w.addAll(clause("ip", list(g.ip(), written::grantIp)));
    }
    if (!g.app().isEmpty()) {
      w.addAll(clause("app", List.of(app(g.app()))));
    }
    if (!g.via().isEmpty()) {
      w.addAll(clause("via", list(g.via(), written::selector)));
    }
    when(w, g.srcPosture());
    stmt(g, w);
  }

  private void autoApprovers(AutoApprovers a) {
    for (AutoApprovers.RouteApprover r : a.routes()) {
      stmt(
          r,
          words(
              "approve",
              "route",
              Quoting.tpol(written.prefix(r.route(), r.span())),
              "by",
              list(r.approvers(), written::selector)));
    }
    if (!a.exitNode().isEmpty()) {
      stmt(
          a.exitNode(), words("approve", "exit-node", "by", list(a.exitNode(), written::selector)));
    }
    for (AutoApprovers.ServiceApprover r : a.services()) {
      stmt(
          r,
          words(
              "approve",
              "service",
              Quoting.tpol(r.service().text()),
              "by",
              list(r.approvers(), written::selector)));
    }
  }

  private void ssh(SshRule r) {
    List<String> w =
        words(
            "ssh",
            r.action().text(),
            list(r.src(), written::selector),
            "->",
            list(r.dst(), written::selector));
    if (!r.users().isEmpty()) {
      w.addAll(clause("as", list(r.users(), Function.identity())));
    }
    r.checkPeriod().ifPresent(cp -> w.addAll(clause("period", List.of(Quoting.tpol(cp)))));
    if (!r.acceptEnv().isEmpty()) {
      w.addAll(clause("env", list(r.acceptEnv(), Function.identity())));
    }
    when(w, r.srcPosture());
    if (!r.recorder().isEmpty()) {
      w.addAll(clause("recorder", list(r.recorder(), written::selector)));
    }
    r.enforceRecorder().ifPresent(e -> w.addAll(clause("enforce-recorder", List.of(e.toString()))));
    stmt(r, w);
  }

  private void nodeAttr(NodeAttr n) {
    List<String> w =
        words(
            "attr",
            list(n.attr(), Function.identity()),
            "for",
            list(n.target(), written::selector));
    if (!n.ipPool().isEmpty()) {
      w.addAll(clause("pool", list(n.ipPool(), IpCidr::toCompactString)));
    }
    if (!n.app().isEmpty()) {
      w.addAll(clause("app", List.of(app(n.app()))));
    }
    stmt(n, w);
  }

  private void test(PolicyTest t) {
    List<String> w = words("test", Quoting.tpol(t.src().raw()));
    t.proto().ifPresent(pr -> w.addAll(clause("proto", List.of(Quoting.tpol(pr.toString())))));
    if (!t.accept().isEmpty()) {
      w.addAll(clause("can reach", list(t.accept(), TestDestination::raw)));
    }
    if (!t.deny().isEmpty()) {
      w.addAll(clause("cannot reach", list(t.deny(), TestDestination::raw)));
    }
    stmt(t, w);
  }

  private void sshTest(SshTest t) {
    List<String> w =
        words("ssh", "test", Quoting.tpol(t.src()), "->", list(t.dst(), Function.identity()));
    if (!t.accept().isEmpty()) {
      w.addAll(clause("accept", list(t.accept(), Function.identity())));
    }
    if (!t.check().isEmpty()) {
      w.addAll(clause("check", list(t.check(), Function.identity())));
    }
    if (!t.deny().isEmpty()) {
      w.addAll(clause("deny", list(t.deny(), Function.identity())));
    }
    stmt(t, w);
  }

  private void when(List<String> w, List<PostureRef> refs) {
    if (!refs.isEmpty()) {
      w.addAll(clause("when", postureRefs(refs)));
    }
  }

  private static List<String> postureRefs(List<PostureRef> refs) {
    return list(refs, PostureRef::name);
  }

  // ------------------------------------------------------------------ JSON blocks

  private static String json(JsonText j) {
    StringBuilder sb = new StringBuilder();
    Json.write(Json.tree(j), sb, "", "  ", false);
    return sb.toString();
  }

  /** The app capabilities as one JSON object block, as in HuJSON. */
  private static String app(List<AppCapability> caps) {
    List<Tree.Entry> entries = new ArrayList<>();
    for (AppCapability c : caps) {
      List<Tree> items = new ArrayList<>();
      for (JsonText v : c.values()) {
        items.add(Json.tree(v));
      }
      entries.add(new Tree.Entry(c.name(), c.span(), new Tree.Arr(items, c.span())));
    }
    StringBuilder sb = new StringBuilder();
    Json.write(new Tree.Obj(entries, caps.getFirst().span()), sb, "", "  ", false);
    return sb.toString();
  }

  // ------------------------------------------------------------------ layout

  /**
   * Words for a clause: the keyword(s) glued to the first item, so a line never ends with a
   * dangling keyword ({@code when} at the end of a line, its postures on the next).
   */
  private static List<String> clause(String keywords, List<String> items) {
    List<String> w = new ArrayList<>(items);
    w.set(0, CLAUSE + keywords + " " + w.getFirst());
    return w;
  }

  private static List<String> words(Object... parts) {
    List<String> w = new ArrayList<>();
    for (Object o : parts) {
      if (o instanceof List<?> l) {
        for (Object x : l) {
          w.add((String) x);
        }
      } else {
        w.add((String) o);
      }
    }
    return w;
  }

  /** A list's items as words, commas attached; {@code []} when empty. */
  private static <T> List<String> list(List<T> items, Function<T, String> text) {
    List<String> ws = new ArrayList<>();
    for (T t : items) {
      ws.add(Quoting.tpol(text.apply(t)));
    }
    return commaList(ws);
  }

  private static List<String> commaList(List<String> items) {
    if (items.isEmpty()) {
      return new ArrayList<>(List.of("[]"));
    }
    List<String> out = new ArrayList<>(items.size());
    for (int i = 0; i < items.size(); i++) {
      out.add(i + 1 < items.size() ? items.get(i) + "," : items.get(i));
    }
    return out;
  }

  /**
   * Prints one statement: its leading comments, the words filled to WIDTH, trailing comments at the
   * end of its first line (see {@link CommentPlan}); newlines are not significant in the DSL, so a
   * comment may end a line in the middle of a statement.
   */
  private void stmt(Object node, List<String> words) {
    List<Comment> lead = node == null ? List.of() : plan.leading(node);
    List<Comment> trail = node == null ? List.of() : plan.trailing(node);
    int start = out.length();
    if (!lead.isEmpty() && sectionOpen && !endsWithBlankLine()) {
      out.append('\n');
    }
    sectionOpen = true;
    for (Comment c : lead) {
      comment(c, "");
    }
    int textStart = out.length();
    int lineStart = out.length();
    int total = -1;
    boolean multiLineWord = false;
    for (String w : words) {
      total += w.length() + 1 - (w.startsWith(CLAUSE) ? 1 : 0);
      multiLineWord |= w.indexOf('\n') >= 0;
    }
    boolean breakClauses = total > WIDTH && !multiLineWord;
    for (int i = 0; i < words.size(); i++) {
      String w = words.get(i);
      boolean clauseStart = w.startsWith(CLAUSE);
      if (clauseStart) {
        w = w.substring(CLAUSE.length());
      }
      int firstLineLen = w.indexOf('\n') < 0 ? w.length() : w.indexOf('\n');
      int col = out.length() - lineStart;
      if (i > 0) {
        if ((breakClauses && clauseStart)
            || (col + 1 + firstLineLen > WIDTH && col > CONT.length())) {
          out.append('\n').append(CONT);
          lineStart = out.length() - CONT.length();
        } else {
          out.append(' ');
        }
      }
      if (w.indexOf('\n') >= 0) {
        // A JSON block: its inner lines are indented relative to the current line's indent.
        String indent = out.length() - lineStart > 0 && out.charAt(lineStart) == ' ' ? CONT : "";
        out.append(w.replace("\n", "\n" + indent));
        lineStart = out.lastIndexOf("\n") + 1;
      } else {
        out.append(w);
      }
    }
    int firstNl = out.indexOf("\n", textStart);
    if (!trail.isEmpty() && firstNl >= 0 && out.substring(textStart, firstNl).indexOf('{') >= 0) {
      // The first line opens a JSON block, where '#' would be JSON: write them before instead.
      StringBuilder asLeading = new StringBuilder();
      if (lead.isEmpty() && start > 0 && sectionOpenBefore(start)) {
        asLeading.append('\n');
      }
      for (Comment c : trail) {
        asLeading.append(inline(c)).append('\n');
      }
      out.insert(textStart, asLeading);
    } else if (!trail.isEmpty()) {
      StringBuilder sb = new StringBuilder();
      for (Comment c : trail) {
        sb.append("  ").append(inline(c));
      }
      if (firstNl < 0) {
        out.append(sb);
      } else {
        out.insert(firstNl, sb);
      }
    }
    out.append('\n');
  }

  /** True if the text before {@code at} does not already end with a blank line or start. */
  private boolean sectionOpenBefore(int at) {
    return at >= 2 && !(out.charAt(at - 1) == '\n' && out.charAt(at - 2) == '\n');
  }

  private void comment(Comment c, String indent) {
    out.append(indent).append(inline(c)).append('\n');
  }

  private static String inline(Comment c) {
    return switch (c.kind()) {
      case LINE -> "#" + c.text();
      case BLOCK -> "/*" + c.text() + "*/";
    };
  }
}
