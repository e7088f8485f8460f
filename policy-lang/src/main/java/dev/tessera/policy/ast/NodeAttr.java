package dev.tessera.policy.ast;

import dev.tessera.net.IpCidr;
import java.util.List;

/**
 * A {@code nodeAttrs} entry: targets, attribute strings, optional app capabilities, and an optional
 * {@code ipPool} (prefixes to allocate node addresses from).
 */
public record NodeAttr(
    List<Selector> target,
    List<String> attr,
    List<AppCapability> app,
    List<IpCidr> ipPool,
    SourceSpan span)
    implements Located {
  public NodeAttr {
    target = List.copyOf(target);
    attr = List.copyOf(attr);
    app = List.copyOf(app);
    ipPool = List.copyOf(ipPool);
  }

  /** An entry without {@code ipPool}. */
  public NodeAttr(
      List<Selector> target, List<String> attr, List<AppCapability> app, SourceSpan span) {
    this(target, attr, app, List.of(), span);
  }
}
