package dev.tessera.policy.ast;

import dev.tessera.net.IpCidr;
import java.util.List;

/**
 * {@code autoApprovers}: who may advertise which routes, who may be an exit node, and who may host
 * which Tailscale Services (KB 1552: keys {@code svc:NAME} or {@code tag:NAME}, the latter meaning
 * every service carrying that tag).
 */
public record AutoApprovers(
    List<RouteApprover> routes,
    List<Selector> exitNode,
    List<ServiceApprover> services,
    SourceSpan span)
    implements Located {
  public static final AutoApprovers EMPTY =
      new AutoApprovers(List.of(), List.of(), List.of(), SourceSpan.NONE);

  public AutoApprovers {
    routes = List.copyOf(routes);
    exitNode = List.copyOf(exitNode);
    services = List.copyOf(services);
  }

  /** Without services. */
  public AutoApprovers(List<RouteApprover> routes, List<Selector> exitNode, SourceSpan span) {
    this(routes, exitNode, List.of(), span);
  }

  /** {@code "10.0.0.0/8": [approvers]}; span is the key's. */
  public record RouteApprover(IpCidr route, List<Selector> approvers, SourceSpan span)
      implements Located {
    public RouteApprover {
      approvers = List.copyOf(approvers);
    }
  }

  /**
   * {@code "svc:NAME": [approvers]} or {@code "tag:NAME": [approvers]}; {@code service} is a {@link
   * Selector.Service} or a {@link Selector.Tag}; span is the key's.
   */
  public record ServiceApprover(Selector service, List<Selector> approvers, SourceSpan span)
      implements Located {
    public ServiceApprover {
      if (!(service instanceof Selector.Service || service instanceof Selector.Tag)) {
        throw new IllegalArgumentException(
            "a service approver's key is svc:NAME or tag:NAME: " + service);
      }
      approvers = List.copyOf(approvers);
    }
  }
}
