package dev.tessera.enforcer;

import dev.tessera.enforcer.conntrack.ConntrackTable;

/**
 * A worker's direct-mapped cache of the conntrack entries it has seen: {@value #ENTRIES} entries of
 * 8 longs (key: meta, local hi/lo, remote hi/lo; conntrack slot and that slot's version; generation
 * and state; the instant until which a packet would neither find the entry expired nor need to
 * refresh it). Private to one worker, so no locks and no sharing; never trusted on its own: a hit
 * also needs the slot's version in the shared table unchanged, which any write to the entry by any
 * worker bumps.
 */
final class FlowCache {
  private static final int BITS = 9;
  static final int ENTRIES = 1 << BITS;

  private final long[] c = new long[ENTRIES * 8];
  private final ConntrackTable conntrack;

  FlowCache(ConntrackTable conntrack) {
    this.conntrack = conntrack;
  }

  /** Index (in longs) of a key's entry: one multiply over the xor-folded key. */
  private static int entry(long meta, long lHi, long lLo, long rHi, long rLo) {
    long x =
        (lHi ^ rHi ^ lLo ^ Long.rotateLeft(rLo, 32) ^ Long.rotateLeft(meta, 19))
            * 0x9E3779B97F4A7C15L;
    return (int) (x >>> (64 - BITS)) << 3;
  }

  /**
   * The entry (index in longs) for this key, or -1: the key matches, the entry is neither expired
   * nor due for a refresh, and its conntrack slot still has the version it was cached at (so the
   * cached state is the slot's current state).
   */
  int find(long meta, long lHi, long lLo, long rHi, long rLo, long now) {
    long[] c = this.c;
    int e = entry(meta, lHi, lLo, rHi, rLo);
    if (c[e] == meta
        && c[e + 2] == lLo
        && c[e + 4] == rLo
        && c[e + 1] == lHi
        && c[e + 3] == rHi
        && c[e + 7] - now > 0) {
      long sv = c[e + 5];
      if (conntrack.version((int) (sv >>> 32)) == (int) sv) {
        return e;
      }
    }
    return -1;
  }

  /** The state bits of entry {@code e}. */
  int state(int e) {
    return (int) c[e + 6];
  }

  /** The filter generation entry {@code e} was admitted under. */
  int generation(int e) {
    return (int) (c[e + 6] >>> 32);
  }

  /**
   * Remembers a conntrack entry as read under its stripe lock or in a validated lock-free read:
   * key, (slot, version), (generation, state), when it expires and until when it is fresh.
   */
  void put(
      long meta,
      long lHi,
      long lLo,
      long rHi,
      long rLo,
      int slot,
      int version,
      int st,
      int gen,
      long expires,
      long freshUntil) {
    long[] c = this.c;
    int e = entry(meta, lHi, lLo, rHi, rLo);
    long alive = expires + 1; // findQuiet: live while expires - now >= 0
    c[e] = meta;
    c[e + 1] = lHi;
    c[e + 2] = lLo;
    c[e + 3] = rHi;
    c[e + 4] = rLo;
    c[e + 5] = (long) slot << 32 | (version & 0xFFFF_FFFFL);
    c[e + 6] = (long) gen << 32 | (st & 0xFFFF_FFFFL);
    c[e + 7] = freshUntil - alive < 0 ? freshUntil : alive;
  }
}
