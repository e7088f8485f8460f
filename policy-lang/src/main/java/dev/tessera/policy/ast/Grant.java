package dev.tessera.policy.ast;

import java.util.List;

/**
 * A {@code grants} entry. {@code ip} and {@code app} are never both empty in a valid policy. {@code
 * via} holds tags only (routing restriction).
 */
public record Grant(
    List<Selector> src,
    List<Selector> dst,
    List<GrantIp> ip,
    List<AppCapability> app,
    List<PostureRef> srcPosture,
    List<Selector> via,
    SourceSpan span)
    implements Located {
  public Grant {
    src = List.copyOf(src);
    dst = List.copyOf(dst);
    ip = List.copyOf(ip);
    app = List.copyOf(app);
    srcPosture = List.copyOf(srcPosture);
    via = List.copyOf(via);
  }
}
