package dev.tessera.compiler.lint;

import dev.tessera.compiler.matrix.AccessMatrix;
import dev.tessera.compiler.matrix.Cell;
import dev.tessera.compiler.matrix.PolicyIndex;
import dev.tessera.compiler.matrix.RuleRef;
import dev.tessera.compiler.matrix.Segment;
import dev.tessera.policy.diag.Diagnostic;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Finds rules and definitions that do nothing.
 *
 * <p>Rule checks read the node-level access matrix, i.e. the compiled filters with their
 * provenance, so "shadowed" and "grants nothing" are facts about what the enforcer would allow on
 * this inventory, not guesses from the policy text:
 *
 * <ul>
 *   <li><b>shadowed-rule</b>: every (source, destination, protocol, port) the rule allows is also
 *       allowed by another rule that stays. Rules are considered from the last to the first, and a
 *       rule found shadowed is set aside before earlier rules are checked, so of two identical
 *       rules the later one is reported, and removing every reported rule keeps access exactly the
 *       same.
 *   <li><b>rule-grants-nothing</b>: the rule compiled to no access at all: no device in its sources
 *       (or none passes its posture), or no device or route among its destinations. Grants whose
 *       only destination is {@code autogroup:internet} (exit-node use, enforced by routes, not
 *       filters) and app-only grants (capabilities) are not checked.
 * </ul>
 *
 * Definition checks read the policy: a tag in {@code tagOwners}, a group or a host alias that no
 * rule, ssh rule, auto-approver, nodeAttr, test, ipset or tag owner list mentions.
 *
 * <p>Findings are warnings with the location of the rule or definition and a suggestion.
 */
public final class Linter {
  private Linter() {}

  /**
   * @param index the policy's rules and definitions
   * @param matrix the node-level matrix of the compiled policy (its rules in index order)
   * @param taggedDevices per tag (full name), devices carrying it in the inventory, or null when
   *     the inventory was synthesized
   */
  public static List<Diagnostic> lint(
      PolicyIndex index, AccessMatrix matrix, Map<String, Integer> taggedDevices) {
    return lint(index, matrix, taggedDevices, r -> java.util.Optional.empty());
  }

  /**
   * As above, with the compiler's wording of why a rule allows nothing ({@link
   * dev.tessera.compiler.matrix.CompiledNetwork#emptyReason}).
   */
  public static List<Diagnostic> lint(
      PolicyIndex index,
      AccessMatrix matrix,
      Map<String, Integer> taggedDevices,
      java.util.function.Function<RuleRef, java.util.Optional<String>> emptyReason) {
    List<Diagnostic> out = new ArrayList<>();
    rules(index, matrix, taggedDevices != null, emptyReason, out);
    definitions(index, taggedDevices, out);
    out.sort(null);
    return out;
  }

  private static void rules(
      PolicyIndex index,
      AccessMatrix m,
      boolean realInventory,
      java.util.function.Function<RuleRef, java.util.Optional<String>> emptyReason,
      List<Diagnostic> out) {
    List<RuleRef> rules = m.rules();
    List<PolicyIndex.RuleInfo> infos = index.rules();
    @SuppressWarnings({"unchecked", "rawtypes"})
    List<Segment>[] segs = new List[rules.size()];
    for (int r = 0; r < segs.length; r++) {
      segs[r] = new ArrayList<>();
    }
    for (Cell c : m.cells().values()) {
      for (Cell.ProtoPorts pp : c.protocols()) {
        for (Segment s : pp.segments()) {
          for (int r : s.rules()) {
            segs[r].add(s);
          }
        }
      }
    }
    boolean[] removed = new boolean[rules.size()];
    for (int r = rules.size() - 1; r >= 0; r--) {
      if (r >= infos.size()) {
        continue; // a compiled rule with no acl/grant behind it: nothing to point the user at
      }
      PolicyIndex.RuleInfo info = infos.get(r);
      if (segs[r].isEmpty()) {
        if (info.internetOnly() || info.appOnly()) {
          continue;
        }
        out.add(
            Diagnostic.warning(
                LintCodes.RULE_GRANTS_NOTHING,
                rules.get(r).path()
                    + " grants nothing"
                    + (realInventory ? " for this inventory" : " (on the synthesized inventory)")
                    + ": "
                    + emptyReason
                        .apply(rules.get(r))
                        .orElse(
                            "no device in its sources reaches any device or route in its destinations"),
                info.span(),
                "check that its users, groups and tags have devices and that those pass its srcPosture; "
                    + "otherwise remove the rule"));
        removed[r] = true;
        continue;
      }
      Set<Integer> coveredBy = new TreeSet<>();
      boolean shadowed = true;
      for (Segment s : segs[r]) {
        int cover = -1;
        for (int o : s.rules()) {
          if (o != r && !removed[o]) {
            cover = o;
            break;
          }
        }
        if (cover < 0) {
          shadowed = false;
          break;
        }
        coveredBy.add(cover);
      }
      if (shadowed) {
        removed[r] = true;
        List<String> by = new ArrayList<>();
        for (int o : coveredBy) {
          by.add(rules.get(o).path() + " (" + rules.get(o).location() + ")");
        }
        out.add(
            Diagnostic.warning(
                LintCodes.SHADOWED_RULE,
                rules.get(r).path()
                    + " is shadowed: everything it allows is already allowed by "
                    + String.join(", ", by),
                info.span(),
                "remove it, or narrow the other rule"
                    + (by.size() > 1 ? "s" : "")
                    + " if this one states the intent better"));
      }
    }
  }

  private static void definitions(
      PolicyIndex index, Map<String, Integer> taggedDevices, List<Diagnostic> out) {
    Map<String, List<String>> uses = index.uses();
    Set<String> seen = new HashSet<>();
    for (PolicyIndex.Definition d : index.definitions().values()) {
      if (!seen.add(d.name()) || uses.containsKey(d.name())) {
        continue;
      }
      switch (d.kind()) {
        case "tag" -> {
          Integer devices = taggedDevices == null ? null : taggedDevices.getOrDefault(d.name(), 0);
          String carried =
              devices == null
                  ? ""
                  : devices == 0
                      ? "; no device carries it"
                      : "; "
                          + devices
                          + (devices == 1
                              ? " device carries it and accepts"
                              : " devices carry it and accept")
                          + " no traffic from any rule";
          out.add(
              Diagnostic.warning(
                  LintCodes.UNUSED_TAG,
                  d.name()
                      + " is owned in tagOwners but no rule, ssh rule or auto-approver uses it"
                      + carried,
                  d.span(),
                  "remove it from tagOwners, or write the rules its devices need"));
        }
        case "group" ->
            out.add(
                Diagnostic.warning(
                    LintCodes.UNUSED_GROUP,
                    d.name() + " is defined but never used",
                    d.span(),
                    "remove the group, or use it in a rule (groups grant nothing by themselves)"));
        case "host" ->
            out.add(
                Diagnostic.warning(
                    LintCodes.UNUSED_HOST,
                    "host alias " + d.name() + " is defined but never used",
                    d.span(),
                    "remove it from hosts, or use it in a rule"));
        default -> {
          // ipsets and postures: not part of the checks.
        }
      }
    }
  }
}
