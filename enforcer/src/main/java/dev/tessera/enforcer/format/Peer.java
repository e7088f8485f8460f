package dev.tessera.enforcer.format;

import dev.tessera.net.IpPrefix;
import java.util.List;
import java.util.Objects;

/**
 * A node this node may exchange packets with: its name, WireGuard public key (base64, may be null
 * when the inventory has none), its own addresses and the approved routes this node should accept
 * from it (AllowedIPs = addresses + routes).
 */
public record Peer(String name, String publicKey, List<IpPrefix> addresses, List<IpPrefix> routes)
    implements Comparable<Peer> {
  public Peer {
    Objects.requireNonNull(name, "name");
    addresses = List.copyOf(addresses);
    routes = List.copyOf(routes);
  }

  @Override
  public int compareTo(Peer o) {
    return name.compareTo(o.name);
  }
}
