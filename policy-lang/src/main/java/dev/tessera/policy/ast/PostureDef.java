package dev.tessera.policy.ast;

import java.util.List;

/** {@code "posture:NAME": [conditions]}: all must hold. Name excludes the prefix. */
public record PostureDef(String name, List<PostureCondition> conditions, SourceSpan span)
    implements Located {
  public PostureDef {
    conditions = List.copyOf(conditions);
  }
}
