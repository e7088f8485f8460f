package dev.tessera.compiler.inventory;

import dev.tessera.policy.ast.AutoGroup;
import java.util.Locale;
import java.util.Optional;

/**
 * A user's tailnet role (Tailscale KB "user roles"). Each role is matched by the autogroup of the
 * same name ({@code autogroup:admin}, ...); every role counts as a tailnet member for {@code
 * autogroup:member}.
 */
public enum Role {
  OWNER("owner"),
  ADMIN("admin"),
  MEMBER("member"),
  AUDITOR("auditor"),
  IT_ADMIN("it-admin"),
  NETWORK_ADMIN("network-admin"),
  BILLING_ADMIN("billing-admin");

  private final String text;

  Role(String text) {
    this.text = text;
  }

  public String text() {
    return text;
  }

  public static Optional<Role> byText(String s) {
    String lower = s.toLowerCase(Locale.ROOT);
    for (Role r : values()) {
      if (r.text.equals(lower)) {
        return Optional.of(r);
      }
    }
    return Optional.empty();
  }

  /** The role autogroup that selects users of exactly this role, if the autogroup is a role one. */
  public static Optional<Role> ofAutoGroup(AutoGroup g) {
    return switch (g) {
      case OWNER -> Optional.of(OWNER);
      case ADMIN -> Optional.of(ADMIN);
      case IT_ADMIN -> Optional.of(IT_ADMIN);
      case NETWORK_ADMIN -> Optional.of(NETWORK_ADMIN);
      case BILLING_ADMIN -> Optional.of(BILLING_ADMIN);
      case AUDITOR -> Optional.of(AUDITOR);
      case MEMBER, TAGGED, SELF, INTERNET, SHARED, DANGER_ALL -> Optional.empty();
    };
  }
}
