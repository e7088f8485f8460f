package dev.tessera.policytests;

import dev.tessera.compiler.inventory.InventoryNode;
import dev.tessera.compiler.ir.Clause;
import dev.tessera.compiler.ir.Destination;
import dev.tessera.compiler.ir.ResolvedRule;
import dev.tessera.enforcer.MatchResult;
import dev.tessera.enforcer.format.RuleOrigin;
import dev.tessera.net.IpAddress;
import dev.tessera.net.IpProtocol;
import dev.tessera.policy.ast.PortRange;
import dev.tessera.policy.ast.PostureRef;
import dev.tessera.policy.ast.Selector;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.ToIntFunction;
import java.util.stream.Collectors;

/**
 * {@code policyc explain}: is a flow from S to D allowed, by which rules, and if not, which rule
 * came closest and why it did not apply.
 *
 * <p>Design note: the verdict is the enforcer's — each (source address, destination address) pair
 * of the same family is put through the Matcher of the device that enforces the destination,
 * exactly as {@link Evaluator} does for tests (every source address must get through; any
 * destination device will do). Only the <em>why not</em> uses the compiler's resolved rules ({@link
 * ResolvedRule}: selected sources, posture outcome, clauses), to name the dimension that failed:
 * source not a member, posture failed, destination not covered, protocol differs, port outside the
 * range. The closest rule is the one with the smallest weighted miss: a source that is not a member
 * or a destination the rule does not name weigh 2 (the rule is about other endpoints), a failed
 * posture, another protocol or a port outside the range weigh 1 (the rule is about this flow but
 * narrower); policy order breaks ties.
 *
 * <p>{@code proto} is the packet's protocol: {@code icmp} is ICMP for IPv4 and ICMPv6 for IPv6
 * pairs, and ICMP ignores ports, as the agent does.
 */
public final class Explainer {

  /** One flow that was tried. */
  /**
   * @param enforcer the device whose filter decided (null: a stand-in, or nobody)
   * @param through how the packet gets there when the enforcer does not own {@code dst}: {@code
   *     "exit node"} or {@code "subnet router"}; null otherwise
   */
  public record Pair(
      IpAddress src,
      String srcDevice,
      IpAddress dst,
      String enforcer,
      String through,
      boolean allowed,
      List<RuleOrigin> rules) {
    public Pair {
      rules = List.copyOf(rules);
    }
  }

  /**
   * The answer.
   *
   * @param rules the rules that allowed the flow (empty when denied)
   * @param closest when denied, the rule that came closest, if the policy has any packet rule
   * @param reason one line: what allowed it, or the closest rule and why it did not apply
   */
  public record Explanation(
      boolean allowed,
      List<RuleOrigin> rules,
      Optional<RuleOrigin> closest,
      String reason,
      List<Pair> pairs) {
    public Explanation {
      rules = List.copyOf(rules);
      pairs = List.copyOf(pairs);
    }
  }

  private final Evaluator evaluator;
  private final List<ResolvedRule> rules;
  private final ToIntFunction<String> nodeId;

  /**
   * @param rules the compiler's resolved rules, in policy order
   * @param nodeId the compiler's id of a node name (index into the rules' node bit sets), or -1
   */
  Explainer(Evaluator evaluator, List<ResolvedRule> rules, ToIntFunction<String> nodeId) {
    this.evaluator = evaluator;
    this.rules = List.copyOf(rules);
    this.nodeId = nodeId;
  }

  /**
   * Explains src -> dst:port over {@code proto}.
   *
   * @throws Evaluator.Unresolvable when src or dst names nothing with addresses
   */
  Explanation explain(TestTarget src, TestTarget dst, int proto, int port)
      throws Evaluator.Unresolvable {
    List<Evaluator.SrcAddr> srcs = evaluator.sources(src);
    List<Pair> pairs = new ArrayList<>();
    Set<RuleOrigin> granted = new TreeSet<>();
    int considered = 0;
    int reached = 0;
    Pair firstDenied = null;
    Evaluator.SrcAddr firstDeniedSrc = null;
    InventoryNode firstDeniedEnforcer = null;
    for (Evaluator.SrcAddr s : srcs) {
      boolean any = false;
      boolean ok = false;
      for (Evaluator.DstAddr d : evaluator.destinations(dst, s)) {
        if (d.address().ipv6() != s.address().ipv6()) {
          continue;
        }
        any = true;
        int p = packetProto(proto, d.address());
        for (InventoryNode e : d.enforcers()) {
          MatchResult m = evaluator.tailnet().matcher(e).explain(s.address(), d.address(), p, port);
          String through =
              Tailnet.standIn(e) || e.ips().contains(d.address())
                  ? null
                  : isExit(e, d.address()) ? "exit node" : "subnet router";
          Pair pair =
              new Pair(
                  s.address(),
                  name(s.device()),
                  d.address(),
                  Tailnet.standIn(e) ? null : e.name(),
                  through,
                  m.allowed(),
                  m.origins());
          pairs.add(pair);
          if (m.allowed()) {
            ok = true;
            granted.addAll(m.origins());
          } else if (firstDenied == null) {
            firstDenied = pair;
            firstDeniedSrc = s;
            firstDeniedEnforcer = e;
          }
        }
        if (d.enforcers().isEmpty()) {
          Pair pair =
              new Pair(s.address(), name(s.device()), d.address(), null, null, false, List.of());
          pairs.add(pair);
          if (firstDenied == null) {
            firstDenied = pair;
            firstDeniedSrc = s;
          }
        }
      }
      if (any) {
        considered++;
        if (ok) {
          reached++;
        }
      }
    }
    if (considered == 0) {
      return new Explanation(
          false,
          List.of(),
          Optional.empty(),
          "no source address shares an address family with the destination",
          pairs);
    }
    if (reached == considered) {
      List<RuleOrigin> g = List.copyOf(granted);
      return new Explanation(
          true, g, Optional.empty(), "allowed by " + HumanReport.rules(g), pairs);
    }
    // Denied for at least one source address: explain the first denied pair.
    String prefix =
        reached > 0
            ? "denied from "
                + firstDenied.src()
                + " ("
                + reached
                + " of "
                + considered
                + " source addresses allowed); "
            : "";
    boolean internetRules =
        rules.stream()
            .flatMap(r -> r.clauses().stream())
            .anyMatch(cl -> cl.destination() instanceof Destination.Internet);
    if ((firstDeniedEnforcer == null || Tailnet.standIn(firstDeniedEnforcer))
        && internetRules
        && !dev.tessera.compiler.matrix.SyntheticInventory.inTailnet(firstDenied.dst())) {
      // Nobody carries the address: say what is missing (an exit node, or a subnet router).
      return new Explanation(
          false,
          List.of(),
          Optional.empty(),
          prefix
              + "no node carries "
              + firstDenied.dst()
              + ": it is outside the tailnet, no approved subnet route contains it and no node has an approved exit"
              + " route ("
              + (firstDenied.dst().ipv6() ? "::/0" : "0.0.0.0/0")
              + "); autogroup:internet rules apply only"
              + " through an exit node",
          pairs);
    }
    Closest c = closest(firstDeniedSrc, firstDenied.dst(), firstDeniedEnforcer, proto, port);
    if (c == null) {
      return new Explanation(
          false, List.of(), Optional.empty(), prefix + "the policy has no packet rule", pairs);
    }
    return new Explanation(
        false,
        List.of(),
        Optional.of(c.rule().origin()),
        prefix
            + "no rule matched; closest rule "
            + HumanReport.rule(c.rule().origin())
            + ": "
            + String.join("; ", c.reasons()),
        pairs);
  }

  /** {@code e} forwards {@code dst} to the internet: it has the default route of its family. */
  static boolean isExit(InventoryNode e, IpAddress dst) {
    return !e.ips().contains(dst)
        && !dev.tessera.compiler.matrix.SyntheticInventory.inTailnet(dst)
        && e.routes().stream().anyMatch(r -> r.bits() == 0 && r.ipv6() == dst.ipv6())
        && e.subnetRoutes().stream().noneMatch(r -> r.contains(dst));
  }

  /** Outside the private, CGNAT and link-local ranges an exit node's internet rule leaves out. */
  static boolean isPublic(IpAddress a) {
    for (String p : a.ipv6() ? List.of("2000::/3") : List.of("0.0.0.0/0")) {
      if (!dev.tessera.net.IpPrefix.parse(p).contains(a)) {
        return false;
      }
    }
    if (!a.ipv6()) {
      for (String p :
          List.of(
              "10.0.0.0/8", "100.64.0.0/10", "169.254.0.0/16", "172.16.0.0/12", "192.168.0.0/16")) {
        if (dev.tessera.net.IpPrefix.parse(p).contains(a)) {
          return false;
        }
      }
    }
    return true;
  }

  private static String name(InventoryNode d) {
    return d == null || Tailnet.standIn(d) ? null : d.name();
  }

  static int packetProto(int proto, IpAddress dst) {
    if (dst.ipv6() && proto == IpProtocol.ICMP) {
      return IpProtocol.ICMPV6;
    }
    if (!dst.ipv6() && proto == IpProtocol.ICMPV6) {
      return IpProtocol.ICMP;
    }
    return proto;
  }

  record Closest(ResolvedRule rule, List<String> reasons, int weight) {}

  /** One failed dimension of a rule for a flow. */
  record Miss(int weight, String text) {}

  private static int weight(List<Miss> ms) {
    return ms.stream().mapToInt(Miss::weight).sum();
  }

  /**
   * The rule with the fewest failed dimensions for this flow; null when there are no packet rules.
   */
  Closest closest(Evaluator.SrcAddr s, IpAddress dst, InventoryNode enforcer, int proto, int port) {
    Closest best = null;
    for (ResolvedRule r : rules) {
      List<Miss> sourceReasons = sourceReasons(r, s);
      List<Miss> bestClause = null;
      for (Clause c : r.clauses()) {
        if (c.destination() instanceof Destination.Internet
            && !(enforcer != null && isExit(enforcer, dst))) {
          continue; // exit-node use: a packet rule only on the exit node, for what it forwards
        }
        List<Miss> reasons = clauseReasons(c, s, dst, enforcer, packetProto(proto, dst), port);
        if (bestClause == null || weight(reasons) < weight(bestClause)) {
          bestClause = reasons;
        }
      }
      if (bestClause == null) {
        continue;
      }
      List<Miss> all = new ArrayList<>(sourceReasons);
      all.addAll(bestClause);
      if (all.isEmpty()) {
        // The IR says this rule applies, yet the filter denied: report it rather than hide it.
        all.add(
            new Miss(
                0,
                "the resolved rule covers this flow but "
                    + (enforcer == null
                        ? "no node enforces " + dst
                        : enforcer.name() + "'s compiled filter does not admit it")));
      }
      int w = weight(all);
      if (best == null || w < best.weight()) {
        best = new Closest(r, all.stream().map(Miss::text).toList(), w);
      }
    }
    return best;
  }

  private List<Miss> sourceReasons(ResolvedRule r, Evaluator.SrcAddr s) {
    if (r.sources().contains(s.address())) {
      return List.of();
    }
    int id = s.device() == null ? -1 : nodeId.applyAsInt(s.device().name());
    boolean selected = r.selected().contains(s.address()) || (id >= 0 && r.sourceNodes().get(id));
    if (selected && id >= 0 && r.postureFailed().get(id)) {
      return List.of(
          new Miss(
              1,
              "posture failed: "
                  + s.device().name()
                  + " does not satisfy "
                  + r.posture().stream()
                      .map(Explainer::postureName)
                      .collect(Collectors.joining(" or "))));
    }
    if (selected) {
      return List.of(
          new Miss(1, "posture failed: " + s.address() + " is cut from the sources by posture"));
    }
    return List.of(
        new Miss(
            2,
            "source not a member: "
                + Evaluator.describe(s)
                + " is not in its src "
                + r.src().stream().map(Selector::text).collect(Collectors.joining(", "))));
  }

  private List<Miss> clauseReasons(
      Clause c, Evaluator.SrcAddr s, IpAddress dst, InventoryNode enforcer, int proto, int port) {
    List<Miss> out = new ArrayList<>();
    boolean covered =
        switch (c.destination()) {
          case Destination.Any any -> true;
          case Destination.Nodes n -> {
            int id = enforcer == null ? -1 : nodeId.applyAsInt(enforcer.name());
            yield id >= 0 && n.nodes().get(id) && enforcer.ips().contains(dst);
          }
          case Destination.Prefixes p -> p.set().contains(dst);
          case Destination.Self self ->
              enforcer != null
                  && enforcer.owner().isPresent()
                  && s.device() != null
                  && enforcer.owner().equals(s.device().owner());
          // On the exit node: the public address space (docs/semantics.md §3.6).
          case Destination.Internet i -> enforcer != null && isExit(enforcer, dst) && isPublic(dst);
        };
    if (!covered) {
      out.add(
          new Miss(
              2,
              "destination not covered: "
                  + dst
                  + (enforcer == null || Tailnet.standIn(enforcer)
                      ? ""
                      : " (" + enforcer.name() + ")")
                  + " is not in its dst "
                  + c.destination().selector().text()));
    }
    List<Integer> protos = c.protocols().isEmpty() ? IpProtocol.DEFAULT : c.protocols();
    if (!protos.contains(proto)) {
      out.add(
          new Miss(
              1,
              "protocol differs: "
                  + ProtoNames.name(proto)
                  + ", the rule allows "
                  + protos.stream().map(ProtoNames::name).collect(Collectors.joining(", "))));
    } else if (IpProtocol.hasPorts(proto) && !c.ports().contains(port)) {
      out.add(new Miss(1, "port " + port + " outside its range " + portsText(c.ports().ranges())));
    } else if (!IpProtocol.hasPorts(proto)
        && proto != IpProtocol.ICMP
        && proto != IpProtocol.ICMPV6
        && !c.ports().isAll()) {
      out.add(
          new Miss(
              1,
              "protocol "
                  + ProtoNames.name(proto)
                  + " has no ports, so only a rule with port * admits it"));
    }
    return out;
  }

  private static String postureName(PostureRef p) {
    return p.text();
  }

  private static String portsText(List<PortRange> rs) {
    return rs.stream().map(PortRange::toString).collect(Collectors.joining(","));
  }
}
