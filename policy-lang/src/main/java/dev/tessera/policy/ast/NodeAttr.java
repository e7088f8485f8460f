package dev.tessera.policy.ast;

import java.util.List;

/** A {@code nodeAttrs} entry: targets, attribute strings, optional app capabilities. */
public record NodeAttr(
    List<Selector> target, List<String> attr, List<AppCapability> app, SourceSpan span)
    implements Located {
  public NodeAttr {
    target = List.copyOf(target);
    attr = List.copyOf(attr);
    app = List.copyOf(app);
  }
}
