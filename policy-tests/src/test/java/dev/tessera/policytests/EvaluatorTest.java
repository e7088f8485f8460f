package dev.tessera.policytests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tessera.compiler.inventory.Inventory;
import dev.tessera.compiler.inventory.InventoryNode;
import dev.tessera.compiler.inventory.InventoryUser;
import dev.tessera.compiler.inventory.Role;
import dev.tessera.enforcer.Matcher;
import dev.tessera.enforcer.format.CompiledFilter;
import dev.tessera.enforcer.format.DstPorts;
import dev.tessera.enforcer.format.FilterRule;
import dev.tessera.enforcer.format.RuleOrigin;
import dev.tessera.net.IpAddress;
import dev.tessera.net.IpPrefix;
import dev.tessera.policy.ast.Policy;
import dev.tessera.policy.ast.SourceSpan;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/**
 * The assertion semantics on hand-made filters, independent of the compiler: every source address
 * must be admitted, any destination device suffices, empty proto, routers, families.
 */
class EvaluatorTest {

  static final IpAddress LAPTOP4 = IpAddress.parse("100.64.0.1");
  static final IpAddress LAPTOP6 = IpAddress.parse("fd7a:115c:a1e0::1");
  static final IpAddress PHONE4 = IpAddress.parse("100.64.0.2");
  static final IpAddress PHONE6 = IpAddress.parse("fd7a:115c:a1e0::2");
  static final IpAddress WEB1_4 = IpAddress.parse("100.64.0.10");
  static final IpAddress WEB1_6 = IpAddress.parse("fd7a:115c:a1e0::a");
  static final IpAddress WEB2_4 = IpAddress.parse("100.64.0.11");
  static final IpAddress WEB2_6 = IpAddress.parse("fd7a:115c:a1e0::b");
  static final IpAddress ROUTER4 = IpAddress.parse("100.64.0.20");
  static final IpAddress ROUTER6 = IpAddress.parse("fd7a:115c:a1e0::14");

  static final InventoryNode LAPTOP =
      device("laptop-alice", "alice@x.com", List.of(), List.of(), LAPTOP4, LAPTOP6);
  static final InventoryNode PHONE =
      device("phone-alice", "alice@x.com", List.of(), List.of(), PHONE4, PHONE6);
  static final InventoryNode WEB1 =
      device("web-1", null, List.of("tag:web"), List.of(), WEB1_4, WEB1_6);
  static final InventoryNode WEB2 =
      device("web-2", null, List.of("tag:web"), List.of(), WEB2_4, WEB2_6);
  static final InventoryNode ROUTER =
      device(
          "router",
          null,
          List.of("tag:router"),
          List.of(IpPrefix.parse("10.1.0.0/24")),
          ROUTER4,
          ROUTER6);

  static InventoryNode device(
      String name, String user, List<String> tags, List<IpPrefix> routes, IpAddress... addrs) {
    return InventoryNode.of(name, user, tags, List.of(addrs), Map.of(), routes);
  }

  /** The devices, with each owner a member. */
  static Inventory inventory(List<InventoryNode> devices) {
    return new Inventory(
        devices.stream()
            .flatMap(d -> d.user().stream())
            .distinct()
            .map(u -> new InventoryUser(u, Role.MEMBER, SourceSpan.NONE))
            .toList(),
        devices);
  }

  static RuleOrigin origin(int index) {
    return new RuleOrigin("p.hujson", 10 + index, 5, RuleOrigin.ACL, index);
  }

  static FilterRule rule(
      int index, List<IpAddress> srcs, List<Integer> protos, IpAddress dst, int first, int last) {
    return new FilterRule(
        srcs.stream().map(IpPrefix::host).toList(),
        protos,
        List.of(new DstPorts(IpPrefix.host(dst), first, last)),
        origin(index));
  }

  /** A tailnet where each device's filter holds the given rules. */
  static Tailnet tailnet(Map<String, List<FilterRule>> rules) {
    List<InventoryNode> ds = List.of(LAPTOP, PHONE, WEB1, WEB2, ROUTER);
    Map<String, CompiledFilter> filters = new HashMap<>();
    for (InventoryNode d : ds) {
      filters.put(
          d.name(),
          CompiledFilter.of(
              d.name(),
              d.ips().stream().map(IpPrefix::host).toList(),
              rules.getOrDefault(d.name(), List.of()),
              List.of(),
              List.of()));
    }
    return new Tailnet(inventory(ds), name -> Matcher.of(filters.get(name)));
  }

  static Assertion assertion(
      TestTarget src, TestTarget dst, int port, OptionalInt proto, Assertion.Expect e) {
    SourceSpan s = SourceSpan.point("t.hujson", 1, 1, 0);
    return new Assertion(0, s, s, e, src, src.text(), dst, dst.text() + ":" + port, port, proto);
  }

  static final List<IpAddress> ALICE = List.of(LAPTOP4, LAPTOP6, PHONE4, PHONE6);

  @Test
  void everySourceAddressMustBeAdmitted() throws Exception {
    // Only the laptop may reach web-1: alice (laptop + phone) does not reach tag:web.
    Tailnet t =
        tailnet(
            Map.of(
                "web-1",
                List.of(
                    rule(0, List.of(LAPTOP4), List.of(6), WEB1_4, 443, 443),
                    rule(0, List.of(LAPTOP6), List.of(6), WEB1_6, 443, 443))));
    Evaluator ev = new Evaluator(t, Policy.empty());
    Evaluator.Verdict v =
        ev.evaluate(
            assertion(
                new TestTarget.User("alice@x.com"),
                new TestTarget.Tag("web"),
                443,
                OptionalInt.of(6),
                Assertion.Expect.ALLOW));
    assertThat(v.allowed()).isFalse();
    assertThat(v.considered()).isEqualTo(4);
    assertThat(v.reached()).isEqualTo(2);
    assertThat(v.detail())
        .startsWith("no rule allows 100.64.0.2 (phone-alice) -> ")
        .contains("2 of 4 source addresses were allowed");
    // The laptop alone does.
    Evaluator.Verdict laptop =
        ev.evaluate(
            assertion(
                new TestTarget.Address(IpAddress.parse("100.64.0.1")),
                new TestTarget.Tag("web"),
                443,
                OptionalInt.of(6),
                Assertion.Expect.ALLOW));
    assertThat(laptop.allowed()).isTrue();
    assertThat(laptop.rules()).containsExactly(origin(0));
  }

  @Test
  void anyDestinationDeviceSuffices() throws Exception {
    List<FilterRule> web2 = new ArrayList<>();
    web2.add(
        rule(
            1,
            ALICE.subList(0, 2).stream().filter(a -> !a.ipv6()).toList(),
            List.of(),
            WEB2_4,
            80,
            80));
    web2.add(rule(1, List.of(PHONE4), List.of(), WEB2_4, 80, 80));
    web2.add(rule(1, List.of(LAPTOP6, PHONE6), List.of(), WEB2_6, 80, 80));
    Evaluator ev = new Evaluator(tailnet(Map.of("web-2", web2)), Policy.empty());
    Evaluator.Verdict v =
        ev.evaluate(
            assertion(
                new TestTarget.User("alice@x.com"),
                new TestTarget.Tag("web"),
                80,
                OptionalInt.empty(),
                Assertion.Expect.ALLOW));
    assertThat(v.allowed()).isTrue();
    assertThat(v.rules()).containsExactly(origin(1));
    Evaluator.Verdict other =
        ev.evaluate(
            assertion(
                new TestTarget.User("alice@x.com"),
                new TestTarget.Tag("web"),
                81,
                OptionalInt.empty(),
                Assertion.Expect.DENY));
    assertThat(other.allowed()).isFalse();
    assertThat(other.detail()).contains("no rule allows").contains("web-1").contains("web-2");
  }

  @Test
  void emptyProtoCountsIcmpOnlyWhenTheRuleCoversThePort() throws Exception {
    // Default-protocol rule on port 80: an empty-proto test of port 22 is denied, even though the
    // Matcher admits ICMP from alice (ICMP ignores ports); Tailscale/headscale agree.
    List<FilterRule> web1 = new ArrayList<>();
    for (IpAddress s : ALICE) {
      web1.add(rule(2, List.of(s), List.of(), s.ipv6() ? WEB1_6 : WEB1_4, 80, 80));
    }
    Evaluator ev = new Evaluator(tailnet(Map.of("web-1", web1)), Policy.empty());
    assertThat(
            ev.evaluate(
                    assertion(
                        new TestTarget.User("alice@x.com"),
                        new TestTarget.Tag("web"),
                        22,
                        OptionalInt.empty(),
                        Assertion.Expect.DENY))
                .allowed())
        .isFalse();
    // An ICMP-only rule with all ports: the empty-proto test of any port is allowed.
    List<FilterRule> icmp = new ArrayList<>();
    for (IpAddress s : ALICE) {
      icmp.add(
          rule(3, List.of(s), List.of(s.ipv6() ? 58 : 1), s.ipv6() ? WEB1_6 : WEB1_4, 0, 65535));
    }
    Evaluator ev2 = new Evaluator(tailnet(Map.of("web-1", icmp)), Policy.empty());
    Evaluator.Verdict v =
        ev2.evaluate(
            assertion(
                new TestTarget.User("alice@x.com"),
                new TestTarget.Tag("web"),
                22,
                OptionalInt.empty(),
                Assertion.Expect.DENY));
    assertThat(v.allowed()).isTrue();
    assertThat(v.rules()).containsExactly(origin(3));
    // ...but not with an explicit proto.
    assertThat(
            ev2.evaluate(
                    assertion(
                        new TestTarget.User("alice@x.com"),
                        new TestTarget.Tag("web"),
                        22,
                        OptionalInt.of(6),
                        Assertion.Expect.DENY))
                .allowed())
        .isFalse();
  }

  @Test
  void icmpv4OnlyRuleLeavesIpv6SourceAddressesDenied() throws Exception {
    List<FilterRule> icmp = new ArrayList<>();
    for (IpAddress s : ALICE) {
      icmp.add(rule(4, List.of(s), List.of(1), s.ipv6() ? WEB1_6 : WEB1_4, 0, 65535));
    }
    Evaluator ev = new Evaluator(tailnet(Map.of("web-1", icmp)), Policy.empty());
    Evaluator.Verdict v =
        ev.evaluate(
            assertion(
                new TestTarget.User("alice@x.com"),
                new TestTarget.Tag("web"),
                22,
                OptionalInt.empty(),
                Assertion.Expect.ALLOW));
    assertThat(v.allowed()).isFalse();
    assertThat(v.reached()).isEqualTo(2);
  }

  @Test
  void aDenyStopsAtTheFirstDeniedSourceAddress() throws Exception {
    // Only the laptop is allowed: the deny check stops at the phone, the accept check counts all.
    Tailnet t =
        tailnet(
            Map.of(
                "web-1",
                List.of(
                    rule(0, List.of(LAPTOP4), List.of(6), WEB1_4, 443, 443),
                    rule(0, List.of(LAPTOP6), List.of(6), WEB1_6, 443, 443))));
    Evaluator ev = new Evaluator(t, Policy.empty());
    Evaluator.Verdict deny =
        ev.evaluate(
            assertion(
                new TestTarget.User("alice@x.com"),
                new TestTarget.Tag("web"),
                443,
                OptionalInt.of(6),
                Assertion.Expect.DENY));
    Evaluator.Verdict accept =
        ev.evaluate(
            assertion(
                new TestTarget.User("alice@x.com"),
                new TestTarget.Tag("web"),
                443,
                OptionalInt.of(6),
                Assertion.Expect.ALLOW));
    assertThat(deny.allowed()).isFalse();
    assertThat(accept.allowed()).isFalse();
    assertThat(deny.considered()).isLessThan(accept.considered());
    assertThat(accept.considered()).isEqualTo(4);
  }

  @Test
  void addressesBehindARouterAreEnforcedByTheRouter() throws Exception {
    IpAddress printer = IpAddress.parse("10.1.0.20");
    FilterRule r =
        new FilterRule(
            List.of(IpPrefix.host(LAPTOP4), IpPrefix.host(LAPTOP6)),
            List.of(6),
            List.of(new DstPorts(IpPrefix.parse("10.1.0.0/24"), 631, 631)),
            origin(5));
    Evaluator ev = new Evaluator(tailnet(Map.of("router", List.of(r))), Policy.empty());
    IpAddress host = IpAddress.parse("10.1.0.20");
    // A v4-only destination: the laptop's IPv6 address is not considered.
    Evaluator.Verdict v =
        ev.evaluate(
            assertion(
                new TestTarget.User("alice@x.com"),
                new TestTarget.Host("printer", host),
                631,
                OptionalInt.of(6),
                Assertion.Expect.ALLOW));
    assertThat(v.allowed()).isFalse(); // the phone is not allowed
    assertThat(v.detail()).contains("100.64.0.2 (phone-alice) -> 10.1.0.20 (router router)");
    Evaluator.Verdict laptop =
        ev.evaluate(
            assertion(
                new TestTarget.Address(IpAddress.parse("100.64.0.1")),
                new TestTarget.Host("printer", host),
                631,
                OptionalInt.of(6),
                Assertion.Expect.ALLOW));
    assertThat(laptop.allowed()).isTrue();
    assertThat(laptop.considered()).isEqualTo(1);
    assertThat(printer.ipv6()).isFalse();
  }

  @Test
  void noSharedFamilyIsDenied() throws Exception {
    Evaluator ev = new Evaluator(tailnet(Map.of()), Policy.empty());
    Evaluator.Verdict v =
        ev.evaluate(
            assertion(
                new TestTarget.Address(IpAddress.parse("fd7a:115c:a1e0::1")),
                new TestTarget.Address(IpAddress.parse("100.64.0.10")),
                22,
                OptionalInt.of(6),
                Assertion.Expect.ALLOW));
    assertThat(v.allowed()).isFalse();
    assertThat(v.detail()).contains("no source address shares an address family");
  }

  @Test
  void emptySourcesAndDestinationsAreUnresolvable() {
    Evaluator ev = new Evaluator(tailnet(Map.of()), Policy.empty());
    assertThatThrownBy(
            () ->
                ev.evaluate(
                    assertion(
                        new TestTarget.User("nobody@x.com"),
                        new TestTarget.Tag("web"),
                        22,
                        OptionalInt.empty(),
                        Assertion.Expect.ALLOW)))
        .hasMessageContaining("source nobody@x.com has no devices");
    assertThatThrownBy(
            () ->
                ev.evaluate(
                    assertion(
                        new TestTarget.User("alice@x.com"),
                        new TestTarget.Tag("db"),
                        22,
                        OptionalInt.empty(),
                        Assertion.Expect.ALLOW)))
        .hasMessageContaining("destination tag:db has no devices");
  }

  @Test
  void taggedDevicesHaveNoUserIdentity() throws Exception {
    InventoryNode taggedLaptop =
        device("ci", "alice@x.com", List.of("tag:ci"), List.of(), IpAddress.parse("100.64.0.30"));
    Tailnet t =
        new Tailnet(
            inventory(List.of(LAPTOP, taggedLaptop)), n -> Matcher.of(CompiledFilter.denyAll(n)));
    Evaluator ev = new Evaluator(t, Policy.empty());
    assertThat(ev.devicesOf(new TestTarget.User("alice@x.com"))).containsExactly(LAPTOP);
    assertThat(ev.devicesOf(new TestTarget.Auto(dev.tessera.policy.ast.AutoGroup.MEMBER)))
        .containsExactly(LAPTOP);
    assertThat(ev.devicesOf(new TestTarget.Auto(dev.tessera.policy.ast.AutoGroup.TAGGED)))
        .containsExactly(taggedLaptop);
  }
}
