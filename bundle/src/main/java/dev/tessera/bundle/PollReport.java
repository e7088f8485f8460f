package dev.tessera.bundle;

import dev.tessera.net.IpPrefix;
import java.net.InetSocketAddress;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What an agent tells the server with each bundle poll, in the signed query of {@code GET
 * /v1/bundle}: its WireGuard listen port (the server pairs it with the source address it observes),
 * the endpoints it can be reached at (its interface addresses with that port), and posture facts
 * ({@code node:os}, {@code node:osVersion}, {@code node:tsVersion}, ...). The server records them
 * in its registry and puts each node's endpoints into its peers' bundles. An enrolled agent also
 * states the routes it advertises (its exit node offer as {@code 0.0.0.0/0} and {@code ::/0}), so
 * that {@code tessera-agent up} with other {@code --advertise-routes} than at enrollment reaches
 * the registry through the same signed request; an agent that states nothing keeps what was
 * recorded.
 *
 * <p>The query is deterministic (endpoints and facts sorted), so the same state is the same report
 * and the server does not write (or re-sign peers' bundles) for a poll that changed nothing.
 *
 * <p>A server that refuses the advertised routes (not routes, more than it takes) keeps the routes
 * recorded before, serves the bundle as usual and says why in {@link #ADVERTISE_REFUSED_HEADER} on
 * its answer to every poll that advertises them; an answer without it took them (or the poll stated
 * nothing about routes). The header is outside the signed bundle: the agent only shows it.
 *
 * @param listenPort the UDP port WireGuard listens on, or 0 when unknown (then no {@code port=})
 * @param endpoints at most {@link PeerEndpoints#MAX_ENDPOINTS} are sent
 * @param posture at most {@link #MAX_FACTS} are sent
 * @param advertisedRoutes every route the node advertises now ({@code advertise=}, empty when it
 *     advertises none), or empty when it states nothing about them (then no {@code advertise=})
 */
public record PollReport(
    int listenPort,
    List<InetSocketAddress> endpoints,
    Map<String, String> posture,
    Optional<List<IpPrefix>> advertisedRoutes) {
  /**
   * Response header on the answer to a poll whose {@code advertise=} the server refused: why, in
   * printable ASCII (for example {@code '10.1.0.1/16' is not a route ...}).
   */
  public static final String ADVERTISE_REFUSED_HEADER = "X-Tessera-Advertise-Refused";

  /** The most posture facts one poll carries (the server keeps no more). */
  public static final int MAX_FACTS = 32;

  public PollReport {
    if (listenPort < 0 || listenPort > 65_535) {
      throw new IllegalArgumentException("listen port " + listenPort + " is out of range");
    }
    endpoints = List.copyOf(endpoints);
    posture = Map.copyOf(posture);
    advertisedRoutes = advertisedRoutes.map(List::copyOf);
  }

  /** A report that states nothing about routes. */
  public PollReport(
      int listenPort, List<InetSocketAddress> endpoints, Map<String, String> posture) {
    this(listenPort, endpoints, posture, Optional.empty());
  }

  /** The query parameters, each starting with {@code &}: append them to the poll's path. */
  public String query() {
    StringBuilder sb = new StringBuilder();
    if (listenPort > 0) {
      sb.append("&port=").append(listenPort);
    }
    TreeSet<String> eps = new TreeSet<>();
    for (InetSocketAddress e : endpoints) {
      if (!e.isUnresolved() && e.getPort() > 0) {
        eps.add(PeerEndpoints.format(e));
      }
    }
    eps.stream()
        .limit(PeerEndpoints.MAX_ENDPOINTS)
        .forEach(e -> sb.append("&endpoint=").append(encode(e)));
    new TreeMap<>(posture)
        .entrySet().stream()
            .limit(MAX_FACTS)
            .forEach(
                f ->
                    sb.append("&posture=")
                        .append(encode(f.getKey()))
                        .append(encode("="))
                        .append(encode(f.getValue())));
    advertisedRoutes.ifPresent(
        routes ->
            sb.append("&advertise=")
                .append(
                    encode(
                        String.join(
                            ",",
                            new TreeSet<>(routes.stream().map(IpPrefix::toString).toList())))));
    return sb.toString();
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
