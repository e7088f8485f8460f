package dev.tessera.registry;

import java.util.List;
import java.util.Objects;

/**
 * An agent's request to join: the auth key string, the WireGuard public key it made (base64, the
 * private key stays on the node), the hostname it asks for, the routes it advertises and whether it
 * offers itself as an exit node (which advertises {@code 0.0.0.0/0} and {@code ::/0}).
 */
public record Enrollment(
    String authKey,
    String publicKey,
    String hostname,
    List<String> advertisedRoutes,
    boolean exitNode) {
  public Enrollment {
    Objects.requireNonNull(authKey, "authKey");
    Objects.requireNonNull(publicKey, "publicKey");
    Objects.requireNonNull(hostname, "hostname");
    advertisedRoutes = List.copyOf(advertisedRoutes);
  }

  @Override
  public String toString() {
    return "Enrollment[" + hostname + ", " + publicKey + "]"; // never the auth key
  }
}
