package dev.tessera.bundle;

import dev.tessera.net.IpAddress;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;

/**
 * Where a peer of the node can be reached: the UDP endpoints the registry recorded for it (the
 * addresses it reported with its listen port, and the source address the server observed). The peer
 * itself (key, addresses, allowed routes) is the compiled filter's peer of the same name; the
 * bundle carries endpoints beside the filter because they change with the network, not with the
 * policy, and the enforcer has no use for them.
 *
 * @param peer the name of a peer in the bundle's filter
 * @param endpoints at most {@link #MAX_ENDPOINTS}, at least one, no duplicates, each an IP literal
 *     (no host name: nothing is resolved) with a port from 1 to 65535, in order of preference
 */
public record PeerEndpoints(String peer, List<InetSocketAddress> endpoints) {
  /** The most endpoints one peer may have (the registry keeps at most this many). */
  public static final int MAX_ENDPOINTS = 16;

  public PeerEndpoints {
    Objects.requireNonNull(peer, "peer");
    endpoints = List.copyOf(endpoints);
    if (peer.isEmpty()) {
      throw new IllegalArgumentException("peer name is empty");
    }
    if (endpoints.isEmpty() || endpoints.size() > MAX_ENDPOINTS) {
      throw new IllegalArgumentException(
          "peer " + peer + " has " + endpoints.size() + " endpoints (1 to " + MAX_ENDPOINTS + ")");
    }
    var seen = new HashSet<InetSocketAddress>();
    for (InetSocketAddress e : endpoints) {
      if (e.isUnresolved() || e.getPort() < 1) {
        throw new IllegalArgumentException(
            "endpoint " + e + " of peer " + peer + " is not an address with a port");
      }
      if (!seen.add(e)) {
        throw new IllegalArgumentException("endpoint " + e + " of peer " + peer + " is repeated");
      }
    }
  }

  /**
   * Parses {@code a.b.c.d:port} or {@code [v6]:port} (as the registry writes endpoints) without any
   * name lookup; empty when the text is anything else.
   */
  public static java.util.Optional<InetSocketAddress> parse(String text) {
    int colon = text.lastIndexOf(':');
    if (colon <= 0 || colon == text.length() - 1 || text.length() - colon > 6) {
      return java.util.Optional.empty();
    }
    String host = text.substring(0, colon);
    String port = text.substring(colon + 1);
    if (!port.chars().allMatch(c -> c >= '0' && c <= '9')) {
      return java.util.Optional.empty();
    }
    int p = Integer.parseInt(port);
    boolean bracketed = host.startsWith("[") && host.endsWith("]");
    if (bracketed) {
      host = host.substring(1, host.length() - 1);
    }
    if (p < 1 || p > 65535 || host.isEmpty() || bracketed == (host.indexOf(':') < 0)) {
      return java.util.Optional.empty();
    }
    IpAddress a = IpAddress.tryParse(host);
    return a == null
        ? java.util.Optional.empty()
        : java.util.Optional.of(new InetSocketAddress(a.toInetAddress(), p));
  }

  /** {@code a.b.c.d:port} or {@code [v6]:port}, IPv6 in its RFC 5952 text form. */
  public static String format(InetSocketAddress e) {
    IpAddress a = IpAddress.ofBytes(e.getAddress().getAddress());
    return (e.getAddress() instanceof Inet4Address ? a + "" : "[" + a + "]") + ":" + e.getPort();
  }

  @Override
  public String toString() {
    return peer + endpoints.stream().map(PeerEndpoints::format).toList();
  }
}
