package dev.tessera.enforcer.rules;

import dev.tessera.net.IpPrefix;
import java.util.List;

/**
 * One rule's source list, read once into the sweep's event form, per family.
 *
 * <p>Why: building a source side walks every prefix of every rule (thousands of {@code IpPrefix}
 * records per filter, scattered over the heap) and a fifth of a build went to that walk. The
 * compiler hands out one list object per distinct source set and {@code policyc test} builds
 * thousands of source sides from a few hundred such lists, so a {@link SourceCache} keeps this form
 * per list object and a build copies its events in bulk ({@link IntervalSweep#addAll}).
 *
 * <p>Events are those {@link IntervalSweep#add} makes, in the same order, without the payload: for
 * points that share their upper 96 bits (all of IPv4; IPv6 inside one /96) packed as {@code low 32
 * bits of the point << 32 | start bit}; otherwise only the intervals are kept and the sweep adds
 * them one by one.
 */
final class SourceEvents {
  /** IPv4 intervals: first and last address (low 32 bits), in list order. */
  final long[] first4;

  final long[] last4;
  final int n4;

  /** IPv4 events (always narrow: base 0). */
  final long[] packed4;

  final int events4;

  /** IPv6 intervals. */
  final long[] firstHi6;

  final long[] firstLo6;
  final long[] lastHi6;
  final long[] lastLo6;
  final int n6;

  /** IPv6 events packed over (baseHi6, baseMid6), or null when the points differ above 32 bits. */
  final long[] packed6;

  final int events6;
  final long baseHi6;
  final long baseMid6;

  private SourceEvents(List<IpPrefix> sources) {
    int n = sources.size();
    int c4 = 0;
    for (int k = 0; k < n; k++) {
      if (!sources.get(k).ipv6()) {
        c4++;
      }
    }
    int c6 = n - c4;
    first4 = new long[c4];
    last4 = new long[c4];
    packed4 = new long[2 * c4];
    firstHi6 = new long[c6];
    firstLo6 = new long[c6];
    lastHi6 = new long[c6];
    lastLo6 = new long[c6];
    long[] p6 = new long[2 * c6];
    int i4 = 0;
    int e4 = 0;
    int i6 = 0;
    int e6 = 0;
    boolean narrow6 = true;
    long bHi = 0;
    long bMid = 0;
    for (int k = 0; k < n; k++) {
      IpPrefix p = sources.get(k);
      if (!p.ipv6()) {
        long f = p.lo();
        long l = p.lastLo();
        first4[i4] = f;
        last4[i4] = l;
        i4++;
        packed4[e4++] = f << 32 | 1;
        if (l != 0xFFFF_FFFFL) { // an interval to the end of the space has no end event
          packed4[e4++] = (l + 1) << 32;
        }
        continue;
      }
      long fHi = p.hi();
      long fLo = p.lo();
      long lHi = p.lastHi();
      long lLo = p.lastLo();
      firstHi6[i6] = fHi;
      firstLo6[i6] = fLo;
      lastHi6[i6] = lHi;
      lastLo6[i6] = lLo;
      i6++;
      if (!narrow6) {
        continue;
      }
      if (e6 == 0) {
        bHi = fHi;
        bMid = fLo >>> 32;
      }
      if (fHi != bHi || (fLo >>> 32) != bMid) {
        narrow6 = false;
        continue;
      }
      p6[e6++] = fLo << 32 | 1;
      if (lHi != -1L || lLo != -1L) {
        long endLo = lLo + 1;
        long endHi = endLo == 0 ? lHi + 1 : lHi;
        if (endHi != bHi || (endLo >>> 32) != bMid) {
          narrow6 = false;
          continue;
        }
        p6[e6++] = endLo << 32;
      }
    }
    n4 = c4;
    events4 = e4;
    n6 = c6;
    packed6 = narrow6 ? p6 : null;
    events6 = narrow6 ? e6 : 0;
    baseHi6 = bHi;
    baseMid6 = bMid;
  }

  static SourceEvents of(List<IpPrefix> sources) {
    return new SourceEvents(sources);
  }
}
