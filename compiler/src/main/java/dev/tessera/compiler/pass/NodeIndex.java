package dev.tessera.compiler.pass;

import dev.tessera.compiler.inventory.InventoryNode;
import dev.tessera.compiler.ipset.IpSet;
import dev.tessera.enforcer.format.IpAddress;
import dev.tessera.enforcer.format.IpPrefix;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Comparator;
import java.util.List;

/**
 * The inventory's nodes sorted by name (a node's id is its position), with an address index that
 * answers "which nodes have an address in this set" in O(ranges * log n + matches) rather than
 * O(n) per query, which keeps peer computation near-linear in the output.
 */
public final class NodeIndex {
  private final List<InventoryNode> nodes;
  private final IpSet[] addresses;
  private final IpSet[] subnetRoutes;
  private final IpSet[] allRoutes;
  private final List<IpPrefix>[] addressPrefixes;
  private final java.util.Map<String, Integer> ids;
  // Sorted (address, node) pairs per family.
  private final IpAddress[] addrSorted;
  private final int[] addrNode;
  private final List<Integer> routers;

  public NodeIndex(List<InventoryNode> inventoryNodes) {
    List<InventoryNode> sorted = new ArrayList<>(inventoryNodes);
    sorted.sort(Comparator.comparing(InventoryNode::name));
    this.nodes = List.copyOf(sorted);
    int n = nodes.size();
    addresses = new IpSet[n];
    subnetRoutes = new IpSet[n];
    allRoutes = new IpSet[n];
    @SuppressWarnings("unchecked")
    List<IpPrefix>[] aps = new List[n];
    addressPrefixes = aps;
    ids = new java.util.HashMap<>();
    List<IpAddress> as = new ArrayList<>();
    List<Integer> an = new ArrayList<>();
    List<Integer> rs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      InventoryNode node = nodes.get(i);
      addresses[i] = IpSet.of(node.addressPrefixes());
      addressPrefixes[i] = addresses[i].toPrefixes();
      ids.put(node.name(), i);
      subnetRoutes[i] = IpSet.of(node.subnetRoutes());
      allRoutes[i] = IpSet.of(node.routes());
      if (!node.routes().isEmpty()) {
        rs.add(i);
      }
      for (IpAddress a : node.ips()) {
        as.add(a);
        an.add(i);
      }
    }
    Integer[] order = new Integer[as.size()];
    for (int k = 0; k < order.length; k++) {
      order[k] = k;
    }
    Arrays.sort(order, Comparator.comparing(as::get));
    addrSorted = new IpAddress[order.length];
    addrNode = new int[order.length];
    for (int k = 0; k < order.length; k++) {
      addrSorted[k] = as.get(order[k]);
      addrNode[k] = an.get(order[k]);
    }
    routers = List.copyOf(rs);
  }

  public int size() {
    return nodes.size();
  }

  public List<InventoryNode> nodes() {
    return nodes;
  }

  public InventoryNode node(int id) {
    return nodes.get(id);
  }

  /** Id of the named node, or -1. */
  public int id(String name) {
    Integer i = ids.get(name);
    return i == null ? -1 : i;
  }

  public IpSet addresses(int id) {
    return addresses[id];
  }

  /** Approved routes other than default routes. */
  public IpSet subnetRoutes(int id) {
    return subnetRoutes[id];
  }

  /** All approved routes, default routes included. */
  public IpSet routes(int id) {
    return allRoutes[id];
  }

  /** Nodes with at least one approved route. */
  public List<Integer> routers() {
    return routers;
  }

  /** Union of the addresses of the given nodes. */
  public IpSet addressesOf(BitSet ids) {
    IpSet.Builder b = IpSet.builder();
    for (int i = ids.nextSetBit(0); i >= 0; i = ids.nextSetBit(i + 1)) {
      for (IpAddress a : nodes.get(i).ips()) {
        b.add(a);
      }
    }
    return b.build();
  }

  /** Nodes having at least one address inside {@code set}. */
  public BitSet nodesWithAddressIn(IpSet set) {
    BitSet out = new BitSet();
    for (IpAddress[] r : set.ranges()) {
      int k = lowerBound(r[0]);
      while (k < addrSorted.length && addrSorted[k].compareTo(r[1]) <= 0) {
        out.set(addrNode[k]);
        k++;
      }
    }
    return out;
  }

  /** Nodes whose address or subnet route overlaps {@code set} (traffic from them may carry such sources). */
  public BitSet nodesOriginating(IpSet set) {
    BitSet out = nodesWithAddressIn(set);
    for (int r : routers) {
      if (!out.get(r) && subnetRoutes[r].overlaps(set)) {
        out.set(r);
      }
    }
    return out;
  }

  private int lowerBound(IpAddress a) {
    int lo = 0;
    int hi = addrSorted.length;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (addrSorted[mid].compareTo(a) < 0) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  /** The prefix form of a set of addresses of one node, for {@code nodeAddresses}. */
  public List<IpPrefix> addressPrefixes(int id) {
    return addressPrefixes[id];
  }
}
