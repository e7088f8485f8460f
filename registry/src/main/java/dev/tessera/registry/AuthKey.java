package dev.tessera.registry;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * An auth key as the registry keeps it: everything but the secret, of which only a SHA-256 hash is
 * stored. {@code id} is the public half of the key string (it names the key in lists, logs and
 * {@code revoke}). A key makes nodes owned by {@code user}, or tagged with {@code tags} (then
 * {@code user} is the creator, whose ownership of the tags is checked at creation and at every
 * use).
 */
public record AuthKey(
    String id,
    String user,
    List<String> tags,
    boolean reusable,
    boolean ephemeral,
    Optional<Instant> expiry,
    boolean preApprovedRoutes,
    Instant created,
    int uses,
    Optional<Instant> revoked) {

  public AuthKey {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(user, "user");
    tags = List.copyOf(tags);
    Objects.requireNonNull(expiry, "expiry");
    Objects.requireNonNull(created, "created");
    Objects.requireNonNull(revoked, "revoked");
  }

  /** What the key can do at {@code now}. */
  public State state(Instant now) {
    if (revoked.isPresent()) {
      return State.REVOKED;
    }
    if (expiry.isPresent() && !expiry.get().isAfter(now)) {
      return State.EXPIRED;
    }
    if (!reusable && uses > 0) {
      return State.USED;
    }
    return State.USABLE;
  }

  /** The life cycle of a key. */
  public enum State {
    USABLE,
    EXPIRED,
    REVOKED,
    USED
  }
}
