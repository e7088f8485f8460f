package dev.tessera.policy.ast;

import java.util.List;

/** One {@code app} capability: its name (e.g. {@code tailscale.com/cap/drive}) and JSON values. */
public record AppCapability(String name, List<JsonText> values, SourceSpan span)
    implements Located {
  public AppCapability {
    values = List.copyOf(values);
  }
}
