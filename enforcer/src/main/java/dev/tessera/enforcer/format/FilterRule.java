package dev.tessera.enforcer.format;

import dev.tessera.net.IpPrefix;
import dev.tessera.net.IpProtocol;
import java.util.List;
import java.util.Objects;

/**
 * One inbound rule: a packet matches when its source is in {@code sources}, its protocol is in
 * {@code protocols} (empty means {@link IpProtocol#DEFAULT}: TCP, UDP, ICMP, ICMPv6, like
 * Tailscale's empty {@code IPProto}) and its destination address and port fall in one of {@code
 * destinations}. Mirrors tailcfg.FilterRule ({@code SrcIPs}, {@code IPProto}, {@code DstPorts})
 * plus provenance.
 */
public record FilterRule(
    List<IpPrefix> sources,
    List<Integer> protocols,
    List<DstPorts> destinations,
    RuleOrigin origin) {

  public FilterRule {
    sources = List.copyOf(sources);
    protocols = List.copyOf(protocols);
    destinations = List.copyOf(destinations);
    Objects.requireNonNull(origin, "origin");
    for (int p : protocols) {
      if (p < 0 || p > 255) {
        throw new IllegalArgumentException(
            "protocol number " + p + " out of range 0..255 in rule " + origin);
      }
    }
  }

  /** The protocols this rule matches, with the empty list expanded to the default set. */
  public List<Integer> effectiveProtocols() {
    return protocols.isEmpty() ? IpProtocol.DEFAULT : protocols;
  }
}
