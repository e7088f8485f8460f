package dev.tessera.compiler.pass;

import dev.tessera.compiler.CompilerCodes;
import dev.tessera.compiler.inventory.Role;
import dev.tessera.compiler.ipset.IpSet;
import dev.tessera.compiler.ipset.PortSet;
import dev.tessera.compiler.ir.AppClause;
import dev.tessera.compiler.ir.Clause;
import dev.tessera.compiler.ir.Destination;
import dev.tessera.compiler.ir.ResolvedRule;
import dev.tessera.enforcer.format.RuleOrigin;
import dev.tessera.net.IpPrefix;
import dev.tessera.policy.ast.Acl;
import dev.tessera.policy.ast.AclDestination;
import dev.tessera.policy.ast.AppCapability;
import dev.tessera.policy.ast.AutoGroup;
import dev.tessera.policy.ast.Grant;
import dev.tessera.policy.ast.GrantIp;
import dev.tessera.policy.ast.HostDef;
import dev.tessera.policy.ast.IpSetDef;
import dev.tessera.policy.ast.JsonText;
import dev.tessera.policy.ast.Policy;
import dev.tessera.policy.ast.PostureRef;
import dev.tessera.policy.ast.Selector;
import dev.tessera.policy.ast.SourceSpan;
import dev.tessera.policy.ast.SshRule;
import dev.tessera.policy.diag.Diagnostics;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Pass 2: every acl and grant's selectors to address sets and node sets (semantics reference,
 * section 3), ports and protocols to clauses (section 4). Posture is not applied here: the
 * resulting rules have {@code sources == selected} and an empty {@code postureFailed}; {@link
 * ApplyPosture} narrows them.
 *
 * <p>Selector results are cached per distinct selector (records compare by meaning, spans
 * excluded), so a group named in 500 rules is expanded once.
 */
public final class ExpandSelectors {
  /** Tailscale's CGNAT range minus 100.115.92.0/23 (reserved), as SaaS emits for {@code *}. */
  public static final IpSet TAILNET_V4 =
      IpSet.of(IpPrefix.parse("100.64.0.0/10"))
          .subtract(IpSet.of(IpPrefix.parse("100.115.92.0/23")));

  /** Tailscale's IPv6 ULA range. */
  public static final IpSet TAILNET_V6 = IpSet.of(IpPrefix.parse("fd7a:115c:a1e0::/48"));

  private final Policy policy;
  private final Identities ids;
  private final Diagnostics diags;
  private final Map<String, HostDef> hosts = new HashMap<>();
  private final Map<String, IpSetDef> ipsets = new HashMap<>();
  private final Map<String, IpSet> ipsetCache = new HashMap<>();
  // Caches keyed by selector identity: a policy's selectors are the same objects every time it is
  // compiled, and a record's hashCode (name plus source span) costs more than the lookup saves.
  // Values are pure functions of the selector's content, so identity keys only cost misses.
  private final Map<Selector, Source> srcCache = new java.util.IdentityHashMap<>();
  private final Map<Selector, BitSet> nodesCache = new java.util.IdentityHashMap<>();
  private final Map<Selector, IpSet> prefixCache = new java.util.IdentityHashMap<>();

  /** Results of a previous compilation to reuse, or null (see {@link Reuse}). */
  private final Reuse reuse;

  private final Map<Selector, Destination> dstCache = new java.util.IdentityHashMap<>();

  /** Node sets of defined groups and tags by name (undefined ones are reported at each use). */
  private final Map<String, BitSet> groupNodes = new HashMap<>();

  private final Map<String, BitSet> tagNodes = new HashMap<>();

  /**
   * {@code *} as a source: built on first use (an expander used only for node sets never needs it).
   */
  private IpSet wildcardSrc;

  private final BitSet allNodes;

  /** A source selector's expansion: device members and every address it stands for. */
  public record Source(BitSet nodes, IpSet addresses) {}

  ExpandSelectors(Policy policy, Identities ids, Diagnostics diags) {
    this(policy, ids, diags, null);
  }

  ExpandSelectors(Policy policy, Identities ids, Diagnostics diags, Reuse reuse) {
    this.reuse = reuse;
    this.policy = policy;
    this.ids = ids;
    this.diags = diags;
    for (HostDef h : policy.hosts()) {
      hosts.put(h.name(), h);
    }
    for (IpSetDef s : policy.ipsets()) {
      ipsets.put(s.name(), s);
    }
    NodeIndex index = ids.index();
    allNodes = new BitSet();
    allNodes.set(0, index.size());
  }

  public static List<ResolvedRule> run(Policy policy, Identities ids, Diagnostics diags) {
    return new ExpandSelectors(policy, ids, diags).expandAll();
  }

  /**
   * {@link #run}, reusing the source address sets of a previous compilation of the same policy
   * where one node's change cannot have changed them ({@code reuse} null: plain {@link #run}).
   */
  public static List<ResolvedRule> run(
      Policy policy, Identities ids, Diagnostics diags, Reuse reuse) {
    return new ExpandSelectors(policy, ids, diags, reuse).expandAll();
  }

  List<ResolvedRule> expandAll() {
    List<ResolvedRule> out = new ArrayList<>();
    List<PostureRef> defaults = policy.defaultSrcPosture();
    for (int i = 0; i < policy.acls().size(); i++) {
      Acl a = policy.acls().get(i);
      if (reuse != null
          && reuse.sameRule(
              out.size(),
              a.src(),
              a.dst().stream().map(AclDestination::target).toList(),
              List.of(),
              this)) {
        out.add(reuse.carried(out.size()));
        continue;
      }
      List<Integer> protos = a.proto().map(p -> List.of(p.number())).orElse(List.of());
      List<Clause> clauses = new ArrayList<>();
      for (AclDestination d : a.dst()) {
        Destination dst = destination(d.target());
        if (dst != null) {
          clauses.add(new Clause(protos, dst, PortSet.of(d.ports().ranges())));
        }
      }
      out.add(
          rule(
              out.size(),
              origin(a.span(), RuleOrigin.ACL, i),
              a.span(),
              a.src(),
              a.srcPosture().isEmpty() ? defaults : a.srcPosture(),
              clauses,
              List.of()));
    }
    for (int i = 0; i < policy.grants().size(); i++) {
      Grant g = policy.grants().get(i);
      if (reuse != null && reuse.sameRule(out.size(), g.src(), g.dst(), g.via(), this)) {
        out.add(reuse.carried(out.size()));
        continue;
      }
      List<Clause> clauses = new ArrayList<>();
      List<AppClause> apps = new ArrayList<>();
      List<Destination> dsts = new ArrayList<>();
      for (Selector d : g.dst()) {
        Destination dst = destination(d);
        if (dst != null) {
          dsts.add(via(dst, g.via()));
        }
      }
      for (Destination dst : dsts) {
        for (GrantIp ip : g.ip()) {
          List<Integer> protos = ip.proto().map(p -> List.of(p.number())).orElse(List.of());
          clauses.add(new Clause(protos, dst, PortSet.of(ip.ports().ranges())));
        }
        for (AppCapability cap : g.app()) {
          if (dst instanceof Destination.Internet) {
            continue; // SaaS: "cannot use app grants with autogroup:internet" (validation)
          }
          apps.add(
              new AppClause(cap.name(), cap.values().stream().map(JsonText::json).toList(), dst));
        }
      }
      out.add(
          rule(
              out.size(),
              origin(g.span(), RuleOrigin.GRANT, i),
              g.span(),
              g.src(),
              g.srcPosture().isEmpty() ? defaults : g.srcPosture(),
              clauses,
              apps));
    }
    for (int i = 0; i < policy.ssh().size(); i++) {
      SshRule r = policy.ssh().get(i);
      if (r.recorder().isEmpty()) {
        continue;
      }
      // Session recording (KB 1246): the SSH destination streams the session to a recorder over
      // the tailnet, so every recorder admits TCP to port 80 from the rule's destinations
      // (docs/semantics.md §3.9). autogroup:self as a destination means the members' devices.
      List<Selector> from =
          r.dst().stream()
              .map(
                  d ->
                      d instanceof Selector.Auto a && a.group() == AutoGroup.SELF
                          ? (Selector) new Selector.Auto(AutoGroup.MEMBER, a.span())
                          : d)
              .toList();
      List<Clause> clauses = new ArrayList<>();
      for (Selector rec : r.recorder()) {
        Destination dst = destination(rec);
        if (dst != null) {
          clauses.add(new Clause(List.of(RECORDER_PROTO), dst, PortSet.of(List.of(RECORDER_PORT))));
        }
      }
      out.add(
          rule(
              out.size(),
              origin(r.span(), RuleOrigin.SSH_RECORDER, i),
              r.span(),
              from,
              List.of(),
              clauses,
              List.of()));
    }
    return out;
  }

  /** tsrecorder receives recordings over HTTP on port 80 of its tailnet address. */
  static final int RECORDER_PROTO = 6;

  static final dev.tessera.policy.ast.PortRange RECORDER_PORT =
      new dev.tessera.policy.ast.PortRange(80, 80);

  /**
   * {@code via} restricts a grant's subnet destinations to routers carrying one of the via tags
   * (Tailscale KB 1324, "via"). Node destinations are unaffected.
   */
  private Destination via(Destination dst, List<Selector> via) {
    if (via.isEmpty() || !(dst instanceof Destination.Prefixes p)) {
      return dst;
    }
    BitSet routers = new BitSet();
    for (Selector v : via) {
      if (v instanceof Selector.Tag t) {
        routers.or(ids.nodesOfTag("tag:" + t.name()));
      }
    }
    return new Destination.Prefixes(p.set(), p.prefixes(), Optional.of(routers), p.selector());
  }

  static RuleOrigin origin(SourceSpan span, String kind, int index) {
    return new RuleOrigin(
        span.file(), Math.max(0, span.startLine()), Math.max(0, span.startCol()), kind, index);
  }

  private ResolvedRule rule(
      int index,
      RuleOrigin origin,
      SourceSpan span,
      List<Selector> src,
      List<PostureRef> posture,
      List<Clause> clauses,
      List<AppClause> apps) {
    BitSet nodes = new BitSet();
    for (Selector s : src) {
      nodes.or(nodesOf(s));
    }
    IpSet selected = null;
    if (reuse != null) {
      selected =
          reuse.sameSelected(index, src, this)
              ? reuse.oldRules().get(index).selected()
              : reuse.patchedSelected(index, src, this);
    }
    if (selected == null) {
      IpSet.Builder addrs = IpSet.builder();
      for (Selector s : src) {
        addrs.addAll(source(s).addresses());
      }
      selected = addrs.build();
    }
    return new ResolvedRule(
        origin, span, src, nodes, selected, posture, new BitSet(), selected, clauses, apps);
  }

  private IpSet wildcardSource() {
    if (wildcardSrc == null) {
      NodeIndex index = ids.index();
      IpSet.Builder w = IpSet.builder().addAll(TAILNET_V4).addAll(TAILNET_V6);
      for (int i = 0; i < index.size(); i++) {
        w.addAll(index.addresses(i));
        w.addAll(index.subnetRoutes(i));
      }
      wildcardSrc = w.build();
    }
    return wildcardSrc;
  }

  /**
   * Is node {@code id} among the devices whose every address a rule with sources {@code src}
   * selects? Those are the devices matched by identity (users, groups, tags, autogroups); devices
   * matched through an address selector (host, ipset, CIDR, range, {@code *}) contribute only the
   * addresses inside it.
   */
  boolean identityMatches(List<Selector> src, int id) {
    for (Selector s : src) {
      if (selectsByIdentity(s) && matchesNode(s, id)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Is node {@code id} (-1: none) among the nodes selector {@code s} matches ({@link #nodesOf})?
   * For an address selector, whether one of its addresses is inside the selector's fixed set.
   * Decided from the node's own user, role and tags, without building the selector's node set:
   * incremental updates ask this of one node for every selector of the policy.
   */
  boolean matchesNode(Selector s, int id) {
    if (id < 0) {
      return false;
    }
    Optional<String> user = ids.index().node(id).user();
    return switch (s) {
      case Selector.Host h -> prefixSet(s).overlaps(ids.index().addresses(id));
      case Selector.IpSet i -> prefixSet(s).overlaps(ids.index().addresses(id));
      case Selector.Ip p -> prefixSet(s).overlaps(ids.index().addresses(id));
      case Selector.Range r -> prefixSet(s).overlaps(ids.index().addresses(id));
      case Selector.Service v -> false; // a destination only: no device is a service
      case Selector.Wildcard w -> true;
      // Only the node's own login can hold it (userNodes: untagged nodes by their user).
      case Selector.User u -> ids.nodesOfUser(u.login()).get(id);
      case Selector.UserDomain d ->
          user.isPresent()
              && user.get().endsWith("@" + d.domain())
              && ids.nodesOfUser(user.get()).get(id);
      case Selector.Group g -> {
        Set<String> logins = ids.groups().get(g.name());
        yield logins == null
            ? nodesOf(s).get(id) // undefined: nodesOf reports it
            : user.isPresent()
                && logins.contains(user.get())
                && ids.nodesOfUser(user.get()).get(id);
      }
      case Selector.Tag t -> tag(t).get(id);
      case Selector.Auto a ->
          switch (a.group()) {
            case MEMBER -> ids.members().get(id);
            case TAGGED -> ids.tagged().get(id);
            case OWNER, ADMIN, IT_ADMIN, NETWORK_ADMIN, BILLING_ADMIN, AUDITOR ->
                user.isPresent()
                    && Role.ofAutoGroup(a.group()).orElseThrow() == ids.userRoles().get(user.get())
                    && ids.nodesOfUser(user.get()).get(id);
            case DANGER_ALL -> true;
            case SHARED, SELF, INTERNET -> false;
          };
    };
  }

  private static boolean selectsByIdentity(Selector s) {
    return switch (s) {
      case Selector.User u -> true;
      case Selector.UserDomain d -> true;
      case Selector.Group g -> true;
      case Selector.Tag t -> true;
      case Selector.Auto a -> a.group() != AutoGroup.DANGER_ALL;
      case Selector.Wildcard w -> false;
      case Selector.Host h -> false;
      case Selector.IpSet i -> false;
      case Selector.Ip p -> false;
      case Selector.Range r -> false;
      case Selector.Service v -> false;
    };
  }

  /** The devices a source selector matches (cached; cheap: no address sets). */
  BitSet nodesOf(Selector s) {
    BitSet cached = nodesCache.get(s);
    if (cached != null) {
      return cached;
    }
    BitSet result =
        switch (s) {
          case Selector.Wildcard w -> allNodes;
          case Selector.User u -> ids.nodesOfUser(u.login());
          case Selector.UserDomain d -> {
            BitSet b = new BitSet();
            for (Map.Entry<String, BitSet> e : ids.userNodes().entrySet()) {
              if (e.getKey().endsWith("@" + d.domain())) {
                b.or(e.getValue());
              }
            }
            yield b;
          }
          case Selector.Group g -> group(g);
          case Selector.Tag t -> tag(t);
          case Selector.Auto a ->
              switch (a.group()) {
                case MEMBER -> ids.members();
                case TAGGED -> ids.tagged();
                case OWNER, ADMIN, IT_ADMIN, NETWORK_ADMIN, BILLING_ADMIN, AUDITOR ->
                    role(Role.ofAutoGroup(a.group()).orElseThrow());
                case DANGER_ALL -> allNodes;
                // Shared-in users are not modelled by the inventory: nobody.
                case SHARED -> new BitSet();
                // Not valid as sources (validation reports them); contribute nothing (fail closed).
                case SELF, INTERNET -> new BitSet();
              };
          case Selector.Host h -> ids.index().nodesWithAddressIn(prefixSet(h));
          case Selector.IpSet i -> ids.index().nodesWithAddressIn(prefixSet(i));
          case Selector.Ip p -> ids.index().nodesWithAddressIn(prefixSet(p));
          case Selector.Range rg -> ids.index().nodesWithAddressIn(prefixSet(rg));
          // Not valid as a source (validation reports it): nothing (fail closed).
          case Selector.Service v -> new BitSet();
        };
    nodesCache.put(s, result);
    return result;
  }

  /** Node {@code id}'s addresses. */
  IpSet addressesOf(int id) {
    return ids.index().addresses(id);
  }

  /** The fixed address set of a host, ipset, prefix or range selector (cached). */
  IpSet prefixSet(Selector s) {
    IpSet cached = prefixCache.get(s);
    if (cached != null) {
      return cached;
    }
    IpSet result =
        switch (s) {
          case Selector.Host h -> hostSet(h);
          case Selector.IpSet i -> ipset(i.name(), new HashSet<>(), i.span());
          case Selector.Ip p -> IpSet.of(p.cidr().masked());
          case Selector.Range rg -> range(rg);
          default -> throw new IllegalArgumentException("not an address selector: " + s);
        };
    prefixCache.put(s, result);
    return result;
  }

  Source source(Selector s) {
    Source cached = srcCache.get(s);
    if (cached != null) {
      return cached;
    }
    BitSet nodes = nodesOf(s);
    IpSet addresses =
        switch (s) {
          case Selector.Wildcard w -> wildcardSource();
          case Selector.Auto a when a.group() == AutoGroup.DANGER_ALL -> IpSet.ALL;
          case Selector.Host h -> prefixSet(h);
          case Selector.IpSet i -> prefixSet(i);
          case Selector.Ip p -> prefixSet(p);
          case Selector.Range rg -> prefixSet(rg);
          default -> ids.index().addressesOf(nodes);
        };
    Source result = new Source(nodes, addresses);
    srcCache.put(s, result);
    return result;
  }

  private BitSet group(Selector.Group g) {
    Set<String> logins = ids.groups().get(g.name());
    if (logins == null) {
      diags.error(
          CompilerCodes.UNRESOLVED, "group \"group:" + g.name() + "\" is not defined", g.span());
      return new BitSet();
    }
    // By name: a group is named in many rules (each occurrence its own selector object).
    return groupNodes.computeIfAbsent(
        g.name(),
        name -> {
          BitSet b = new BitSet();
          for (String l : logins) {
            b.or(ids.nodesOfUser(l));
          }
          return b;
        });
  }

  private BitSet tag(Selector.Tag t) {
    BitSet known = tagNodes.get(t.name());
    if (known != null) {
      return known;
    }
    String text = "tag:" + t.name();
    if (!ids.definedTags().contains(text)) {
      diags.error(
          CompilerCodes.UNRESOLVED, "tag \"" + text + "\" is not defined in tagOwners", t.span());
      return new BitSet();
    }
    BitSet b = ids.nodesOfTag(text);
    tagNodes.put(t.name(), b);
    return b;
  }

  private BitSet role(Role role) {
    BitSet b = new BitSet();
    for (Map.Entry<String, Role> e : ids.userRoles().entrySet()) {
      if (e.getValue() == role) {
        b.or(ids.nodesOfUser(e.getKey()));
      }
    }
    return b;
  }

  private IpSet hostSet(Selector.Host h) {
    HostDef def = hosts.get(h.name());
    if (def == null) {
      diags.error(CompilerCodes.UNRESOLVED, "host \"" + h.name() + "\" is not defined", h.span());
      return IpSet.EMPTY;
    }
    return IpSet.of(def.prefix().masked());
  }

  private static IpSet range(Selector.Range r) {
    return IpSet.range(r.first(), r.last());
  }

  /** Evaluates an ipset's add/remove operations in order; a cycle contributes nothing. */
  private IpSet ipset(String name, Set<String> visiting, SourceSpan where) {
    IpSet cached = ipsetCache.get(name);
    if (cached != null) {
      return cached;
    }
    IpSetDef def = ipsets.get(name);
    if (def == null) {
      diags.error(CompilerCodes.UNRESOLVED, "ipset \"ipset:" + name + "\" is not defined", where);
      return IpSet.EMPTY;
    }
    if (!visiting.add(name)) {
      return IpSet.EMPTY; // validation reports recursive ipsets
    }
    IpSet acc = IpSet.EMPTY;
    for (IpSetDef.Op op : def.ops()) {
      IpSet x =
          switch (op.target()) {
            case Selector.Host h -> hostSet(h);
            case Selector.Ip p -> IpSet.of(p.cidr().masked());
            case Selector.Range r -> range(r);
            case Selector.IpSet i -> ipset(i.name(), visiting, i.span());
            // Other targets are not allowed in ipsets (tags are rejected by validation);
            // autogroup:internet has no fixed address set here.
            default -> IpSet.EMPTY;
          };
      acc =
          switch (op.kind()) {
            case ADD -> acc.union(x);
            case REMOVE -> acc.subtract(x);
          };
    }
    visiting.remove(name);
    ipsetCache.put(name, acc);
    return acc;
  }

  Destination destination(Selector s) {
    Destination cached = dstCache.get(s);
    if (cached != null) {
      return cached;
    }
    Destination d =
        switch (s) {
          case Selector.Wildcard w -> new Destination.Any(s);
          case Selector.User u -> new Destination.Nodes(ids.nodesOfUser(u.login()), s);
          case Selector.UserDomain ud -> new Destination.Nodes(nodesOf(ud), s);
          case Selector.Group g -> new Destination.Nodes(group(g), s);
          case Selector.Tag t -> new Destination.Nodes(tag(t), s);
          case Selector.Auto a ->
              switch (a.group()) {
                case MEMBER,
                    TAGGED,
                    OWNER,
                    ADMIN,
                    IT_ADMIN,
                    NETWORK_ADMIN,
                    BILLING_ADMIN,
                    AUDITOR ->
                    new Destination.Nodes(nodesOf(a), s);
                case SELF -> new Destination.Self(s);
                case INTERNET -> new Destination.Internet(s);
                // danger-all is rejected as a destination by validation; shared is src-only.
                case DANGER_ALL, SHARED -> null;
              };
          case Selector.Host h -> prefixDst(hostSet(h), s);
          case Selector.IpSet i -> prefixDst(ipset(i.name(), new HashSet<>(), i.span()), s);
          case Selector.Ip p -> prefixDst(IpSet.of(p.cidr().masked()), s);
          case Selector.Range r -> prefixDst(range(r), s);
          // The service's virtual addresses, enforced by its approved hosts, which route them
          // (ServiceHosting); a service the inventory does not list has no address: nobody.
          case Selector.Service v -> prefixDst(ids.serviceAddresses(v.text()), s);
        };
    if (d != null) {
      dstCache.put(s, d);
    }
    return d;
  }

  private static Destination prefixDst(IpSet set, Selector s) {
    return new Destination.Prefixes(set, set.toPrefixes(), Optional.empty(), s);
  }
}
