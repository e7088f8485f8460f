package dev.tessera.compiler.inventory;

import dev.tessera.policy.ast.Located;
import dev.tessera.policy.ast.SourceSpan;
import java.util.Objects;

/** A tailnet user: login (email form) and role. */
public record InventoryUser(String login, Role role, SourceSpan span) implements Located {
  public InventoryUser {
    Objects.requireNonNull(login, "login");
    Objects.requireNonNull(role, "role");
    Objects.requireNonNull(span, "span");
  }
}
