package dev.tessera.compiler.ir;

import dev.tessera.compiler.ipset.IpSet;
import dev.tessera.net.IpPrefix;
import dev.tessera.policy.ast.Selector;
import java.util.BitSet;
import java.util.List;
import java.util.Optional;

/**
 * A rule destination after selector expansion. Which nodes receive it and with which DstPorts
 * prefixes is decided by the projection pass:
 *
 * <ul>
 *   <li>{@link Any} ({@code *}): every node, destination 0.0.0.0/0 and ::/0 (Tailscale's {@code
 *       "IP": "*"}).
 *   <li>{@link Nodes} (users, groups, tags, member/tagged/role autogroups): each selected node,
 *       with its own addresses.
 *   <li>{@link Prefixes} (hosts, IPs, CIDRs, ranges, ipsets): every node with an address inside and
 *       every router whose approved subnet route overlaps, with the prefixes as written.
 *   <li>{@link Self}: each untagged node, for sources of its own user only.
 *   <li>{@link Internet}: no rule; it decides which peers receive exit nodes' default routes.
 * </ul>
 */
public sealed interface Destination {
  Selector selector();

  record Any(Selector selector) implements Destination {}

  /** {@code nodes} must not be modified. */
  record Nodes(BitSet nodes, Selector selector) implements Destination {}

  /**
   * {@code via}: when present (a grant with {@code via}), only routers in that node set enforce the
   * prefixes through their routes; nodes owning addresses inside still receive the rule.
   */
  record Prefixes(IpSet set, List<IpPrefix> prefixes, Optional<BitSet> via, Selector selector)
      implements Destination {
    public Prefixes {
      prefixes = List.copyOf(prefixes);
    }
  }

  record Self(Selector selector) implements Destination {}

  record Internet(Selector selector) implements Destination {}
}
