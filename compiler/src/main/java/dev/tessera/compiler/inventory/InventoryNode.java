package dev.tessera.compiler.inventory;

import dev.tessera.net.IpAddress;
import dev.tessera.net.IpPrefix;
import dev.tessera.policy.ast.Located;
import dev.tessera.policy.ast.PostureValue;
import dev.tessera.policy.ast.SourceSpan;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * One device. A node with tags has no user identity for selectors (Tailscale: a tagged device
 * belongs to its tags only); {@code user} on a tagged node records who tagged it, which is what the
 * tagOwners check uses. {@code routes} are the <em>approved</em> subnet routes; 0.0.0.0/0 and ::/0
 * make it an exit node. {@code posture} maps attribute names ({@code node:os}, {@code
 * custom:compliant}) to values, sorted by name.
 */
public record InventoryNode(
    String name,
    Optional<String> user,
    List<String> tags,
    List<IpAddress> ips,
    Optional<String> key,
    SortedMap<String, PostureValue> posture,
    List<IpPrefix> routes,
    SourceSpan span)
    implements Located {

  public InventoryNode {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(user, "user");
    tags = List.copyOf(tags);
    ips = List.copyOf(ips);
    Objects.requireNonNull(key, "key");
    posture = java.util.Collections.unmodifiableSortedMap(new TreeMap<>(posture));
    routes = List.copyOf(routes);
    Objects.requireNonNull(span, "span");
  }

  /** Convenience for tests and generators (no key, no span). */
  public static InventoryNode of(
      String name,
      String user,
      List<String> tags,
      List<IpAddress> ips,
      Map<String, PostureValue> posture,
      List<IpPrefix> routes) {
    return new InventoryNode(
        name,
        Optional.ofNullable(user),
        tags,
        ips,
        Optional.empty(),
        new TreeMap<>(posture),
        routes,
        SourceSpan.NONE);
  }

  public boolean isTagged() {
    return !tags.isEmpty();
  }

  /**
   * The user whose identity the device carries, which users, groups and {@code autogroup:member}
   * select: its user when untagged, none when tagged (a tagged device belongs to its tags only).
   */
  public Optional<String> owner() {
    return isTagged() ? Optional.empty() : user;
  }

  /** The node's own addresses as host prefixes. */
  public List<IpPrefix> addressPrefixes() {
    return ips.stream().map(IpPrefix::host).toList();
  }

  /** True if the approved routes include a default route (0.0.0.0/0 or ::/0). */
  public boolean isExitNode() {
    return routes.stream().anyMatch(r -> r.bits() == 0);
  }

  /** Approved routes that are not default routes: what {@code *} as a source includes. */
  public List<IpPrefix> subnetRoutes() {
    return routes.stream().filter(r -> r.bits() != 0).toList();
  }
}
