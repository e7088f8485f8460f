package dev.tessera.compiler.matrix;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Who may reach what: rows are sources, columns destinations, cells the protocols and ports
 * allowed with the rules that allow them.
 *
 * <p>Built by {@link MatrixBuilder} from compiled filters (node level) and optionally grouped
 * by {@link Grouping}. Only non-empty cells are stored, keyed by {@link #key(int, int)}: at
 * 1000 nodes most of the million cells are empty. Iteration is in row, then column order.
 *
 * @param title what the matrix is of (policy and inventory names)
 * @param by the row/column grouping
 * @param sources rows
 * @param destinations columns
 * @param rules every acl and grant of the policy; cells refer to them by index
 * @param cells non-empty cells by {@link #key}
 * @param notes caveats the renderers print (synthesized inventory, exit nodes, ...)
 */
public record AccessMatrix(
    String title,
    Grouping.By by,
    List<Endpoint> sources,
    List<Endpoint> destinations,
    List<RuleOrigin> rules,
    Map<Long, Cell> cells,
    List<String> notes) {

  public AccessMatrix {
    Objects.requireNonNull(title);
    Objects.requireNonNull(by);
    sources = List.copyOf(sources);
    destinations = List.copyOf(destinations);
    rules = List.copyOf(rules);
    // Sorted by (row, column), and not Map.copyOf: Long.hashCode of (row << 32 | column) is
    // row ^ column, which collides massively and makes hash tables crawl at 1000 x 1000.
    cells = java.util.Collections.unmodifiableSortedMap(new java.util.TreeMap<>(cells));
    notes = List.copyOf(notes);
  }

  public static long key(int source, int destination) {
    return ((long) source << 32) | (destination & 0xffffffffL);
  }

  /** The cell at row {@code source}, column {@code destination}; empty when no access. */
  public Cell cell(int source, int destination) {
    Cell c = cells.get(key(source, destination));
    return c == null ? new Cell(1, List.of()) : c;
  }

  /** Rules that appear in at least one cell, ascending. */
  public boolean[] rulesInUse() {
    boolean[] used = new boolean[rules.size()];
    for (Cell c : cells.values()) {
      for (int r : c.ruleIndexes()) {
        used[r] = true;
      }
    }
    return used;
  }
}
