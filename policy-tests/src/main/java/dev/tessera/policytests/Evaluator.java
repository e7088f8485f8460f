package dev.tessera.policytests;

import dev.tessera.compiler.inventory.InventoryNode;
import dev.tessera.enforcer.MatchResult;
import dev.tessera.enforcer.Matcher;
import dev.tessera.enforcer.format.DstPorts;
import dev.tessera.enforcer.format.FilterRule;
import dev.tessera.enforcer.format.RuleOrigin;
import dev.tessera.net.IpAddress;
import dev.tessera.net.IpProtocol;
import dev.tessera.policy.ast.AutoGroup;
import dev.tessera.policy.ast.GroupDef;
import dev.tessera.policy.ast.Policy;
import dev.tessera.policy.ast.Selector;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Decides assertions by sending synthesized flows through the enforcer's {@link Matcher}, on the
 * filter compiled for the destination device: the same tables the agent consults for every packet,
 * so a passing test means the agent really admits the flow.
 *
 * <p>Semantics (tailscale-policy-semantics.md section 8; decisions in policy-tests/README.md):
 *
 * <ol>
 *   <li>The source resolves to addresses: every address of every device it names (user, group, tag,
 *       autogroup), or the one address of a host alias or IP. None: the test fails.
 *   <li>The destination resolves to candidate addresses, each enforced by the device that owns it;
 *       an address no device owns is enforced by the subnet routers whose approved routes contain
 *       it, else (outside the tailnet ranges) by the exit nodes, which enforce the
 *       autogroup:internet rules for what they forward, else by a stand-in device that has only
 *       that address ({@link PolicyTester}).
 *   <li>A flow can only go between addresses of the same family. Each source address of a family
 *       the destination has must reach <em>some</em> candidate (every source address must reach the
 *       destination; a destination with several devices passes if any is reachable). Source
 *       addresses of a family the destination lacks (a v6 laptop address towards a v4-only host
 *       alias) are not considered; if no source address shares a family, the flow is denied.
 *   <li>With {@code proto}, the flow is that protocol to the port (TCP SYN, UDP, SCTP). Without, it
 *       is allowed if TCP or UDP to the port is, or if ICMP (ICMPv6 for IPv6) is admitted by a rule
 *       whose destination port range covers the port. That last clause is headscale's reading of
 *       Tailscale (an empty-proto {@code deny} fails when an ICMP-only rule covers the host)
 *       without the client quirk that echo requests pass on any rule from the source: the Matcher
 *       ignores ports for ICMP, so the granting rules it names are filtered by port here.
 * </ol>
 *
 * <p>Immutable after construction (indexes built once; resolved targets cached in concurrent maps;
 * Matchers built once per device slot by {@link Tailnet}), so assertions may be evaluated from
 * several threads.
 */
public final class Evaluator {

  /** An address to send from, and the device it belongs to (null for a bare IP). */
  record SrcAddr(IpAddress address, InventoryNode device) {}

  /**
   * An address to send to, and the devices that enforce it (owner, routers, or a stand-in), with
   * their {@link Tailnet#slot slots} (-1 for a device the tailnet does not know).
   */
  record DstAddr(IpAddress address, List<InventoryNode> enforcers, int[] slots) {
    DstAddr {
      enforcers = List.copyOf(enforcers);
    }
  }

  /** The verdict for one assertion, with the evidence for the report. */
  record Verdict(
      boolean allowed, List<RuleOrigin> rules, String detail, int considered, int reached) {
    public Verdict {
      rules = List.copyOf(rules);
    }
  }

  /** Why a source or destination cannot be evaluated (the test fails as invalid). */
  static final class Unresolvable extends Exception {
    private static final long serialVersionUID = 1L;

    Unresolvable(String message) {
      super(message, null, false, false);
    }
  }

  private final Tailnet tailnet;
  private final Map<String, Set<String>> groupMembers = new HashMap<>();
  // Indexes built once: a run of 10k assertions on a 10k-node tailnet must not scan every device
  // per assertion. Untagged devices by owner, devices by tag and by owner role, in tailnet order.
  private final Map<String, List<InventoryNode>> byUser = new HashMap<>();
  private final Map<String, List<InventoryNode>> byTag = new HashMap<>();
  private final Map<String, List<InventoryNode>> byRole = new HashMap<>();
  private final List<InventoryNode> members = new ArrayList<>();
  private final List<InventoryNode> tagged = new ArrayList<>();
  // Resolved sources and (non-self) destinations per target: a List, or a String saying why none.
  private final Map<TestTarget, Object> sourceCache = new ConcurrentHashMap<>();
  private final Map<TestTarget, Object> destinationCache = new ConcurrentHashMap<>();

  Evaluator(Tailnet tailnet, Policy policy) {
    this.tailnet = tailnet;
    for (InventoryNode d : tailnet.devices()) {
      if (Tailnet.standIn(d)) {
        continue;
      }
      if (d.isTagged()) {
        tagged.add(d);
        for (String t : d.tags()) {
          byTag.computeIfAbsent(t, k -> new ArrayList<>()).add(d);
        }
      } else if (d.user().isPresent()) {
        members.add(d);
        byUser.computeIfAbsent(d.user().get(), k -> new ArrayList<>()).add(d);
        tailnet.role(d).ifPresent(r -> byRole.computeIfAbsent(r, k -> new ArrayList<>()).add(d));
      }
    }
    for (GroupDef g : policy.groups()) {
      Set<String> logins = new LinkedHashSet<>();
      for (Selector s : g.members()) {
        if (s instanceof Selector.User u) {
          logins.add(u.login());
        }
      }
      groupMembers.put(g.name(), logins);
    }
  }

  Tailnet tailnet() {
    return tailnet;
  }

  // -- resolution ------------------------------------------------------------------------------

  /** Devices a device-kind target names, per Tailscale: tagged devices have no user identity. */
  List<InventoryNode> devicesOf(TestTarget t) {
    return switch (t) {
      case TestTarget.User u -> byUser.getOrDefault(u.login(), List.of());
      case TestTarget.Group g -> {
        List<InventoryNode> out = new ArrayList<>();
        for (String login : groupMembers.getOrDefault(g.name(), Set.of())) {
          out.addAll(byUser.getOrDefault(login, List.of()));
        }
        yield out;
      }
      case TestTarget.Tag tag -> byTag.getOrDefault("tag:" + tag.name(), List.of());
      case TestTarget.Auto a ->
          switch (a.group()) {
            case MEMBER -> members;
            case TAGGED -> tagged;
            case OWNER, ADMIN, IT_ADMIN, NETWORK_ADMIN, BILLING_ADMIN, AUDITOR ->
                byRole.getOrDefault(a.group().groupName(), List.of());
            // Shared-in users are not modelled in an inventory: no devices.
            case SHARED, SELF, INTERNET, DANGER_ALL -> List.of();
          };
      case TestTarget.Node n ->
          tailnet.device(n.name()).filter(d -> !Tailnet.standIn(d)).map(List::of).orElse(List.of());
      case TestTarget.Host h -> List.of();
      case TestTarget.Address ad -> List.of();
      case TestTarget.Service v -> List.of();
    };
  }

  /**
   * Every address of the source, with its device. Cached per target: on a large tailnet most
   * assertions name the same users and tags, so each is resolved once per run.
   */
  List<SrcAddr> sources(TestTarget src) throws Unresolvable {
    Object r = sourceCache.get(src);
    if (r == null) {
      r = resolveSources(src);
      sourceCache.putIfAbsent(src, r);
    }
    return resolved(r);
  }

  @SuppressWarnings("unchecked")
  private static <T> List<T> resolved(Object r) throws Unresolvable {
    if (r instanceof String message) {
      throw new Unresolvable(message);
    }
    return (List<T>) r;
  }

  /** The source's addresses (an immutable list), or the message of why it has none. */
  private Object resolveSources(TestTarget src) {
    List<SrcAddr> out = new ArrayList<>();
    switch (src) {
      case TestTarget.Host h -> out.add(addressSource(h.address()));
      case TestTarget.Address a -> out.add(addressSource(a.address()));
      default -> {
        for (InventoryNode d : devicesOf(src)) {
          for (IpAddress a : d.ips()) {
            out.add(new SrcAddr(a, d));
          }
        }
      }
    }
    if (out.isEmpty()) {
      return "source " + src.text() + " has no devices";
    }
    return List.copyOf(out);
  }

  private SrcAddr addressSource(IpAddress a) {
    List<InventoryNode> owners = tailnet.owners(a);
    return new SrcAddr(a, owners.isEmpty() ? null : owners.getFirst());
  }

  /**
   * Candidates for a destination; for autogroup:self they depend on the source device. Others are
   * cached per target, like {@link #sources}.
   */
  List<DstAddr> destinations(TestTarget dst, SrcAddr from) throws Unresolvable {
    if (dst instanceof TestTarget.Auto a && a.group() == AutoGroup.SELF) {
      // Per destination device: the source's own user's untagged devices (section 3).
      List<DstAddr> out = new ArrayList<>();
      InventoryNode me = from.device();
      if (me == null || me.owner().isEmpty()) {
        return out;
      }
      for (InventoryNode d : devicesOf(new TestTarget.User(me.owner().get()))) {
        for (IpAddress ad : d.ips()) {
          out.add(dstAddr(ad, List.of(d)));
        }
      }
      return out;
    }
    Object r = destinationCache.get(dst);
    if (r == null) {
      r = resolveDestinations(dst);
      destinationCache.putIfAbsent(dst, r);
    }
    return resolved(r);
  }

  /**
   * A destination's candidates other than autogroup:self (an immutable list), or why it has none.
   */
  private Object resolveDestinations(TestTarget dst) {
    List<DstAddr> out = new ArrayList<>();
    switch (dst) {
      case TestTarget.Host h -> out.add(addressDestination(h.address()));
      case TestTarget.Address a -> out.add(addressDestination(a.address()));
      case TestTarget.Service v -> {
        // Its addresses, each enforced by the approved hosts, which route them.
        for (IpAddress ad : tailnet.serviceAddresses(v.text())) {
          DstAddr da = addressDestination(ad);
          if (!da.enforcers().isEmpty()) {
            out.add(da);
          }
        }
        if (out.isEmpty()) {
          return "service " + v.text() + " has no approved host in the inventory";
        }
      }
      default -> {
        List<InventoryNode> ds = devicesOf(dst);
        if (ds.isEmpty()) {
          return "destination " + dst.text() + " has no devices";
        }
        for (InventoryNode d : ds) {
          for (IpAddress ad : d.ips()) {
            out.add(dstAddr(ad, List.of(d)));
          }
        }
      }
    }
    return List.copyOf(out);
  }

  private DstAddr addressDestination(IpAddress a) {
    List<InventoryNode> enforcers = tailnet.owners(a);
    if (enforcers.isEmpty()) {
      enforcers = tailnet.routers(a);
    }
    if (enforcers.isEmpty()) {
      enforcers = tailnet.exits(a);
    }
    return dstAddr(a, enforcers);
  }

  private DstAddr dstAddr(IpAddress a, List<InventoryNode> enforcers) {
    int[] slots = new int[enforcers.size()];
    for (int i = 0; i < slots.length; i++) {
      slots[i] = tailnet.slot(enforcers.get(i));
    }
    return new DstAddr(a, enforcers, slots);
  }

  // -- evaluation ------------------------------------------------------------------------------

  Verdict evaluate(Assertion a) throws Unresolvable {
    return decide(a).verdict();
  }

  /**
   * The verdict's facts, with its report text left to {@link Decision#detail()}: a run needs the
   * text only for failures, and building it for every assertion (addresses printed, rules listed)
   * was a good part of a large run and of the code the JIT compiled for it.
   */
  Decision decide(Assertion a) throws Unresolvable {
    // One denied source address denies the flow. A deny assertion (and a passing accept) needs no
    // more than that; only a failing accept is re-run in full for its "k of n" detail. On a large
    // tailnet this skips most of the work for denied flows.
    Decision quick = decide(a, true);
    if (quick.allowed() || a.expect() == Assertion.Expect.DENY) {
      return quick;
    }
    return decide(a, false);
  }

  /** What {@link #decide} found; {@link #detail()} and {@link #verdict()} build the report text. */
  record Decision(
      Assertion assertion,
      List<RuleOrigin> rules,
      int considered,
      int reached,
      SrcAddr firstDenied,
      List<DstAddr> firstDeniedDsts) {

    boolean allowed() {
      return considered > 0 && reached == considered;
    }

    Verdict verdict() {
      return new Verdict(allowed(), rules, detail(), considered, reached);
    }

    String detail() {
      Assertion a = assertion;
      if (considered == 0) {
        return "no source address shares an address family with " + a.dstText();
      }
      if (allowed()) {
        return "granted by " + HumanReport.rules(rules);
      }
      String partial =
          reached > 0
              ? " ("
                  + reached
                  + " of "
                  + considered
                  + " source addresses were allowed"
                  + (rules.isEmpty() ? "" : ", by " + HumanReport.rules(rules))
                  + ")"
              : "";
      boolean v6 = firstDenied.address().ipv6();
      List<DstAddr> tried = firstDeniedDsts.stream().filter(d -> d.address().ipv6() == v6).toList();
      return "no rule allows "
          + describe(firstDenied)
          + " -> "
          + describeAll(tried)
          + portText(a)
          + partial;
    }
  }

  private Decision decide(Assertion a, boolean stopAtFirstDenied) throws Unresolvable {
    List<SrcAddr> srcs = sources(a.src());
    boolean self = a.dst() instanceof TestTarget.Auto au && au.group() == AutoGroup.SELF;
    // Only autogroup:self depends on the source device; resolve every other destination once.
    List<DstAddr> common = self ? null : destinations(a.dst(), srcs.getFirst());
    Set<RuleOrigin> granted = new TreeSet<>();
    int considered = 0;
    int reached = 0;
    SrcAddr firstDenied = null;
    List<DstAddr> firstDeniedDsts = List.of();
    boolean anyDestination = false;
    for (int i = 0, n = srcs.size(); i < n; i++) {
      SrcAddr s = srcs.get(i);
      List<DstAddr> dsts = self ? destinations(a.dst(), s) : common;
      anyDestination |= !dsts.isEmpty();
      int reach = reach(s.address(), dsts, a, granted);
      if (reach == NO_FAMILY) {
        continue;
      }
      considered++;
      if (reach == REACHED) {
        reached++;
      } else if (firstDenied == null) {
        firstDenied = s;
        firstDeniedDsts = dsts;
        if (stopAtFirstDenied) {
          break;
        }
      }
    }
    if (!anyDestination) {
      throw new Unresolvable(
          "destination " + a.dst().text() + " has no devices for source " + a.srcText());
    }
    return new Decision(a, List.copyOf(granted), considered, reached, firstDenied, firstDeniedDsts);
  }

  private static final int NO_FAMILY = -1;
  private static final int DENIED = 0;
  private static final int REACHED = 1;

  /**
   * Whether {@code src} reaches some candidate: any destination device will do, so this stops at
   * the first that admits it (the boolean packet path decides; the query path names the rules,
   * added to {@code granted}, only for the admitting pair). {@link #NO_FAMILY} when no candidate
   * shares the source's address family. Kept apart from {@link #decide(Assertion, boolean)} (and
   * the report text out of both) so that the hot loop of a large run is a small unit for the JIT:
   * compiling one method with all of it inlined took a second of CPU in a cold run.
   */
  private int reach(IpAddress src, List<DstAddr> dsts, Assertion a, Set<RuleOrigin> granted) {
    boolean v6 = src.ipv6();
    int result = NO_FAMILY;
    for (int i = 0, n = dsts.size(); i < n; i++) {
      DstAddr d = dsts.get(i);
      if (d.address().ipv6() != v6) {
        continue;
      }
      result = DENIED;
      List<InventoryNode> enforcers = d.enforcers();
      int[] slots = d.slots();
      for (int k = 0; k < slots.length; k++) {
        Matcher m = slots[k] >= 0 ? tailnet.matcher(slots[k]) : tailnet.matcher(enforcers.get(k));
        if (admits(m, src, d.address(), a)) {
          granted.addAll(query(m, src, d.address(), a));
          return REACHED;
        }
      }
    }
    return result;
  }

  private static String portText(Assertion a) {
    return " port "
        + a.port()
        + (a.proto().isPresent() ? "/" + ProtoNames.name(a.proto().getAsInt()) : "");
  }

  static String describe(SrcAddr s) {
    return s.address()
        + (s.device() != null && !Tailnet.standIn(s.device())
            ? " (" + s.device().name() + ")"
            : "");
  }

  /** The first three destinations tried, by address and enforcing device, and how many in all. */
  private static String describeAll(List<DstAddr> ds) {
    List<String> shown = new ArrayList<>(3);
    for (DstAddr d : ds) {
      if (shown.size() == 3) {
        break;
      }
      StringBuilder by = new StringBuilder();
      for (InventoryNode e : d.enforcers()) {
        if (!Tailnet.standIn(e)) {
          by.append(by.isEmpty() ? "" : ", ")
              .append(e.ips().contains(d.address()) ? "" : "router ")
              .append(e.name());
        }
      }
      String text = d.address() + (by.isEmpty() ? "" : " (" + by + ")");
      if (!shown.contains(text)) {
        shown.add(text);
      }
    }
    return ds.size() <= 3
        ? String.join(", ", shown)
        : String.join(", ", shown) + ", ... (" + ds.size() + " addresses)";
  }

  /**
   * The packet path's decision for the assertion's protocol (see class comment for empty proto):
   * one {@link Matcher#allows} call site over the protocols to try, TCP, UDP, then the family's
   * ICMP, whose admitting rules must also cover the port.
   */
  /**
   * A test's {@code icmp} means ICMPv6 between IPv6 addresses (and 58 means ICMP between IPv4
   * ones).
   */
  static int family(int proto, IpAddress dst) {
    if (proto == IpProtocol.ICMP || proto == IpProtocol.ICMPV6) {
      return dst.ipv6() ? IpProtocol.ICMPV6 : IpProtocol.ICMP;
    }
    return proto;
  }

  static boolean admits(Matcher m, IpAddress src, IpAddress dst, Assertion a) {
    boolean given = a.proto().isPresent();
    int tries = given ? 1 : 3;
    for (int t = 0; t < tries; t++) {
      int proto =
          given
              ? family(a.proto().getAsInt(), dst)
              : t == 0
                  ? IpProtocol.TCP
                  : t == 1 ? IpProtocol.UDP : dst.ipv6() ? IpProtocol.ICMPV6 : IpProtocol.ICMP;
      if (m.allows(src, dst, proto, t == 2 ? 0 : a.port())) {
        return t < 2 || !query(m, src, dst, a).isEmpty();
      }
    }
    return false;
  }

  /**
   * The rules of {@code m} that admit a flow for the assertion's protocol (see class comment for
   * the empty-proto case).
   */
  static List<RuleOrigin> query(Matcher m, IpAddress src, IpAddress dst, Assertion a) {
    // One explain call site over the protocols to try, as in admits: a small unit for the JIT.
    boolean given = a.proto().isPresent();
    Set<RuleOrigin> out = given ? null : new TreeSet<>();
    List<FilterRule> rules = m.filter().rules();
    for (int t = 0, tries = given ? 1 : 3; t < tries; t++) {
      int proto =
          given
              ? family(a.proto().getAsInt(), dst)
              : t == 0
                  ? IpProtocol.TCP
                  : t == 1 ? IpProtocol.UDP : dst.ipv6() ? IpProtocol.ICMPV6 : IpProtocol.ICMP;
      MatchResult r = m.explain(src, dst, proto, t == 2 ? 0 : a.port());
      if (given) {
        return r.origins();
      }
      if (t < 2) {
        out.addAll(r.origins());
      } else {
        for (int i : r.ruleIndices()) {
          FilterRule rule = rules.get(i);
          if (coversPort(rule, dst, a.port())) {
            out.add(rule.origin());
          }
        }
      }
    }
    return List.copyOf(out);
  }

  private static boolean coversPort(FilterRule rule, IpAddress dst, int port) {
    for (DstPorts d : rule.destinations()) {
      if (d.prefix().contains(dst) && d.containsPort(port)) {
        return true;
      }
    }
    return false;
  }
}
