package dev.tessera.compiler.pass;

import dev.tessera.compiler.ipset.IpSet;
import dev.tessera.compiler.ipset.PortSet;
import dev.tessera.net.IpPrefix;
import java.util.BitSet;
import java.util.List;
import java.util.Map;

/**
 * Output of {@link ProjectPerNode}: for every node (by id) the pieces of rules it enforces, its
 * peers and the routes it accepts from each.
 *
 * @param pieces per node, the rule fragments whose destinations include its addresses or routes
 * @param caps per node, the app capability fragments that name it
 * @param peers per node, the nodes it may exchange packets with (either direction)
 * @param peerRoutes per node, indexed by router slot ({@link NodeIndex#routerSlot}), the routes it
 *     accepts from that router (empty when none or when the router is not a peer). Only routers
 *     have routes to accept, so this is n x routers, not n x peers (which is most of the output)
 * @param internetUsers nodes allowed to use exit nodes
 * @param reachers per router slot, per approved subnet route of that router, the nodes that may
 *     reach the route (they originate the sources of one of the router's pieces towards it); kept
 *     so that incremental updates patch it rather than compute it again
 */
public record Projection(
    List<List<Piece>> pieces,
    List<List<CapPiece>> caps,
    List<BitSet> peers,
    List<List<IpPrefix>[]> peerRoutes,
    BitSet internetUsers,
    List<Map<IpPrefix, BitSet>> reachers) {

  /**
   * A fragment of rule {@code rule} (index into the resolved rules) on one node: sources, protocols
   * (empty = default), destination prefix and ports.
   */
  public record Piece(
      int rule, List<Integer> protocols, IpSet sources, IpPrefix dst, PortSet ports) {
    public Piece {
      protocols = List.copyOf(protocols);
    }
  }

  /**
   * A capability of rule {@code rule} granted to {@code sources} towards {@code dsts} on one node.
   */
  public record CapPiece(
      int rule, String capability, List<String> values, IpSet sources, List<IpPrefix> dsts) {
    public CapPiece {
      values = List.copyOf(values);
      dsts = List.copyOf(dsts);
    }
  }
}
