package dev.tessera.compiler.matrix;

import dev.tessera.compiler.inventory.InventoryNode;
import dev.tessera.enforcer.Matcher;
import dev.tessera.enforcer.format.CompiledFilter;
import dev.tessera.net.IpPrefix;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The compiled form of one policy over one inventory, as the auditor views read it: every node's
 * compiled filter (the enforcer's format) and a {@link Matcher} over it, with each rule's
 * provenance.
 *
 * <p>This is deliberately the compiled output, not the policy: matrix cells, diff results and lint
 * findings are what the enforcer's Matcher decides for those filters, asked through the enforcer's
 * reachability query ({@code dev.tessera.enforcer.Reachability}). Nothing here evaluates a rule.
 */
public interface CompiledNetwork {

  /** Display name of the policy (file name), for titles. */
  String policyName();

  /** Nodes in inventory order. */
  List<InventoryNode> nodes();

  /** The policy groups {@code login} is a member of ({@code group:NAME}), in policy order. */
  List<String> groupsOf(String login);

  /** Every acl and grant of the policy, in file order, whether or not it compiled to rules. */
  List<RuleRef> rules();

  /**
   * The compiled filter of node {@code i} (index into {@link #nodes()}); deny-all when it has none.
   */
  CompiledFilter filter(int node);

  /** The index into {@link #rules()} of a compiled rule's origin. */
  int ruleIndex(dev.tessera.enforcer.format.RuleOrigin origin);

  /**
   * The Matcher of node {@code i}'s filter. Built on each call (through one {@link Matcher.Cache}
   * per network, so filters with the same source lists share their source side); callers keep it as
   * long as they need it.
   */
  Matcher matcher(int node);

  /** Host aliases of the policy by prefix, to label subnet and external endpoints. */
  Map<IpPrefix, String> hostNames();

  /**
   * The compiler's explanation of why {@code rule} could allow nothing (e.g. "all 3 source devices
   * fail its posture"), used to word lint findings; empty when not known.
   */
  default Optional<String> emptyReason(RuleRef rule) {
    return Optional.empty();
  }
}
