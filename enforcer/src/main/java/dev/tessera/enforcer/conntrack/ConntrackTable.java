package dev.tessera.enforcer.conntrack;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Fixed-capacity connection-tracking table over primitive arrays.
 *
 * <p>Design: the table is cut into stripes, each guarded by its own spin lock (an int CAS; no
 * {@code Object} monitors or AQS nodes, so nothing is allocated even under contention). A flow
 * hashes to one stripe and to two start slots in it; its entry lives in one of two windows of
 * {@link #WINDOW} consecutive slots of that stripe (wrapping inside the stripe). Lookups scan the
 * window comparing a 32-bit tag first, then the full key. The hash is keyed with a random key per
 * table ({@link FlowHash}), so a peer cannot aim its flows at the window of someone else's. Expired
 * entries count as absent.
 *
 * <p>A full window: Linux's early drop. Inserting takes a free or expired slot in the window;
 * otherwise it may evict only an <em>unreplied</em> entry (no packet seen in the reply direction
 * yet), never an assured one, and only one whose peer holds at least as many remote-initiated
 * entries as the inserting peer (or the inserting peer's own): among those, the entry of the peer
 * holding the most, then the one nearest to expiry. With nothing to evict the insert is refused
 * ({@link #FULL}) and the packet dropped: a flood fills only what is unreplied, pushes out mostly
 * its own entries, and never an established flow. Each peer may hold at most {@code peerQuota}
 * remote-initiated entries ({@link #QUOTA}: refused, unless it evicts one of its own unreplied
 * entries in the window), so one peer cannot take the whole table from the others. Memory stays
 * bounded by {@code capacity} whatever the traffic. Critical sections are a handful of loads and
 * stores (plus, for re-checks, one {@code Matcher} lookup), so with stripes &gt;&gt; threads,
 * contention is rare.
 *
 * <p>Keys: the flow seen from this node: (peer, family, protocol, local address, remote address,
 * local port, remote port); for ICMP echo the identifier is the local port and the remote port is
 * 0. Inbound and outbound packets of one flow therefore map to the same key. The peer is the tunnel
 * peer the flow runs through (the one that sent an inbound packet, the one an outbound packet is
 * routed to): a flow belongs to that peer, so a packet from another peer (an ICMP error quoting the
 * flow, say) never finds it.
 *
 * <p>Callers must hold the stripe lock ({@link #lock}/{@link #unlock}) around find, insert and
 * every accessor of a slot.
 */
public final class ConntrackTable {
  static final int WINDOW = 8;

  /** Slots a key may live in: two windows of {@link #WINDOW}, at two places in its stripe. */
  private static final int PROBES = 2 * WINDOW;

  // state bits
  public static final int ORIGIN_LOCAL = 1;
  public static final int ORIGIN_REMOTE = 2;

  /**
   * A tombstone: a remote-initiated flow a filter update no longer allows. Its packets are dropped
   * both ways until it goes idle and expires; a later filter does not revive it.
   */
  public static final int REVOKED = 4;

  /** A packet was seen in the direction opposite to the one that opened the flow. */
  public static final int SEEN_REPLY = 8;

  public static final int TCP_FIN = 16;
  public static final int TCP_RST = 32;

  private static final VarHandle LOCK = MethodHandles.arrayElementVarHandle(int[].class);
  private static final VarHandle WORD = MethodHandles.arrayElementVarHandle(long[].class);
  private static final VarHandle COUNT = MethodHandles.arrayElementVarHandle(int[].class);

  /**
   * What an {@link #insert} did besides taking a free or expired slot, counted per kind: an
   * eviction (Linux's early drop) or a refusal.
   */
  public enum Eviction {
    /** An unreplied entry (of a peer holding at least as many flows) made room for a new flow. */
    EARLY_DROP("early-drop"),
    /** A peer at its quota made room by evicting one of its own unreplied entries. */
    OWN_AT_QUOTA("own-at-quota"),
    /** Nothing could be evicted: the new flow was refused ({@link #FULL}). */
    REFUSED_FULL("refused-full"),
    /** The peer holds its quota and had nothing of its own to evict ({@link #QUOTA}). */
    REFUSED_QUOTA("refused-quota");

    private final String code;

    Eviction(String code) {
      this.code = code;
    }

    /** Stable name for status lines and metrics. */
    public String code() {
      return code;
    }
  }

  private static final VarHandle EVENT = MethodHandles.arrayElementVarHandle(long[].class);

  /**
   * Evictions per stripe and kind ({@code stripe * LOCK_STRIDE + kind}, one cache line a stripe):
   * written under the stripe lock, read without it.
   */
  private final long[] evictions;

  /** {@link #insert}: no slot in the window may be taken. */
  static final int FULL = -1;

  /** {@link #insert}: the peer holds its quota of remote-initiated entries. */
  public static final int QUOTA = -2;

  /** Expired slots a refused insert frees in its stripe, so a peer's count follows its expiries. */
  private static final int REAP = 64;

  private static final int LOCK_STRIDE = 16; // one lock per 64-byte line

  private final int stripeShift;
  private final int stripeMask;
  private final int stripeSlots;
  private final int[] locks;
  private final FlowHash flowHash;
  private final int peerQuota;

  /** Remote-initiated entries per peer (tagged slots with ORIGIN_REMOTE, expired or not). */
  private final int[] remoteFlows = new int[PEERS];

  private final int[] tag; // 0 = free
  private final long[] keyMeta;
  private final long[] keyLocalHi;
  private final long[] keyLocalLo;
  private final long[] keyRemoteHi;
  private final long[] keyRemoteLo;
  private final long[] expires; // millis
  private final int[] generation;

  /**
   * Per-slot change counter, bumped (under the stripe lock) by every write to the slot: key, state,
   * generation, expiry, removal. A worker's flow cache remembers (slot, version) next to its
   * private copy of the entry; an unchanged version proves the copy is still the entry, so a cached
   * established packet needs one load here instead of a hash, a window scan and a seqlock round.
   * Wraps after 2^32 writes to one slot (a refresh is at most one per second). Kept in one long
   * with the state bits ({@code version << 32 | state}): a new flow writes the state anyway, and a
   * separate version array cost every insert one more cache miss.
   */
  private final long[] stateVersion;

  public ConntrackTable(int capacity) {
    this(capacity, Integer.MAX_VALUE, new FlowHash());
  }

  /**
   * A table of about {@code capacity} entries, at most {@code peerQuota} remote-initiated per peer.
   */
  public ConntrackTable(int capacity, int peerQuota, FlowHash flowHash) {
    if (peerQuota < 1) {
      throw new IllegalArgumentException("peerQuota must be positive: " + peerQuota);
    }
    this.peerQuota = peerQuota;
    this.flowHash = flowHash;
    int cap = Integer.highestOneBit(Math.max(64, Math.min(capacity, 1 << 24)) * 2 - 1);
    int stripes = Math.max(1, Math.min(64, cap / 64));
    this.stripeSlots = cap / stripes;
    this.stripeMask = stripes - 1;
    this.stripeShift = 32 - Integer.numberOfTrailingZeros(stripes);
    this.locks = new int[stripes * LOCK_STRIDE];
    this.evictions = new long[stripes * LOCK_STRIDE / 2];
    this.tag = new int[cap];
    this.keyMeta = new long[cap];
    this.keyLocalHi = new long[cap];
    this.keyLocalLo = new long[cap];
    this.keyRemoteHi = new long[cap];
    this.keyRemoteLo = new long[cap];
    this.expires = new long[cap];
    this.stateVersion = new long[cap];
    this.generation = new int[cap];
  }

  public int capacity() {
    return tag.length;
  }

  /** Peer ids are 0 to {@code PEERS - 1}. */
  public static final int PEERS = 1 << 16;

  /** Packs the non-address key fields; {@code peer} is below {@link #PEERS}. */
  public static long meta(int peer, boolean ipv6, int protocol, int localPort, int remotePort) {
    return ((long) peer << 41)
        | (ipv6 ? 1L << 40 : 0)
        | ((long) protocol << 32)
        | ((long) localPort << 16)
        | remotePort;
  }

  public static boolean ipv6Of(long meta) {
    return (meta & (1L << 40)) != 0;
  }

  public static int protocolOf(long meta) {
    return (int) (meta >>> 32) & 0xFF;
  }

  public static int localPortOf(long meta) {
    return (int) (meta >>> 16) & 0xFFFF;
  }

  /** The peer of a packed key. */
  static int peerOf(long meta) {
    return (int) (meta >>> 41);
  }

  /** 32-bit keyed flow hash, never 0 (0 marks a free slot). */
  public int hash(long meta, long lHi, long lLo, long rHi, long rLo) {
    return flowHash.hash(meta, lHi, lLo, rHi, rLo);
  }

  /** Remote-initiated entries of {@code peer} (expired ones not yet reclaimed included). */
  int remoteFlows(int peer) {
    return (int) COUNT.getOpaque(remoteFlows, peer);
  }

  public int stripe(int hash) {
    return (hash >>> stripeShift) & stripeMask;
  }

  // Each stripe's lock word is also a sequence number (seqlock): odd while a writer holds it,
  // bumped on every unlock. Readers that only look (an established flow whose entry needs no
  // change, or a miss) read optimistically and validate the sequence afterwards, so the common
  // packet takes no CAS at all; any change to an entry happens under the lock.

  public void lock(int stripe) {
    int i = stripe * LOCK_STRIDE;
    while (true) {
      int v = (int) LOCK.getOpaque(locks, i);
      if ((v & 1) == 0 && LOCK.compareAndSet(locks, i, v, v + 1)) {
        return;
      }
      Thread.onSpinWait();
    }
  }

  public void unlock(int stripe) {
    int i = stripe * LOCK_STRIDE;
    LOCK.setRelease(locks, i, locks[i] + 1);
  }

  /**
   * Starts an optimistic read: a sequence to pass to {@link #validate}, or -1 if a writer is
   * active.
   */
  public int readBegin(int stripe) {
    int v = (int) LOCK.getAcquire(locks, stripe * LOCK_STRIDE);
    return (v & 1) == 0 ? v : -1;
  }

  /**
   * True if no writer touched the stripe since {@link #readBegin} returned {@code seq}: what was
   * read is consistent.
   */
  public boolean validate(int stripe, int seq) {
    VarHandle.loadLoadFence();
    return (int) LOCK.getOpaque(locks, stripe * LOCK_STRIDE) == seq;
  }

  /**
   * Optimistic {@link #find}: no lock, no side effects (expired entries are reported absent but not
   * freed). The result and any field read after it are only meaningful if {@link #validate}
   * succeeds afterwards.
   */
  public int findQuiet(
      int stripe, int hash, long meta, long lHi, long lLo, long rHi, long rLo, long now) {
    for (int i = 0; i < PROBES; i++) {
      int s = slot(stripe, hash, i);
      if (tag[s] == hash
          && keyMeta[s] == meta
          && keyLocalLo[s] == lLo
          && keyRemoteLo[s] == rLo
          && keyLocalHi[s] == lHi
          && keyRemoteHi[s] == rHi) {
        return expires[s] - now < 0 ? -1 : s;
      }
    }
    return -1;
  }

  /**
   * The i-th slot a key may use: the first window starts at the hash, the second at a place mixed
   * from all of the hash's bits (the stripe takes the high bits and the first window the low ones,
   * so the second start must not be made of either alone), so a window full of established flows
   * still leaves an independent choice (two choices keep the longest run of full slots short, where
   * one window alone fills up at a third of the capacity).
   */
  private int slot(int stripe, int hash, int i) {
    int start = i < WINDOW ? hash + i : secondStart(hash) + (i - WINDOW);
    return stripe * stripeSlots + (start & (stripeSlots - 1));
  }

  /** MurmurHash3's 32-bit finalizer: every output bit depends on every bit of the hash. */
  private static int secondStart(int hash) {
    int h = hash ^ (hash >>> 16);
    h *= 0x85EBCA6B;
    h ^= h >>> 13;
    h *= 0xC2B2AE35;
    return h ^ (h >>> 16);
  }

  /** Slot of the live entry for this key, or -1. Lock held. */
  public int find(
      int stripe, int hash, long meta, long lHi, long lLo, long rHi, long rLo, long now) {
    for (int i = 0; i < PROBES; i++) {
      int s = slot(stripe, hash, i);
      if (tag[s] == hash
          && keyMeta[s] == meta
          && keyLocalLo[s] == lLo
          && keyRemoteLo[s] == rLo
          && keyLocalHi[s] == lHi
          && keyRemoteHi[s] == rHi) {
        if (expires[s] - now < 0) {
          free(s);
          return -1;
        }
        return s;
      }
    }
    return -1;
  }

  /**
   * Claims a slot for a new entry (key set, state and generation zeroed, expiry {@code now}), for a
   * flow a remote peer opens ({@code remote}: counted against the key's peer quota) or this node
   * opens. Returns the slot, or {@link #FULL} / {@link #QUOTA} (see the class comment). The caller
   * must have checked with {@link #find} that the key is absent. Lock held.
   */
  public int insert(
      int stripe,
      int hash,
      long meta,
      long lHi,
      long lLo,
      long rHi,
      long rLo,
      long now,
      boolean remote) {
    int peer = peerOf(meta);
    int firstFree = -1;
    int secondFree = -1;
    int freeInFirst = 0;
    int freeInSecond = 0;
    for (int i = 0; i < PROBES; i++) { // reclaim expired slots first: that also updates the counts
      int s = slot(stripe, hash, i);
      if (tag[s] != 0 && expires[s] - now < 0) {
        free(s);
      }
      if (tag[s] != 0) {
        continue;
      }
      if (i < WINDOW) {
        if (freeInFirst++ == 0) {
          firstFree = s;
        }
      } else if (freeInSecond++ == 0) {
        secondFree = s;
      }
    }
    // The emptier of the two windows (two choices): filling the first window before the second
    // leaves full runs that make both of a new flow's windows full at a third of the capacity.
    int free = freeInSecond > freeInFirst ? secondFree : firstFree;
    int mine = remote ? remoteFlows(peer) : 0;
    boolean atQuota = remote && mine >= peerQuota;
    if (free >= 0 && !atQuota) {
      return claim(free, hash, meta, lHi, lLo, rHi, rLo, now);
    }
    int victim = -1;
    int victimOwner = -1;
    long victimExpiry = 0;
    for (int i = 0; i < PROBES; i++) {
      int s = slot(stripe, hash, i);
      int st = state(s);
      if (tag[s] == 0 || (st & (SEEN_REPLY | REVOKED)) != 0) {
        continue; // assured, or a tombstone: never evicted
      }
      boolean remoteEntry = (st & ORIGIN_REMOTE) != 0;
      int owner = remoteEntry ? remoteFlows(peerOf(keyMeta[s])) : 0;
      boolean own = remote && remoteEntry && peerOf(keyMeta[s]) == peer;
      if (atQuota ? !own : !own && owner < mine) {
        continue;
      }
      if (victim < 0
          || owner > victimOwner
          || (owner == victimOwner && expires[s] - victimExpiry < 0)) {
        victim = s;
        victimOwner = owner;
        victimExpiry = expires[s];
      }
    }
    if (victim < 0) {
      if (atQuota) {
        reap(stripe, now);
      }
      count(stripe, atQuota ? Eviction.REFUSED_QUOTA : Eviction.REFUSED_FULL);
      return atQuota ? QUOTA : FULL;
    }
    count(stripe, atQuota ? Eviction.OWN_AT_QUOTA : Eviction.EARLY_DROP);
    free(victim);
    return claim(victim, hash, meta, lHi, lLo, rHi, rLo, now);
  }

  /** Lock held: one more eviction of this kind in the stripe. */
  private void count(int stripe, Eviction kind) {
    int i = stripe * (LOCK_STRIDE / 2) + kind.ordinal();
    EVENT.setOpaque(evictions, i, evictions[i] + 1);
  }

  /** Evictions and refusals of this kind since the table was made (sums the stripes, no lock). */
  public long evictions(Eviction kind) {
    long n = 0;
    for (int st = 0; st <= stripeMask; st++) {
      n += (long) EVENT.getOpaque(evictions, st * (LOCK_STRIDE / 2) + kind.ordinal());
    }
    return n;
  }

  private int claim(int s, int hash, long meta, long lHi, long lLo, long rHi, long rLo, long now) {
    tag[s] = hash;
    keyMeta[s] = meta;
    keyLocalHi[s] = lHi;
    keyLocalLo[s] = lLo;
    keyRemoteHi[s] = rHi;
    keyRemoteLo[s] = rLo;
    expires[s] = now;
    generation[s] = 0;
    write(s, 0);
    return s;
  }

  /**
   * Frees up to {@link #REAP} expired slots of the stripe, from where the last call stopped (the
   * cursor sits in the stripe lock's padding). Lock held.
   */
  private void reap(int stripe, long now) {
    int cursorAt = stripe * LOCK_STRIDE + 1;
    int c = locks[cursorAt];
    int base = stripe * stripeSlots;
    for (int i = 0; i < REAP && i < stripeSlots; i++) {
      int s = base + ((c + i) & (stripeSlots - 1));
      if (tag[s] != 0 && expires[s] - now < 0) {
        free(s);
      }
    }
    locks[cursorAt] = c + REAP;
  }

  public void remove(int slot) {
    free(slot);
  }

  /**
   * Empties a slot (its state goes to 0, so a remote-initiated entry leaves its peer's count). Lock
   * held.
   */
  private void free(int slot) {
    if (tag[slot] != 0) {
      setState(slot, 0);
      tag[slot] = 0;
    }
    bump(slot);
  }

  /**
   * Lock held. Opaque so a concurrent {@link #version} read sees the old or the new value, never a
   * torn one.
   */
  private void bump(int slot) {
    write(slot, (int) stateVersion[slot]);
  }

  /** Lock held: sets the state bits and bumps the version, in one opaque (untorn) store. */
  private void write(int slot, int st) {
    long v = (stateVersion[slot] >>> 32) + 1;
    WORD.setOpaque(stateVersion, slot, v << 32 | (st & 0xFFFF_FFFFL));
  }

  /**
   * The slot's change counter (see {@code version}); may be read without the lock. Inside a seqlock
   * read section, validated like the other fields.
   */
  public int version(int slot) {
    return (int) ((long) WORD.getAcquire(stateVersion, slot) >>> 32);
  }

  public int state(int slot) {
    return (int) stateVersion[slot];
  }

  /** Lock held; keeps the peer's count of remote-initiated entries. */
  public void setState(int slot, int s) {
    int old = (int) stateVersion[slot];
    if (old != s) {
      int delta = ((s & ORIGIN_REMOTE) != 0 ? 1 : 0) - ((old & ORIGIN_REMOTE) != 0 ? 1 : 0);
      if (delta != 0) {
        COUNT.getAndAdd(remoteFlows, peerOf(keyMeta[slot]), delta);
      }
      write(slot, s);
    }
  }

  public int generation(int slot) {
    return generation[slot];
  }

  public void setGeneration(int slot, int g) {
    if (generation[slot] != g) {
      generation[slot] = g;
      bump(slot);
    }
  }

  public void setExpires(int slot, long at) {
    if (expires[slot] != at) {
      expires[slot] = at;
      bump(slot);
    }
  }

  public long expires(int slot) {
    return expires[slot];
  }

  public long meta(int slot) {
    return keyMeta[slot];
  }

  /**
   * Asks whether a remote-initiated flow is still allowed (remote = source, local = destination).
   */
  @FunctionalInterface
  public interface Recheck {
    boolean allowed(long meta, long localHi, long localLo, long remoteHi, long remoteLo);
  }

  /**
   * Re-checks every live remote-initiated flow that is not a tombstone yet and turns those {@code
   * recheck} refuses into tombstones; every remote-initiated flow gets generation {@code
   * generation}. Takes each stripe lock in turn. Returns the number of new tombstones.
   */
  public int revokeWhere(Recheck recheck, int generation, long now) {
    int n = 0;
    for (int st = 0; st <= stripeMask; st++) {
      lock(st);
      try {
        for (int s = st * stripeSlots; s < (st + 1) * stripeSlots; s++) {
          if (tag[s] == 0 || expires[s] - now < 0) {
            continue;
          }
          int state = state(s);
          if ((state & ORIGIN_REMOTE) == 0) {
            continue;
          }
          if ((state & REVOKED) == 0
              && !recheck.allowed(
                  keyMeta[s], keyLocalHi[s], keyLocalLo[s], keyRemoteHi[s], keyRemoteLo[s])) {
            setState(s, state | REVOKED);
            n++;
          }
          setGeneration(s, generation);
        }
      } finally {
        unlock(st);
      }
    }
    return n;
  }

  /** Removes every entry of {@code peer} (takes each stripe lock in turn); returns how many. */
  public int removePeer(int peer) {
    int n = 0;
    for (int st = 0; st <= stripeMask; st++) {
      lock(st);
      try {
        for (int s = st * stripeSlots; s < (st + 1) * stripeSlots; s++) {
          if (tag[s] != 0 && peerOf(keyMeta[s]) == peer) {
            remove(s);
            n++;
          }
        }
      } finally {
        unlock(st);
      }
    }
    return n;
  }

  /** Live entries (takes each stripe lock in turn; for tests and diagnostics). */
  public int size(long now) {
    int n = 0;
    for (int st = 0; st <= stripeMask; st++) {
      lock(st);
      try {
        for (int s = st * stripeSlots; s < (st + 1) * stripeSlots; s++) {
          if (tag[s] != 0 && expires[s] - now >= 0) {
            n++;
          }
        }
      } finally {
        unlock(st);
      }
    }
    return n;
  }
}
