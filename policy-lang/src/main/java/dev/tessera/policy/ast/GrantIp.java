package dev.tessera.policy.ast;

import java.util.Optional;

/**
 * One grant {@code ip} entry: {@code *} (no proto, all ports), {@code 443} / {@code 80-90} (no
 * proto: the default protocols), {@code tcp:443}, {@code icmp:*}, {@code 6:22}, and {@code *:443} /
 * {@code *:*}, which Tailscale reads exactly like {@code 443} / {@code *} (tailcfg's
 * ProtoPortRange: a bare port list is parsed as {@code *:PORTS}, and proto {@code *} is protocol 0,
 * the default set). {@code starProto} records that {@code *:} was written, for printing only.
 */
public record GrantIp(Optional<Protocol> proto, PortSpec ports, boolean starProto, SourceSpan span)
    implements Located {
  public GrantIp {
    if (starProto && proto.isPresent()) {
      throw new IllegalArgumentException("*: and a protocol");
    }
  }

  public GrantIp(Optional<Protocol> proto, PortSpec ports, SourceSpan span) {
    this(proto, ports, false, span);
  }

  public String text() {
    return starProto ? "*:" + ports : proto.map(p -> p + ":" + ports).orElse(ports.toString());
  }
}
