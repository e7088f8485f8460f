package dev.tessera.compiler.inventory;

import dev.tessera.net.IpAddress;
import dev.tessera.policy.ast.Located;
import dev.tessera.policy.ast.SourceSpan;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A Tailscale Service (KB 1552): a name ({@code svc:NAME}), the virtual addresses clients reach it
 * at, the tags it carries (what {@code autoApprovers.services} tag keys match), and the nodes that
 * advertise it. A host serves the service's traffic only when approved: {@code approved} says so
 * explicitly ({@code true}: approved in the admin console; {@code false}: refused); when it is
 * empty, the policy's {@code autoApprovers.services} decides.
 */
public record InventoryService(
    String name, List<IpAddress> ips, List<String> tags, List<Host> hosts, SourceSpan span)
    implements Located {
  public InventoryService {
    Objects.requireNonNull(name, "name");
    ips = List.copyOf(ips);
    tags = List.copyOf(tags);
    hosts = List.copyOf(hosts);
  }

  /** A node advertising the service. */
  public record Host(String node, Optional<Boolean> approved, SourceSpan span) implements Located {}
}
