package dev.tessera.agent.distribution;

import dev.tessera.net.IpPrefix;
import java.io.IOException;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Kernel routes into the tunnel for the addresses of the peers that come from the bundle (a node
 * whose own address is a /32 and /128 has no other route to its peers) and, with {@code
 * --accept-routes}, for their approved subnet routes ({@link PeerPolicy} decides which). Default
 * routes are never routed here: an exit node's go into a table of their own with policy rules
 * ({@code dev.tessera.agent.tun.PolicyRouting}). The routes go with the interface.
 */
public final class PeerRoutes implements Consumer<Set<IpPrefix>> {
  /** Adds or removes one route through the tunnel. */
  public interface Routes {
    void add(IpPrefix prefix) throws IOException;

    void remove(IpPrefix prefix);
  }

  private final Routes routes;
  private final Consumer<String> log;
  private final Set<IpPrefix> installed = new LinkedHashSet<>();

  public PeerRoutes(Routes routes, Consumer<String> log) {
    this.routes = routes;
    this.log = log;
  }

  /** Makes the routes in force exactly {@code wanted}: adds the missing, removes the rest. */
  @Override
  public synchronized void accept(Set<IpPrefix> wanted) {
    for (IpPrefix p : Set.copyOf(installed)) {
      if (!wanted.contains(p)) {
        routes.remove(p);
        installed.remove(p);
      }
    }
    for (IpPrefix p : wanted) {
      if (!installed.contains(p)) {
        try {
          routes.add(p);
          installed.add(p);
        } catch (IOException e) {
          log.accept("cannot route " + p + " into the tunnel: " + e.getMessage()); // next bundle
        }
      }
    }
  }

  /** The routes in force (tests, status). */
  public synchronized Set<IpPrefix> installed() {
    return Set.copyOf(installed);
  }
}
