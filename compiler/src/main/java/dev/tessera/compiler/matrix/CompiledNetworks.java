package dev.tessera.compiler.matrix;

import dev.tessera.compiler.inventory.Inventory;
import dev.tessera.compiler.inventory.InventoryNode;
import dev.tessera.enforcer.Matcher;
import dev.tessera.enforcer.format.CompiledFilter;
import dev.tessera.enforcer.format.FilterRule;
import dev.tessera.net.IpPrefix;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Adapts the compiler's output (one enforcer {@link CompiledFilter} per node) to the {@link
 * CompiledNetwork} the views read. Rule provenance is mapped from the enforcer's {@code
 * RuleOrigin(kind, index)} to the policy's acls and grants; a compiled rule whose origin is not an
 * acl or grant of the policy keeps a synthetic entry, so no compiled access is ever dropped from a
 * view.
 */
public final class CompiledNetworks {
  private CompiledNetworks() {}

  /**
   * @param index the policy's rules
   * @param inventory the nodes the filters were compiled for
   * @param filters compiled filter per node name; a node without one allows nothing inbound
   */
  public static CompiledNetwork of(
      PolicyIndex index, Inventory inventory, Map<String, CompiledFilter> filters) {
    return of(index, inventory, filters, Map.of());
  }

  /**
   * As {@link #of(PolicyIndex, Inventory, Map)}, with the compiler's wording of why a rule may
   * allow nothing, keyed {@code kind#index} (see {@link CompiledNetwork#emptyReason}).
   */
  public static CompiledNetwork of(
      PolicyIndex index,
      Inventory inventory,
      Map<String, CompiledFilter> filters,
      Map<String, String> emptyReasons) {
    List<CompiledFilter> perNode = new ArrayList<>();
    for (InventoryNode n : inventory.nodes()) {
      CompiledFilter f = filters.get(n.name());
      perNode.add(f == null ? CompiledFilter.denyAll(n.name()) : f);
    }
    List<RuleRef> rules = new ArrayList<>(index.origins());
    Map<dev.tessera.enforcer.format.RuleOrigin, Integer> extra = new HashMap<>();
    // Rules whose origin is not an acl or grant of the policy get their synthetic entries now,
    // so rules() is complete before anyone reads it.
    for (CompiledFilter f : perNode) {
      for (FilterRule r : f.rules()) {
        dev.tessera.enforcer.format.RuleOrigin o = r.origin();
        if (index.ruleIndex(o.kind(), o.index()).isEmpty()) {
          extra.computeIfAbsent(
              o,
              k -> {
                rules.add(
                    new RuleRef(
                        k.file().isEmpty() ? index.file() : k.file(),
                        k.line(),
                        k.col(),
                        k.kind(),
                        k.index(),
                        "compiled rule " + k,
                        "synthetic|" + k));
                return rules.size() - 1;
              });
        }
      }
    }
    Map<IpPrefix, String> hostNames = Map.copyOf(index.hostNames());
    String name = index.file();
    List<RuleRef> ruleList = List.copyOf(rules);
    List<InventoryNode> nodeList = inventory.nodes();
    List<CompiledFilter> filterList = List.copyOf(perNode);
    Matcher.Cache cache = new Matcher.Cache();
    return new CompiledNetwork() {
      @Override
      public String policyName() {
        return name;
      }

      @Override
      public List<InventoryNode> nodes() {
        return nodeList;
      }

      @Override
      public List<String> groupsOf(String login) {
        return index.groupsOf(login);
      }

      @Override
      public List<RuleRef> rules() {
        return ruleList;
      }

      @Override
      public CompiledFilter filter(int node) {
        return filterList.get(node);
      }

      @Override
      public int ruleIndex(dev.tessera.enforcer.format.RuleOrigin o) {
        Optional<Integer> i = index.ruleIndex(o.kind(), o.index());
        if (i.isPresent()) {
          return i.get();
        }
        Integer k = extra.get(o);
        if (k == null) {
          throw new IllegalArgumentException("no rule of this network has origin " + o);
        }
        return k;
      }

      @Override
      public Matcher matcher(int node) {
        return Matcher.of(filterList.get(node), cache);
      }

      @Override
      public Map<IpPrefix, String> hostNames() {
        return hostNames;
      }

      @Override
      public Optional<String> emptyReason(RuleRef rule) {
        String kind = rule.section().equals("acls") ? PolicyIndex.ACL : PolicyIndex.GRANT;
        return Optional.ofNullable(emptyReasons.get(kind + "#" + rule.index()));
      }
    };
  }
}
