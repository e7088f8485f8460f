package dev.tessera.compiler.pass;

import dev.tessera.compiler.inventory.InventoryNode;
import dev.tessera.compiler.ipset.IpSet;
import dev.tessera.net.IpAddress;
import dev.tessera.net.IpPrefix;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Comparator;
import java.util.List;

/**
 * The inventory's nodes, each with an id (its position here), with an address index that answers
 * "which nodes have an address in this set" in O(ranges * log n + matches) rather than O(n) per
 * query, which keeps peer computation near-linear in the output.
 *
 * <p>Ids. A fresh index numbers the nodes in name order. An index built for an incremental update
 * from the previous one ({@link #NodeIndex(List, NodeIndex)}, when at most one node joined and at
 * most one left) keeps every surviving node's id: a joined node takes the next free id and a left
 * node's id goes to the node with the last id (see {@link IdShift}). So ids are not name order in
 * general, and whatever must come out in name order (peer lists, node listings) goes through {@link
 * #rank}, {@link #idAtRank} or {@link #sortByName}; nothing else may depend on id order. This is
 * what keeps an update from rewriting every per-node bit set when one node joins or leaves.
 */
public final class NodeIndex {
  private final List<InventoryNode> nodes;
  private final IpSet[] addresses;
  private final IpSet[] subnetRoutes;
  private final IpSet[] allRoutes;
  private final List<IpPrefix>[] addressPrefixes;
  private final java.util.Map<String, Integer>
      ids; // shared with the previous index when ids are the same

  /** Ids in name order, and each id's position in it; null when ids are name order already. */
  private final int[] byName;

  private final int[] rank;
  // Address index, per family, sorted by address: IPv4 as (address << 31 | node id) packed
  // longs; IPv6 as parallel (hi, lo, node) arrays. Primitive arrays: no address objects to
  // allocate or chase when answering a query.
  private final long[] v4Packed;
  private final long[] v6Hi;
  private final long[] v6Lo;
  private final int[] v6Node;
  private final List<Integer> routers;
  private final int[] routerSlot;
  // Identity of this index, and of the previous index it was built from with stableShift (null:
  // none, or not one IdShift): lets IdShift.between answer without comparing every node's name. A
  // token rather than the previous index itself, so that indexes of a long-lived compilation do not
  // form a chain.
  private final Object generation = new Object();
  private final Object previousGeneration;
  private final IdShift stableShift;

  public NodeIndex(List<InventoryNode> inventoryNodes) {
    this(inventoryNodes, null);
  }

  /**
   * As {@link #NodeIndex(List)}, but with ids kept stable against {@code previous} (see the class
   * note) when the node set differs from its by at most one node joining and one leaving, and
   * taking each node's derived sets (addresses, their prefix form, routes) from {@code previous}
   * when it indexed the very same {@link InventoryNode} object (records are immutable, so the
   * derived values are equal; sharing them also lets incremental updates compare them by identity).
   * {@code previous} may be null.
   */
  public NodeIndex(List<InventoryNode> inventoryNodes, NodeIndex previous) {
    int n = inventoryNodes.size();
    int[] fromOld = new int[n]; // id -> previous id, or -1
    InventoryNode[] order =
        previous == null ? null : stableOrder(inventoryNodes, previous, fromOld);
    previousGeneration = order == null ? null : previous.generation;
    stableShift = order == null ? null : shiftOf(fromOld, n, previous.size());
    if (order == null) {
      List<InventoryNode> sorted = new ArrayList<>(inventoryNodes);
      sorted.sort(Comparator.comparing(InventoryNode::name));
      this.nodes = List.copyOf(sorted);
      for (int i = 0; i < n; i++) {
        fromOld[i] = previous == null ? -1 : previous.id(nodes.get(i).name());
      }
      byName = null;
      rank = null;
    } else {
      this.nodes = List.of(order);
      int[] names = namesInOrder(previous, fromOld);
      int[] ranks = new int[n];
      boolean ordered = true;
      for (int r = 0; r < n; r++) {
        ranks[names[r]] = r;
        ordered &= names[r] == r;
      }
      // Still name order (a change, or a join or leave at the end): keep the cheap form.
      byName = ordered ? null : names;
      rank = ordered ? null : ranks;
    }
    // Same ids as the previous index (a change): its name map is this one's; and when no node's
    // addresses changed either, so is its address index (both only read after construction).
    boolean sameIds = order != null && n == previous.size();
    for (int i = 0; sameIds && i < n; i++) {
      sameIds = fromOld[i] == i;
    }
    boolean sameAddresses = sameIds;
    for (int i = 0; sameAddresses && i < n; i++) {
      sameAddresses =
          nodes.get(i) == previous.nodes.get(i)
              || nodes.get(i).ips().equals(previous.nodes.get(i).ips());
    }
    addresses = new IpSet[n];
    subnetRoutes = new IpSet[n];
    allRoutes = new IpSet[n];
    @SuppressWarnings("unchecked")
    List<IpPrefix>[] aps = new List[n];
    addressPrefixes = aps;
    // Sized once: no rehashing as 10k names go in.
    ids = sameIds ? previous.ids : java.util.HashMap.newHashMap(n);
    List<Integer> rs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      InventoryNode node = nodes.get(i);
      int o = fromOld[i];
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
      if (!sameIds) {
        ids.put(node.name(), i);
      }
      if (!node.routes().isEmpty() && (order == null || o < 0 || previous.routerSlot[o] < 0)) {
        rs.add(i); // stable ids: routers that were routers before are listed first, below
      }
    }
    if (order != null) {
      // Router slots stay where they were (the previous routers, in their order, that still have
      // routes), new routers after them: per-slot results of the previous compilation stay valid.
      List<Integer> kept = new ArrayList<>();
      int[] toNew = new int[previous.size()];
      java.util.Arrays.fill(toNew, -1);
      for (int i = 0; i < n; i++) {
        if (fromOld[i] >= 0) {
          toNew[fromOld[i]] = i;
        }
      }
      for (int r : previous.routers) {
        int i = toNew[r];
        if (i >= 0 && !nodes.get(i).routes().isEmpty()) {
          kept.add(i);
        }
      }
      kept.addAll(rs);
      rs = kept;
    }
    if (sameAddresses) {
      v4Packed = previous.v4Packed;
      v6Hi = previous.v6Hi;
      v6Lo = previous.v6Lo;
      v6Node = previous.v6Node;
    } else {
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
      long[] packed = new long[c4];
      long[] hi6 = new long[c6];
      long[] lo6 = new long[c6];
      int[] node6 = new int[c6];
      int k4 = 0;
      int k6 = 0;
      for (int i = 0; i < n; i++) {
        for (IpAddress a : nodes.get(i).ips()) {
          if (a.ipv6()) {
            hi6[k6] = a.hi();
            lo6[k6] = a.lo();
            node6[k6++] = i;
          } else {
            packed[k4++] = a.lo() << 31 | i; // lo < 2^32, i < 2^31: positive, sorts by address
          }
        }
      }
      Arrays.sort(packed);
      v4Packed = packed;
      // IPv6: (hi, lo, node) triples sorted by (hi, lo); often already in order (addresses handed
      // out in sequence), which skips the sort.
      boolean sortedAlready = true;
      for (int k = 1; k < c6 && sortedAlready; k++) {
        sortedAlready = cmp(hi6[k - 1], lo6[k - 1], hi6[k], lo6[k]) <= 0;
      }
      if (sortedAlready) {
        v6Hi = hi6;
        v6Lo = lo6;
        v6Node = node6;
      } else {
        Integer[] perm = new Integer[c6];
        for (int k = 0; k < c6; k++) {
          perm[k] = k;
        }
        Arrays.sort(perm, (x, y) -> cmp(hi6[x], lo6[x], hi6[y], lo6[y]));
        v6Hi = new long[c6];
        v6Lo = new long[c6];
        v6Node = new int[c6];
        for (int k = 0; k < c6; k++) {
          v6Hi[k] = hi6[perm[k]];
          v6Lo[k] = lo6[perm[k]];
          v6Node[k] = node6[perm[k]];
        }
      }
    }
    routers = List.copyOf(rs);
    routerSlot = new int[n];
    Arrays.fill(routerSlot, -1);
    for (int k = 0; k < rs.size(); k++) {
      routerSlot[rs.get(k)] = k;
    }
  }

  /**
   * The nodes in stable-id order against {@code previous} (filling {@code fromOld}), or null when
   * more than one node joined or more than one left (then ids are assigned afresh, by name).
   */
  private static InventoryNode[] stableOrder(
      List<InventoryNode> inventoryNodes, NodeIndex previous, int[] fromOld) {
    int m = previous.size();
    InventoryNode[] slots = new InventoryNode[m + 1];
    InventoryNode joined = null;
    int kept = 0;
    for (InventoryNode node : inventoryNodes) {
      int o = previous.id(node.name());
      if (o < 0) {
        if (joined != null) {
          return null;
        }
        joined = node;
      } else if (slots[o] != null) {
        return null; // a duplicate name (reported by pass 1): no stable mapping, start afresh
      } else {
        slots[o] = node;
        kept++;
      }
    }
    if (m - kept > 1) {
      return null;
    }
    int hole = -1;
    for (int o = 0; m - kept == 1 && o < m; o++) {
      if (slots[o] == null) {
        hole = o;
        break;
      }
    }
    int n = inventoryNodes.size();
    InventoryNode[] out = new InventoryNode[n];
    if (hole < 0) {
      // No node left: every id stays, a joined node takes id m.
      System.arraycopy(slots, 0, out, 0, m);
      for (int o = 0; o < m; o++) {
        fromOld[o] = o;
      }
      if (joined != null) {
        out[m] = joined;
        fromOld[m] = -1;
      }
    } else if (joined != null) {
      // One left, one joined (a rename): the new node takes the freed id.
      System.arraycopy(slots, 0, out, 0, m);
      for (int o = 0; o < m; o++) {
        fromOld[o] = o;
      }
      out[hole] = joined;
      fromOld[hole] = -1;
    } else {
      // One left: the last node moves into its id.
      System.arraycopy(slots, 0, out, 0, m - 1);
      for (int o = 0; o < m - 1; o++) {
        fromOld[o] = o;
      }
      if (hole != m - 1) {
        out[hole] = slots[m - 1];
        fromOld[hole] = m - 1;
      }
    }
    return out;
  }

  /** The one IdShift that {@code fromOld} (new id -> old id, -1: joined) is, or null (a rename). */
  private static IdShift shiftOf(int[] fromOld, int n, int m) {
    int moved = -1;
    for (int i = 0; i < Math.min(n, m); i++) {
      if (fromOld[i] != i) {
        if (moved >= 0) {
          return null; // more than one id moved
        }
        moved = i;
      }
    }
    if (n == m + 1) {
      return moved < 0 && fromOld[m] < 0 ? IdShift.join(m) : null;
    }
    if (n == m) {
      return moved < 0
          ? IdShift.NONE
          : null; // a moved id here is a rename: a new node in a freed id
    }
    if (n == m - 1) {
      // One left: from id `moved`, which the last node took, or the last id itself.
      return moved < 0
          ? IdShift.leave(m - 1, m)
          : fromOld[moved] == m - 1 ? IdShift.leave(moved, m) : null;
    }
    return null;
  }

  /**
   * The shift this index's ids are of {@code other}'s, when it was built from {@code other} and its
   * ids moved as one {@link IdShift}; {@code null} otherwise (then callers compare names).
   */
  IdShift shiftFrom(NodeIndex other) {
    return other != null && previousGeneration == other.generation ? stableShift : null;
  }

  /** Was this index built from {@code other} (ids kept stable against it)? */
  boolean builtFrom(NodeIndex other) {
    return other != null && previousGeneration == other.generation;
  }

  /** Ids in name order, from {@code previous}'s order (one removal and one insertion at most). */
  private int[] namesInOrder(NodeIndex previous, int[] fromOld) {
    int n = nodes.size();
    int m = previous.size();
    int[] toNew = new int[m];
    Arrays.fill(toNew, -1);
    int joined = -1;
    for (int i = 0; i < n; i++) {
      if (fromOld[i] >= 0) {
        toNew[fromOld[i]] = i;
      } else {
        joined = i;
      }
    }
    int[] out = new int[n];
    int k = 0;
    String joinedName = joined < 0 ? null : nodes.get(joined).name();
    for (int r = 0; r < m; r++) {
      int id = toNew[previous.idAtRank(r)];
      if (id < 0) {
        continue;
      }
      if (joinedName != null && nodes.get(id).name().compareTo(joinedName) > 0) {
        out[k++] = joined;
        joinedName = null;
      }
      out[k++] = id;
    }
    if (joinedName != null) {
      out[k++] = joined;
    }
    return out;
  }

  /** Is every id its node's position in name order (so bit order is name order)? */
  boolean nameOrdered() {
    return byName == null;
  }

  /** Position of node {@code id} in name order. */
  public int rank(int id) {
    return nameOrdered() ? id : rank[id];
  }

  /** The node id at position {@code r} in name order. */
  int idAtRank(int r) {
    return nameOrdered() ? r : byName[r];
  }

  /** Sorts node ids in place into name order. */
  void sortByName(int[] idsToSort) {
    if (nameOrdered()) {
      Arrays.sort(idsToSort);
      return;
    }
    long[] packed = new long[idsToSort.length];
    for (int k = 0; k < idsToSort.length; k++) {
      packed[k] = (long) rank[idsToSort[k]] << 32 | idsToSort[k];
    }
    Arrays.sort(packed);
    for (int k = 0; k < idsToSort.length; k++) {
      idsToSort[k] = (int) packed[k];
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

  /**
   * Nodes with at least one approved route; a node's position is its router slot. Ascending for a
   * fresh index; an incremental one keeps the previous slots (no order may be assumed).
   */
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
    set.forEachRange(
        (ipv6, sHi, sLo, eHi, eLo) -> {
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

  /**
   * Nodes whose address or subnet route overlaps {@code set} (traffic from them may carry such
   * sources).
   */
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
