package dev.tessera.compiler.diff;

import dev.tessera.compiler.inventory.InventoryNode;
import dev.tessera.compiler.matrix.Endpoint;
import dev.tessera.compiler.matrix.NaturalOrder;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Says who a set of devices is in the policy's words: the principals (every device, autogroups,
 * groups, tags, users) whose devices are exactly covered, then "k of n devices of" a principal for
 * most of the rest, then the remaining devices by name. A change that cuts {@code
 * group:contractors} off {@code tag:db} reads as that, not as three laptops and a server.
 *
 * <p>Membership follows Tailscale's identity rules on the inventory: a tagged device belongs to its
 * tags only; a user, a group and {@code autogroup:member} stand for untagged devices.
 */
final class Principals {
  /** Principal name -> device (node) names, in rank order. */
  private final Map<String, Set<String>> members = new LinkedHashMap<>();

  /**
   * @param groupsOf the policy groups of a user ({@code group:NAME})
   */
  Principals(
      List<InventoryNode> nodes, java.util.function.Function<String, List<String>> groupsOf) {
    Map<String, Set<String>> groups = new java.util.TreeMap<>(NaturalOrder.INSTANCE);
    Map<String, Set<String>> tags = new java.util.TreeMap<>(NaturalOrder.INSTANCE);
    Map<String, Set<String>> users = new java.util.TreeMap<>(NaturalOrder.INSTANCE);
    Set<String> all = new HashSet<>();
    Set<String> member = new HashSet<>();
    Set<String> tagged = new HashSet<>();
    for (InventoryNode n : nodes) {
      all.add(n.name());
      if (!n.tags().isEmpty()) {
        tagged.add(n.name());
        n.tags().forEach(t -> tags.computeIfAbsent(t, k -> new HashSet<>()).add(n.name()));
        continue;
      }
      member.add(n.name());
      n.owner()
          .ifPresent(
              u -> {
                users.computeIfAbsent(u, k -> new HashSet<>()).add(n.name());
                groupsOf
                    .apply(u)
                    .forEach(g -> groups.computeIfAbsent(g, k -> new HashSet<>()).add(n.name()));
              });
    }
    members.put("*", all);
    members.put("autogroup:member", member);
    members.put("autogroup:tagged", tagged);
    members.putAll(groups);
    members.putAll(tags);
    members.putAll(users);
    members.values().removeIf(Set::isEmpty);
  }

  /** The endpoints in principals' words, most devices first; non-device endpoints by label. */
  List<String> describe(List<Endpoint> endpoints) {
    return describe(endpoints, Set.of());
  }

  /**
   * As {@link #describe(List)}; among principals that would say the same, the ones in {@code
   * preferred} (the names the rules behind a change use) come first, then groups, tags and users
   * before autogroups and {@code *}.
   */
  List<String> describe(List<Endpoint> endpoints, Set<String> preferred) {
    Set<String> devices = new HashSet<>();
    List<String> others = new ArrayList<>();
    for (Endpoint e : endpoints) {
      if (e.kind() == Endpoint.Kind.NODE) {
        devices.add(e.id());
      } else {
        others.add(e.label());
      }
    }
    Set<String> left = new HashSet<>(devices);
    List<String> out = new ArrayList<>();
    // Principals of two devices or more that the set holds whole, greedily by devices newly
    // covered.
    exact(devices, left, 2, preferred, out);
    // Most of a principal: "4 of 5 devices of group:ops", the most specific first among equals.
    while (left.size() >= 2) {
      String best = null;
      int bestNew = 1;
      for (Map.Entry<String, Set<String>> p : members.entrySet()) {
        if (p.getKey().equals("*") || p.getKey().startsWith("autogroup:")) {
          continue;
        }
        int fresh = overlap(p.getValue(), left);
        if (fresh > bestNew
            || (fresh == bestNew
                && best != null
                && (p.getValue().size() < members.get(best).size()
                    || (p.getValue().size() == members.get(best).size()
                        && rank(p.getKey(), preferred) < rank(best, preferred))))) {
          best = p.getKey();
          bestNew = fresh;
        }
      }
      if (best == null) {
        break;
      }
      Set<String> of = members.get(best);
      out.add(overlap(of, devices) + " of " + of.size() + " devices of " + best);
      left.removeAll(of);
    }
    // A device that is all of a principal (a user's only device) is named by the principal.
    exact(devices, left, 1, preferred, out);
    TreeSet<String> rest = new TreeSet<>(NaturalOrder.INSTANCE);
    rest.addAll(left);
    out.addAll(rest);
    others.sort(NaturalOrder.INSTANCE);
    out.addAll(others);
    return out;
  }

  /**
   * Adds principals of at least {@code min} devices, all in {@code devices}, greedily by devices
   * left.
   */
  private void exact(
      Set<String> devices, Set<String> left, int min, Set<String> preferred, List<String> out) {
    while (!left.isEmpty()) {
      String best = null;
      int bestNew = 0;
      for (Map.Entry<String, Set<String>> p : members.entrySet()) {
        if (p.getValue().size() < min || !devices.containsAll(p.getValue())) {
          continue;
        }
        int fresh = overlap(p.getValue(), left);
        if (fresh > bestNew
            || (fresh == bestNew
                && fresh > 0
                && rank(p.getKey(), preferred) < rank(best, preferred))) {
          best = p.getKey();
          bestNew = fresh;
        }
      }
      if (best == null) {
        return;
      }
      out.add(best);
      left.removeAll(members.get(best));
    }
  }

  /** Tie-break among principals: the preferred, then named ones, then autogroups and {@code *}. */
  private static int rank(String principal, Set<String> preferred) {
    if (preferred.contains(principal)) {
      return 0;
    }
    return principal.equals("*") || principal.startsWith("autogroup:") ? 2 : 1;
  }

  private static int overlap(Set<String> a, Set<String> b) {
    int n = 0;
    for (String x : a.size() <= b.size() ? a : b) {
      if ((a.size() <= b.size() ? b : a).contains(x)) {
        n++;
      }
    }
    return n;
  }

  /** Devices in the natural order of their names: laptop-2 before laptop-10. */
  static final Comparator<Endpoint> DEVICE_ORDER =
      Comparator.comparingInt(
              (Endpoint e) ->
                  e.kind() == Endpoint.Kind.NODE ? 0 : e.kind() == Endpoint.Kind.SUBNET ? 1 : 2)
          .thenComparing(Endpoint::label, NaturalOrder.INSTANCE)
          .thenComparing(Endpoint::id);
}
