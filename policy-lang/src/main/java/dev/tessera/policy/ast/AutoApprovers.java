package dev.tessera.policy.ast;

import java.util.List;

/** {@code autoApprovers}: who may advertise which routes, and who may be an exit node. */
public record AutoApprovers(List<RouteApprover> routes, List<Selector> exitNode, SourceSpan span)
    implements Located {
  public static final AutoApprovers EMPTY = new AutoApprovers(List.of(), List.of(), SourceSpan.NONE);

  public AutoApprovers {
    routes = List.copyOf(routes);
    exitNode = List.copyOf(exitNode);
  }

  /** {@code "10.0.0.0/8": [approvers]}; span is the key's. */
  public record RouteApprover(IpPrefix route, List<Selector> approvers, SourceSpan span)
      implements Located {
    public RouteApprover {
      approvers = List.copyOf(approvers);
    }
  }
}
