package dev.tessera.policy.ast;

import java.util.Optional;

/**
 * The autogroups Tailscale defines for ACL/grant targets (KB 1396 "targets"). Where each may be
 * used (src, dst, both) is checked by validation, not here. {@code autogroup:nonroot} is an SSH
 * user, not a target, and is carried in {@link SshRule#users()} as text.
 */
public enum AutoGroup {
  MEMBER("member"),
  TAGGED("tagged"),
  SELF("self"),
  INTERNET("internet"),
  SHARED("shared"),
  DANGER_ALL("danger-all"),
  OWNER("owner"),
  ADMIN("admin"),
  IT_ADMIN("it-admin"),
  NETWORK_ADMIN("network-admin"),
  BILLING_ADMIN("billing-admin"),
  AUDITOR("auditor");

  /**
   * The legacy name of {@code autogroup:member}. Tailscale's policy reference still accepts it with
   * the same meaning; a file may not use both names.
   */
  public static final String LEGACY_MEMBERS = "autogroup:members";

  private final String name;

  AutoGroup(String name) {
    this.name = name;
  }

  /** The part after {@code autogroup:}. */
  public String groupName() {
    return name;
  }

  /** {@code autogroup:NAME}. */
  public String text() {
    return "autogroup:" + name;
  }

  public boolean isRole() {
    return switch (this) {
      case OWNER, ADMIN, IT_ADMIN, NETWORK_ADMIN, BILLING_ADMIN, AUDITOR -> true;
      case MEMBER, TAGGED, SELF, INTERNET, SHARED, DANGER_ALL -> false;
    };
  }

  /** By the part after {@code autogroup:}; the legacy {@code members} gives {@link #MEMBER}. */
  public static Optional<AutoGroup> byName(String name) {
    if (name.equals("members")) {
      return Optional.of(MEMBER);
    }
    for (AutoGroup g : values()) {
      if (g.name.equals(name)) {
        return Optional.of(g);
      }
    }
    return Optional.empty();
  }
}
