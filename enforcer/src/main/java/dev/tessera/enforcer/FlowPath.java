package dev.tessera.enforcer;

import static dev.tessera.enforcer.FlowStates.ECHO_ASKED_BY_LOCAL;
import static dev.tessera.enforcer.FlowStates.ECHO_ASKED_BY_REMOTE;
import static dev.tessera.enforcer.FlowStates.IN;

import dev.tessera.enforcer.conntrack.ConntrackTable;
import dev.tessera.enforcer.packet.PacketParser;
import dev.tessera.net.IpProtocol;

/**
 * The conntrack steps both directions share, for the packet a worker's parser holds: the flow key
 * oriented from this node, the flow-cache probe, the lock-free read, the re-check of a flow a rule
 * admitted under an older filter, and writing an entry's state back (and into the cache). One per
 * worker; its fields are the current packet's key, so nothing is allocated per packet.
 */
final class FlowPath {
  final PacketParser p;
  final ConntrackTable ct;
  private final Enforcer.Timeouts timeouts;
  private final FlowCache cache;

  /** The tunnel peer of the packet being decided (part of every conntrack key). */
  int peer;

  /** The current packet's flow key ({@link #key}): meta, then local and remote address. */
  long meta;

  long lHi;
  long lLo;
  long rHi;
  long rLo;

  /** The key's conntrack hash and stripe ({@link #hash}). */
  int h;

  int stripe;

  /** Set by {@link #readQuiet}: a consistent lock-free read found no entry for the key. */
  boolean untracked;

  FlowPath(PacketParser p, ConntrackTable ct, Enforcer.Timeouts timeouts) {
    this.p = p;
    this.ct = ct;
    this.timeouts = timeouts;
    this.cache = new FlowCache(ct);
  }

  /**
   * Sets the key of the packet's flow as seen from this node: inbound, local is the destination;
   * outbound, the source. Echo requests and replies key on who asked ({@link FlowStates}).
   */
  void key(int dir) {
    PacketParser p = this.p;
    int kind = p.kind;
    if (dir == IN) {
      int remotePort = kind == PacketParser.KIND_ECHO_REQUEST ? ECHO_ASKED_BY_REMOTE : p.srcPort;
      meta = ConntrackTable.meta(peer, p.ipv6, p.protocol, p.dstPort, remotePort);
      lHi = p.dstHi;
      lLo = p.dstLo;
      rHi = p.srcHi;
      rLo = p.srcLo;
    } else {
      int remotePort =
          kind == PacketParser.KIND_ECHO_REQUEST
              ? ECHO_ASKED_BY_LOCAL
              : kind == PacketParser.KIND_ECHO_REPLY ? ECHO_ASKED_BY_REMOTE : p.dstPort;
      meta = ConntrackTable.meta(peer, p.ipv6, p.protocol, p.srcPort, remotePort);
      lHi = p.srcHi;
      lLo = p.srcLo;
      rHi = p.dstHi;
      rLo = p.dstLo;
    }
  }

  /**
   * The flow cache's verdict for a TCP segment without SYN, FIN or RST or a UDP datagram whose key
   * is set, or null: a hit is the verdict {@link #readQuiet} would give from the same entry (the
   * entry's version proves the cached copy is current).
   */
  Verdict cached(int dir, int currentGen, long now) {
    if ((p.tcpFlags & (PacketParser.TCP_SYN | PacketParser.TCP_FIN | PacketParser.TCP_RST)) != 0) {
      return null;
    }
    FlowCache c = cache;
    int e = c.find(meta, lHi, lLo, rHi, rLo, now);
    return e < 0 ? null : FlowStates.unchanged(dir, c.state(e), c.generation(e), currentGen);
  }

  /** Sets the key's conntrack hash and stripe. */
  void hash() {
    h = ct.hash(meta, lHi, lLo, rHi, rLo);
    stripe = ct.stripe(h);
  }

  /**
   * Reads the key's entry without the lock (key and hash set): the verdict when the packet finds
   * its entry and changes nothing in it, else null (the caller takes the lock). Sets {@link
   * #untracked} when a consistent read found no entry.
   */
  Verdict readQuiet(int dir, int currentGen, long now) {
    ConntrackTable ct = this.ct;
    int stripe = this.stripe;
    untracked = false;
    int seq = ct.readBegin(stripe);
    if (seq < 0) {
      return null;
    }
    int s = ct.findQuiet(stripe, h, meta, lHi, lLo, rHi, rLo, now);
    if (s < 0) {
      untracked = ct.validate(stripe, seq);
      return null;
    }
    int st = ct.state(s);
    int gen = ct.generation(s);
    long expires = ct.expires(s);
    int version = ct.version(s);
    if (!ct.validate(stripe, seq)) {
      return null;
    }
    remember(s, version, st, gen, expires);
    Verdict v = FlowStates.unchanged(dir, st, gen, currentGen);
    int proto = p.protocol;
    return v != null
            && trackTcp(st) == st
            && FlowStates.fresh(expires, now, FlowStates.timeout(timeouts, proto, st))
        ? v
        : null;
  }

  /** Folds the packet's TCP flags into {@code st}. */
  int trackTcp(int st) {
    return FlowStates.trackTcp(st, p.protocol, p.tcpFlags);
  }

  /** Writes state {@code st} to slot {@code s} and its expiry from now; the stripe lock is held. */
  void store(int s, int st, long now) {
    ct.setState(s, st);
    ct.setExpires(s, now + FlowStates.timeout(timeouts, p.protocol, st));
  }

  /** {@link #remember} of slot {@code s} as it is now; the stripe lock is held. */
  void rememberLocked(int s) {
    ConntrackTable ct = this.ct;
    remember(s, ct.version(s), ct.state(s), ct.generation(s), ct.expires(s));
  }

  /** Caches the key's entry as read (TCP and UDP only: only they take the quick path). */
  private void remember(int slot, int version, int st, int gen, long expires) {
    int proto = p.protocol;
    if (proto != IpProtocol.TCP && proto != IpProtocol.UDP) {
      return;
    }
    long timeout = FlowStates.timeout(timeouts, proto, st);
    cache.put(
        meta,
        lHi,
        lLo,
        rHi,
        rLo,
        slot,
        version,
        st,
        gen,
        expires,
        FlowStates.freshUntil(expires, timeout));
  }

  /**
   * A flow a rule admitted, under an older filter generation: ask the current matcher again (remote
   * -> local:localPort) and mark it revoked or allowed. Lock held.
   */
  int recheck(
      int s,
      int st,
      Snapshot snap,
      int proto,
      long remoteHi,
      long remoteLo,
      long localHi,
      long localLo,
      int localPort) {
    ConntrackTable ct = this.ct;
    if (ct.generation(s) == snap.generation()) {
      return st;
    }
    ct.setGeneration(s, snap.generation());
    if ((st & ConntrackTable.REVOKED) != 0) {
      return st; // a tombstone stays one
    }
    boolean allowed =
        FlowStates.allows(
            snap.matcher(), p.ipv6, remoteHi, remoteLo, localHi, localLo, proto, localPort);
    return allowed ? st : st | ConntrackTable.REVOKED;
  }
}
