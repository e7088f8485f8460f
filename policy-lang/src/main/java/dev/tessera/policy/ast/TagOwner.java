package dev.tessera.policy.ast;

import java.util.List;

/** {@code "tag:NAME": [owners]}; defining the tag here makes it exist. Span is the key's. */
public record TagOwner(String tag, List<Selector> owners, SourceSpan span) implements Located {
  public TagOwner {
    owners = List.copyOf(owners);
  }
}
