package dev.tessera.server.control;

import dev.tessera.compiler.inventory.Inventory;
import dev.tessera.compiler.pass.ResolveIdentities;
import dev.tessera.net.IpCidr;
import dev.tessera.policy.ast.AutoApprovers;
import dev.tessera.policy.ast.Policy;
import dev.tessera.policy.ast.Selector;
import dev.tessera.registry.PolicyChecks;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The registry's two questions answered by a policy: {@code tagOwners} (through the compiler's own
 * check, the one every compile applies to tagged nodes, so a key and a compile never disagree) and
 * {@code autoApprovers}: an advertised route is approved when an entry of {@code
 * autoApprovers.routes} covers it (the entry's prefix contains the route) and names the node's
 * owner (a user, a group the user is in, {@code *@domain}, {@code autogroup:member}) or, for a
 * tagged node, one of its tags; {@code 0.0.0.0/0} and {@code ::/0} are approved by {@code
 * autoApprovers.exitNode} instead.
 */
public final class PolicyControl {
  private PolicyControl() {}

  /**
   * The checks for {@code policy}, with users' roles (for autogroup owners) from {@code inventory}.
   */
  public static PolicyChecks checks(Policy policy, Inventory inventory) {
    Map<String, Set<String>> groups = ResolveIdentities.groups(policy);
    return new PolicyChecks(
        (user, tag) -> ResolveIdentities.mayApply(policy, inventory, user, tag),
        (route, user, tags) -> approves(policy.autoApprovers(), groups, route, user, tags));
  }

  static boolean approves(
      AutoApprovers auto,
      Map<String, Set<String>> groups,
      String route,
      Optional<String> user,
      List<String> tags) {
    IpCidr r = IpCidr.tryParse(route);
    if (r == null) {
      return false;
    }
    if (r.bits() == 0) {
      return auto.exitNode().stream().anyMatch(s -> names(s, groups, user, tags));
    }
    for (AutoApprovers.RouteApprover a : auto.routes()) {
      if (a.route().masked().contains(r.masked())
          && a.approvers().stream().anyMatch(s -> names(s, groups, user, tags))) {
        return true;
      }
    }
    return false;
  }

  private static boolean names(
      Selector s, Map<String, Set<String>> groups, Optional<String> user, List<String> tags) {
    if (!tags.isEmpty()) {
      return s instanceof Selector.Tag t && tags.contains("tag:" + t.name());
    }
    if (user.isEmpty()) {
      return false;
    }
    String u = user.get();
    return switch (s) {
      case Selector.User x -> x.login().equals(u);
      case Selector.Group g -> groups.getOrDefault(g.name(), Set.of()).contains(u);
      case Selector.UserDomain d -> u.endsWith("@" + d.domain());
      case Selector.Auto a -> a.group() == dev.tessera.policy.ast.AutoGroup.MEMBER;
      default -> false;
    };
  }
}
