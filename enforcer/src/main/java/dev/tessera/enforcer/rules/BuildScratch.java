package dev.tessera.enforcer.rules;

/**
 * Per-thread work buffers for building source sides.
 *
 * <p>Why: a source side of a large tailnet's filter sweeps thousands of events per family, and its
 * event, sort and segment arrays were about 0.4 MB of garbage per source side: 0.8 GB per {@code
 * policyc test} run on the 10k-node synthetic tailnet, collected while the run waited. Only the
 * exact-size results outlive a build; the buffers are reused by the next build on the same thread.
 * A buffer larger than {@link #KEEP_MAX} elements is dropped after use, so one huge filter does not
 * pin its memory to the thread. Reentrant use on one thread (not expected) gets fresh buffers
 * rather than sharing them.
 */
final class BuildScratch {
  private static final ThreadLocal<BuildScratch> LOCAL = ThreadLocal.withInitial(BuildScratch::new);

  /** Largest buffer kept between builds (elements). */
  static final int KEEP_MAX = 1 << 20;

  private static final long[] NONE = new long[0];

  long[] packed4 = NONE;
  long[] packed6 = NONE;
  long[] sortTmp = NONE;
  long[] sets = NONE;
  final int[] radixCount = new int[1 << IntervalSweep.RADIX_BITS];
  final RuleTable.Segments segments = new RuleTable.Segments(16);
  private boolean busy;

  private BuildScratch() {}

  static BuildScratch acquire() {
    BuildScratch s = LOCAL.get();
    if (s.busy) {
      return new BuildScratch();
    }
    s.busy = true;
    return s;
  }

  void release() {
    packed4 = keep(packed4);
    packed6 = keep(packed6);
    sortTmp = keep(sortTmp);
    sets = keep(sets);
    segments.trim(KEEP_MAX);
    busy = false;
  }

  /**
   * {@code a} if it has room for {@code n}, else a new array with room (not zeroed: callers write
   * before reading).
   */
  static long[] room(long[] a, int n) {
    return a.length >= n
        ? a
        : new long[Math.max(n, (int) Math.min(Integer.MAX_VALUE - 8, a.length * 2L))];
  }

  private static long[] keep(long[] a) {
    return a == null || a.length > KEEP_MAX ? NONE : a;
  }
}
