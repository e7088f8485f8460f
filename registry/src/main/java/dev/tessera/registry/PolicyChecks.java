package dev.tessera.registry;

import java.util.List;
import java.util.Optional;

/**
 * The two questions the registry asks the policy, as functions so that the registry does not read
 * policies: whether a user owns a tag ({@code tagOwners}), and whether a route a node advertises is
 * approved without an administrator ({@code autoApprovers}).
 */
public record PolicyChecks(TagOwnership tags, RouteApproval routes, Optional<String> unavailable) {

  /** Checks that answer both questions. */
  public PolicyChecks(TagOwnership tags, RouteApproval routes) {
    this(tags, routes, Optional.empty());
  }

  /**
   * Checks that cannot be made now ({@code why}: the policy they would come from cannot be used
   * yet): the registry refuses whatever needs them ({@link
   * RegistryException.Code#POLICY_UNAVAILABLE}) instead of deciding without the policy; a tag is
   * owned by no one and no route approves itself.
   */
  public static PolicyChecks unavailable(String why) {
    return new PolicyChecks(NONE.tags(), NONE.routes(), Optional.of(why));
  }

  /** {@code tagOwners}: may {@code user} apply {@code tag}? */
  @FunctionalInterface
  public interface TagOwnership {
    boolean owns(String user, String tag);
  }

  /**
   * {@code autoApprovers}: is {@code route}, advertised by a node of this user and tags, approved?
   */
  @FunctionalInterface
  public interface RouteApproval {
    boolean approves(String route, Optional<String> user, List<String> tags);
  }

  /** No tag is owned by anyone and no route approves itself. */
  public static final PolicyChecks NONE = new PolicyChecks((u, t) -> false, (r, u, t) -> false);
}
