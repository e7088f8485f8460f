package dev.tessera.compiler.matrix;

import java.util.List;
import java.util.Map;

/**
 * The compiled form of one policy over one inventory, as the auditor views read it: every
 * node's compiled inbound filter, with each rule's provenance.
 *
 * <p>This is deliberately the compiled output, not the policy: matrix cells, diff results and
 * lint's shadowing are read off the rules the compiler emitted for each node, the same rules
 * the enforcer's Matcher evaluates in the agent. There is no second policy evaluator here;
 * {@link MatrixBuilder} only answers "which source addresses does this compiled rule admit,
 * to which destination, on which ports", i.e. it enumerates the Matcher's rule tables.
 */
public interface CompiledNetwork {

  /** An inventory node as the views need it. */
  record NodeInfo(
      String name,
      String user,
      List<String> tags,
      List<String> groups,
      List<Cidr> ips,
      List<Cidr> routes) {
    public NodeInfo {
      user = user == null ? "" : user;
      tags = List.copyOf(tags);
      groups = List.copyOf(groups);
      ips = List.copyOf(ips);
      routes = List.copyOf(routes);
    }

    /** Exit routes (0.0.0.0/0, ::/0) carry internet traffic, not a subnet. */
    public List<Cidr> subnetRoutes() {
      return routes.stream().filter(r -> r.bits() != 0).toList();
    }
  }

  /**
   * One compiled inbound rule of a node, mirroring the enforcer's FilterRule: packets from
   * {@code sources} with one of {@code protocols} to one of {@code destinations} (prefix and
   * port range) are allowed. {@code origin} indexes {@link #rules()}.
   */
  record FilterRule(List<Cidr> sources, List<Integer> protocols, List<Dst> destinations, int origin) {
    public FilterRule {
      sources = List.copyOf(sources);
      protocols = List.copyOf(protocols);
      destinations = List.copyOf(destinations);
    }

    /** The same rule without provenance, to compare what two filters allow. */
    public FilterRule withoutOrigin() {
      return new FilterRule(sources, protocols, destinations, -1);
    }
  }

  /** A destination prefix with an inclusive port range. */
  record Dst(Cidr prefix, int first, int last) {}

  /** Display name of the policy (file name), for titles. */
  String policyName();

  /** Nodes in inventory order. */
  List<NodeInfo> nodes();

  /** Every acl and grant of the policy, in file order, whether or not it compiled to rules. */
  List<RuleOrigin> rules();

  /** The compiled inbound filter of node {@code i} (index into {@link #nodes()}). */
  List<FilterRule> filter(int node);

  /** Host aliases of the policy by prefix, to label subnet and external endpoints. */
  Map<Cidr, String> hostNames();

  /**
   * The compiler's explanation of why {@code rule} could allow nothing (e.g. "all 3 source
   * devices fail its posture"), used to word lint findings; empty when not known.
   */
  default java.util.Optional<String> emptyReason(RuleOrigin rule) {
    return java.util.Optional.empty();
  }
}
