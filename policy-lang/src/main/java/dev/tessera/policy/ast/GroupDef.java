package dev.tessera.policy.ast;

import java.util.List;

/** {@code "group:NAME": [members]}; name excludes the prefix; span is the key's. */
public record GroupDef(String name, List<Selector> members, SourceSpan span) implements Located {
  public GroupDef {
    members = List.copyOf(members);
  }
}
