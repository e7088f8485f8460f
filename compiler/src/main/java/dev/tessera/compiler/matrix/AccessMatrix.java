package dev.tessera.compiler.matrix;

import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Set;

/**
 * Who may reach what: rows are sources, columns destinations, cells the protocols and ports allowed
 * with the rules that allow them.
 *
 * <p>Built by {@link MatrixBuilder} from compiled filters (node level) and optionally grouped by
 * {@link Grouping}. Only non-empty cells are stored, row by row (each row's columns ascending, in
 * two flat arrays): at 10,000 nodes there are millions of them among a hundred million pairs, and
 * equal cells are one shared {@link Cell}. {@link #cells()} is a read-only map view in row, then
 * column order.
 */
public final class AccessMatrix {
  private final String title;
  private final Grouping.By by;
  private final List<Endpoint> sources;
  private final List<Endpoint> destinations;
  private final List<RuleRef> rules;
  private final List<String> notes;

  /** Row s's cells are at [rowStart[s], rowStart[s + 1]). */
  private final int[] rowStart;

  private final int[] column;
  private final Cell[] cell;

  /**
   * @param title what the matrix is of (policy and inventory names)
   * @param by the row/column grouping
   * @param sources rows
   * @param destinations columns
   * @param rules every acl and grant of the policy; cells refer to them by index
   * @param cells non-empty cells by {@link #key}
   * @param notes caveats the renderers print (synthesized inventory, exit nodes, ...)
   */
  public AccessMatrix(
      String title,
      Grouping.By by,
      List<Endpoint> sources,
      List<Endpoint> destinations,
      List<RuleRef> rules,
      Map<Long, Cell> cells,
      List<String> notes) {
    this(
        title,
        by,
        sources,
        destinations,
        rules,
        notes,
        rows(sources.size(), destinations.size(), cells));
  }

  private record Rows(int[] start, int[] column, Cell[] cell) {}

  private AccessMatrix(
      String title,
      Grouping.By by,
      List<Endpoint> sources,
      List<Endpoint> destinations,
      List<RuleRef> rules,
      List<String> notes,
      Rows rows) {
    this.title = Objects.requireNonNull(title);
    this.by = Objects.requireNonNull(by);
    this.sources = List.copyOf(sources);
    this.destinations = List.copyOf(destinations);
    this.rules = List.copyOf(rules);
    this.notes = List.copyOf(notes);
    this.rowStart = rows.start();
    this.column = rows.column();
    this.cell = rows.cell();
  }

  private static Rows rows(int nRows, int nCols, Map<Long, Cell> cells) {
    long[] keys = new long[cells.size()];
    Cell[] byKey = new Cell[cells.size()];
    int n = 0;
    for (Map.Entry<Long, Cell> e : cells.entrySet()) {
      keys[n] = e.getKey();
      n++;
    }
    Arrays.sort(keys); // keys are non-negative: signed order is row, then column order
    int[] start = new int[nRows + 1];
    int[] col = new int[n];
    for (int i = 0; i < n; i++) {
      int s = (int) (keys[i] >>> 32);
      int d = (int) keys[i];
      if (s < 0 || s >= nRows || d < 0 || d >= nCols) {
        throw new IllegalArgumentException(
            "cell (" + s + ", " + d + ") outside " + nRows + " x " + nCols);
      }
      start[s + 1]++;
      col[i] = d;
      byKey[i] = Objects.requireNonNull(cells.get(keys[i]));
    }
    for (int s = 0; s < nRows; s++) {
      start[s + 1] += start[s];
    }
    return new Rows(start, col, byKey);
  }

  /**
   * A matrix from its rows: row s's cells are {@code column[rowStart[s] .. rowStart[s+1])} with
   * columns ascending and {@code cell} alike (taken, not copied).
   */
  static AccessMatrix ofRows(
      String title,
      Grouping.By by,
      List<Endpoint> sources,
      List<Endpoint> destinations,
      List<RuleRef> rules,
      List<String> notes,
      int[] rowStart,
      int[] column,
      Cell[] cell) {
    return new AccessMatrix(
        title, by, sources, destinations, rules, notes, new Rows(rowStart, column, cell));
  }

  public String title() {
    return title;
  }

  public Grouping.By by() {
    return by;
  }

  public List<Endpoint> sources() {
    return sources;
  }

  public List<Endpoint> destinations() {
    return destinations;
  }

  public List<RuleRef> rules() {
    return rules;
  }

  public List<String> notes() {
    return notes;
  }

  public static long key(int source, int destination) {
    return ((long) source << 32) | (destination & 0xffffffffL);
  }

  /** Number of cells with access. */
  public int cellCount() {
    return column.length;
  }

  /** Number of cells with access in row {@code source}. */
  int rowSize(int source) {
    return rowStart[source + 1] - rowStart[source];
  }

  /** The column of row {@code source}'s k-th cell with access (ascending in k). */
  int columnAt(int source, int k) {
    return column[rowStart[source] + k];
  }

  /** Row {@code source}'s k-th cell with access. */
  Cell cellAt(int source, int k) {
    return cell[rowStart[source] + k];
  }

  /** The cell at row {@code source}, column {@code destination}, or null when no access. */
  Cell cellOrNull(int source, int destination) {
    int i = Arrays.binarySearch(column, rowStart[source], rowStart[source + 1], destination);
    return i < 0 ? null : cell[i];
  }

  /** The cell at row {@code source}, column {@code destination}; empty when no access. */
  public Cell cell(int source, int destination) {
    Cell c = cellOrNull(source, destination);
    return c == null ? new Cell(1, List.of()) : c;
  }

  /** The non-empty cells by {@link #key}, in row then column order (a read-only view). */
  public Map<Long, Cell> cells() {
    return view;
  }

  /** Rules that appear in at least one cell. */
  boolean[] rulesInUse() {
    boolean[] used = new boolean[rules.size()];
    // The builder shares equal cells within a column: look at each object once.
    Set<Cell> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    for (Cell c : cell) {
      if (seen.add(c)) {
        for (int r : c.ruleIndexes()) {
          used[r] = true;
        }
      }
    }
    return used;
  }

  private final Map<Long, Cell> view =
      new AbstractMap<>() {
        @Override
        public int size() {
          return column.length;
        }

        @Override
        public Cell get(Object key) {
          if (!(key instanceof Long k)) {
            return null;
          }
          int s = (int) (k >>> 32);
          int d = (int) (long) k;
          return s < 0 || s >= sources.size() || k < 0 ? null : cellOrNull(s, d);
        }

        @Override
        public boolean containsKey(Object key) {
          return get(key) != null;
        }

        @Override
        public Set<Entry<Long, Cell>> entrySet() {
          return new AbstractSet<>() {
            @Override
            public int size() {
              return column.length;
            }

            @Override
            public Iterator<Entry<Long, Cell>> iterator() {
              return new Iterator<>() {
                int i;
                int row;

                @Override
                public boolean hasNext() {
                  return i < column.length;
                }

                @Override
                public Entry<Long, Cell> next() {
                  if (i >= column.length) {
                    throw new NoSuchElementException();
                  }
                  while (rowStart[row + 1] <= i) {
                    row++;
                  }
                  Entry<Long, Cell> e = Map.entry(key(row, column[i]), cell[i]);
                  i++;
                  return e;
                }
              };
            }
          };
        }
      };
}
