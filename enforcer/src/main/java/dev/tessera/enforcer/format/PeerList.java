package dev.tessera.enforcer.format;

import java.util.AbstractList;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.RandomAccess;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.function.Consumer;

/**
 * The compiled-filter format's peer list: an immutable {@code List<Peer>} sorted by name, each name
 * once. {@link CompiledFilter} keeps a PeerList as it is (any other peer list is copied), so a
 * producer hands over a node's peer list, often thousands of entries, with one bulk copy ({@link
 * #ofSorted}), and makes the next version of it (peers dropped, added or replaced) with {@link
 * #with}, which shares everything it does not change with the version it starts from.
 *
 * <p>Layout: the elements are held in chunks (arrays of up to {@value #MAX_CHUNK} peers, built with
 * {@value #CHUNK} each) and an index of where each chunk starts. {@link #with} copies the chunks it
 * changes and the index, and shares the other chunks, so a few edits to a list of {@code n} peers
 * cost about {@code n / CHUNK} words plus a chunk per edit instead of {@code n}. Iteration walks
 * the chunks directly; {@link #get} is a shift when every chunk but the last is full (as built) and
 * a binary search over the chunk index otherwise. Comparing two versions with {@link #equals} skips
 * the chunks they share. Equality and hash code are {@link List}'s: a PeerList equals any list of
 * the same peers in the same order.
 */
public final class PeerList extends AbstractList<Peer> implements RandomAccess {
  /** Peers per chunk as built; {@link #with} may grow a chunk up to {@link #MAX_CHUNK}. */
  static final int CHUNK = 128;

  private static final int SHIFT = Integer.numberOfTrailingZeros(CHUNK);

  /** A chunk that would grow beyond this is split. */
  static final int MAX_CHUNK = 2 * CHUNK;

  private static final Comparator<Peer> BY_NAME = Comparator.comparing(Peer::name);

  private static final PeerList EMPTY = new PeerList(new Peer[0][], new int[] {0});

  // chunks[k] is non-empty and holds elements [starts[k], starts[k + 1]); starts[chunks.length] is
  // the size. Chunks are never written after construction, so versions share them freely.
  private final Peer[][] chunks;
  private final int[] starts;
  // Every chunk but the last holds exactly CHUNK elements, the last at most CHUNK: get() needs no
  // search.
  private final boolean uniform;
  private int hash; // List hash code, 0 until computed (a race only computes it twice)

  private PeerList(Peer[][] chunks, int[] starts) {
    this.chunks = chunks;
    this.starts = starts;
    boolean u = chunks.length == 0 || chunks[chunks.length - 1].length <= CHUNK;
    for (int k = 0; u && k < chunks.length - 1; k++) {
      u = chunks[k].length == CHUNK;
    }
    this.uniform = u;
  }

  /** The empty list. */
  public static PeerList of() {
    return EMPTY;
  }

  /**
   * {@code peers} as a PeerList: itself when it is one, else a sorted copy.
   *
   * @throws IllegalArgumentException if two peers have the same name
   * @throws NullPointerException if a peer is null
   */
  public static PeerList copyOf(Collection<? extends Peer> peers) {
    if (peers instanceof PeerList p) {
      return p;
    }
    Peer[] sorted = peers.toArray(new Peer[0]);
    Arrays.sort(sorted, BY_NAME); // NullPointerException on a null element
    for (int i = 1; i < sorted.length; i++) {
      if (sorted[i - 1].name().equals(sorted[i].name())) {
        throw new IllegalArgumentException("peer " + sorted[i].name() + " is given twice");
      }
    }
    return ofSorted(sorted);
  }

  /**
   * The peers of {@code sorted}, whose names are strictly increasing: the caller's guarantee, as
   * for {@link Arrays#binarySearch}. No name is read (a dense tailnet's compile hands over tens of
   * millions of peers, and reading each name costs more than the rest of the build), except with
   * assertions enabled, where a name out of order fails. A list made out of order makes {@link
   * #with} and {@link #indexOfName} undefined; {@link CompiledFilter#canonical} checks the order
   * itself. {@link #copyOf} takes peers in any order. The array is copied, in bulk, into the list's
   * chunks.
   *
   * @throws NullPointerException if a peer is null
   */
  public static PeerList ofSorted(Peer[] sorted) {
    assert inOrder(sorted);
    int size = sorted.length;
    if (size == 0) {
      return EMPTY;
    }
    int count = (size + CHUNK - 1) >>> SHIFT;
    Peer[][] cs = new Peer[count][];
    int[] starts = new int[count + 1];
    for (int k = 0; k < count; k++) {
      int from = k << SHIFT;
      int to = Math.min(size, from + CHUNK);
      Peer[] c = Arrays.copyOfRange(sorted, from, to);
      for (Peer x : c) {
        Objects.requireNonNull(x, "peer");
      }
      cs[k] = c;
      starts[k + 1] = to;
    }
    return new PeerList(cs, starts);
  }

  private static boolean inOrder(Peer[] sorted) {
    for (int i = 1; i < sorted.length; i++) {
      if (sorted[i - 1] != null
          && sorted[i] != null
          && sorted[i - 1].name().compareTo(sorted[i].name()) >= 0) {
        throw new AssertionError(
            "peer "
                + sorted[i].name()
                + " after "
                + sorted[i - 1].name()
                + ": names must be unique and in order");
      }
    }
    return true;
  }

  @Override
  public int size() {
    return starts[chunks.length];
  }

  @Override
  public Peer get(int index) {
    Objects.checkIndex(index, size());
    if (uniform) {
      return chunks[index >>> SHIFT][index & (CHUNK - 1)];
    }
    int k = chunkAt(index);
    return chunks[k][index - starts[k]];
  }

  /** The chunk holding {@code index} (0 <= index < size). */
  private int chunkAt(int index) {
    int lo = 0;
    int hi = chunks.length - 1;
    while (lo < hi) {
      int mid = (lo + hi + 1) >>> 1;
      if (starts[mid] <= index) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    return lo;
  }

  /**
   * The index of the peer named {@code name}, or {@code -(insertion point) - 1} when there is none
   * (as {@link Arrays#binarySearch}).
   */
  public int indexOfName(String name) {
    Objects.requireNonNull(name, "name");
    if (chunks.length == 0) {
      return -1;
    }
    int k = chunkOf(name);
    int at = search(chunks[k], name);
    return at >= 0 ? starts[k] + at : at - starts[k];
  }

  /** The chunk a peer named {@code name} belongs in: the last whose first name is not above it. */
  private int chunkOf(String name) {
    int lo = 0;
    int hi = chunks.length - 1;
    while (lo < hi) {
      int mid = (lo + hi + 1) >>> 1;
      if (chunks[mid][0].name().compareTo(name) <= 0) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    return lo;
  }

  private static int search(Peer[] chunk, String name) {
    int lo = 0;
    int hi = chunk.length - 1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      int c = chunk[mid].name().compareTo(name);
      if (c < 0) {
        lo = mid + 1;
      } else if (c > 0) {
        hi = mid - 1;
      } else {
        return mid;
      }
    }
    return -(lo + 1);
  }

  /**
   * This list without the peers named in {@code drop} and with the peers of {@code put}, each
   * replacing the peer of its name if there is one (a name in both is put). Names in {@code drop}
   * that are not in the list are ignored. The result shares every chunk the edits do not touch with
   * this list, which is unchanged.
   *
   * @throws IllegalArgumentException if two peers of {@code put} have the same name
   * @throws NullPointerException if a name or a peer is null
   */
  public PeerList with(Collection<String> drop, Collection<? extends Peer> put) {
    String[] d = drop.toArray(new String[0]);
    Arrays.sort(d); // NullPointerException on a null name
    Peer[] p = put.toArray(new Peer[0]);
    Arrays.sort(p, BY_NAME);
    for (int i = 1; i < p.length; i++) {
      if (p[i - 1].name().equals(p[i].name())) {
        throw new IllegalArgumentException("peer " + p[i].name() + " is put twice");
      }
    }
    if (p.length == 0 && (d.length == 0 || chunks.length == 0)) {
      return this;
    }
    if (chunks.length == 0) {
      return ofSorted(p);
    }
    List<Peer[]> out = new ArrayList<>(chunks.length + 2);
    int di = 0;
    int pi = 0;
    int k = 0; // next chunk of this list not yet handed to out
    while (di < d.length || pi < p.length) {
      String first =
          pi == p.length || di < d.length && d[di].compareTo(p[pi].name()) < 0
              ? d[di]
              : p[pi].name();
      int t = chunkOf(first); // >= k: the edits are taken in name order
      for (; k < t; k++) {
        out.add(chunks[k]);
      }
      // The edits that belong in chunk t: names below the next chunk's first name.
      String bound = t + 1 < chunks.length ? chunks[t + 1][0].name() : null;
      int dEnd = di;
      while (dEnd < d.length && (bound == null || d[dEnd].compareTo(bound) < 0)) {
        dEnd++;
      }
      int pEnd = pi;
      while (pEnd < p.length && (bound == null || p[pEnd].name().compareTo(bound) < 0)) {
        pEnd++;
      }
      Peer[] merged = edit(chunks[t], d, di, dEnd, p, pi, pEnd);
      if (merged.length <= MAX_CHUNK) {
        if (merged.length > 0) {
          out.add(merged);
        }
      } else {
        int pieces = (merged.length + CHUNK - 1) / CHUNK;
        for (int j = 0; j < pieces; j++) {
          out.add(
              Arrays.copyOfRange(
                  merged,
                  (int) ((long) merged.length * j / pieces),
                  (int) ((long) merged.length * (j + 1) / pieces)));
        }
      }
      di = dEnd;
      pi = pEnd;
      k = t + 1;
    }
    for (; k < chunks.length; k++) {
      out.add(chunks[k]);
    }
    return of(out);
  }

  /**
   * Chunk {@code c} without the peers named in {@code d[dFrom, dTo)} and with {@code p[pFrom, pTo)}
   * put in (both sorted by name, all in this chunk's name range): runs of {@code c} between the
   * edits are copied in bulk, each edit found by binary search.
   */
  private static Peer[] edit(
      Peer[] c, String[] d, int dFrom, int dTo, Peer[] p, int pFrom, int pTo) {
    int[] dropAt = new int[dTo - dFrom]; // increasing: d is sorted
    int drops = 0;
    for (int j = dFrom; j < dTo; j++) {
      int at = search(c, d[j]);
      if (at >= 0 && (drops == 0 || dropAt[drops - 1] != at)) {
        dropAt[drops++] = at;
      }
    }
    Peer[] m = new Peer[c.length + pTo - pFrom];
    int n = 0;
    int from = 0; // next element of c not yet copied or skipped
    int j = 0;
    int pi = pFrom;
    while (j < drops || pi < pTo) {
      int pAt = pi < pTo ? search(c, p[pi].name()) : -1;
      int pPos = pi < pTo ? (pAt >= 0 ? pAt : -pAt - 1) : Integer.MAX_VALUE;
      int dPos = j < drops ? dropAt[j] : Integer.MAX_VALUE;
      if (pPos <= dPos) {
        System.arraycopy(c, from, m, n, pPos - from);
        n += pPos - from;
        if (pAt >= 0) {
          from = pPos + 1; // replaced
          if (dPos == pPos) {
            j++; // dropped and put: put
          }
        } else {
          from = pPos;
        }
        m[n++] = p[pi++];
      } else {
        System.arraycopy(c, from, m, n, dPos - from);
        n += dPos - from;
        from = dPos + 1;
        j++;
      }
    }
    System.arraycopy(c, from, m, n, c.length - from);
    n += c.length - from;
    return n == m.length ? m : Arrays.copyOf(m, n);
  }

  /** A list of the given non-empty chunks, re-chunked when edits have left many small ones. */
  private static PeerList of(List<Peer[]> chunks) {
    int size = 0;
    for (Peer[] c : chunks) {
      size += c.length;
    }
    if (chunks.size() > 2 * (size / CHUNK) + 2) {
      // Shrunk chunks: index and lookups would grow with them; one copy restores full chunks.
      Peer[] all = new Peer[size];
      int at = 0;
      for (Peer[] c : chunks) {
        System.arraycopy(c, 0, all, at, c.length);
        at += c.length;
      }
      return ofSorted(all);
    }
    Peer[][] cs = chunks.toArray(new Peer[0][]);
    int[] starts = new int[cs.length + 1];
    for (int k = 0; k < cs.length; k++) {
      starts[k + 1] = starts[k] + cs[k].length;
    }
    return new PeerList(cs, starts);
  }

  @Override
  public Iterator<Peer> iterator() {
    return new Iterator<>() {
      private int k; // current chunk
      private int i; // next index in it

      @Override
      public boolean hasNext() {
        return k < chunks.length;
      }

      @Override
      public Peer next() {
        if (k >= chunks.length) {
          throw new NoSuchElementException();
        }
        Peer[] c = chunks[k];
        Peer x = c[i++];
        if (i == c.length) {
          k++;
          i = 0;
        }
        return x;
      }
    };
  }

  @Override
  public void forEach(Consumer<? super Peer> action) {
    Objects.requireNonNull(action, "action");
    for (Peer[] c : chunks) {
      for (Peer x : c) {
        action.accept(x);
      }
    }
  }

  @Override
  public Spliterator<Peer> spliterator() {
    return Spliterators.spliterator(
        iterator(),
        size(),
        Spliterator.ORDERED | Spliterator.IMMUTABLE | Spliterator.NONNULL | Spliterator.DISTINCT);
  }

  @Override
  public Object[] toArray() {
    Object[] out = new Object[size()];
    for (int k = 0; k < chunks.length; k++) {
      System.arraycopy(chunks[k], 0, out, starts[k], chunks[k].length);
    }
    return out;
  }

  /**
   * As {@link List#equals}; against another PeerList, chunks both hold at the same position are not
   * compared element by element.
   */
  @Override
  public boolean equals(Object o) {
    if (o == this) {
      return true;
    }
    if (!(o instanceof PeerList other)) {
      return super.equals(o);
    }
    int size = size();
    if (size != other.size()) {
      return false;
    }
    int a = 0;
    int b = 0;
    for (int i = 0; i < size; ) {
      while (starts[a + 1] <= i) {
        a++;
      }
      while (other.starts[b + 1] <= i) {
        b++;
      }
      if (starts[a] == i && other.starts[b] == i && chunks[a] == other.chunks[b]) {
        i = starts[a + 1];
        continue;
      }
      int end = Math.min(starts[a + 1], other.starts[b + 1]);
      int x = i - starts[a];
      int y = i - other.starts[b];
      if (!Arrays.equals(chunks[a], x, x + end - i, other.chunks[b], y, y + end - i)) {
        return false;
      }
      i = end;
    }
    return true;
  }

  @Override
  public int hashCode() {
    int h = hash;
    if (h == 0) {
      h = super.hashCode();
      hash = h;
    }
    return h;
  }
}
