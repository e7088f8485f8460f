package dev.tessera.compiler.pass;

import dev.tessera.compiler.inventory.Role;
import java.util.BitSet;
import java.util.Map;
import java.util.Set;

/**
 * Output of {@link ResolveIdentities}: who is who. Node sets are {@link BitSet}s over {@link
 * NodeIndex} ids and must not be modified by callers.
 *
 * @param userNodes login -> that user's <em>untagged</em> nodes (a tagged device has no user
 *     identity, Tailscale KB 1068)
 * @param userRoles login -> role, for every inventory user
 * @param groups group name (without {@code group:}) -> member logins
 * @param tagNodes tag text ({@code tag:web}) -> nodes carrying it
 * @param definedTags tags defined in tagOwners
 * @param members untagged nodes of every user (autogroup:member)
 * @param tagged nodes with at least one tag (autogroup:tagged)
 * @param tagWarned nodes that carry a tag tagOwners does not define (warned about in pass 1)
 */
public record Identities(
    NodeIndex index,
    Map<String, BitSet> userNodes,
    Map<String, Role> userRoles,
    Map<String, Set<String>> groups,
    Map<String, BitSet> tagNodes,
    Set<String> definedTags,
    BitSet members,
    BitSet tagged,
    BitSet tagWarned,
    Map<String, dev.tessera.compiler.ipset.IpSet> services) {

  private static final BitSet EMPTY = new BitSet();

  public BitSet nodesOfUser(String login) {
    return userNodes.getOrDefault(login, EMPTY);
  }

  /** The virtual addresses of the inventory's service {@code svc:NAME}; empty when it has none. */
  public dev.tessera.compiler.ipset.IpSet serviceAddresses(String name) {
    return services.getOrDefault(name, dev.tessera.compiler.ipset.IpSet.EMPTY);
  }

  BitSet nodesOfTag(String tag) {
    return tagNodes.getOrDefault(tag, EMPTY);
  }
}
