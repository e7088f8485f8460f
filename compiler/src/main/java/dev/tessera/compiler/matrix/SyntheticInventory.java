package dev.tessera.compiler.matrix;

import dev.tessera.compiler.inventory.Inventory;
import dev.tessera.compiler.inventory.InventoryNode;
import dev.tessera.compiler.inventory.InventoryService;
import dev.tessera.compiler.inventory.InventoryUser;
import dev.tessera.compiler.inventory.Role;
import dev.tessera.net.IpAddress;
import dev.tessera.net.IpPrefix;
import dev.tessera.policy.ast.Acl;
import dev.tessera.policy.ast.AclDestination;
import dev.tessera.policy.ast.AutoApprovers;
import dev.tessera.policy.ast.AutoGroup;
import dev.tessera.policy.ast.Grant;
import dev.tessera.policy.ast.GroupDef;
import dev.tessera.policy.ast.HostDef;
import dev.tessera.policy.ast.Policy;
import dev.tessera.policy.ast.PolicyTest;
import dev.tessera.policy.ast.Selector;
import dev.tessera.policy.ast.SourceSpan;
import dev.tessera.policy.ast.TagOwner;
import dev.tessera.policy.ast.TestDestination;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * The one inventory made up from policies when none is given ({@code test}, {@code lint}, {@code
 * diff}), as Tailscale evaluates a policy's tests without real devices:
 *
 * <ul>
 *   <li>one untagged device per user login named anywhere (groups, rules, tag owners,
 *       auto-approvers, ssh rules, tests), role {@code member}, named after the login;
 *   <li>one device per tag (defined in tagOwners or named), carrying only that tag;
 *   <li>one identity-less device per host alias naming a single tailnet address, holding it;
 *   <li>a tag's device routes what {@code autoApprovers} approves for that tag (routes, and
 *       0.0.0.0/0 and ::/0 for exitNode), a tagged router advertising them would get them, and the
 *       subnet destinations of the grants naming it in {@code via};
 *   <li>one identity-less subnet router, {@code subnet-router}, whose approved routes are the other
 *       host aliases (networks, addresses outside the tailnet) and the CIDRs rules and ipsets name
 *       outside the tailnet ranges that no tag routes (so subnet destinations have an enforcer);
 *   <li>one identity-less exit node, {@code exit-node} (routes 0.0.0.0/0 and ::/0), when the policy
 *       names autogroup:internet and approves no tag as an exit node;
 *   <li>user and tag devices get 100.64.0.N and fd7a:115c:a1e0::N in sorted order (users, then
 *       tags), skipping the single addresses host aliases hold;
 *   <li>each service ({@code svc:NAME}) the policy names gets the next addresses and is hosted by
 *       the tag devices its {@code svc:NAME} auto-approvers name, else by an identity-less device
 *       of its own, {@code host of svc:NAME};
 *   <li>no posture attributes; no shared-in users.
 * </ul>
 *
 * <p>What the policy does not say is not made up here but varied by the callers: a user's role
 * ({@code policyc test} reports an assertion whose verdict changes with it as undetermined, {@link
 * #withRole}); for audits ({@link #from}, lint and diff) one extra user per role autogroup the
 * policy names ({@code ROLE@synthetic.invalid}, with one device), and a member when the policy
 * names {@code autogroup:member} but no user, so rules on role autogroups do not read as granting
 * nothing.
 */
public final class SyntheticInventory {
  /** The synthesized subnet router's name. */
  public static final String ROUTER = "subnet-router";

  /**
   * The synthesized exit node's name (when the policy names autogroup:internet or exit-node
   * approvers).
   */
  public static final String EXIT_NODE = "exit-node";

  /** The domain of made-up users. */
  public static final String DOMAIN = "synthetic.invalid";

  private SyntheticInventory() {}

  /** The caveats to print next to results computed on a synthesized inventory. */
  public static final String NOTE =
      "no inventory given: results are for a synthesized inventory (one device per user, tag and "
          + "host alias named in the policy, one per role autogroup, a subnet router for the "
          + "subnets) with every posture check taken as passed";

  /**
   * The policy with {@code srcPosture} and {@code defaultSrcPosture} dropped, i.e. every device
   * passes every posture: what is compiled on a synthesized inventory, whose devices have no
   * posture attributes (otherwise every posture-gated rule would silently allow nothing). Rule
   * positions and indexes are unchanged, so provenance still maps to the original text.
   */
  static Policy withoutPosture(Policy p) {
    Policy.Builder b = p.toBuilder();
    if (p.has(dev.tessera.policy.ast.Section.DEFAULT_SRC_POSTURE)) {
      b.defaultSrcPosture(List.of());
    }
    if (p.has(dev.tessera.policy.ast.Section.ACLS)) {
      b.acls(
          p.acls().stream()
              .map(a -> new Acl(a.action(), a.src(), a.dst(), a.proto(), List.of(), a.span()))
              .toList());
    }
    if (p.has(dev.tessera.policy.ast.Section.GRANTS)) {
      b.grants(
          p.grants().stream()
              .map(g -> new Grant(g.src(), g.dst(), g.ip(), g.app(), List.of(), g.via(), g.span()))
              .toList());
    }
    return b.build();
  }

  /** For audits (lint, diff, matrix): with one user per role autogroup named. */
  public static Inventory from(Policy... policies) {
    return build(List.of(policies), List.of(), true);
  }

  /**
   * For {@code policyc test}: without role users (a test's verdict must not depend on a made-up
   * user); {@code extraLogins} are logins named by test entries outside the policy.
   */
  public static Inventory forTests(Policy policy, Collection<String> extraLogins) {
    return build(List.of(policy), extraLogins, false);
  }

  /** The same inventory with {@code login}'s role set to {@code role}. */
  public static Inventory withRole(Inventory inv, String login, Role role) {
    List<InventoryUser> users =
        inv.users().stream()
            .map(u -> u.login().equals(login) ? new InventoryUser(login, role, u.span()) : u)
            .toList();
    return new Inventory(users, inv.nodes(), inv.services());
  }

  /** The user logins the policy names outside its tests (groups, rules, owners, approvers, ssh). */
  public static Set<String> usersNamed(Policy p) {
    Set<String> users = new TreeSet<>();
    visit(
        p.toBuilder().tests(List.of()).build(),
        s -> {
          if (s instanceof Selector.User u) {
            users.add(u.login());
          }
        });
    return users;
  }

  /** The role autogroups the policies name in rules, tag owners and auto-approvers. */
  public static Set<AutoGroup> rolesNamed(Policy p) {
    EnumSet<AutoGroup> roles = EnumSet.noneOf(AutoGroup.class);
    visit(
        p,
        s -> {
          if (s instanceof Selector.Auto a && a.group().isRole()) {
            roles.add(a.group());
          }
        });
    return roles;
  }

  private static Inventory build(
      List<Policy> policies, Collection<String> extraLogins, boolean audit) {
    TreeSet<String> users = new TreeSet<>(extraLogins);
    TreeSet<String> tags = new TreeSet<>();
    TreeMap<String, IpPrefix> hosts = new TreeMap<>();
    TreeSet<IpPrefix> subnets = new TreeSet<>();
    EnumSet<AutoGroup> autogroups = EnumSet.noneOf(AutoGroup.class);
    TreeMap<String, TreeSet<IpPrefix>> tagRoutes = new TreeMap<>();
    TreeSet<String> services = new TreeSet<>();
    TreeMap<String, TreeSet<String>> serviceHosts = new TreeMap<>();
    for (Policy p : policies) {
      for (TagOwner t : p.tagOwners()) {
        tags.add(t.tag());
      }
      visit(
          p,
          s -> {
            switch (s) {
              case Selector.User u -> users.add(u.login());
              case Selector.Tag t -> tags.add(t.name());
              case Selector.Auto a -> autogroups.add(a.group());
              case Selector.Service v -> services.add(v.text());
              case Selector.Ip x -> {
                IpPrefix px = x.cidr().masked();
                if (px.bits() != 0 && !inTailnet(px)) {
                  subnets.add(px);
                }
              }
              default -> {}
            }
          });
      for (PolicyTest t : p.tests()) {
        login(t.src().raw()).ifPresent(users::add);
        for (TestDestination d : concat(t.accept(), t.deny())) {
          int colon = d.raw().lastIndexOf(':');
          if (colon > 0) {
            login(d.raw().substring(0, colon)).ifPresent(users::add);
          }
          d.target()
              .filter(x -> x instanceof Selector.Service)
              .ifPresent(x -> services.add(x.text()));
        }
      }
      for (HostDef h : p.hosts()) {
        hosts.putIfAbsent(h.name(), h.prefix().masked());
      }
      for (dev.tessera.policy.ast.IpSetDef set : p.ipsets()) {
        for (dev.tessera.policy.ast.IpSetDef.Op op : set.ops()) {
          if (op.kind() == dev.tessera.policy.ast.IpSetDef.Kind.ADD
              && op.target() instanceof Selector.Ip x) {
            IpPrefix px = x.cidr().masked();
            if (px.bits() != 0 && !inTailnet(px)) {
              subnets.add(px);
            }
          }
        }
      }
      // Routes the policy auto-approves for a tag are routed by that tag's device (what a
      // tagged router advertising them gets); exit nodes likewise.
      for (AutoApprovers.ServiceApprover r : p.autoApprovers().services()) {
        if (r.service() instanceof Selector.Service v) {
          services.add(v.text());
          r.approvers().stream()
              .filter(a -> a instanceof Selector.Tag)
              .map(a -> ((Selector.Tag) a).name())
              .forEach(
                  t ->
                      serviceHosts.computeIfAbsent(v.text(), k -> new TreeSet<>()).add("tag:" + t));
        }
      }
      for (AutoApprovers.RouteApprover r : p.autoApprovers().routes()) {
        IpPrefix route = r.route().masked();
        r.approvers().stream()
            .filter(a -> a instanceof Selector.Tag)
            .map(a -> ((Selector.Tag) a).name())
            .forEach(t -> tagRoutes.computeIfAbsent(t, k -> new TreeSet<>()).add(route));
      }
      // A grant's via tags route its subnet destinations.
      for (Grant g : p.grants()) {
        List<String> via =
            g.via().stream()
                .filter(v -> v instanceof Selector.Tag)
                .map(v -> ((Selector.Tag) v).name())
                .toList();
        if (via.isEmpty()) {
          continue;
        }
        List<IpPrefix> routes = new ArrayList<>();
        for (Selector d : g.dst()) {
          switch (d) {
            case Selector.Ip x -> routes.add(x.cidr().masked());
            case Selector.Host h ->
                p.hosts().stream()
                    .filter(hd -> hd.name().equals(h.name()))
                    .forEach(hd -> routes.add(hd.prefix().masked()));
            case Selector.IpSet i ->
                p.ipsets().stream()
                    .filter(sd -> sd.name().equals(i.name()))
                    .flatMap(sd -> sd.ops().stream())
                    .filter(
                        op ->
                            op.kind() == dev.tessera.policy.ast.IpSetDef.Kind.ADD
                                && op.target() instanceof Selector.Ip)
                    .forEach(op -> routes.add(((Selector.Ip) op.target()).cidr().masked()));
            default -> {}
          }
        }
        routes.removeIf(r -> r.bits() == 0 || inTailnet(r));
        for (String t : via) {
          tagRoutes.computeIfAbsent(t, k -> new TreeSet<>()).addAll(routes);
        }
      }
      for (Selector a : p.autoApprovers().exitNode()) {
        if (a instanceof Selector.Tag t) {
          tagRoutes
              .computeIfAbsent(t.name(), k -> new TreeSet<>())
              .addAll(List.of(IpPrefix.ALL_V4, IpPrefix.ALL_V6));
        }
      }
    }
    List<InventoryUser> us = new ArrayList<>();
    List<InventoryNode> nodes = new ArrayList<>();
    Set<IpAddress> taken = new HashSet<>();
    for (Map.Entry<String, IpPrefix> h : hosts.entrySet()) {
      IpPrefix p = h.getValue();
      if (p.isHost() && inTailnet(p)) {
        if (taken.add(p.address())) {
          nodes.add(
              InventoryNode.of(
                  h.getKey(), null, List.of(), List.of(p.address()), Map.of(), List.of()));
        }
      } else if (p.bits() != 0) {
        subnets.add(p);
      }
    }
    if (audit) {
      for (AutoGroup g : autogroups) {
        if (g.isRole()) {
          users.add(g.groupName() + "@" + DOMAIN);
        }
      }
      if (autogroups.contains(AutoGroup.MEMBER) && users.isEmpty()) {
        users.add("member@" + DOMAIN);
      }
    }
    int[] next = {1};
    for (String u : users) {
      Role role = Role.MEMBER;
      if (u.endsWith("@" + DOMAIN)) {
        role = Role.byText(u.substring(0, u.indexOf('@'))).orElse(Role.MEMBER);
      }
      us.add(new InventoryUser(u, role, SourceSpan.NONE));
      nodes.add(InventoryNode.of(u, u, List.of(), ips(next, taken), Map.of(), List.of()));
    }
    boolean exitRouted = false;
    for (String t : tags) {
      List<IpPrefix> routes = List.copyOf(tagRoutes.getOrDefault(t, new TreeSet<>()));
      for (IpPrefix r : routes) {
        if (r.bits() == 0) {
          exitRouted = true;
        } else {
          subnets.removeIf(r::contains);
        }
      }
      nodes.add(
          InventoryNode.of(
              "tag:" + t, null, List.of("tag:" + t), ips(next, taken), Map.of(), routes));
    }
    if (!subnets.isEmpty()) {
      nodes.add(
          InventoryNode.of(
              ROUTER, null, List.of(), ips(next, taken), Map.of(), List.copyOf(subnets)));
    }
    if (!exitRouted && autogroups.contains(AutoGroup.INTERNET)) {
      nodes.add(
          InventoryNode.of(
              EXIT_NODE,
              null,
              List.of(),
              ips(next, taken),
              Map.of(),
              List.of(IpPrefix.ALL_V4, IpPrefix.ALL_V6)));
    }
    // Each service the policy names gets addresses, hosted by the tag devices its svc:NAME
    // auto-approvers name (approved by the policy), else by an identity-less device of its own.
    List<InventoryService> svcs = new ArrayList<>();
    for (String svc : services) {
      List<IpAddress> vip = ips(next, taken);
      List<InventoryService.Host> hs = new ArrayList<>();
      for (String t : serviceHosts.getOrDefault(svc, new TreeSet<>())) {
        hs.add(new InventoryService.Host(t, java.util.Optional.empty(), SourceSpan.NONE));
      }
      if (hs.isEmpty()) {
        String host = "host of " + svc;
        nodes.add(InventoryNode.of(host, null, List.of(), ips(next, taken), Map.of(), List.of()));
        hs.add(new InventoryService.Host(host, java.util.Optional.of(true), SourceSpan.NONE));
      }
      svcs.add(new InventoryService(svc, vip, List.of(), hs, SourceSpan.NONE));
    }
    return new Inventory(us, nodes, svcs);
  }

  /**
   * Every selector of the policy's rules, definitions, approvers, ssh rules and node attributes.
   */
  private static void visit(Policy p, Consumer<Selector> see) {
    for (GroupDef g : p.groups()) {
      g.members().forEach(see);
    }
    for (TagOwner t : p.tagOwners()) {
      t.owners().forEach(see);
    }
    for (Acl a : p.acls()) {
      a.src().forEach(see);
      a.dst().stream().map(AclDestination::target).forEach(see);
    }
    for (Grant g : p.grants()) {
      g.src().forEach(see);
      g.dst().forEach(see);
    }
    AutoApprovers aa = p.autoApprovers();
    aa.routes().forEach(r -> r.approvers().forEach(see));
    aa.exitNode().forEach(see);
    aa.services().forEach(r -> r.approvers().forEach(see));
    p.ssh()
        .forEach(
            r -> {
              r.src().forEach(see);
              r.dst().forEach(see);
            });
    for (PolicyTest t : p.tests()) {
      t.src().selector().ifPresent(see);
    }
  }

  private static java.util.Optional<String> login(String s) {
    String v = s.strip();
    return v.contains("@")
            && !v.startsWith("autogroup:")
            && !v.startsWith("tag:")
            && !v.startsWith("group:")
            && v.indexOf('@') == v.lastIndexOf('@')
            && !v.startsWith("@")
        ? java.util.Optional.of(v)
        : java.util.Optional.empty();
  }

  /** Inside 100.64.0.0/10 or fd7a:115c:a1e0::/48: a tailnet device's address. */
  public static boolean inTailnet(IpAddress a) {
    return inTailnet(IpPrefix.host(a));
  }

  /** Inside 100.64.0.0/10 or fd7a:115c:a1e0::/48. */
  private static boolean inTailnet(IpPrefix p) {
    return p.ipv6()
        ? p.bits() >= 48 && (p.address().hi() >>> 16) == 0xfd7a115ca1e0L
        : p.bits() >= 10 && (p.address().lo() & 0xffc00000L) == 0x64400000L;
  }

  /**
   * The next 100.64.0.0/10 address no host alias holds, and the matching fd7a:115c:a1e0::/48 one.
   */
  private static List<IpAddress> ips(int[] next, Set<IpAddress> taken) {
    while (true) {
      int n = next[0]++;
      IpAddress v4 = IpAddress.ofV4(0x64400000 + n);
      IpAddress v6 = IpAddress.ofV6(0xfd7a115ca1e00000L, n);
      if (!taken.contains(v4) && !taken.contains(v6)) {
        return List.of(v4, v6);
      }
    }
  }

  private static <T> List<T> concat(List<T> a, List<T> b) {
    List<T> out = new ArrayList<>(a);
    out.addAll(b);
    return out;
  }
}
