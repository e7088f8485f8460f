package dev.tessera.enforcer;

import static dev.tessera.enforcer.FlowStates.ECHO_ASKED_BY_LOCAL;
import static dev.tessera.enforcer.FlowStates.IN;

import dev.tessera.enforcer.conntrack.ConntrackTable;
import dev.tessera.enforcer.conntrack.FragmentTable;
import dev.tessera.enforcer.packet.PacketParser;
import dev.tessera.net.IpProtocol;

/**
 * The inbound steps (decrypted packets from a peer, filtered): parse; a non-first fragment follows
 * its first fragment's verdict; an ICMP error passes iff it quotes a tracked flow; an echo reply
 * iff it answers an echo request this node sent; other ICMP must match a rule; everything else is a
 * flow: a reply to a flow this node opened passes, a flow a rule admitted passes (re-checked when
 * the filter changed since), an untracked packet must match a rule and then starts a tracked flow.
 */
final class Inbound {
  private final FlowPath f;
  private final PacketParser p;
  private final ConntrackTable ct;
  private final FragmentTable fragments;
  private final Enforcer.Timeouts timeouts;

  Inbound(FlowPath f, FragmentTable fragments, Enforcer.Timeouts timeouts) {
    this.f = f;
    this.p = f.p;
    this.ct = f.ct;
    this.fragments = fragments;
    this.timeouts = timeouts;
  }

  /** A packet {@code PacketParser.parse} took in full (result OK). */
  Verdict decide(Snapshot snap, long now) {
    PacketParser p = this.p;
    switch (p.kind) {
      case PacketParser.KIND_FRAGMENT:
        {
          if (p.fragmentOffset < minTransportHeader(p)) {
            // RFC 1858: could overwrite the ports the first fragment showed
            return Verdict.DROP_FRAGMENT;
          }
          return fragments.contains(
                  f.peer, p.ipv6, p.srcHi, p.srcLo, p.dstHi, p.dstLo, p.protocol, p.fragmentId, now)
              ? Verdict.ACCEPT_FRAGMENT
              : Verdict.DROP_FRAGMENT;
        }
      case PacketParser.KIND_ICMP_ERROR:
        return related(snap, now);
      case PacketParser.KIND_ECHO_REPLY:
        return echoReply(now);
      case PacketParser.KIND_ICMP_OTHER:
        // not tracked: each such message must match a rule for ICMP
        return rememberFirstFragment(
            allowedNew(snap.matcher(), p.protocol, 0) ? Verdict.ACCEPT_RULE : Verdict.DROP_NO_RULE,
            now);
      default:
        f.key(IN);
        return rememberFirstFragment(flow(snap, now), now);
    }
  }

  private Verdict rememberFirstFragment(Verdict v, long now) {
    PacketParser p = this.p;
    if (p.firstFragment && v.accepted()) {
      fragments.put(
          f.peer,
          p.ipv6,
          p.srcHi,
          p.srcLo,
          p.dstHi,
          p.dstLo,
          p.protocol,
          p.fragmentId,
          now + timeouts.fragment(),
          now);
    }
    return v;
  }

  /** New-flow check for the current packet (remote = source, local = destination). */
  private boolean allowedNew(Matcher m, int protocol, int port) {
    PacketParser p = this.p;
    return FlowStates.allows(m, p.ipv6, p.srcHi, p.srcLo, p.dstHi, p.dstLo, protocol, port);
  }

  /**
   * A flow packet whose key is set ({@code FlowPath.key(IN)}): lock-free read first (an established
   * packet that changes nothing, or an untracked packet no rule allows), else under the stripe
   * lock.
   */
  Verdict flow(Snapshot snap, long now) {
    FlowPath f = this.f;
    PacketParser p = this.p;
    int proto = p.protocol;
    f.hash();
    Verdict quiet = f.readQuiet(IN, snap.generation(), now);
    if (quiet != null) {
      return quiet;
    }
    boolean ruleChecked = false; // true once the matcher said yes for this packet and snapshot
    if (f.untracked) {
      if (!allowedNew(snap.matcher(), proto, p.dstPort)) {
        return Verdict.DROP_NO_RULE;
      }
      ruleChecked = true;
    }
    ConntrackTable ct = this.ct;
    int stripe = f.stripe;
    ct.lock(stripe);
    try {
      int s = ct.find(stripe, f.h, f.meta, f.lHi, f.lLo, f.rHi, f.rLo, now);
      if (s >= 0) {
        int st = ct.state(s);
        if ((st & ConntrackTable.ORIGIN_LOCAL) != 0) {
          f.store(s, f.trackTcp(st | ConntrackTable.SEEN_REPLY), now);
          f.rememberLocked(s);
          return Verdict.ACCEPT_REPLY;
        }
        st = f.recheck(s, st, snap, proto, p.srcHi, p.srcLo, p.dstHi, p.dstLo, p.dstPort);
        st = f.trackTcp(st);
        f.store(s, st, now);
        f.rememberLocked(s);
        return (st & ConntrackTable.REVOKED) != 0
            ? Verdict.DROP_REVOKED
            : Verdict.ACCEPT_ESTABLISHED;
      }
      if (!ruleChecked && !allowedNew(snap.matcher(), proto, p.dstPort)) {
        return Verdict.DROP_NO_RULE;
      }
      s = ct.insert(stripe, f.h, f.meta, f.lHi, f.lLo, f.rHi, f.rLo, now, true);
      if (s < 0) {
        return s == ConntrackTable.QUOTA
            ? Verdict.DROP_PEER_FLOW_LIMIT
            : Verdict.DROP_CONNTRACK_FULL;
      }
      ct.setGeneration(s, snap.generation());
      f.store(s, f.trackTcp(ConntrackTable.ORIGIN_REMOTE), now);
      // not cached here: new flows are the cost that matters on this path (scans,
      // floods); the flow's next packet goes through the lock-free read, which caches it
      return Verdict.ACCEPT_RULE;
    } finally {
      ct.unlock(stripe);
    }
  }

  /** An ICMP error: the quoted packet was sent by this node (local = inner source). */
  private Verdict related(Snapshot snap, long now) {
    PacketParser p = this.p;
    int proto = p.innerProtocol;
    long meta = ConntrackTable.meta(f.peer, p.ipv6, proto, p.innerSrcPort, p.innerDstPort);
    ConntrackTable ct = this.ct;
    int h = ct.hash(meta, p.innerSrcHi, p.innerSrcLo, p.innerDstHi, p.innerDstLo);
    int stripe = ct.stripe(h);
    ct.lock(stripe);
    try {
      int s = ct.find(stripe, h, meta, p.innerSrcHi, p.innerSrcLo, p.innerDstHi, p.innerDstLo, now);
      if (s < 0) {
        return Verdict.DROP_ICMP_UNTRACKED;
      }
      int st = ct.state(s);
      if ((st & ConntrackTable.ORIGIN_REMOTE) != 0) {
        st =
            f.recheck(
                s,
                st,
                snap,
                proto,
                p.innerDstHi,
                p.innerDstLo,
                p.innerSrcHi,
                p.innerSrcLo,
                p.innerSrcPort);
        ct.setState(s, st);
      }
      return (st & ConntrackTable.REVOKED) != 0
          ? Verdict.DROP_REVOKED
          : Verdict.ACCEPT_ICMP_RELATED;
    } finally {
      ct.unlock(stripe);
    }
  }

  /** An echo reply: only for an echo request this node sent. */
  private Verdict echoReply(long now) {
    PacketParser p = this.p;
    long meta = ConntrackTable.meta(f.peer, p.ipv6, p.protocol, p.dstPort, ECHO_ASKED_BY_LOCAL);
    ConntrackTable ct = this.ct;
    int h = ct.hash(meta, p.dstHi, p.dstLo, p.srcHi, p.srcLo);
    int stripe = ct.stripe(h);
    ct.lock(stripe);
    try {
      int s = ct.find(stripe, h, meta, p.dstHi, p.dstLo, p.srcHi, p.srcLo, now);
      if (s < 0 || (ct.state(s) & ConntrackTable.ORIGIN_LOCAL) == 0) {
        return Verdict.DROP_UNSOLICITED_REPLY;
      }
      ct.setState(s, ct.state(s) | ConntrackTable.SEEN_REPLY);
      ct.setExpires(s, now + timeouts.icmp());
      return Verdict.ACCEPT_REPLY;
    } finally {
      ct.unlock(stripe);
    }
  }

  /** Smallest transport header a later fragment must not overlap (RFC 1858 3.2, RFC 8200 4.5). */
  private static int minTransportHeader(PacketParser p) {
    return switch (p.protocol) {
      case IpProtocol.TCP -> 20;
      case IpProtocol.SCTP -> 12;
      case IpProtocol.UDP, IpProtocol.ICMP, IpProtocol.ICMPV6 -> 8;
      default -> 1;
    };
  }
}
