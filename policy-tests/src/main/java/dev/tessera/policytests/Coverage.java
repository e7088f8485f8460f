package dev.tessera.policytests;

import dev.tessera.enforcer.format.RuleOrigin;
import dev.tessera.policy.ast.Acl;
import dev.tessera.policy.ast.AutoGroup;
import dev.tessera.policy.ast.Grant;
import dev.tessera.policy.ast.Policy;
import dev.tessera.policy.ast.Selector;
import dev.tessera.policy.ast.SourceSpan;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Rule coverage: for every acl and grant, how many assertions it granted.
 *
 * <p>An assertion <em>exercises</em> a rule when the enforcer's Matcher names that rule among those
 * that allowed one of the assertion's flows (a passing accept, or a failing deny). Rules that can
 * never appear in a packet filter are listed but left out of the percentage: a grant with only
 * {@code app} capabilities, and rules whose every destination is {@code autogroup:internet}
 * (exit-node use is enforced by routes, not by a filter rule, as in Tailscale; and {@code
 * autogroup:internet} is not a valid test destination).
 *
 * @param rules every acl then every grant, in policy order
 */
public record Coverage(List<Entry> rules) {

  public Coverage {
    rules = List.copyOf(rules);
  }

  /**
   * One acl or grant.
   *
   * @param kind {@code acl} or {@code grant} (the enforcer's {@link RuleOrigin} kinds)
   * @param index 0-based index within its section
   * @param testable false when no test can ever exercise it (see class comment)
   * @param hits number of assertions that it granted
   */
  public record Entry(String kind, int index, SourceSpan span, boolean testable, int hits) {
    /** {@code acls[3]} or {@code grants[0]}. */
    public String path() {
      return (kind.equals(RuleOrigin.ACL) ? "acls" : "grants") + "[" + index + "]";
    }
  }

  /** Counts hits from the outcomes of a run. */
  public static Coverage of(Policy policy, List<Outcome> outcomes) {
    Map<String, Integer> hits = new HashMap<>();
    for (Outcome o : outcomes) {
      List<RuleOrigin> rules =
          switch (o) {
            case Outcome.Passed p -> p.rules();
            case Outcome.Failed f -> f.rules();
            case Outcome.Undetermined u -> List.of();
            case Outcome.Invalid i -> List.of();
          };
      Set<String> seen = new HashSet<>();
      for (RuleOrigin r : rules) {
        String key = r.kind() + "#" + r.index();
        if (seen.add(key)) {
          hits.merge(key, 1, Integer::sum);
        }
      }
    }
    List<Entry> out = new ArrayList<>();
    for (int i = 0; i < policy.acls().size(); i++) {
      Acl a = policy.acls().get(i);
      boolean testable = a.dst().stream().anyMatch(d -> !isInternet(d.target()));
      out.add(
          new Entry(
              RuleOrigin.ACL,
              i,
              a.span(),
              testable,
              hits.getOrDefault(RuleOrigin.ACL + "#" + i, 0)));
    }
    for (int i = 0; i < policy.grants().size(); i++) {
      Grant g = policy.grants().get(i);
      boolean testable = !g.ip().isEmpty() && g.dst().stream().anyMatch(d -> !isInternet(d));
      out.add(
          new Entry(
              RuleOrigin.GRANT,
              i,
              g.span(),
              testable,
              hits.getOrDefault(RuleOrigin.GRANT + "#" + i, 0)));
    }
    return new Coverage(out);
  }

  private static boolean isInternet(Selector s) {
    return s instanceof Selector.Auto a && a.group() == AutoGroup.INTERNET;
  }

  public int testableCount() {
    return (int) rules.stream().filter(Entry::testable).count();
  }

  public int coveredCount() {
    return (int) rules.stream().filter(e -> e.testable() && e.hits() > 0).count();
  }

  /** Covered testable rules in percent; 100 when there is nothing to cover. */
  public double percent() {
    int t = testableCount();
    return t == 0 ? 100.0 : 100.0 * coveredCount() / t;
  }

  public List<Entry> uncovered() {
    return rules.stream().filter(e -> e.testable() && e.hits() == 0).toList();
  }
}
