package dev.tessera.agent.enroll;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What the server assigned to this node at enrollment, kept in the state directory so a restart
 * re-uses it without an auth key.
 *
 * @param name the node's name in the tailnet (bundles are asked for and checked under it)
 * @param user the owner of an untagged node, or who tagged a tagged one
 * @param tags the node's tags (empty: a user's device)
 * @param ipv4 its address from the IPv4 pool (on the interface as /32)
 * @param ipv6 its address from the IPv6 pool (on the interface as /128)
 * @param listenPort the WireGuard UDP port it registered (kept across restarts, since peers learn
 *     it as the endpoint)
 * @param iface the interface it runs as
 */
public record Identity(
    String name,
    Optional<String> user,
    List<String> tags,
    String ipv4,
    String ipv6,
    int listenPort,
    String iface) {
  public Identity {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(user, "user");
    tags = List.copyOf(tags);
    Objects.requireNonNull(ipv4, "ipv4");
    Objects.requireNonNull(ipv6, "ipv6");
    Objects.requireNonNull(iface, "iface");
  }
}
