package dev.tessera.compiler.matrix;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Groups a node-level matrix by user, group or tag.
 *
 * <p>A grouped cell is the union of its members' cells, and every segment keeps how many (source
 * member, destination member) pairs have it, so "group:ops -> tag:db tcp 5432 (4/5)" shows that a
 * posture check leaves one laptop out instead of claiming the whole group. Membership follows
 * Tailscale's identity rules: a tagged node has no user identity, so under every grouping it is
 * listed under its tags; a node with several tags (or a user in several groups) is a member of
 * each.
 */
public final class Grouping {

  /** How rows and columns are grouped ({@code --by}). */
  public enum By {
    /** One row/column per node (no grouping). */
    NODE,
    /** Untagged nodes by owner; tagged nodes by tag. */
    USER,
    /**
     * Untagged nodes by each policy group of their owner (owner login when in none); tagged by tag.
     */
    GROUP,
    /** Tagged nodes by each tag; all untagged nodes together as autogroup:member. */
    TAG
  }

  private Grouping() {}

  /** The group keys of an endpoint under {@code by}: {id, label, rank} triples. */
  static List<String[]> keys(Endpoint e, By by) {
    if (e.kind() != Endpoint.Kind.NODE || by == By.NODE) {
      return List.<String[]>of(new String[] {e.id(), e.label(), "9"});
    }
    List<String[]> out = new ArrayList<>();
    if (e.tagged()) {
      for (String t : e.tags()) {
        out.add(new String[] {t, t, "3"});
      }
      return out;
    }
    switch (by) {
      case USER -> out.add(new String[] {"user:" + e.user(), e.user(), "0"});
      case GROUP -> {
        for (String g : e.groups()) {
          out.add(new String[] {g, g, "1"});
        }
        if (out.isEmpty()) {
          out.add(new String[] {"user:" + e.user(), e.user(), "0"});
        }
      }
      case TAG -> out.add(new String[] {"autogroup:member", "autogroup:member", "2"});
      case NODE -> throw new AssertionError();
    }
    return out;
  }

  /** Groups a node-level matrix; returns it unchanged for {@link By#NODE}. */
  public static AccessMatrix apply(AccessMatrix m, By by) {
    if (by == By.NODE) {
      return m;
    }
    if (m.by() != By.NODE) {
      throw new IllegalArgumentException("matrix is already grouped by " + m.by());
    }
    GroupIndex rows = new GroupIndex(m.sources(), by);
    GroupIndex cols = new GroupIndex(m.destinations(), by);
    Map<Long, List<int[]>> pieces = new java.util.TreeMap<>();
    m.cells()
        .forEach(
            (key, cell) -> {
              int s = (int) (key >>> 32);
              int d = (int) (long) key;
              for (int gr : rows.groupsOf[s]) {
                for (int gc : cols.groupsOf[d]) {
                  List<int[]> list =
                      pieces.computeIfAbsent(AccessMatrix.key(gr, gc), k -> new ArrayList<>());
                  for (Cell.ProtoPorts pp : cell.protocols()) {
                    for (Segment seg : pp.segments()) {
                      int[] rules = seg.rules();
                      int[] p = new int[4 + rules.length];
                      p[0] = pp.proto();
                      p[1] = seg.first();
                      p[2] = seg.last();
                      p[3] = seg.pairs();
                      System.arraycopy(rules, 0, p, 4, rules.length);
                      list.add(p);
                    }
                  }
                }
              }
            });
    Map<Long, Cell> cells = new java.util.TreeMap<>();
    pieces.forEach(
        (key, list) -> {
          int gr = (int) (key >>> 32);
          int gc = (int) (long) key;
          int total =
              rows.endpoints.get(gr).members().size() * cols.endpoints.get(gc).members().size();
          cells.put(key, Cell.combine(total, list, true));
        });
    return new AccessMatrix(
        m.title(), by, rows.endpoints, cols.endpoints, m.rules(), cells, m.notes());
  }

  /** Group endpoints of one axis and, per original endpoint, the groups it belongs to. */
  private static final class GroupIndex {
    final List<Endpoint> endpoints = new ArrayList<>();
    final int[][] groupsOf;

    GroupIndex(List<Endpoint> axis, By by) {
      Map<String, String[]> meta = new LinkedHashMap<>();
      Map<String, List<String>> members = new LinkedHashMap<>();
      Map<String, Endpoint> singles = new HashMap<>();
      for (Endpoint e : axis) {
        for (String[] k : keys(e, by)) {
          meta.putIfAbsent(k[0], k);
          members.computeIfAbsent(k[0], x -> new ArrayList<>()).add(e.id());
          if (e.kind() != Endpoint.Kind.NODE) {
            singles.put(k[0], e);
          }
        }
      }
      List<String> ids = new ArrayList<>(meta.keySet());
      ids.sort(
          Comparator.comparing((String id) -> meta.get(id)[2])
              .thenComparing(
                  id -> singles.containsKey(id) ? singles.get(id) : null,
                  Comparator.nullsFirst(MatrixBuilder.ENDPOINT_ORDER))
              .thenComparing(id -> meta.get(id)[1]));
      Map<String, Integer> pos = new HashMap<>();
      for (String id : ids) {
        pos.put(id, endpoints.size());
        Endpoint single = singles.get(id);
        if (single != null) {
          // Subnets and external sources stand for themselves; keep them as they are but
          // record the member so pair counts stay right.
          endpoints.add(
              new Endpoint(
                  single.id(),
                  single.label(),
                  single.kind(),
                  single.user(),
                  single.tags(),
                  single.groups(),
                  single.addresses(),
                  single.via(),
                  List.of(single.id())));
        } else {
          String[] k = meta.get(id);
          endpoints.add(
              new Endpoint(
                  id,
                  k[1],
                  Endpoint.Kind.GROUP,
                  "",
                  List.of(),
                  List.of(),
                  List.of(),
                  "",
                  members.get(id)));
        }
      }
      groupsOf = new int[axis.size()][];
      for (int i = 0; i < axis.size(); i++) {
        groupsOf[i] = keys(axis.get(i), by).stream().mapToInt(k -> pos.get(k[0])).toArray();
      }
    }
  }
}
