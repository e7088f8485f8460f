package dev.tessera.compiler.ir;

import dev.tessera.compiler.ipset.PortSet;
import java.util.List;

/**
 * One (protocols, destination, ports) triple of a rule. An ACL gives one clause per {@code dst}
 * entry (all with the rule's {@code proto}); a grant gives one per {@code dst} x {@code ip} entry.
 * {@code protocols} empty means Tailscale's default (TCP, UDP, ICMP, ICMPv6).
 */
public record Clause(List<Integer> protocols, Destination destination, PortSet ports) {
  public Clause {
    protocols = List.copyOf(protocols);
  }
}
