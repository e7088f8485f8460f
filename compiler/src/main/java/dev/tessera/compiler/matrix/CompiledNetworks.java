package dev.tessera.compiler.matrix;

import dev.tessera.compiler.inventory.Inventory;
import dev.tessera.compiler.inventory.InventoryNode;
import dev.tessera.enforcer.format.CompiledFilter;
import dev.tessera.enforcer.format.DstPorts;
import dev.tessera.enforcer.format.FilterRule;
import dev.tessera.enforcer.format.IpAddress;
import dev.tessera.enforcer.format.IpPrefix;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Adapts the compiler's output (one enforcer {@link CompiledFilter} per node) to the
 * {@link CompiledNetwork} the views read. Rule provenance is mapped from the enforcer's
 * {@code RuleOrigin(kind, index)} to the policy's acls and grants; a compiled rule whose origin
 * is not an acl or grant of the policy keeps a synthetic entry, so no compiled access is ever
 * dropped from a view.
 */
public final class CompiledNetworks {
  private CompiledNetworks() {}

  /**
   * @param index the policy's rules
   * @param inventory the nodes the filters were compiled for
   * @param filters compiled filter per node name; a node without one allows nothing inbound
   */
  public static CompiledNetwork of(PolicyIndex index, Inventory inventory, Map<String, CompiledFilter> filters) {
    return of(index, inventory, filters, Map.of());
  }

  /**
   * As {@link #of(PolicyIndex, Inventory, Map)}, with the compiler's wording of why a rule may
   * allow nothing, keyed {@code kind#index} (see {@link CompiledNetwork#emptyReason}).
   */
  public static CompiledNetwork of(PolicyIndex index, Inventory inventory, Map<String, CompiledFilter> filters,
      Map<String, String> emptyReasons) {
    List<CompiledNetwork.NodeInfo> nodes = new ArrayList<>();
    for (InventoryNode n : inventory.nodes()) {
      String user = n.isTagged() ? "" : n.user().orElse("");
      nodes.add(new CompiledNetwork.NodeInfo(n.name(), user, n.tags(),
          user.isEmpty() ? List.of() : index.groupsOf(user),
          n.ips().stream().map(CompiledNetworks::cidr).toList(),
          n.routes().stream().map(CompiledNetworks::cidr).toList()));
    }
    List<RuleOrigin> rules = new ArrayList<>(index.origins());
    Map<dev.tessera.enforcer.format.RuleOrigin, Integer> extra = new HashMap<>();
    // Filters are converted when asked for, not all up front: at 10,000 nodes a second copy
    // of every filter would double the compiler's footprint. Source lists the compiler shares
    // between nodes stay shared (converted once, by identity).
    Map<List<IpPrefix>, List<Cidr>> shared = java.util.Collections.synchronizedMap(new java.util.IdentityHashMap<>());
    java.util.function.IntFunction<List<CompiledNetwork.FilterRule>> convert = i -> {
      CompiledFilter f = filters.get(nodes.get(i).name());
      if (f == null) {
        return List.of();
      }
      List<CompiledNetwork.FilterRule> out = new ArrayList<>(f.rules().size());
      for (FilterRule r : f.rules()) {
        dev.tessera.enforcer.format.RuleOrigin o = r.origin();
        int origin = index.ruleIndex(o.kind(), o.index()).orElseGet(() -> extra.get(o));
        List<CompiledNetwork.Dst> dsts = new ArrayList<>(r.destinations().size());
        for (DstPorts d : r.destinations()) {
          dsts.add(new CompiledNetwork.Dst(cidr(d.prefix()), d.firstPort(), d.lastPort()));
        }
        List<Cidr> srcs = shared.computeIfAbsent(r.sources(), l -> l.stream().map(CompiledNetworks::cidr).toList());
        out.add(new CompiledNetwork.FilterRule(srcs, r.effectiveProtocols(), dsts, origin));
      }
      return out;
    };
    // Rules whose origin is not an acl or grant of the policy get their synthetic entries now,
    // so rules() is complete before anyone reads it.
    for (int i = 0; i < nodes.size(); i++) {
      CompiledFilter f = filters.get(nodes.get(i).name());
      if (f != null) {
        for (FilterRule r : f.rules()) {
          dev.tessera.enforcer.format.RuleOrigin o = r.origin();
          if (index.ruleIndex(o.kind(), o.index()).isEmpty()) {
            extra.computeIfAbsent(o, k -> {
              rules.add(new RuleOrigin(k.file().isEmpty() ? index.file() : k.file(), k.line(), k.col(), k.kind(),
                  k.index(), "compiled rule " + k, "synthetic|" + k));
              return rules.size() - 1;
            });
          }
        }
      }
    }
    Map<Cidr, String> hostNames = index.hostNames();
    String name = index.file();
    List<RuleOrigin> ruleList = List.copyOf(rules);
    List<CompiledNetwork.NodeInfo> nodeList = List.copyOf(nodes);
    return new CompiledNetwork() {
      @Override
      public String policyName() {
        return name;
      }

      @Override
      public List<NodeInfo> nodes() {
        return nodeList;
      }

      @Override
      public List<RuleOrigin> rules() {
        return ruleList;
      }

      @Override
      public List<FilterRule> filter(int node) {
        return convert.apply(node);
      }

      @Override
      public Map<Cidr, String> hostNames() {
        return hostNames;
      }

      @Override
      public java.util.Optional<String> emptyReason(RuleOrigin rule) {
        String kind = rule.section().equals("acls") ? PolicyIndex.ACL : PolicyIndex.GRANT;
        return java.util.Optional.ofNullable(emptyReasons.get(kind + "#" + rule.index()));
      }
    };
  }

  static Cidr cidr(IpPrefix p) {
    return new Cidr(!p.ipv6(), p.hi(), p.lo(), p.bits());
  }

  static Cidr cidr(IpAddress a) {
    return new Cidr(!a.ipv6(), a.hi(), a.lo(), a.ipv6() ? 128 : 32);
  }
}
