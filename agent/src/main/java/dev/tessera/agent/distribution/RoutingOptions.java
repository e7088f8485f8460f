package dev.tessera.agent.distribution;

import dev.tessera.bundle.BundlePeer;
import dev.tessera.net.IpPrefix;
import java.net.InetAddress;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * What an enrolled node does with its peers' routes, and which routes it offers, as {@code
 * tessera-agent up} was told ({@code --accept-routes}, {@code --exit-node}, {@code
 * --advertise-routes}, {@code --advertise-exit-node}).
 *
 * <p>As with Tailscale on Linux, a node uses nothing a peer offers unless asked: the approved
 * subnet routes in its bundle are routed into the tunnel only with {@code acceptRoutes}, and a
 * peer's exit routes ({@code 0.0.0.0/0}, {@code ::/0}) only for the one peer named by {@code
 * exitNode}, which is then the only peer whose AllowedIPs hold them (two exit nodes in one node's
 * AllowedIPs would fight over the same prefixes).
 *
 * @param acceptRoutes route the peers' approved subnet routes into the tunnel
 * @param exitNode the peer (its name, or one of its tunnel addresses) to send default traffic
 *     through; empty: none
 * @param advertisedRoutes every route this node offers (its exit node offer as {@code 0.0.0.0/0}
 *     and {@code ::/0}), reported with each poll; empty when the node states nothing about them
 */
public record RoutingOptions(
    boolean acceptRoutes, Optional<String> exitNode, Optional<List<IpPrefix>> advertisedRoutes) {
  public RoutingOptions {
    Objects.requireNonNull(exitNode, "exitNode");
    advertisedRoutes = advertisedRoutes.map(List::copyOf);
  }

  /** Uses no peer's routes and states nothing: a node run from a config file. */
  public static final RoutingOptions NONE =
      new RoutingOptions(false, Optional.empty(), Optional.empty());

  /** Whether {@code peer} is the chosen exit node: its name, or one of its tunnel addresses. */
  public boolean isExitNode(BundlePeer peer) {
    if (exitNode.isEmpty()) {
      return false;
    }
    String want = exitNode.get();
    if (peer.name().equalsIgnoreCase(want)) {
      return true;
    }
    dev.tessera.net.IpAddress address = dev.tessera.net.IpAddress.tryParse(want);
    return address != null
        && peer.addresses().stream().anyMatch(a -> a.isHost() && a.address().equals(address));
  }

  /**
   * Checks an {@code --exit-node} value: a node name (a DNS label) or an IP address. Returns a
   * message saying what is wrong, or empty.
   */
  public static Optional<String> checkExitNode(String value) {
    if (dev.tessera.net.IpAddress.tryParse(value) != null) {
      return Optional.empty();
    }
    String v = value.toLowerCase(Locale.ROOT);
    if (v.length() <= 63 && v.matches("[a-z0-9]([a-z0-9-]*[a-z0-9])?")) {
      return Optional.empty();
    }
    return Optional.of(
        "--exit-node "
            + value
            + ": not a node name or an IP address (give the exit node's name, e.g. exit, or its"
            + " tunnel address, e.g. 100.64.0.3)");
  }

  /** Whether {@code p} is a default route ({@code 0.0.0.0/0}, {@code ::/0}). */
  static boolean isDefault(IpPrefix p) {
    return p.bits() == 0;
  }

  /**
   * Whether a prefix covers an address of one of this machine's interfaces other than {@code
   * tunnel} (read at each call): such a subnet route is not routed into the tunnel, since the
   * machine is on that network itself and replacing its route would cut it off.
   */
  public static java.util.function.Predicate<IpPrefix> coversThisMachine(String tunnel) {
    return p -> {
      try {
        for (java.net.NetworkInterface nif :
            java.net.NetworkInterface.networkInterfaces().toList()) {
          if (!nif.isUp() || nif.isLoopback() || nif.getName().equals(tunnel)) {
            continue;
          }
          for (InetAddress a : nif.inetAddresses().toList()) {
            if (!a.isLinkLocalAddress() && p.contains(dev.tessera.net.IpAddress.of(a))) {
              return true;
            }
          }
        }
      } catch (java.net.SocketException e) {
        // no interface list: nothing known to protect
      }
      return false;
    };
  }
}
