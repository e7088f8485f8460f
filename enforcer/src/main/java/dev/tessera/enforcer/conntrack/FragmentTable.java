package dev.tessera.enforcer.conntrack;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Remembers accepted first fragments, keyed by (peer, family, source, destination, protocol,
 * fragment id), so that later fragments of the same datagram follow the first one's verdict. Small,
 * fixed capacity, one spin lock (fragments are rare on a tunnel whose MTU the stack knows); entries
 * expire after the reassembly timeout. A fragment whose first fragment was never accepted, was
 * evicted, or expired is dropped: fail closed.
 */
public final class FragmentTable {
  private static final int WINDOW = 8;
  private final int mask;
  private final long[] meta;
  private final long[] srcHi;
  private final long[] srcLo;
  private final long[] dstHi;
  private final long[] dstLo;
  private final long[] expires;
  private final boolean[] used;
  private final FlowHash flowHash = new FlowHash();
  private final int[] lock = new int[1];
  private static final VarHandle ARR = MethodHandles.arrayElementVarHandle(int[].class);

  public FragmentTable(int capacity) {
    int cap = Integer.highestOneBit(Math.max(16, Math.min(capacity, 1 << 20)) * 2 - 1);
    mask = cap - 1;
    meta = new long[cap];
    srcHi = new long[cap];
    srcLo = new long[cap];
    dstHi = new long[cap];
    dstLo = new long[cap];
    expires = new long[cap];
    used = new boolean[cap];
  }

  private static long meta(int peer, boolean ipv6, int protocol, int id) {
    return ((long) peer << 41)
        | (ipv6 ? 1L << 40 : 0)
        | ((long) protocol << 32)
        | (id & 0xFFFF_FFFFL);
  }

  private void lock() {
    while (!ARR.compareAndSet(lock, 0, 0, 1)) {
      Thread.onSpinWait();
    }
  }

  private void unlock() {
    ARR.setRelease(lock, 0, 0);
  }

  public void put(
      int peer,
      boolean ipv6,
      long sHi,
      long sLo,
      long dHi,
      long dLo,
      int protocol,
      int id,
      long expiresAt,
      long now) {
    long m = meta(peer, ipv6, protocol, id);
    int h = flowHash.hash(m, sHi, sLo, dHi, dLo);
    lock();
    try {
      int victim = -1;
      long victimExpiry = Long.MAX_VALUE;
      for (int i = 0; i < WINDOW; i++) {
        int s = (h + i) & mask;
        boolean same =
            used[s]
                && meta[s] == m
                && srcHi[s] == sHi
                && srcLo[s] == sLo
                && dstHi[s] == dHi
                && dstLo[s] == dLo;
        if (same || !used[s] || expires[s] - now < 0) {
          victim = s;
          break;
        }
        if (victim < 0 || expires[s] - victimExpiry < 0) {
          victim = s;
          victimExpiry = expires[s];
        }
      }
      used[victim] = true;
      meta[victim] = m;
      srcHi[victim] = sHi;
      srcLo[victim] = sLo;
      dstHi[victim] = dHi;
      dstLo[victim] = dLo;
      expires[victim] = expiresAt;
    } finally {
      unlock();
    }
  }

  public boolean contains(
      int peer,
      boolean ipv6,
      long sHi,
      long sLo,
      long dHi,
      long dLo,
      int protocol,
      int id,
      long now) {
    long m = meta(peer, ipv6, protocol, id);
    int h = flowHash.hash(m, sHi, sLo, dHi, dLo);
    lock();
    try {
      for (int i = 0; i < WINDOW; i++) {
        int s = (h + i) & mask;
        if (used[s]
            && meta[s] == m
            && srcHi[s] == sHi
            && srcLo[s] == sLo
            && dstHi[s] == dHi
            && dstLo[s] == dLo) {
          return expires[s] - now >= 0;
        }
      }
      return false;
    } finally {
      unlock();
    }
  }
}
