package dev.tessera.compiler.lint;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.compiler.inventory.InventoryNode;
import dev.tessera.compiler.matrix.Acme;
import dev.tessera.compiler.matrix.CompiledNetwork;
import dev.tessera.compiler.matrix.RuleRef;
import dev.tessera.enforcer.Access;
import dev.tessera.enforcer.MatchResult;
import dev.tessera.enforcer.Matcher;
import dev.tessera.enforcer.Reachability;
import dev.tessera.enforcer.format.CompiledFilter;
import dev.tessera.enforcer.format.FilterRule;
import dev.tessera.net.IpAddress;
import dev.tessera.policy.diag.Diagnostic;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Differential test of lint's rule findings against the enforcer's {@link Matcher}, asked with
 * probe packets between every pair of devices (every protocol and every port where either filter's
 * access changes, plus common ports):
 *
 * <ul>
 *   <li>removing every rule lint reports (shadowed, grants nothing) from the compiled filters
 *       changes no Matcher verdict;
 *   <li>no admitted probe is granted by a rule reported as granting nothing ({@link
 *       Matcher#explain});
 *   <li>every rule lint keeps that grants something is needed: removing it as well changes some
 *       verdict (lint misses no shadowed rule).
 * </ul>
 *
 * The cases are {@link LinterTest}'s table and the acme example.
 */
class LintMatcherAgreementTest {
  private static final int[] PROTOCOLS = {1, 6, 17, 58, 132};
  private static final int[] PORTS = {0, 1, 22, 80, 443, 5432, 8080, 65535};

  static Stream<Arguments> cases() {
    return LinterTest.cases().map(a -> Arguments.of(a.get()[0], a.get()[1], a.get()[2]));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void lintAgreesWithMatcher(String name, String policy, String inventory) {
    Acme.Compiled c = Acme.compile("p.hujson", policy, inventory);
    check(c, LinterTest.run(policy, inventory));
  }

  @Test
  void acmeAgreesWithMatcher() {
    Acme.Compiled c = Acme.acme();
    Map<String, Integer> tagged = new TreeMap<>();
    for (InventoryNode n : c.inventory().nodes()) {
      n.tags().forEach(t -> tagged.merge(t, 1, Integer::sum));
    }
    check(c, Linter.lint(c.index(), c.matrix(), tagged, c.network()::emptyReason));
  }

  /** The table has both kinds of rule finding, so the checks above are not vacuous. */
  @Test
  void tableReportsBothKindsOfRuleFinding() {
    Set<String> codes = new HashSet<>();
    cases()
        .forEach(
            a ->
                LinterTest.run((String) a.get()[1], (String) a.get()[2])
                    .forEach(d -> codes.add(d.code())));
    assertThat(codes).contains(LintCodes.SHADOWED_RULE, LintCodes.RULE_GRANTS_NOTHING);
  }

  private static void check(Acme.Compiled c, List<Diagnostic> findings) {
    CompiledNetwork net = c.network();
    List<RuleRef> rules = net.rules();
    Set<Integer> reported = new TreeSet<>();
    Set<Integer> grantsNothing = new TreeSet<>();
    for (Diagnostic d : findings) {
      boolean shadowed = d.code().equals(LintCodes.SHADOWED_RULE);
      if (!shadowed && !d.code().equals(LintCodes.RULE_GRANTS_NOTHING)) {
        continue;
      }
      String path = d.message().substring(0, d.message().indexOf(' '));
      int r = indexOf(rules, path);
      assertThat(r).as("rule %s of finding %s", path, d).isNotNegative();
      reported.add(r);
      if (!shadowed) {
        grantsNothing.add(r);
      }
    }
    List<IpAddress> devices = new ArrayList<>();
    net.nodes().forEach(n -> devices.addAll(n.ips()));
    int nodes = net.nodes().size();

    List<Matcher> original = matchers(net, Set.of());
    List<Matcher> pruned = matchers(net, reported);
    Set<Integer> granting = new TreeSet<>();
    for (int d = 0; d < nodes; d++) {
      Matcher m = original.get(d);
      Matcher p = pruned.get(d);
      for (IpAddress dst : net.nodes().get(d).ips()) {
        for (IpAddress src : devices) {
          if (src.ipv6() != dst.ipv6()) {
            continue;
          }
          for (long probe : probes(List.of(m, p), src, dst)) {
            int proto = (int) (probe >>> 32);
            int port = (int) probe;
            MatchResult before = m.explain(src, dst, proto, port);
            assertThat(p.allows(src, dst, proto, port))
                .as(
                    "%s -> %s proto %d port %d after removing %s",
                    src, dst, proto, port, paths(rules, reported))
                .isEqualTo(before.allowed());
            for (var o : before.origins()) {
              int r = net.ruleIndex(o);
              assertThat(grantsNothing)
                  .as("%s -> %s proto %d port %d is granted by %s", src, dst, proto, port, o)
                  .doesNotContain(r);
              granting.add(r);
            }
          }
        }
      }
    }
    // Every kept rule that grants something is needed.
    for (int r : granting) {
      if (reported.contains(r)) {
        continue;
      }
      Set<Integer> without = new HashSet<>(reported);
      without.add(r);
      assertThat(changesSomething(net, pruned, matchers(net, without), devices))
          .as("%s is kept by lint, so removing it must change access", rules.get(r).path())
          .isTrue();
    }
  }

  private static boolean changesSomething(
      CompiledNetwork net, List<Matcher> a, List<Matcher> b, List<IpAddress> devices) {
    for (int d = 0; d < a.size(); d++) {
      for (IpAddress dst : net.nodes().get(d).ips()) {
        for (IpAddress src : devices) {
          if (src.ipv6() != dst.ipv6()) {
            continue;
          }
          for (long probe : probes(List.of(a.get(d), b.get(d)), src, dst)) {
            int proto = (int) (probe >>> 32);
            int port = (int) probe;
            if (a.get(d).allows(src, dst, proto, port) != b.get(d).allows(src, dst, proto, port)) {
              return true;
            }
          }
        }
      }
    }
    return false;
  }

  /**
   * (protocol, port) probes: every protocol and port at which any of the matchers' access from
   * {@code src} to {@code dst} starts or ends (access is constant between them), plus common ones.
   */
  private static Set<Long> probes(List<Matcher> matchers, IpAddress src, IpAddress dst) {
    Set<Long> out = new TreeSet<>();
    Set<Integer> protos = new TreeSet<>();
    for (int p : PROTOCOLS) {
      protos.add(p);
    }
    for (Matcher m : matchers) {
      for (Access a : Reachability.of(m).to(dst).accessFrom(src)) {
        protos.add(a.protocol());
        out.add(probe(a.protocol(), a.firstPort()));
        if (a.lastPort() < 65535) {
          out.add(probe(a.protocol(), a.lastPort() + 1));
        }
        out.add(probe(a.protocol(), a.lastPort()));
      }
    }
    for (int proto : protos) {
      for (int port : PORTS) {
        out.add(probe(proto, port));
      }
    }
    return out;
  }

  private static long probe(int proto, int port) {
    return (long) proto << 32 | port;
  }

  /** Each node's Matcher over its compiled filter without the rules of {@code removed}. */
  private static List<Matcher> matchers(CompiledNetwork net, Set<Integer> removed) {
    List<Matcher> out = new ArrayList<>();
    for (int d = 0; d < net.nodes().size(); d++) {
      CompiledFilter f = net.filter(d);
      List<FilterRule> kept =
          f.rules().stream().filter(r -> !removed.contains(net.ruleIndex(r.origin()))).toList();
      out.add(
          Matcher.of(
              CompiledFilter.of(f.node(), f.nodeAddresses(), kept, f.peers(), f.capGrants())));
    }
    return out;
  }

  private static int indexOf(List<RuleRef> rules, String path) {
    for (int i = 0; i < rules.size(); i++) {
      if (rules.get(i).path().equals(path)) {
        return i;
      }
    }
    return -1;
  }

  private static List<String> paths(List<RuleRef> rules, Set<Integer> idx) {
    return idx.stream().map(i -> rules.get(i).path()).toList();
  }
}
