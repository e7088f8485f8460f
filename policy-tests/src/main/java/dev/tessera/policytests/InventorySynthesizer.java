package dev.tessera.policytests;

import dev.tessera.compiler.inventory.Inventory;
import dev.tessera.compiler.inventory.InventoryNode;
import dev.tessera.compiler.inventory.InventoryUser;
import dev.tessera.compiler.inventory.Role;
import dev.tessera.enforcer.format.IpAddress;
import dev.tessera.policy.ast.Acl;
import dev.tessera.policy.ast.AclDestination;
import dev.tessera.policy.ast.GroupDef;
import dev.tessera.policy.ast.Grant;
import dev.tessera.policy.ast.HostDef;
import dev.tessera.policy.ast.IpPrefix;
import dev.tessera.policy.ast.Policy;
import dev.tessera.policy.ast.Selector;
import dev.tessera.policy.ast.SourceSpan;
import dev.tessera.policy.ast.TagOwner;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The inventory used when {@code policyc test} gets no {@code --inventory}: one device for each
 * user, tag and single-address host the policy (and its tests) names, as Tailscale does when it
 * evaluates a policy's tests without real devices.
 *
 * <ul>
 *   <li>each user login named anywhere (groups, rules, tag owners, tests) gets one untagged device
 *       with role {@code member}, named after the login;
 *   <li>each tag defined in {@code tagOwners} gets one device carrying only that tag, named after
 *       the tag;
 *   <li>each host alias naming a single address gets a device with exactly that address and no
 *       identity, named after the alias (a host naming a network gets none: addresses inside it
 *       are answered by stand-ins, see {@link PolicyTester});
 *   <li>user and tag devices get 100.64.0.N and fd7a:115c:a1e0::N in sorted order (users, then
 *       tags), skipping addresses a host alias already holds;
 *   <li>no device has posture attributes, so rules behind {@code srcPosture} or {@code
 *       defaultSrcPosture} never match a synthesized source (give {@code --inventory} to test
 *       posture); no device has routes.
 * </ul>
 */
public final class InventorySynthesizer {
  private InventorySynthesizer() {}

  public static Inventory synthesize(Policy policy, List<TestSpec> tests) {
    Set<String> users = new TreeSet<>();
    for (GroupDef g : policy.groups()) {
      g.members().forEach(s -> addUser(s, users));
    }
    for (TagOwner t : policy.tagOwners()) {
      t.owners().forEach(s -> addUser(s, users));
    }
    for (Acl a : policy.acls()) {
      a.src().forEach(s -> addUser(s, users));
      for (AclDestination d : a.dst()) {
        addUser(d.target(), users);
      }
    }
    for (Grant g : policy.grants()) {
      g.src().forEach(s -> addUser(s, users));
      g.dst().forEach(s -> addUser(s, users));
    }
    for (TestSpec t : tests) {
      t.src().map(TestSpec.Text::value).map(String::strip).filter(InventorySynthesizer::isLogin).ifPresent(users::add);
      for (TestSpec.Text d : concat(t.accept(), t.deny())) {
        String v = d.value().strip();
        int colon = v.lastIndexOf(':');
        if (colon > 0 && isLogin(v.substring(0, colon))) {
          users.add(v.substring(0, colon));
        }
      }
    }
    Set<String> tags = new TreeSet<>();
    for (TagOwner t : policy.tagOwners()) {
      tags.add(t.tag().startsWith("tag:") ? t.tag() : "tag:" + t.tag());
    }

    List<InventoryNode> nodes = new ArrayList<>();
    List<IpPrefix> taken = new ArrayList<>();
    for (HostDef h : policy.hosts()) {
      taken.add(h.prefix());
      if (h.prefix().isSingleAddress()) {
        nodes.add(node(h.name(), null, List.of(), List.of(Evaluator.toAddress(h.prefix()))));
      }
    }
    int[] next = {1};
    List<InventoryUser> inventoryUsers = new ArrayList<>();
    for (String u : users) {
      inventoryUsers.add(new InventoryUser(u, Role.MEMBER, SourceSpan.NONE));
      nodes.add(node(u, u, List.of(), nextAddresses(next, taken)));
    }
    for (String t : tags) {
      nodes.add(node(t, null, List.of(t), nextAddresses(next, taken)));
    }
    return new Inventory(inventoryUsers, nodes);
  }

  private static InventoryNode node(String name, String user, List<String> tags, List<IpAddress> ips) {
    return InventoryNode.of(name, user, tags, ips, Map.of(), List.of());
  }

  /** The next free 100.64.0.0/10 and fd7a:115c:a1e0::/48 pair. */
  private static List<IpAddress> nextAddresses(int[] next, List<IpPrefix> taken) {
    while (true) {
      int n = next[0]++;
      IpPrefix v4 = IpPrefix.v4(0x64400000 + n, 32);
      IpPrefix v6 = IpPrefix.v6(0xfd7a115ca1e00000L, n, 128);
      boolean clash = false;
      for (IpPrefix t : taken) {
        if (t.contains(v4) || t.contains(v6)) {
          clash = true;
          break;
        }
      }
      if (!clash) {
        return List.of(Evaluator.toAddress(v4), Evaluator.toAddress(v6));
      }
    }
  }

  private static void addUser(Selector s, Set<String> users) {
    if (s instanceof Selector.User u) {
      users.add(u.login());
    }
  }

  static boolean isLogin(String s) {
    return s.contains("@") && !s.startsWith("autogroup:") && !s.startsWith("tag:") && !s.startsWith("group:");
  }

  private static <T> List<T> concat(List<T> a, List<T> b) {
    List<T> out = new ArrayList<>(a);
    out.addAll(b);
    return out;
  }
}
