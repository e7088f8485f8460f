package dev.tessera.compiler.ipset;

import dev.tessera.policy.ast.PortRange;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * An immutable set of ports 0-65535 as sorted, disjoint, non-adjacent inclusive ranges: the
 * normalize pass's port-range merging ({@code 22,23,24-30} becomes {@code 22-30}).
 */
public final class PortSet {
  public static final PortSet EMPTY = new PortSet(new int[0]);
  public static final PortSet ALL = new PortSet(new int[] {0, 65535});

  private final int[] r;

  private PortSet(int[] r) {
    this.r = r;
  }

  public static PortSet of(List<PortRange> ranges) {
    int[] a = new int[ranges.size() * 2];
    for (int k = 0; k < ranges.size(); k++) {
      a[2 * k] = ranges.get(k).first();
      a[2 * k + 1] = ranges.get(k).last();
    }
    return ofPairs(a);
  }

  public static PortSet range(int first, int last) {
    if (first < 0 || last > 65535 || first > last) {
      throw new IllegalArgumentException("bad port range " + first + "-" + last);
    }
    return new PortSet(new int[] {first, last});
  }

  private static PortSet ofPairs(int[] a) {
    int n = a.length / 2;
    long[] packed = new long[n];
    for (int k = 0; k < n; k++) {
      packed[k] = ((long) a[2 * k] << 32) | a[2 * k + 1];
    }
    Arrays.sort(packed);
    int[] out = new int[a.length];
    int m = 0;
    for (long pk : packed) {
      int s = (int) (pk >>> 32);
      int e = (int) pk;
      if (m > 0 && s <= out[m - 1] + 1) {
        out[m - 1] = Math.max(out[m - 1], e);
      } else {
        out[m++] = s;
        out[m++] = e;
      }
    }
    return new PortSet(Arrays.copyOf(out, m));
  }

  public PortSet union(PortSet o) {
    int[] a = Arrays.copyOf(r, r.length + o.r.length);
    System.arraycopy(o.r, 0, a, r.length, o.r.length);
    return ofPairs(a);
  }

  public PortSet intersect(PortSet o) {
    List<Integer> out = new ArrayList<>();
    int i = 0;
    int j = 0;
    while (i < r.length && j < o.r.length) {
      int s = Math.max(r[i], o.r[j]);
      int e = Math.min(r[i + 1], o.r[j + 1]);
      if (s <= e) {
        out.add(s);
        out.add(e);
      }
      if (r[i + 1] < o.r[j + 1]) {
        i += 2;
      } else {
        j += 2;
      }
    }
    return new PortSet(out.stream().mapToInt(Integer::intValue).toArray());
  }

  public boolean contains(int port) {
    for (int k = 0; k < r.length; k += 2) {
      if (port >= r[k] && port <= r[k + 1]) {
        return true;
      }
    }
    return false;
  }

  public boolean isEmpty() {
    return r.length == 0;
  }

  public boolean isAll() {
    return r.length == 2 && r[0] == 0 && r[1] == 65535;
  }

  public List<PortRange> ranges() {
    List<PortRange> out = new ArrayList<>(r.length / 2);
    for (int k = 0; k < r.length; k += 2) {
      out.add(new PortRange(r[k], r[k + 1]));
    }
    return List.copyOf(out);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof PortSet p && Arrays.equals(r, p.r);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(r);
  }

  @Override
  public String toString() {
    return ranges().toString();
  }
}
