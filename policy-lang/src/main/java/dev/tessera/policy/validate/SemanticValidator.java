package dev.tessera.policy.validate;

import dev.tessera.policy.ast.Acl;
import dev.tessera.policy.ast.AclDestination;
import dev.tessera.policy.ast.AutoApprovers;
import dev.tessera.policy.ast.AutoGroup;
import dev.tessera.policy.ast.Grant;
import dev.tessera.policy.ast.GrantIp;
import dev.tessera.policy.ast.GroupDef;
import dev.tessera.policy.ast.HostDef;
import dev.tessera.policy.ast.IpSetDef;
import dev.tessera.policy.ast.NodeAttr;
import dev.tessera.policy.ast.Policy;
import dev.tessera.policy.ast.PolicyTest;
import dev.tessera.policy.ast.PostureDef;
import dev.tessera.policy.ast.PostureRef;
import dev.tessera.policy.ast.Selector;
import dev.tessera.policy.ast.SshRule;
import dev.tessera.policy.ast.TagOwner;
import dev.tessera.policy.diag.Codes;
import dev.tessera.policy.diag.Diagnostics;
import dev.tessera.policy.diag.Suggest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Checks what a policy means, on the AST, whatever syntax it came from. Collects every problem.
 *
 * <p>Checks (Tailscale's SaaS wording where it has one; see the semantics reference):
 *
 * <ul>
 *   <li>references: groups, tags (must have a tagOwners entry), hosts, postures and ipsets must be
 *       defined wherever they are used (rules, owners, approvers, ssh, nodeAttrs; not tests, where
 *       an unknown name fails the test instead);
 *   <li>definitions: duplicate names; group members are users only ("group members cannot be
 *       recursive"); tag owners are users, groups, tags or autogroups; ipsets hold only IPs, CIDRs,
 *       ranges, hosts, ipsets and autogroup:internet, without cycles;
 *   <li>rules: {@code autogroup:self} never as a source, and as a destination only with user-like
 *       sources; {@code autogroup:danger-all} never as a destination; {@code autogroup:internet}
 *       and {@code autogroup:self} never as sources; role autogroups and {@code autogroup:shared}
 *       only as sources; grant {@code ip} and {@code app} not both empty; grant dst not {@code
 *       0.0.0.0/0} or {@code ::/0}; {@code via} holds tags only;
 *   <li>tests: an entry with neither accept nor deny (warning).
 * </ul>
 */
public final class SemanticValidator {
  private final Policy p;
  private final Diagnostics d;
  private final Map<String, GroupDef> groups = new LinkedHashMap<>();
  private final Map<String, TagOwner> tags = new LinkedHashMap<>();
  private final Map<String, HostDef> hosts = new LinkedHashMap<>();
  private final Map<String, IpSetDef> ipsets = new LinkedHashMap<>();
  private final Map<String, PostureDef> postures = new LinkedHashMap<>();

  private SemanticValidator(Policy p, Diagnostics d) {
    this.p = p;
    this.d = d;
  }

  /** Runs every check, adding to {@code d}. */
  public static void validate(Policy p, Diagnostics d) {
    validate(p, List.of(), List.of(), List.of(), d);
  }

  /**
   * Runs every check, and the rule checks on rules a reader left out of {@code p} (invalid action
   * or proto), so one run reports all their problems.
   */
  public static void validate(
      Policy p,
      List<Acl> extraAcls,
      List<Grant> extraGrants,
      List<SshRule> extraSsh,
      Diagnostics d) {
    SemanticValidator v = new SemanticValidator(p, d);
    v.run();
    extraAcls.forEach(v::acl);
    extraGrants.forEach(v::grant);
    extraSsh.forEach(v::ssh);
  }

  private void run() {
    for (GroupDef g : p.groups()) {
      define(groups, g.name(), g, "group:" + g.name(), g.span());
    }
    for (TagOwner t : p.tagOwners()) {
      define(tags, t.tag(), t, "tag:" + t.tag(), t.span());
    }
    for (HostDef h : p.hosts()) {
      define(hosts, h.name(), h, "host " + h.name(), h.span());
    }
    for (IpSetDef s : p.ipsets()) {
      define(ipsets, s.name(), s, "ipset:" + s.name(), s.span());
    }
    for (PostureDef s : p.postures()) {
      define(postures, s.name(), s, "posture:" + s.name(), s.span());
    }
    groupsCheck();
    tagOwnersCheck();
    ipsetsCheck();
    p.defaultSrcPosture().forEach(this::posture);
    p.acls().forEach(this::acl);
    p.grants().forEach(this::grant);
    autoApprovers(p.autoApprovers());
    p.ssh().forEach(this::ssh);
    p.nodeAttrs().forEach(this::nodeAttr);
    p.tests().forEach(this::test);
    p.sshTests().forEach(this::sshTest);
    memberNames();
  }

  /**
   * {@code autogroup:members} is the legacy name of {@code autogroup:member}; Tailscale accepts
   * either, but not both in one file. One error, at the first use of the name that came second.
   */
  private void memberNames() {
    List<Selector.Auto> uses = new ArrayList<>();
    java.util.function.Consumer<Selector> see =
        s -> {
          if (s instanceof Selector.Auto a && a.group() == AutoGroup.MEMBER) {
            uses.add(a);
          }
        };
    p.tagOwners().forEach(t -> t.owners().forEach(see));
    p.acls()
        .forEach(
            a -> {
              a.src().forEach(see);
              a.dst().forEach(x -> see.accept(x.target()));
            });
    p.grants()
        .forEach(
            g -> {
              g.src().forEach(see);
              g.dst().forEach(see);
            });
    p.autoApprovers().routes().forEach(r -> r.approvers().forEach(see));
    p.autoApprovers().exitNode().forEach(see);
    p.autoApprovers().services().forEach(r -> r.approvers().forEach(see));
    p.ssh()
        .forEach(
            r -> {
              r.src().forEach(see);
              r.dst().forEach(see);
            });
    p.nodeAttrs().forEach(n -> n.target().forEach(see));
    p.tests()
        .forEach(
            t -> {
              t.src().selector().ifPresent(see);
              t.accept().forEach(x -> x.target().ifPresent(see));
              t.deny().forEach(x -> x.target().ifPresent(see));
            });
    if (uses.isEmpty()) {
      return;
    }
    uses.sort(
        java.util.Comparator.comparingInt((Selector.Auto a) -> a.span().startLine())
            .thenComparingInt(a -> a.span().startCol()));
    boolean firstLegacy = uses.getFirst().legacyName();
    uses.stream()
        .filter(a -> a.legacyName() != firstLegacy)
        .findFirst()
        .ifPresent(
            second ->
                d.error(
                    Codes.MIXED_MEMBER_NAMES,
                    "autogroup:member and autogroup:members are both used: autogroup:members is the legacy name of"
                        + " autogroup:member, and a policy may use only one of them",
                    second.span(),
                    "write \""
                        + uses.getFirst().text()
                        + "\" here too, or rename every use to autogroup:member"));
  }

  private <T> void define(
      Map<String, T> m, String name, T def, String what, dev.tessera.policy.ast.SourceSpan span) {
    if (m.putIfAbsent(name, def) != null) {
      d.error(Codes.DUPLICATE_KEY, what + " is defined more than once", span);
    }
  }

  // ------------------------------------------------------------------ definitions

  private void groupsCheck() {
    for (GroupDef g : p.groups()) {
      for (Selector m : g.members()) {
        switch (m) {
          case Selector.User u -> {}
          case Selector.Group sub ->
              d.error(
                  Codes.RECURSIVE_GROUP,
                  "group members cannot be recursive: group:"
                      + g.name()
                      + " contains "
                      + sub.text(),
                  m.span(),
                  "list the users of " + sub.text() + " instead");
          default ->
              d.error(
                  Codes.INVALID_MEMBER,
                  "group:" + g.name() + " member \"" + m.text() + "\" is not a user",
                  m.span(),
                  "group members are user logins such as alice@example.com");
        }
      }
    }
  }

  private void tagOwnersCheck() {
    for (TagOwner t : p.tagOwners()) {
      for (Selector o : t.owners()) {
        switch (o) {
          case Selector.User u -> {}
          case Selector.Group g -> ref(g);
          case Selector.Tag tag -> ref(tag);
          case Selector.Auto a when a.group().isRole() || a.group() == AutoGroup.MEMBER -> {}
          default ->
              d.error(
                  Codes.INVALID_OWNER,
                  "\"" + o.text() + "\" cannot own tag:" + t.tag(),
                  o.span(),
                  "tag owners are users, groups, tags or role autogroups such as autogroup:admin");
        }
      }
    }
  }

  private void ipsetsCheck() {
    for (IpSetDef s : p.ipsets()) {
      for (IpSetDef.Op op : s.ops()) {
        switch (op.target()) {
          case Selector.Ip x -> {}
          case Selector.Range x -> {}
          case Selector.Host h -> ref(h);
          case Selector.IpSet i -> ref(i);
          case Selector.Auto a when a.group() == AutoGroup.INTERNET -> {}
          default ->
              d.error(
                  Codes.INVALID_IPSET_ELEMENT,
                  "ipset:" + s.name() + " cannot contain \"" + op.target().text() + "\"",
                  op.target().span(),
                  "ipsets hold IPs, CIDRs, ranges, hosts, other ipsets and autogroup:internet");
        }
      }
    }
    // Cycles: depth-first search over ipset references.
    Map<String, Integer> state = new HashMap<>();
    for (IpSetDef s : p.ipsets()) {
      cycle(s.name(), state, new ArrayList<>());
    }
  }

  private void cycle(String name, Map<String, Integer> state, List<String> stack) {
    Integer st = state.get(name);
    if (st != null && st == 2) {
      return;
    }
    IpSetDef s = ipsets.get(name);
    if (s == null) {
      return;
    }
    state.put(name, 1);
    stack.add(name);
    for (IpSetDef.Op op : s.ops()) {
      if (op.target() instanceof Selector.IpSet ref) {
        Integer rs = state.get(ref.name());
        if (rs != null && rs == 1) {
          List<String> loop =
              new ArrayList<>(stack.subList(stack.indexOf(ref.name()), stack.size()));
          loop.add(ref.name());
          d.error(
              Codes.RECURSIVE_IPSET,
              "ipsets cannot refer to themselves: ipset:" + String.join(" -> ipset:", loop),
              op.target().span());
        } else {
          cycle(ref.name(), state, stack);
        }
      }
    }
    stack.removeLast();
    state.put(name, 2);
  }

  // ------------------------------------------------------------------ rules

  private void acl(Acl a) {
    sources(a.src());
    List<Selector> dst = a.dst().stream().map(AclDestination::target).toList();
    destinations(dst);
    selfDestination(a.src(), dst, true);
    a.srcPosture().forEach(this::posture);
  }

  private void grant(Grant g) {
    sources(g.src());
    destinations(g.dst());
    // SaaS rejects "*" with autogroup:self in grants (it accepts it in acls).
    selfDestination(g.src(), g.dst(), false);
    if (!g.app().isEmpty()) {
      for (Selector s : g.dst()) {
        if (s instanceof Selector.Auto au && au.group() == AutoGroup.INTERNET) {
          d.error(
              Codes.INVALID_DESTINATION,
              "cannot use app grants with autogroup:internet",
              s.span(),
              "put the app capability in a grant to tailnet destinations");
        }
      }
    }
    g.app().forEach(this::capability);
    for (Selector s : g.dst()) {
      if (s instanceof Selector.Ip px && px.cidr().bits() == 0) {
        d.error(
            Codes.GRANT_DEFAULT_ROUTE_DESTINATION,
            "grant destination " + px.text() + " is not allowed",
            s.span(),
            "use \"*\" for every tailnet destination or autogroup:internet for the internet via exit nodes");
      }
    }
    if (g.ip().isEmpty() && g.app().isEmpty()) {
      d.error(
          Codes.GRANT_EMPTY_IP_APP,
          "ip and app can not both be empty",
          g.span(),
          "add \"ip\": [\"*\"] for all network access, or list ports such as \"tcp:443\"");
    }
    for (Selector v : g.via()) {
      if (v instanceof Selector.Tag t) {
        ref(t);
      } else {
        d.error(Codes.INVALID_VIA, "via accepts only tags, not \"" + v.text() + "\"", v.span());
      }
    }
    for (GrantIp ip : g.ip()) {
      ip.proto()
          .ifPresent(
              pr -> {
                if (!pr.supportsPorts() && !ip.ports().isAll()) {
                  d.error(
                      Codes.PORTS_NOT_SUPPORTED,
                      "protocol " + pr + " does not support specific ports",
                      ip.span(),
                      "use * as the port");
                }
              });
    }
    g.srcPosture().forEach(this::posture);
  }

  private void sources(List<Selector> src) {
    for (Selector s : src) {
      ref(s);
      if (s instanceof Selector.Service svc) {
        d.error(
            Codes.INVALID_SOURCE,
            "\"" + svc.text() + "\" not valid on the src side of a rule",
            s.span(),
            "a service is a destination; name the devices that connect to it as the source");
      }
      if (s instanceof Selector.Auto a) {
        switch (a.group()) {
          case SELF ->
              d.error(
                  Codes.SELF_AS_SOURCE,
                  "\"autogroup:self\" not valid on the src side of a rule",
                  s.span(),
                  "use autogroup:member as the source and autogroup:self as the destination");
          case INTERNET ->
              d.error(
                  Codes.INVALID_SOURCE,
                  "\"autogroup:internet\" not valid on the src side of a rule",
                  s.span());
          default -> {}
        }
      }
    }
  }

  private void destinations(List<Selector> dst) {
    for (Selector s : dst) {
      ref(s);
      if (s instanceof Selector.Auto a) {
        if (a.group() == AutoGroup.DANGER_ALL) {
          d.error(
              Codes.DANGER_ALL_AS_DESTINATION,
              "cannot use autogroup:danger-all as a dst",
              s.span(),
              "use \"*\" for every destination");
        } else if (a.group() == AutoGroup.SHARED) {
          d.error(
              Codes.INVALID_DESTINATION,
              "\"" + a.text() + "\" not valid on the dst side of a rule",
              s.span(),
              "autogroup:shared selects sources only");
        }
      }
    }
  }

  /**
   * Capability names are {@code {domain}/{path}}; the tailscale.com domain is reserved except for
   * the capabilities Tailscale documents for use in grants (SaaS: relay-target, funnel and ingress
   * are rejected; drive, kubernetes, relay, webui accepted).
   */
  private static final Set<String> TAILSCALE_GRANT_CAPS =
      Set.of("drive", "drive-sharer", "kubernetes", "relay", "webui", "tsidp", "golink");

  private static final java.util.regex.Pattern CAP_NAME =
      java.util.regex.Pattern.compile("[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)+/\\S+");

  private void capability(dev.tessera.policy.ast.AppCapability c) {
    if (!CAP_NAME.matcher(c.name()).matches()) {
      d.error(
          Codes.INVALID_CAPABILITY,
          "capability name must have the form {domain}/{path}",
          c.span(),
          "e.g. example.com/cap/my-app, without a scheme");
      return;
    }
    String domain = c.name().substring(0, c.name().indexOf('/'));
    String path = c.name().substring(domain.length() + 1);
    if (domain.equals("tailscale.com")
        && !(path.startsWith("cap/") && TAILSCALE_GRANT_CAPS.contains(path.substring(4)))) {
      d.error(
          Codes.INVALID_CAPABILITY,
          "capability name must not be in the tailscale.com domain",
          c.span(),
          "use your own domain for your own capabilities");
    }
  }

  /** autogroup:self as a destination needs user-like sources (SaaS wording). */
  private void selfDestination(List<Selector> src, List<Selector> dst, boolean wildcardOk) {
    Optional<Selector> self =
        dst.stream()
            .filter(s -> s instanceof Selector.Auto a && a.group() == AutoGroup.SELF)
            .findFirst();
    if (self.isEmpty()) {
      return;
    }
    for (Selector s : src) {
      boolean userLike =
          switch (s) {
            case Selector.Wildcard w -> wildcardOk;
            case Selector.User u -> true;
            case Selector.UserDomain u -> true;
            case Selector.Group g -> true;
            case Selector.Auto a ->
                a.group() == AutoGroup.MEMBER
                    || a.group().isRole()
                    || a.group() == AutoGroup.SHARED;
            case Selector.Tag t -> false;
            case Selector.Host h -> false;
            case Selector.IpSet i -> false;
            case Selector.Ip x -> false;
            case Selector.Range r -> false;
            case Selector.Service v -> false;
          };
      if (!userLike) {
        d.error(
            Codes.SELF_WITH_NON_USER_SOURCE,
            "autogroup:self can only be used with users, groups, or supported autogroups",
            s.span(),
            "\"" + s.text() + "\" is not a user source; put it in a separate rule");
      }
    }
  }

  private void autoApprovers(AutoApprovers a) {
    for (AutoApprovers.RouteApprover r : a.routes()) {
      approvers(r.approvers());
    }
    approvers(a.exitNode());
    for (AutoApprovers.ServiceApprover r : a.services()) {
      ref(r.service());
      approvers(r.approvers());
    }
  }

  private void approvers(List<Selector> list) {
    for (Selector s : list) {
      switch (s) {
        case Selector.User u -> {}
        case Selector.Group g -> ref(g);
        case Selector.Tag t -> ref(t);
        case Selector.Auto au when au.group().isRole() || au.group() == AutoGroup.MEMBER -> {}
        default ->
            d.error(
                Codes.INVALID_APPROVER,
                "\"" + s.text() + "\" cannot be an auto-approver",
                s.span(),
                "auto-approvers are users, groups, tags or role autogroups");
      }
    }
  }

  private void ssh(SshRule r) {
    r.src().forEach(this::ref);
    for (Selector s : r.src()) {
      if (s instanceof Selector.Auto a && a.group() == AutoGroup.SELF) {
        d.error(
            Codes.SELF_AS_SOURCE,
            "\"autogroup:self\" not valid on the src side of a rule",
            s.span());
      }
    }
    for (Selector s : r.dst()) {
      if (!(s instanceof Selector.Host)) {
        ref(s); // a host is not an ssh destination at all: one error below, not also "undefined"
      }
      switch (s) {
        case Selector.Host h ->
            d.error(
                Codes.INVALID_SSH,
                "invalid dst \"" + h.name() + "\"",
                s.span(),
                "ssh destinations are tags, users or autogroup:self, not host aliases");
        case Selector.Wildcard w ->
            d.error(
                Codes.INVALID_SSH,
                "You cannot specify `*` as the destination",
                s.span(),
                "name the destinations: tags, users, autogroup:self or autogroup:member");
        case Selector.Service v ->
            d.error(
                Codes.INVALID_SSH,
                "invalid dst \"" + v.text() + "\"",
                s.span(),
                "ssh destinations are tags, users or autogroup:self, not services");
        default -> {}
      }
    }
    for (Selector s : r.recorder()) {
      if (s instanceof Selector.Tag t) {
        ref(t);
      } else {
        d.error(
            Codes.INVALID_SSH,
            "recorder \"" + s.text() + "\" is not a tag",
            s.span(),
            "session recorders are named by their tags, e.g. tag:recorder");
      }
    }
    if (r.recordingEnforced() && r.recorder().isEmpty()) {
      d.warning(
          Codes.INVALID_SSH,
          "enforceRecorder without a recorder has no effect",
          r.span(),
          "add \"recorder\": [\"tag:...\"]");
    }
    selfDestination(r.src(), r.dst(), true);
    if (r.users().isEmpty()) {
      d.error(
          Codes.INVALID_SSH,
          "ssh rule needs at least one user",
          r.span(),
          "e.g. \"users\": [\"autogroup:nonroot\"]");
    }
    if (r.checkPeriod().isPresent() && r.action() != SshRule.Action.CHECK) {
      d.error(Codes.INVALID_SSH, "checkPeriod is only valid with action \"check\"", r.span());
    }
    r.srcPosture().forEach(this::posture);
  }

  /** Tailscale's service addresses (100.100.100.100 and its /24) cannot be handed out. */
  private static final dev.tessera.net.IpPrefix RESERVED_POOL =
      dev.tessera.net.IpPrefix.parse("100.100.100.0/24");

  private void nodeAttr(NodeAttr n) {
    n.target().forEach(this::ref);
    for (Selector s : n.target()) {
      if (s instanceof Selector.Auto a && a.group() == AutoGroup.SELF) {
        // SaaS fails with an internal error on this; say what is wrong instead.
        d.error(
            Codes.INVALID_SELECTOR,
            "autogroup:self is not a valid nodeAttrs target",
            s.span(),
            "target users, groups, tags or autogroup:member");
      }
    }
    for (dev.tessera.net.IpCidr pool : n.ipPool()) {
      // A pool inside the reserved /24 is refused; a pool that merely contains it (100.64.0.0/10)
      // is fine: addresses are never handed out from the reserved part.
      if (RESERVED_POOL.contains(pool.masked())) {
        d.error(
            Codes.INVALID_IP,
            "IPPool(" + pool.toCompactString() + "): network within reserved range",
            n.span());
      }
    }
  }

  private void test(PolicyTest t) {
    if (t.accept().isEmpty() && t.deny().isEmpty()) {
      d.warning(
          Codes.INVALID_TEST,
          "test from \"" + t.src().raw() + "\" checks nothing",
          t.span(),
          "add accept or deny destinations");
    }
  }

  /** sshTests dst entries: single hosts; CIDRs and autogroup:internet are rejected (SaaS). */
  private void sshTest(dev.tessera.policy.ast.SshTest t) {
    for (String dst : t.dst()) {
      Optional<Selector> s =
          dev.tessera.policy.syntax.Values.selector(dst, t.span(), new Diagnostics());
      boolean disallowed =
          s.isPresent()
              && switch (s.get()) {
                case Selector.Ip px -> !px.cidr().isHost();
                case Selector.Range r -> true;
                case Selector.Auto a ->
                    a.group() == AutoGroup.INTERNET || a.group() == AutoGroup.DANGER_ALL;
                default -> false;
              };
      if (disallowed) {
        d.error(
            Codes.INVALID_SSH_TEST,
            "SSH tests dst contains disallowed element \"" + dst + "\"",
            t.span(),
            "name one host: a tag, a user or a single IP");
      } else if (dst.startsWith("tag:") && !tags.containsKey(dst.substring(4))) {
        d.error(
            Codes.INVALID_SSH_TEST,
            "SSH tests dst contains unknown tag \"" + dst + "\"",
            t.span(),
            dst.indexOf(':', 4) > 0 ? "sshTests destinations take no port" : null);
      }
    }
    for (List<String> users : List.of(t.accept(), t.check(), t.deny())) {
      for (String u : users) {
        if (u.equals("*")) {
          d.error(Codes.INVALID_SSH_TEST, "user \"*\" is not valid", t.span());
        }
      }
    }
  }

  // ------------------------------------------------------------------ references

  private void posture(PostureRef r) {
    if (!postures.containsKey(r.name())) {
      d.error(
          Codes.UNDEFINED_POSTURE,
          "posture:" + r.name() + " is not defined in \"postures\"",
          r.span(),
          hint("posture:", r.name(), postures.keySet()));
    }
  }

  /** Reports an undefined group/tag/host/ipset. */
  private void ref(Selector s) {
    switch (s) {
      case Selector.Group g when !groups.containsKey(g.name()) ->
          d.error(
              Codes.UNDEFINED_GROUP,
              "group:" + g.name() + " is not defined in \"groups\"",
              s.span(),
              hint("group:", g.name(), groups.keySet()));
      case Selector.Tag t when !tags.containsKey(t.name()) ->
          d.error(
              Codes.UNDEFINED_TAG,
              "tag not found: \"tag:" + t.name() + "\"",
              s.span(),
              Optional.ofNullable(hint("tag:", t.name(), tags.keySet()))
                  .orElse("every tag used in a rule needs an entry in \"tagOwners\""));
      case Selector.Host h when !hosts.containsKey(h.name()) ->
          d.error(
              Codes.UNDEFINED_HOST,
              "host \"" + h.name() + "\" is not defined in \"hosts\"",
              s.span(),
              hint("", h.name(), hosts.keySet()));
      case Selector.IpSet i when !ipsets.containsKey(i.name()) ->
          d.error(
              Codes.UNDEFINED_IPSET,
              "ipset:" + i.name() + " is not defined in \"ipsets\"",
              s.span(),
              hint("ipset:", i.name(), ipsets.keySet()));
      default -> {}
    }
  }

  private static String hint(String prefix, String name, Set<String> defined) {
    Set<String> full = new LinkedHashSet<>();
    for (String n : defined) {
      full.add(prefix + n);
    }
    return Suggest.didYouMean(prefix + name, full);
  }
}
