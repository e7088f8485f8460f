package dev.tessera.agent.enroll;

import dev.tessera.agent.distribution.RoutingOptions;
import dev.tessera.net.IpPrefix;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The route settings of {@code tessera-agent up}, kept in the state directory with the identity so
 * that a later {@code up} without them keeps them (as {@code --interface} and {@code --port} are
 * kept); a later {@code up} that gives one changes just that one.
 *
 * @param advertiseRoutes {@code --advertise-routes}; empty when this state directory never stated
 *     them (an identity kept by an agent that did not record them): then nothing is reported and
 *     the server keeps what the node enrolled with
 * @param advertiseExitNode {@code --advertise-exit-node}
 * @param acceptRoutes {@code --accept-routes}
 * @param exitNode {@code --exit-node}: a peer's name or tunnel address; empty: none
 */
public record UpSettings(
    Optional<List<String>> advertiseRoutes,
    boolean advertiseExitNode,
    boolean acceptRoutes,
    Optional<String> exitNode) {
  public UpSettings {
    advertiseRoutes = advertiseRoutes.map(List::copyOf);
    Objects.requireNonNull(exitNode, "exitNode");
  }

  /** Nothing stated: no state directory yet, or one an older agent wrote. */
  public static final UpSettings UNSTATED =
      new UpSettings(Optional.empty(), false, false, Optional.empty());

  /**
   * These settings with what one {@code up} gave (empty: not given); an empty {@code exitNode} text
   * ({@code --exit-node=}) clears the exit node. Giving only {@code --advertise-exit-node} where
   * the routes were never stated states them as none.
   */
  public UpSettings with(
      Optional<List<String>> routes,
      Optional<Boolean> exitOffer,
      Optional<Boolean> accept,
      Optional<String> exit) {
    Optional<List<String>> r =
        routes.isPresent()
            ? Optional.of(
                routes.get().stream().map(String::strip).filter(x -> !x.isEmpty()).toList())
            : exitOffer.isPresent() && advertiseRoutes.isEmpty()
                ? Optional.of(List.of())
                : advertiseRoutes;
    return new UpSettings(
        r,
        exitOffer.orElse(advertiseExitNode),
        accept.orElse(acceptRoutes),
        exit.isPresent() ? exit.map(String::strip).filter(x -> !x.isEmpty()) : exitNode);
  }

  /**
   * Every route the node advertises, its exit node offer as {@code 0.0.0.0/0} and {@code ::/0}, as
   * prefixes; empty when unstated. Throws IllegalArgumentException naming a malformed route.
   */
  public Optional<List<IpPrefix>> advertised() {
    if (advertiseRoutes.isEmpty()) {
      return Optional.empty();
    }
    List<IpPrefix> out = new ArrayList<>();
    for (String r : advertiseRoutes.get()) {
      IpPrefix p = IpPrefix.parse(r);
      if (!out.contains(p)) {
        out.add(p);
      }
    }
    if (advertiseExitNode) {
      for (IpPrefix p : List.of(IpPrefix.ALL_V4, IpPrefix.ALL_V6)) {
        if (!out.contains(p)) {
          out.add(p);
        }
      }
    }
    return Optional.of(List.copyOf(out));
  }

  /** What the agent does with its peers' routes and reports of its own. */
  public RoutingOptions routing() {
    return new RoutingOptions(acceptRoutes, exitNode, advertised());
  }
}
