package dev.tessera.policy.ast;

import java.util.Optional;

/**
 * One grant {@code ip} entry: {@code *} (no proto, all ports), {@code 443} / {@code 80-90} (no
 * proto: the default protocols), {@code tcp:443}, {@code icmp:*}, {@code 6:22}.
 */
public record GrantIp(Optional<Protocol> proto, PortSpec ports, SourceSpan span) implements Located {
  public String text() {
    return proto.map(p -> p + ":" + ports).orElse(ports.toString());
  }
}
