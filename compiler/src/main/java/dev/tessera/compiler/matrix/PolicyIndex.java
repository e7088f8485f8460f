package dev.tessera.compiler.matrix;

import dev.tessera.policy.ast.Acl;
import dev.tessera.policy.ast.AclDestination;
import dev.tessera.policy.ast.AutoGroup;
import dev.tessera.policy.ast.Grant;
import dev.tessera.policy.ast.GrantIp;
import dev.tessera.policy.ast.GroupDef;
import dev.tessera.policy.ast.HostDef;
import dev.tessera.policy.ast.IpSetDef;
import dev.tessera.policy.ast.Policy;
import dev.tessera.policy.ast.PolicyTest;
import dev.tessera.policy.ast.PostureDef;
import dev.tessera.policy.ast.PostureRef;
import dev.tessera.policy.ast.Selector;
import dev.tessera.policy.ast.SourceSpan;
import dev.tessera.policy.ast.SshRule;
import dev.tessera.policy.ast.TagOwner;
import dev.tessera.policy.ast.TestDestination;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * What the auditor views need to know about a policy's text: its rules with origins and one-line
 * summaries, the named definitions (groups, tags, hosts, ipsets, postures) with their positions,
 * and which names each rule and each other section uses.
 *
 * <p>It reads the AST only for provenance and names; it never decides access (that is the
 * compiler's and the Matcher's job).
 */
public final class PolicyIndex {

  /** Section of a rule, as the enforcer's RuleRef spells it. */
  public static final String ACL = "acl";

  public static final String GRANT = "grant";

  /**
   * A named definition. {@code name} is the full selector text: {@code group:eng}, {@code tag:web},
   * {@code office-lan}, {@code ipset:x}, {@code posture:y}.
   */
  public record Definition(String kind, String name, SourceSpan span, Object content) {}

  /** Per rule: the names it uses, and what kind of access it is about. */
  public record RuleInfo(
      RuleRef origin,
      Set<String> references,
      boolean internetOnly,
      boolean appOnly,
      SourceSpan span) {}

  private final Policy policy;
  private final String file;
  private final List<RuleInfo> rules = new ArrayList<>();
  private final Map<String, Integer> byOrigin = new HashMap<>();
  private final Map<String, Definition> definitions = new LinkedHashMap<>();
  private final Map<String, List<String>> uses = new TreeMap<>();
  private final Map<String, List<String>> groupsOfUser = new HashMap<>();

  private PolicyIndex(Policy policy, String file) {
    this.policy = policy;
    this.file = file;
    index();
  }

  /** Indexes {@code policy}; {@code file} is the name printed in locations. */
  public static PolicyIndex of(Policy policy, String file) {
    return new PolicyIndex(policy, file);
  }

  public Policy policy() {
    return policy;
  }

  public String file() {
    return file;
  }

  /** Every acl and grant, in file order. */
  public List<RuleRef> origins() {
    return rules.stream().map(RuleInfo::origin).toList();
  }

  public List<RuleInfo> rules() {
    return List.copyOf(rules);
  }

  /** The index in {@link #origins()} of the rule at {@code kind}[{@code index}]. */
  public Optional<Integer> ruleIndex(String kind, int index) {
    return Optional.ofNullable(byOrigin.get(kind + "#" + index));
  }

  /** Definitions by full name, in file order. */
  public Map<String, Definition> definitions() {
    return definitions;
  }

  /**
   * For each name, the places that use it (e.g. {@code acls[2].src}), excluding its own definition.
   */
  public Map<String, List<String>> uses() {
    return uses;
  }

  /** The policy groups (full names) a user login belongs to, sorted. */
  public List<String> groupsOf(String login) {
    return groupsOfUser.getOrDefault(login, List.of());
  }

  /** Host aliases by prefix, for labels. */
  Map<dev.tessera.net.IpPrefix, String> hostNames() {
    Map<dev.tessera.net.IpPrefix, String> m = new HashMap<>();
    for (HostDef h : policy.hosts()) {
      m.putIfAbsent(h.prefix().masked(), h.name());
    }
    return m;
  }

  private void index() {
    for (GroupDef g : policy.groups()) {
      define("group", "group:" + g.name(), g.span(), g.members());
      for (Selector m : g.members()) {
        use(m, "group:" + g.name());
        if (m instanceof Selector.User u) {
          groupsOfUser.computeIfAbsent(u.login(), k -> new ArrayList<>()).add("group:" + g.name());
        }
      }
    }
    groupsOfUser.values().forEach(l -> l.sort(null));
    for (TagOwner t : policy.tagOwners()) {
      define("tag", "tag:" + t.tag(), t.span(), t.owners());
      for (Selector o : t.owners()) {
        use(o, "tagOwners[tag:" + t.tag() + "]");
      }
    }
    for (HostDef h : policy.hosts()) {
      define("host", h.name(), h.span(), h.prefix());
    }
    for (IpSetDef s : policy.ipsets()) {
      define("ipset", "ipset:" + s.name(), s.span(), s.ops());
      for (IpSetDef.Op op : s.ops()) {
        use(op.target(), "ipset:" + s.name());
      }
    }
    for (PostureDef p : policy.postures()) {
      define("posture", "posture:" + p.name(), p.span(), p.conditions());
    }
    for (PostureRef r : policy.defaultSrcPosture()) {
      useName("posture:" + r.name(), "defaultSrcPosture");
    }
    List<Object[]> all = new ArrayList<>();
    for (int i = 0; i < policy.acls().size(); i++) {
      all.add(new Object[] {ACL, i, policy.acls().get(i)});
    }
    for (int i = 0; i < policy.grants().size(); i++) {
      all.add(new Object[] {GRANT, i, policy.grants().get(i)});
    }
    for (Object[] o : all) {
      String kind = (String) o[0];
      int i = (Integer) o[1];
      String where = (kind.equals(ACL) ? "acls[" : "grants[") + i + "]";
      Set<String> refs = new TreeSet<>();
      boolean internetOnly = false;
      boolean appOnly = false;
      String summary;
      String fingerprint;
      SourceSpan span;
      List<PostureRef> posture;
      if (o[2] instanceof Acl a) {
        span = a.span();
        a.src().forEach(s -> refs.addAll(names(s)));
        a.dst().forEach(d -> refs.addAll(names(d.target())));
        posture = a.srcPosture();
        summary =
            "accept "
                + join(a.src().stream().map(Selector::text).toList())
                + " -> "
                + join(a.dst().stream().map(AclDestination::text).toList())
                + a.proto().map(p -> " proto " + p).orElse("")
                + postureText(posture);
        fingerprint =
            "acl|"
                + sorted(a.src().stream().map(Selector::text).toList())
                + "|"
                + sorted(a.dst().stream().map(AclDestination::text).toList())
                + "|"
                + a.proto().map(p -> Integer.toString(p.number())).orElse("")
                + "|"
                + sorted(posture.stream().map(PostureRef::name).toList());
        internetOnly = !a.dst().isEmpty() && a.dst().stream().allMatch(d -> isInternet(d.target()));
      } else {
        Grant g = (Grant) o[2];
        span = g.span();
        g.src().forEach(s -> refs.addAll(names(s)));
        g.dst().forEach(d -> refs.addAll(names(d)));
        g.via().forEach(v -> refs.addAll(names(v)));
        posture = g.srcPosture();
        List<String> ips = g.ip().stream().map(GrantIp::text).toList();
        List<String> apps = g.app().stream().map(c -> c.name()).toList();
        summary =
            "grant "
                + join(g.src().stream().map(Selector::text).toList())
                + " -> "
                + join(g.dst().stream().map(Selector::text).toList())
                + (ips.isEmpty() ? "" : " ip " + join(ips))
                + (apps.isEmpty() ? "" : " app " + join(apps))
                + (g.via().isEmpty()
                    ? ""
                    : " via " + join(g.via().stream().map(Selector::text).toList()))
                + postureText(posture);
        fingerprint =
            "grant|"
                + sorted(g.src().stream().map(Selector::text).toList())
                + "|"
                + sorted(g.dst().stream().map(Selector::text).toList())
                + "|"
                + sorted(ips)
                + "|"
                + sorted(g.app().stream().map(c -> c.name() + c.values()).toList())
                + "|"
                + sorted(g.via().stream().map(Selector::text).toList())
                + "|"
                + sorted(posture.stream().map(PostureRef::name).toList());
        internetOnly = !g.dst().isEmpty() && g.dst().stream().allMatch(this::isInternet);
        appOnly = g.ip().isEmpty();
      }
      posture.forEach(p -> refs.add("posture:" + p.name()));
      if (posture.isEmpty()) {
        policy.defaultSrcPosture().forEach(p -> refs.add("posture:" + p.name()));
      }
      for (String r : refs) {
        useName(r, where);
      }
      RuleRef origin =
          new RuleRef(
              file,
              Math.max(span.startLine(), 0),
              Math.max(span.startCol(), 0),
              kind.equals(ACL) ? "acls" : "grants",
              i,
              summary,
              fingerprint);
      rules.add(new RuleInfo(origin, refs, internetOnly, appOnly, span));
    }
    rules.sort((x, y) -> x.origin().compareTo(y.origin()));
    for (int k = 0; k < rules.size(); k++) {
      RuleRef ro = rules.get(k).origin();
      byOrigin.put((ro.section().equals("acls") ? ACL : GRANT) + "#" + ro.index(), k);
    }
    for (SshRule s : policy.ssh()) {
      s.src().forEach(x -> names(x).forEach(n -> useName(n, "ssh")));
      s.dst().forEach(x -> names(x).forEach(n -> useName(n, "ssh")));
      s.recorder().forEach(x -> names(x).forEach(n -> useName(n, "ssh recorder")));
      s.srcPosture().forEach(p -> useName("posture:" + p.name(), "ssh"));
    }
    for (var r : policy.autoApprovers().routes()) {
      r.approvers().forEach(x -> names(x).forEach(n -> useName(n, "autoApprovers.routes")));
    }
    policy
        .autoApprovers()
        .exitNode()
        .forEach(x -> names(x).forEach(n -> useName(n, "autoApprovers.exitNode")));
    for (var r : policy.autoApprovers().services()) {
      names(r.service()).forEach(n -> useName(n, "autoApprovers.services"));
      r.approvers().forEach(x -> names(x).forEach(n -> useName(n, "autoApprovers.services")));
    }
    for (var na : policy.nodeAttrs()) {
      na.target().forEach(x -> names(x).forEach(n -> useName(n, "nodeAttrs")));
    }
    for (PolicyTest t : policy.tests()) {
      t.src().selector().ifPresent(x -> names(x).forEach(n -> useName(n, "tests")));
      for (TestDestination d : concat(t.accept(), t.deny())) {
        d.target().ifPresent(x -> names(x).forEach(n -> useName(n, "tests")));
      }
    }
  }

  private static <T> List<T> concat(List<T> a, List<T> b) {
    List<T> l = new ArrayList<>(a);
    l.addAll(b);
    return l;
  }

  private boolean isInternet(Selector s) {
    return s instanceof Selector.Auto a && a.group() == AutoGroup.INTERNET;
  }

  private void define(String kind, String name, SourceSpan span, Object content) {
    definitions.putIfAbsent(name, new Definition(kind, name, span, content));
  }

  private void use(Selector s, String where) {
    for (String n : names(s)) {
      useName(n, where);
    }
  }

  private void useName(String name, String where) {
    uses.computeIfAbsent(name, k -> new ArrayList<>()).add(where);
  }

  /** The defined names a selector refers to. */
  private static List<String> names(Selector s) {
    return switch (s) {
      case Selector.Group g -> List.of("group:" + g.name());
      case Selector.Tag t -> List.of("tag:" + t.name());
      case Selector.Host h -> List.of(h.name());
      case Selector.IpSet i -> List.of("ipset:" + i.name());
      case Selector.Wildcard w -> List.of();
      case Selector.User u -> List.of();
      case Selector.UserDomain d -> List.of();
      case Selector.Auto a -> List.of();
      case Selector.Ip p -> List.of();
      case Selector.Range r -> List.of();
      case Selector.Service v -> List.of();
    };
  }

  private static String join(Collection<String> l) {
    return String.join(", ", l);
  }

  private static String sorted(Collection<String> l) {
    return l.stream().sorted().collect(Collectors.joining(","));
  }

  private static String postureText(List<PostureRef> p) {
    return p.isEmpty() ? "" : " if " + join(p.stream().map(PostureRef::text).toList());
  }
}
