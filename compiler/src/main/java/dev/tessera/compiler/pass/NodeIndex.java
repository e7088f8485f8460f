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
  // Address index, per family, sorted by address: IPv4 as (address << 31 | node id) packed
  // longs; IPv6 as parallel (hi, lo, node) arrays. Primitive arrays: no address objects to
  // allocate or chase when answering a query.
  private final long[] v4Packed;
  private final long[] v6Hi;
  private final long[] v6Lo;
  private final int[] v6Node;
  private final List<Integer> routers;
  private final int[] routerSlot;

  public NodeIndex(List<InventoryNode> inventoryNodes) {
    this(inventoryNodes, null);
  }

  /**
   * As {@link #NodeIndex(List)}, taking each node's derived sets (addresses, their prefix form,
   * routes) from {@code previous} when it indexed the very same {@link InventoryNode} object
   * (records are immutable, so the derived values are equal; sharing them also lets incremental
   * updates compare them by identity). {@code previous} may be null.
   */
  public NodeIndex(List<InventoryNode> inventoryNodes, NodeIndex previous) {
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
    ids = java.util.HashMap.newHashMap(n); // sized once: no rehashing as 10k names go in
    int c4 = 0;
    int c6 = 0;
    for (InventoryNode node : nodes) {
      for (IpAddress a : node.ips()) {
        if (a.ipv6()) {
          c6++;
        } else {
          c4++;
        }
      }
    }
    v4Packed = new long[c4];
    long[] hi6 = new long[c6];
    long[] lo6 = new long[c6];
    int[] node6 = new int[c6];
    List<Integer> rs = new ArrayList<>();
    int k4 = 0;
    int k6 = 0;
    for (int i = 0; i < n; i++) {
      InventoryNode node = nodes.get(i);
      int o = previous == null ? -1 : previous.id(node.name());
      if (o >= 0 && previous.nodes.get(o) == node) {
        addresses[i] = previous.addresses[o];
        addressPrefixes[i] = previous.addressPrefixes[o];
        subnetRoutes[i] = previous.subnetRoutes[o];
        allRoutes[i] = previous.allRoutes[o];
      } else {
        addresses[i] = IpSet.of(node.addressPrefixes());
        addressPrefixes[i] = addresses[i].toPrefixes();
        subnetRoutes[i] = IpSet.of(node.subnetRoutes());
        allRoutes[i] = IpSet.of(node.routes());
      }
      ids.put(node.name(), i);
      if (!node.routes().isEmpty()) {
        rs.add(i);
      }
      for (IpAddress a : node.ips()) {
        if (a.ipv6()) {
          hi6[k6] = a.hi();
          lo6[k6] = a.lo();
          node6[k6++] = i;
        } else {
          v4Packed[k4++] = a.lo() << 31 | i; // lo < 2^32, i < 2^31: positive, sorts by address
        }
      }
    }
    Arrays.sort(v4Packed);
    Integer[] order = new Integer[c6];
    for (int k = 0; k < c6; k++) {
      order[k] = k;
    }
    Arrays.sort(order, (x, y) -> {
      int c = Long.compareUnsigned(hi6[x], hi6[y]);
      return c != 0 ? c : Long.compareUnsigned(lo6[x], lo6[y]);
    });
    v6Hi = new long[c6];
    v6Lo = new long[c6];
    v6Node = new int[c6];
    for (int k = 0; k < c6; k++) {
      v6Hi[k] = hi6[order[k]];
      v6Lo[k] = lo6[order[k]];
      v6Node[k] = node6[order[k]];
    }
    routers = List.copyOf(rs);
    routerSlot = new int[n];
    Arrays.fill(routerSlot, -1);
    for (int k = 0; k < rs.size(); k++) {
      routerSlot[rs.get(k)] = k;
    }
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

  /** Nodes with at least one approved route, ascending (so in name order). */
  public List<Integer> routers() {
    return routers;
  }

  /** Position of node {@code id} in {@link #routers()}, or -1 if it has no approved route. */
  public int routerSlot(int id) {
    return routerSlot[id];
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
    set.forEachRange((ipv6, sHi, sLo, eHi, eLo) -> {
      if (!ipv6) {
        // First packed entry with address >= sLo; entries up to address eLo.
        int k = lowerBound(v4Packed, sLo << 31);
        while (k < v4Packed.length && (v4Packed[k] >>> 31) <= eLo) {
          out.set((int) (v4Packed[k] & 0x7FFF_FFFFL));
          k++;
        }
      } else {
        int k = lowerBound6(sHi, sLo);
        while (k < v6Hi.length && cmp(v6Hi[k], v6Lo[k], eHi, eLo) <= 0) {
          out.set(v6Node[k]);
          k++;
        }
      }
    });
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

  private static int lowerBound(long[] a, long key) {
    int lo = 0;
    int hi = a.length;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (a[mid] < key) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  private int lowerBound6(long hiKey, long loKey) {
    int lo = 0;
    int hi = v6Hi.length;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (cmp(v6Hi[mid], v6Lo[mid], hiKey, loKey) < 0) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  private static int cmp(long aHi, long aLo, long bHi, long bLo) {
    int c = Long.compareUnsigned(aHi, bHi);
    return c != 0 ? c : Long.compareUnsigned(aLo, bLo);
  }

  /** The prefix form of a set of addresses of one node, for {@code nodeAddresses}. */
  public List<IpPrefix> addressPrefixes(int id) {
    return addressPrefixes[id];
  }
}
