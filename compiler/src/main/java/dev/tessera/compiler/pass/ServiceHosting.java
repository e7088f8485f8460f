package dev.tessera.compiler.pass;

import dev.tessera.compiler.CompilerCodes;
import dev.tessera.compiler.inventory.Inventory;
import dev.tessera.compiler.inventory.InventoryNode;
import dev.tessera.compiler.inventory.InventoryService;
import dev.tessera.compiler.inventory.InventoryUser;
import dev.tessera.compiler.inventory.Role;
import dev.tessera.net.IpAddress;
import dev.tessera.net.IpPrefix;
import dev.tessera.policy.ast.AutoApprovers;
import dev.tessera.policy.ast.GroupDef;
import dev.tessera.policy.ast.Policy;
import dev.tessera.policy.ast.Selector;
import dev.tessera.policy.diag.Diagnostics;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Tailscale Services (KB 1552) before pass 1: each approved host of a service serves the service's
 * virtual addresses, which Tailscale implements like a route the host advertises (peers send the
 * addresses to the host; the host's filter admits packets to them). So every approved host gets the
 * service's addresses as extra approved host routes; a grant or ACL to {@code svc:NAME} is then a
 * destination of those addresses, enforced by whichever node routes them (docs/semantics.md §3.7).
 *
 * <p>A host is approved when the inventory says {@code approved: true}, or says nothing and the
 * policy's {@code autoApprovers.services} lets it host the service: a {@code svc:NAME} key naming
 * it, or a {@code tag:NAME} key for a tag the service carries, whose approvers include the host
 * (its tag, its user, a group holding its user, autogroup:member or its user's role; users, groups
 * and roles only for untagged hosts, as everywhere).
 */
public final class ServiceHosting {
  private ServiceHosting() {}

  /**
   * The inventory with every approved service host's routes extended (unchanged without services).
   */
  public static Inventory apply(Policy policy, Inventory inventory, Diagnostics diags) {
    if (inventory.services().isEmpty()) {
      return inventory;
    }
    Map<String, Set<IpPrefix>> extra = new HashMap<>();
    for (InventoryService svc : inventory.services()) {
      for (InventoryService.Host h : svc.hosts()) {
        Optional<InventoryNode> node = inventory.node(h.node());
        if (node.isEmpty()) {
          continue;
        }
        if (approved(policy, inventory, svc, h, node.get())) {
          Set<IpPrefix> routes = extra.computeIfAbsent(h.node(), k -> new LinkedHashSet<>());
          for (IpAddress ip : svc.ips()) {
            routes.add(IpPrefix.host(ip));
          }
        } else {
          diags.warning(
              CompilerCodes.SERVICE_NOT_APPROVED,
              "node \""
                  + h.node()
                  + "\" advertises "
                  + svc.name()
                  + " but is not approved to host it: it receives none of the service's traffic",
              h.span(),
              h.approved().isPresent()
                  ? null
                  : "approve it in the inventory (approved: true) or in the policy's autoApprovers.services");
        }
      }
    }
    if (extra.isEmpty()) {
      return inventory;
    }
    List<InventoryNode> nodes = new ArrayList<>(inventory.nodes().size());
    for (InventoryNode n : inventory.nodes()) {
      Set<IpPrefix> add = extra.get(n.name());
      if (add == null) {
        nodes.add(n);
        continue;
      }
      List<IpPrefix> routes = new ArrayList<>(n.routes());
      for (IpPrefix p : add) {
        if (!routes.contains(p)) {
          routes.add(p);
        }
      }
      nodes.add(
          new InventoryNode(
              n.name(), n.user(), n.tags(), n.ips(), n.key(), n.posture(), routes, n.span()));
    }
    return new Inventory(inventory.users(), nodes, inventory.services());
  }

  static boolean approved(
      Policy policy,
      Inventory inventory,
      InventoryService svc,
      InventoryService.Host h,
      InventoryNode node) {
    if (h.approved().isPresent()) {
      return h.approved().get();
    }
    for (AutoApprovers.ServiceApprover a : policy.autoApprovers().services()) {
      boolean keyMatches =
          switch (a.service()) {
            case Selector.Service s -> s.text().equals(svc.name());
            case Selector.Tag t -> svc.tags().contains(t.text());
            default -> false;
          };
      if (keyMatches
          && a.approvers().stream().anyMatch(s -> approves(policy, inventory, s, node))) {
        return true;
      }
    }
    return false;
  }

  private static boolean approves(
      Policy policy, Inventory inventory, Selector s, InventoryNode node) {
    if (s instanceof Selector.Tag t) {
      return node.tags().contains(t.text());
    }
    if (node.isTagged() || node.user().isEmpty()) {
      return false; // a tagged device has no user identity
    }
    String user = node.user().get();
    return switch (s) {
      case Selector.User u -> u.login().equals(user);
      case Selector.Group g ->
          policy.groups().stream()
              .filter(gd -> gd.name().equals(g.name()))
              .map(GroupDef::members)
              .flatMap(List::stream)
              .anyMatch(m -> m instanceof Selector.User u && u.login().equals(user));
      case Selector.Auto au ->
          switch (au.group()) {
            case MEMBER -> inventory.user(user).isPresent();
            case OWNER, ADMIN, IT_ADMIN, NETWORK_ADMIN, BILLING_ADMIN, AUDITOR ->
                inventory
                    .user(user)
                    .map(InventoryUser::role)
                    .flatMap(r -> Role.ofAutoGroup(au.group()).map(r::equals))
                    .orElse(false);
            default -> false;
          };
      default -> false;
    };
  }
}
