package dev.tessera.compiler.matrix;

import dev.tessera.net.IpProtocol;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * What one source may send to one destination: per protocol, disjoint port segments with the rules
 * that allow them.
 *
 * <p>Built only by {@link #combine}, which normalizes: per protocol, the port line is cut at every
 * segment boundary, each piece gets the union of the rules covering it, and neighbours with the
 * same rules and pair count are merged again. So two cells with the same access and provenance are
 * equal whatever order their facts arrived in.
 *
 * @param totalPairs member pairs this cell summarizes (1 for node x node)
 * @param protocols per protocol, sorted by {@link Protocols#displayRank}
 */
public record Cell(int totalPairs, List<ProtoPorts> protocols) {

  /** The segments of one protocol. */
  public record ProtoPorts(int proto, List<Segment> segments) {
    public ProtoPorts {
      segments = List.copyOf(segments);
    }

    /** Whether every member pair has all of this protocol's segments. */
    boolean full(int totalPairs) {
      return segments.stream().allMatch(s -> s.pairs() == totalPairs);
    }
  }

  public Cell {
    protocols = List.copyOf(protocols);
  }

  public boolean isEmpty() {
    return protocols.isEmpty();
  }

  /** Rule indexes appearing anywhere in the cell, ascending. */
  int[] ruleIndexes() {
    int n = 0;
    for (ProtoPorts p : protocols) {
      for (Segment s : p.segments()) {
        n += s.ruleCount();
      }
    }
    int[] all = new int[n];
    n = 0;
    for (ProtoPorts p : protocols) {
      for (Segment s : p.segments()) {
        for (int i = 0; i < s.ruleCount(); i++) {
          all[n++] = s.rule(i);
        }
      }
    }
    return uniqueSorted(all, n);
  }

  /**
   * Combines raw pieces of access into a normalized cell.
   *
   * @param pieces each {@code {proto, first, last, pairs, rule...}}
   * @param sumPairs true when pieces come from different member pairs (grouping: counts add up);
   *     false when they are facts about one pair (a covered port counts once)
   */
  static Cell combine(int totalPairs, List<int[]> pieces, boolean sumPairs) {
    if (pieces.isEmpty()) {
      return new Cell(totalPairs, List.of());
    }
    List<int[]> sorted = new ArrayList<>(pieces);
    sorted.sort(Comparator.comparingInt((int[] p) -> Protocols.displayRank(p[0])));
    List<ProtoPorts> out = new ArrayList<>();
    int i = 0;
    while (i < sorted.size()) {
      int proto = sorted.get(i)[0];
      int j = i;
      while (j < sorted.size() && sorted.get(j)[0] == proto) {
        j++;
      }
      List<Segment> segs = sweep(sorted.subList(i, j), sumPairs, IpProtocol.hasPorts(proto));
      if (!segs.isEmpty()) {
        out.add(new ProtoPorts(proto, segs));
      }
      i = j;
    }
    return new Cell(totalPairs, out);
  }

  private static List<Segment> sweep(List<int[]> pieces, boolean sumPairs, boolean ports) {
    // Boundaries: every first and every last+1. Protocols without ports collapse to 0-65535
    // so that "icmp" from two rules with different (meaningless) port fields is one segment.
    int np = pieces.size();
    int[] bounds = new int[np * 2];
    int n = 0;
    for (int[] p : pieces) {
      bounds[n++] = ports ? p[1] : 0;
      bounds[n++] = (ports ? p[2] : 65535) + 1;
    }
    Arrays.sort(bounds, 0, n);
    int u = 0;
    for (int k = 0; k < n; k++) {
      if (u == 0 || bounds[u - 1] != bounds[k]) {
        bounds[u++] = bounds[k];
      }
    }
    // Few pieces per cell (typically under ten): a direct scan per interval beats any tree,
    // and allocates only the rule array of each segment kept.
    int ruleSlots = 0;
    for (int[] p : pieces) {
      ruleSlots += p.length - 4;
    }
    int[] buf = new int[ruleSlots];
    List<Segment> segs = new ArrayList<>();
    for (int k = 0; k + 1 < u; k++) {
      int lo = bounds[k];
      int hi = bounds[k + 1] - 1;
      int count = 0;
      int pairs = 0;
      boolean covered = false;
      for (int[] p : pieces) {
        int from = ports ? p[1] : 0;
        int to = ports ? p[2] : 65535;
        if (from > lo || to < hi) {
          continue;
        }
        covered = true;
        for (int r = 4; r < p.length; r++) {
          buf[count++] = p[r];
        }
        pairs = sumPairs ? pairs + p[3] : Math.max(pairs, p[3]);
      }
      if (!covered) {
        continue;
      }
      int[] rs = uniqueSorted(buf, count);
      if (!segs.isEmpty()) {
        Segment prev = segs.getLast();
        if (prev.last() + 1 == lo && prev.pairs() == pairs && prev.sameRules(rs)) {
          segs.set(segs.size() - 1, new Segment(prev.first(), hi, rs, pairs));
          continue;
        }
      }
      segs.add(new Segment(lo, hi, rs, pairs));
    }
    return segs;
  }

  private static int[] uniqueSorted(int[] buf, int count) {
    Arrays.sort(buf, 0, count);
    int u = 0;
    for (int i = 0; i < count; i++) {
      if (u == 0 || buf[u - 1] != buf[i]) {
        buf[u++] = buf[i];
      }
    }
    return Arrays.copyOf(buf, u);
  }
}
