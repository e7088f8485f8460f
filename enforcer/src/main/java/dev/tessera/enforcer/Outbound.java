package dev.tessera.enforcer;

import static dev.tessera.enforcer.FlowStates.OUT;

import dev.tessera.enforcer.conntrack.ConntrackTable;
import dev.tessera.enforcer.packet.PacketParser;
import dev.tessera.net.IpProtocol;

/**
 * The outbound steps (from this node into the tunnel, not filtered): they record the flows this
 * node opens, so that their replies pass inbound, and answer flows a rule admitted (which then
 * count as answered). A flow a rule admitted that the current filter revoked drops this node's
 * packets too.
 */
final class Outbound {
  private final FlowPath f;
  private final PacketParser p;
  private final ConntrackTable ct;

  Outbound(FlowPath f) {
    this.f = f;
    this.p = f.p;
    this.ct = f.ct;
  }

  /** A packet {@code PacketParser.parse} took in full (result OK). */
  Verdict decide(Snapshot snap, long now) {
    PacketParser p = this.p;
    switch (p.kind) {
      case PacketParser.KIND_FRAGMENT, PacketParser.KIND_ICMP_ERROR, PacketParser.KIND_ICMP_OTHER:
        return Verdict.ACCEPT_OUTBOUND;
      default:
        f.key(OUT);
        return flow(snap, now);
    }
  }

  /**
   * A flow packet whose key is set ({@code FlowPath.key(OUT)}): refresh the flow's entry, or open
   * one for a packet that starts a flow.
   */
  Verdict flow(Snapshot snap, long now) {
    FlowPath f = this.f;
    PacketParser p = this.p;
    int proto = p.protocol;
    f.hash();
    boolean pureSyn =
        proto == IpProtocol.TCP
            && (p.tcpFlags & (PacketParser.TCP_SYN | PacketParser.TCP_ACK)) == PacketParser.TCP_SYN;
    if (!pureSyn) {
      Verdict quiet = f.readQuiet(OUT, snap.generation(), now);
      if (quiet != null) {
        return quiet;
      }
    }
    ConntrackTable ct = this.ct;
    int stripe = f.stripe;
    ct.lock(stripe);
    try {
      int s = ct.find(stripe, f.h, f.meta, f.lHi, f.lLo, f.rHi, f.rLo, now);
      if (s >= 0 && (ct.state(s) & ConntrackTable.ORIGIN_REMOTE) != 0) {
        // a flow a rule admitted: re-checked like its inbound packets; a tombstone
        // drops this node's packets too (a new SYN from this node on its tuple as well)
        int st =
            f.recheck(s, ct.state(s), snap, proto, p.dstHi, p.dstLo, p.srcHi, p.srcLo, p.srcPort);
        if ((st & ConntrackTable.REVOKED) != 0) {
          f.store(s, st, now);
          return Verdict.DROP_REVOKED;
        }
      }
      if (s >= 0 && !(pureSyn && (ct.state(s) & ConntrackTable.ORIGIN_REMOTE) != 0)) {
        int st = ct.state(s);
        if ((st & ConntrackTable.ORIGIN_REMOTE) != 0) {
          st |= ConntrackTable.SEEN_REPLY;
        }
        f.store(s, f.trackTcp(st), now);
        f.rememberLocked(s);
        return Verdict.ACCEPT_OUTBOUND;
      }
      // Which outbound packets open a flow: a TCP SYN without ACK (a server's SYN-ACK or
      // a mid-stream segment must not turn a remote's flow into "ours"), any UDP, SCTP
      // or other-protocol packet, an echo request. Echo replies answer remote pings.
      boolean opens = proto == IpProtocol.TCP ? pureSyn : p.kind != PacketParser.KIND_ECHO_REPLY;
      if (!opens) {
        return Verdict.ACCEPT_OUTBOUND;
      }
      if (s < 0) {
        s = ct.insert(stripe, f.h, f.meta, f.lHi, f.lLo, f.rHi, f.rLo, now, false);
        if (s < 0) {
          return Verdict.DROP_CONNTRACK_FULL; // its replies could not pass: Linux drops it too
        }
      }
      // a pure SYN on a tuple a remote opened: this node now opens its own connection
      ct.setGeneration(s, snap.generation());
      f.store(s, f.trackTcp(ConntrackTable.ORIGIN_LOCAL), now);
      // a new flow: cached at its next packet, as inbound
      return Verdict.ACCEPT_OUTBOUND;
    } finally {
      ct.unlock(stripe);
    }
  }
}
