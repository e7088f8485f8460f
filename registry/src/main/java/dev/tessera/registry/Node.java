package dev.tessera.registry;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * One enrolled device. {@code user} is the owner of an untagged node; a tagged node belongs to its
 * tags, and {@code user} then names who created the key that tagged it (what the policy's {@code
 * tagOwners} check is about), as in the inventory format. Addresses are assigned once and kept for
 * the node's life. {@code advertisedRoutes} are what the node offers; only {@code approvedRoutes}
 * (a subset) are used. {@code keyExpiry} empty means the key never expires.
 */
public record Node(
    long id,
    String name,
    Optional<String> user,
    List<String> tags,
    String publicKey,
    String ipv4,
    String ipv6,
    List<String> endpoints,
    List<String> advertisedRoutes,
    List<String> approvedRoutes,
    SortedMap<String, String> posture,
    Optional<Instant> lastSeen,
    Optional<Instant> keyExpiry,
    boolean ephemeral,
    Instant created) {

  public Node {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(user, "user");
    tags = List.copyOf(tags);
    Objects.requireNonNull(publicKey, "publicKey");
    endpoints = List.copyOf(endpoints);
    advertisedRoutes = List.copyOf(advertisedRoutes);
    approvedRoutes = List.copyOf(approvedRoutes);
    posture = java.util.Collections.unmodifiableSortedMap(new TreeMap<>(posture));
    Objects.requireNonNull(lastSeen, "lastSeen");
    Objects.requireNonNull(keyExpiry, "keyExpiry");
    Objects.requireNonNull(created, "created");
  }

  public boolean isTagged() {
    return !tags.isEmpty();
  }

  /** Whether the node's key has expired at {@code now} (an expired node is in no bundle). */
  public boolean isExpired(Instant now) {
    return keyExpiry.map(e -> !e.isAfter(now)).orElse(false);
  }

  /** The node's posture facts, e.g. {@code node:os -> linux}. */
  public Map<String, String> postureFacts() {
    return posture;
  }
}
