package dev.tessera.enforcer.rules;

/**
 * "Index of the last start &lt;= key" over a sorted {@code int[]} (signed order), with an optional
 * first-level bucket table so that a lookup is one division-free bucket step and a search over a
 * handful of starts instead of log2(n) dependent, often mispredicted, steps.
 *
 * <p>The table cuts [starts[0], starts[n-1]] into buckets of 2^shift keys, about one bucket per
 * start. Entry b holds the index of the last start &lt;= the first key of bucket b; the answer for
 * a key in bucket b lies between entry b and entry b+1 (the last entry is n-1). Addresses in a
 * tailnet are spread fairly evenly (Tailscale assigns them at random in 100.64/10), so ranges are
 * short; a clustered table still costs at most one binary search over the range. Layout of the
 * table array: [shift, entry 0, ..., entry nb-1, n-1]. Arrays shorter than {@link #MIN_INDEXED} get
 * no table (null): a plain binary search over them is as fast.
 */
final class IntSearch {
  static final int MIN_INDEXED = 32;

  private IntSearch() {}

  /** The bucket table for {@code starts} (sorted, signed), or null if too short to need one. */
  public static int[] index(int[] starts) {
    int n = starts.length;
    if (n < MIN_INDEXED) {
      return null;
    }
    int min = starts[0];
    long span = (long) starts[n - 1] - min;
    int shift = 0;
    while ((span >>> shift) >= n) {
      shift++;
    }
    int nb = (int) (span >>> shift) + 1;
    int[] t = new int[nb + 2];
    t[0] = shift;
    int i = 0;
    for (int b = 0; b < nb; b++) {
      long key = min + ((long) b << shift);
      while (i + 1 < n && starts[i + 1] <= key) {
        i++;
      }
      t[1 + b] = i;
    }
    t[nb + 1] = n - 1;
    return t;
  }

  /** Index of the last start &lt;= key, or -1; {@code table} from {@link #index} (may be null). */
  public static int find(int[] starts, int[] table, int key) {
    if (table == null) {
      return search(starts, 0, starts.length - 1, key);
    }
    int min = starts[0];
    if (key < min) {
      return -1;
    }
    long b = ((long) key - min) >>> table[0];
    int last = table.length - 3; // last bucket
    int bi = b > last ? last : (int) b;
    return search(starts, table[1 + bi], table[2 + bi], key);
  }

  /** Last index in [lo, hi] whose start is &lt;= key, or lo - 1 (-1 for lo = 0) if none. */
  static int search(int[] starts, int lo, int hi, int key) {
    int found = lo - 1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      if (starts[mid] <= key) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }
}
