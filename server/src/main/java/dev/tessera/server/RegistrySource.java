package dev.tessera.server;

import dev.tessera.bundle.PeerEndpoints;
import dev.tessera.registry.Node;
import dev.tessera.registry.Registry;
import dev.tessera.registry.RegistryException;
import dev.tessera.server.control.RegistryInventory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Instant;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * The registry as the server's inventory source: the inventory file format's JSON of the nodes
 * whose keys have not expired ({@link RegistryInventory}), with the SHA-256 of that text as its
 * revision, so the compile loop treats a registry change like an edit of an inventory file.
 *
 * <p>Polling is cheap: the snapshot is rebuilt only when the registry's revision has moved (every
 * write raises it; an agent's once-a-minute last-seen refresh, which no bundle depends on, does
 * not) or a node's key expiry has passed since the last build (expiry changes the inventory without
 * a write). A database that cannot be read is an {@link IOException}, which the compile loop treats
 * as any unreadable input: the last good compilation stays in force.
 *
 * <p>The nodes' endpoints are not part of the inventory (they change with the network, not with the
 * policy, and compiling does not need them): {@link #endpoints} gives them as of the last read, and
 * the compile loop puts them into the bundles without compiling again.
 */
public final class RegistrySource implements PolicySource {
  private final Registry registry;
  private final Clock clock;
  private long builtAtRevision = -1;
  private Instant validUntil = Instant.MIN;
  private Snapshot last;
  private Map<String, List<InetSocketAddress>> endpoints = Map.of();

  public RegistrySource(Registry registry, Clock clock) {
    this.registry = registry;
    this.clock = clock;
  }

  @Override
  public synchronized Snapshot read() throws IOException {
    Instant now = clock.instant();
    try {
      long revision = registry.revision();
      if (last != null && revision == builtAtRevision && now.isBefore(validUntil)) {
        return last;
      }
      List<Node> nodes = registry.nodes();
      String text = RegistryInventory.exportJson(nodes, now);
      last = new Snapshot("registry.json", text, "sha256:" + sha256(text));
      endpoints = endpointsOf(nodes, now);
      builtAtRevision = revision;
      validUntil =
          nodes.stream()
              .flatMap(n -> n.keyExpiry().stream())
              .filter(now::isBefore)
              .min(Instant::compareTo)
              .orElse(Instant.MAX);
      return last;
    } catch (RegistryException e) {
      throw new IOException(e.getMessage(), e);
    }
  }

  /**
   * The endpoints of the live nodes as of the last {@link #read}, by node name; nodes without any
   * are absent. Text that is not an address literal with a port (the registry only stores those) is
   * left out.
   */
  public synchronized Map<String, List<InetSocketAddress>> endpoints() {
    return endpoints;
  }

  private static Map<String, List<InetSocketAddress>> endpointsOf(List<Node> nodes, Instant now) {
    Map<String, List<InetSocketAddress>> out = new HashMap<>();
    for (Node n : nodes) {
      if (n.isExpired(now)) {
        continue;
      }
      List<InetSocketAddress> eps =
          n.endpoints().stream().flatMap(e -> PeerEndpoints.parse(e).stream()).toList();
      if (!eps.isEmpty()) {
        out.put(n.name(), eps);
      }
    }
    return Map.copyOf(out);
  }

  @Override
  public String describe() {
    return "registry " + registry.database().display();
  }

  private static String sha256(String s) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }
}
