package dev.tessera.compiler.inventory;

import java.util.List;
import java.util.Optional;

/**
 * The tailnet's users, nodes and Tailscale Services, as read from an inventory file. Order is the
 * file's; the compiler never depends on it (every output is sorted), which is what makes
 * compilation byte-identical whatever the order of entries.
 */
public record Inventory(
    List<InventoryUser> users, List<InventoryNode> nodes, List<InventoryService> services) {
  public static final Inventory EMPTY = new Inventory(List.of(), List.of());

  public Inventory {
    users = List.copyOf(users);
    nodes = List.copyOf(nodes);
    services = List.copyOf(services);
  }

  /** Without services. */
  public Inventory(List<InventoryUser> users, List<InventoryNode> nodes) {
    this(users, nodes, List.of());
  }

  public Optional<InventoryService> service(String name) {
    return services.stream().filter(s -> s.name().equals(name)).findFirst();
  }

  public Optional<InventoryNode> node(String name) {
    return nodes.stream().filter(n -> n.name().equals(name)).findFirst();
  }

  public Optional<InventoryUser> user(String login) {
    return users.stream().filter(u -> u.login().equals(login)).findFirst();
  }

  /** The same users, with {@code node} added or replacing the node of the same name. */
  public Inventory withNode(InventoryNode node) {
    List<InventoryNode> ns = new java.util.ArrayList<>(nodes.size() + 1);
    boolean replaced = false;
    for (InventoryNode n : nodes) {
      if (n.name().equals(node.name())) {
        ns.add(node);
        replaced = true;
      } else {
        ns.add(n);
      }
    }
    if (!replaced) {
      ns.add(node);
    }
    return new Inventory(users, ns, services);
  }

  /** The same inventory without the named node. */
  public Inventory withoutNode(String name) {
    return new Inventory(
        users, nodes.stream().filter(n -> !n.name().equals(name)).toList(), services);
  }
}
