package dev.tessera.compiler.matrix;

import dev.tessera.compiler.inventory.Inventory;
import dev.tessera.compiler.inventory.InventoryNode;
import dev.tessera.compiler.inventory.InventoryUser;
import dev.tessera.compiler.inventory.Role;
import dev.tessera.enforcer.format.IpAddress;
import dev.tessera.enforcer.format.IpPrefix;
import dev.tessera.policy.ast.Acl;
import dev.tessera.policy.ast.AclDestination;
import dev.tessera.policy.ast.Grant;
import dev.tessera.policy.ast.GroupDef;
import dev.tessera.policy.ast.HostDef;
import dev.tessera.policy.ast.Policy;
import dev.tessera.policy.ast.PolicyTest;
import dev.tessera.policy.ast.Selector;
import dev.tessera.policy.ast.SourceSpan;
import dev.tessera.policy.ast.TagOwner;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * An inventory made up from policies, for {@code diff} and {@code lint} without
 * {@code --inventory}: one device per user login named anywhere, one device per tag, a
 * device for each host alias inside the tailnet ranges, and one subnet router carrying the
 * other host aliases as approved routes.
 *
 * <p>Limits, which the commands print: synthesized devices have no posture attributes, so the
 * policy is compiled with every posture check taken as passed ({@link #withoutPosture}), and a
 * change to postures alone is not seen; every user has the {@code member} role; the router is
 * an untagged device of a made-up user, so broad sources ({@code *}, {@code autogroup:member})
 * include it.
 */
public final class SyntheticInventory {
  /** The made-up owner of the synthesized subnet router. */
  public static final String ROUTER_USER = "subnet-router@synthetic.invalid";

  private SyntheticInventory() {}

  /** The caveats to print next to results computed on a synthesized inventory. */
  public static final String NOTE =
      "no inventory given: results are for a synthesized inventory (one device per user, tag and "
          + "host alias named in the policy) with every posture check taken as passed";

  /**
   * The policy with {@code srcPosture} and {@code defaultSrcPosture} dropped, i.e. every device
   * passes every posture: what is compiled on a synthesized inventory, whose devices have no
   * posture attributes (otherwise every posture-gated rule would silently allow nothing).
   * Rule positions and indexes are unchanged, so provenance still maps to the original text.
   */
  public static Policy withoutPosture(Policy p) {
    Policy.Builder b = p.toBuilder();
    if (p.has(dev.tessera.policy.ast.Section.DEFAULT_SRC_POSTURE)) {
      b.defaultSrcPosture(List.of());
    }
    if (p.has(dev.tessera.policy.ast.Section.ACLS)) {
      b.acls(p.acls().stream().map(a -> new Acl(a.action(), a.src(), a.dst(), a.proto(), List.of(), a.span())).toList());
    }
    if (p.has(dev.tessera.policy.ast.Section.GRANTS)) {
      b.grants(p.grants().stream()
          .map(g -> new Grant(g.src(), g.dst(), g.ip(), g.app(), List.of(), g.via(), g.span())).toList());
    }
    return b.build();
  }

  public static Inventory from(Policy... policies) {
    TreeSet<String> users = new TreeSet<>();
    TreeSet<String> tags = new TreeSet<>();
    TreeMap<String, IpPrefix> hosts = new TreeMap<>();
    for (Policy p : policies) {
      for (GroupDef g : p.groups()) {
        g.members().forEach(s -> collect(s, users, tags));
      }
      for (TagOwner t : p.tagOwners()) {
        tags.add(t.tag());
        t.owners().forEach(s -> collect(s, users, tags));
      }
      for (Acl a : p.acls()) {
        a.src().forEach(s -> collect(s, users, tags));
        a.dst().stream().map(AclDestination::target).forEach(s -> collect(s, users, tags));
      }
      for (Grant g : p.grants()) {
        g.src().forEach(s -> collect(s, users, tags));
        g.dst().forEach(s -> collect(s, users, tags));
      }
      for (PolicyTest t : p.tests()) {
        t.src().selector().ifPresent(s -> collect(s, users, tags));
      }
      for (HostDef h : p.hosts()) {
        String text = h.prefix().masked().toString();
        IpPrefix ip = IpPrefix.parse(text);
        hosts.putIfAbsent(h.name(), ip);
      }
    }
    List<InventoryUser> us = new ArrayList<>();
    List<InventoryNode> nodes = new ArrayList<>();
    TreeSet<Long> taken = new TreeSet<>();
    List<IpPrefix> routes = new ArrayList<>();
    TreeMap<String, IpAddress> hostNodes = new TreeMap<>();
    for (Map.Entry<String, IpPrefix> h : hosts.entrySet()) {
      IpPrefix p = h.getValue();
      boolean inTailnet = !p.ipv6() && p.isHost() && (p.lo() & 0xffc00000L) == 0x64400000L;
      if (inTailnet) {
        taken.add(p.lo());
        hostNodes.put(h.getKey(), p.address());
      } else if (p.bits() != 0) {
        routes.add(p);
      }
    }
    int[] next = {1};
    for (String u : users) {
      us.add(new InventoryUser(u, Role.MEMBER, SourceSpan.NONE));
      nodes.add(InventoryNode.of(u, u, List.of(), ips(next, taken), Map.of(), List.of()));
    }
    for (String t : tags) {
      nodes.add(InventoryNode.of("tag:" + t, null, List.of("tag:" + t), ips(next, taken), Map.of(), List.of()));
    }
    for (Map.Entry<String, IpAddress> h : hostNodes.entrySet()) {
      String owner = "host-" + h.getKey() + "@synthetic.invalid";
      us.add(new InventoryUser(owner, Role.MEMBER, SourceSpan.NONE));
      nodes.add(InventoryNode.of(h.getKey(), owner, List.of(), List.of(h.getValue()), Map.of(), List.of()));
    }
    if (!routes.isEmpty()) {
      us.add(new InventoryUser(ROUTER_USER, Role.MEMBER, SourceSpan.NONE));
      nodes.add(InventoryNode.of("subnet-router", ROUTER_USER, List.of(), ips(next, taken), Map.of(), routes));
    }
    return new Inventory(us, nodes);
  }

  private static void collect(Selector s, TreeSet<String> users, TreeSet<String> tags) {
    switch (s) {
      case Selector.User u -> users.add(u.login());
      case Selector.Tag t -> tags.add(t.name());
      default -> {}
    }
  }

  /** The next free 100.64.0.0/10 address and the matching fd7a:115c:a1e0::/48 one. */
  private static List<IpAddress> ips(int[] next, TreeSet<Long> taken) {
    long v4;
    do {
      v4 = 0x64400000L + next[0]++;
    } while (taken.contains(v4));
    long n = v4 - 0x64400000L;
    return List.of(IpAddress.ofV4((int) v4), IpAddress.ofV6(0xfd7a115ca1e00000L, n));
  }
}
