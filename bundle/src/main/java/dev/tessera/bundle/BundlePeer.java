package dev.tessera.bundle;

import dev.tessera.net.IpPrefix;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One WireGuard peer of a node as its verified bundle describes it: the filter's peer (name, key,
 * addresses, the routes this node accepts from it) joined with the bundle's endpoints for it.
 *
 * @param name the peer's node name
 * @param publicKey its WireGuard public key, base64 (the bundle verifier checked it decodes to 32
 *     bytes)
 * @param addresses the peer's own tunnel addresses
 * @param routes approved subnet routes and exit-node default routes this node may use through it
 * @param endpoints where it can be reached, in order of preference; empty when none is known (it
 *     may still reach this node)
 */
public record BundlePeer(
    String name,
    String publicKey,
    List<IpPrefix> addresses,
    List<IpPrefix> routes,
    List<InetSocketAddress> endpoints) {
  public BundlePeer {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(publicKey, "publicKey");
    addresses = List.copyOf(addresses);
    routes = List.copyOf(routes);
    endpoints = List.copyOf(endpoints);
  }

  /** WireGuard AllowedIPs: the peer's addresses, then its routes. */
  public List<IpPrefix> allowedIps() {
    List<IpPrefix> out = new ArrayList<>(addresses);
    out.addAll(routes);
    return List.copyOf(out);
  }
}
