package dev.tessera.registry;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What {@code policyc authkey create} asks for. {@code user} is the creator: with no tags the key's
 * nodes belong to that user; with tags they belong to the tags, each of which the creator must own
 * under the policy's {@code tagOwners}.
 */
public record AuthKeySpec(
    String user,
    List<String> tags,
    boolean reusable,
    boolean ephemeral,
    Optional<Duration> expiry,
    boolean preApprovedRoutes) {

  public AuthKeySpec {
    Objects.requireNonNull(user, "user");
    tags = List.copyOf(tags);
    Objects.requireNonNull(expiry, "expiry");
  }

  /** A one-off, non-ephemeral key for {@code user}'s own devices, valid for {@code expiry}. */
  public static AuthKeySpec forUser(String user, Duration expiry) {
    return new AuthKeySpec(user, List.of(), false, false, Optional.of(expiry), false);
  }
}
