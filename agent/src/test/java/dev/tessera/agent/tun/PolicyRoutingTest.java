package dev.tessera.agent.tun;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tessera.agent.config.RouteTable;
import dev.tessera.net.IpCidr;
import dev.tessera.net.IpPrefix;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The route/rule plan is wg-quick's (add_route, add_default); applying it records undo steps. */
class PolicyRoutingTest {
  /** Routes as a config writes them: host bits are cleared. */
  static List<IpPrefix> cidrs(String... s) {
    return Stream.of(s).map(x -> IpPrefix.parse(x, true)).toList();
  }

  static List<IpCidr> addresses(String... s) {
    return Stream.of(s).map(IpCidr::parse).toList();
  }

  static String render(PolicyRouting.Plan p) {
    StringBuilder sb =
        new StringBuilder("mark=" + p.fwmark() + (p.fwmarkChosen() ? " chosen" : "") + "\n");
    for (PolicyRouting.Step s : p.steps()) {
      sb.append(String.join(" ", s.args()).replace("\n", "\\n"));
      if (!s.undo().isEmpty()) {
        sb.append("  | undo: ").append(String.join(" ", s.undo()));
      }
      sb.append('\n');
    }
    return sb.toString();
  }

  static Stream<Arguments> plans() {
    return Stream.of(
        Arguments.of(
            "plain routes go to main",
            RouteTable.AUTO,
            0L,
            cidrs("10.0.0.2/32", "192.168.50.7/24"),
            """
            mark=0
            ip -4 route replace 10.0.0.2/32 dev wg0
            ip -4 route replace 192.168.50.0/24 dev wg0
            """),
        Arguments.of(
            "full tunnel, no FwMark: the first free table from 51820 is mark and table",
            RouteTable.AUTO,
            0L,
            cidrs("0.0.0.0/0", "::/0", "10.0.0.2/32"),
            """
            mark=51822 chosen
            ip -4 route replace 0.0.0.0/0 dev wg0 table 51822
            ip -4 rule add not fwmark 51822 table 51822  | undo: ip -4 rule del not fwmark 51822 table 51822
            ip -4 rule add table main suppress_prefixlength 0  | undo: ip -4 rule del table main suppress_prefixlength 0
            ip -6 route replace ::/0 dev wg0 table 51822
            ip -6 rule add not fwmark 51822 table 51822  | undo: ip -6 rule del not fwmark 51822 table 51822
            ip -6 rule add table main suppress_prefixlength 0  | undo: ip -6 rule del table main suppress_prefixlength 0
            ip -4 route replace 10.0.0.2/32 dev wg0
            """),
        Arguments.of(
            "full tunnel with FwMark: the mark is the table",
            RouteTable.AUTO,
            0xca6dL,
            cidrs("0.0.0.0/0"),
            """
            mark=51821
            ip -4 route replace 0.0.0.0/0 dev wg0 table 51821
            ip -4 rule add not fwmark 51821 table 51821  | undo: ip -4 rule del not fwmark 51821 table 51821
            ip -4 rule add table main suppress_prefixlength 0  | undo: ip -4 rule del table main suppress_prefixlength 0
            """),
        Arguments.of(
            "Table = off: nothing, the mark as configured",
            RouteTable.OFF,
            7L,
            cidrs("0.0.0.0/0", "10.0.0.2/32"),
            """
            mark=7
            """),
        Arguments.of(
            "Table = 1234: everything there, /0 included, no rules",
            new RouteTable.Named("1234"),
            0L,
            cidrs("0.0.0.0/0", "10.0.0.9/24", "10.0.0.0/24"),
            """
            mark=0
            ip -4 route replace 0.0.0.0/0 dev wg0 table 1234
            ip -4 route replace 10.0.0.0/24 dev wg0 table 1234
            """));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("plans")
  void plansLikeWgQuick(
      String what, RouteTable table, long mark, List<IpPrefix> routes, String expected) {
    Set<Long> used = Set.of(51820L, 51821L);
    assertThat(
            render(
                PolicyRouting.plan(
                    table, mark, routes, addresses("10.0.0.1/24"), "wg0", used::contains, false)))
        .isEqualTo(expected);
  }

  @Test
  void withNftAFullTunnelAlsoGetsWgQuicksFirewallTable() {
    PolicyRouting.Plan p =
        PolicyRouting.plan(
            RouteTable.AUTO,
            0,
            cidrs("0.0.0.0/0", "::/0"),
            addresses("10.7.0.1/24", "fd00:7::1/64"),
            "wg0",
            t -> false,
            true);
    assertThat(render(p))
        .isEqualTo(
            """
        mark=51820 chosen
        ip -4 route replace 0.0.0.0/0 dev wg0 table 51820
        ip -4 rule add not fwmark 51820 table 51820  | undo: ip -4 rule del not fwmark 51820 table 51820
        ip -4 rule add table main suppress_prefixlength 0  | undo: ip -4 rule del table main suppress_prefixlength 0
        sysctl -q -w net.ipv4.conf.all.src_valid_mark=1
        nft add table ip tessera-wg0\\ndelete table ip tessera-wg0\\nadd table ip tessera-wg0\\n\
        add chain ip tessera-wg0 preraw { type filter hook prerouting priority -300; }\\n\
        add chain ip tessera-wg0 premangle { type filter hook prerouting priority -150; }\\n\
        add chain ip tessera-wg0 postmangle { type filter hook postrouting priority -150; }\\n\
        add rule ip tessera-wg0 preraw iifname != "wg0" ip daddr 10.7.0.1 fib saddr type != local drop\\n\
        add rule ip tessera-wg0 postmangle meta l4proto udp mark 51820 ct mark set mark\\n\
        add rule ip tessera-wg0 premangle meta l4proto udp meta mark set ct mark\\n  | undo: nft delete table ip tessera-wg0
        ip -6 route replace ::/0 dev wg0 table 51820
        ip -6 rule add not fwmark 51820 table 51820  | undo: ip -6 rule del not fwmark 51820 table 51820
        ip -6 rule add table main suppress_prefixlength 0  | undo: ip -6 rule del table main suppress_prefixlength 0
        nft add table ip6 tessera-wg0\\ndelete table ip6 tessera-wg0\\nadd table ip6 tessera-wg0\\n\
        add chain ip6 tessera-wg0 preraw { type filter hook prerouting priority -300; }\\n\
        add chain ip6 tessera-wg0 premangle { type filter hook prerouting priority -150; }\\n\
        add chain ip6 tessera-wg0 postmangle { type filter hook postrouting priority -150; }\\n\
        add rule ip6 tessera-wg0 preraw iifname != "wg0" ip6 daddr fd00:7::1 fib saddr type != local drop\\n\
        add rule ip6 tessera-wg0 postmangle meta l4proto udp mark 51820 ct mark set mark\\n\
        add rule ip6 tessera-wg0 premangle meta l4proto udp meta mark set ct mark\\n  | undo: nft delete table ip6 tessera-wg0
        """);
  }

  @Test
  void anExitNodeClientKeepsThePolicyServerOutsideTheTunnel() throws Exception {
    PolicyRouting.Plan full =
        PolicyRouting.plan(
            RouteTable.AUTO, 0, cidrs("0.0.0.0/0", "::/0"), List.of(), "wg0", t -> false, false);
    PolicyRouting.Plan kept =
        PolicyRouting.keepOutside(
            full,
            List.of(
                java.net.InetAddress.ofLiteral("198.51.100.1"),
                java.net.InetAddress.ofLiteral("2001:db8::1"),
                java.net.InetAddress.ofLiteral("198.51.100.1")));
    assertThat(render(kept))
        .isEqualTo(
            render(full)
                + """
                ip -4 rule add to 198.51.100.1/32 table main  | undo: ip -4 rule del to 198.51.100.1/32 table main
                ip -6 rule add to 2001:db8::1/128 table main  | undo: ip -6 rule del to 2001:db8::1/128 table main
                """);
    PolicyRouting.Plan subnets =
        PolicyRouting.plan(
            RouteTable.AUTO, 0, cidrs("10.0.0.2/32"), List.of(), "wg0", t -> false, false);
    assertThat(
            PolicyRouting.keepOutside(
                subnets, List.of(java.net.InetAddress.ofLiteral("198.51.100.1"))))
        .as("no full tunnel: nothing to keep outside")
        .isEqualTo(subnets);
  }

  /** Records ip invocations; fails the n-th one when asked. */
  static final class FakeIp implements PolicyRouting.IpRunner {
    final List<String> calls = new ArrayList<>();
    int failAt = -1;

    @Override
    public String ip(List<String> args) throws IOException {
      calls.add(String.join(" ", args));
      if (calls.size() - 1 == failAt) {
        throw new IOException("RTNETLINK answers: File exists");
      }
      return "";
    }
  }

  @Test
  void applyRecordsUndoAndCloseRemovesRulesAndStateFile(@TempDir Path dir) throws Exception {
    PolicyRouting.Plan plan =
        PolicyRouting.plan(
            RouteTable.AUTO, 0, cidrs("0.0.0.0/0"), List.of(), "wg0", t -> false, false);
    FakeIp ip = new FakeIp();
    Path state = PolicyRouting.stateFile(dir, "wg0");
    PolicyRouting r = PolicyRouting.apply(plan, state, ip, s -> {});
    assertThat(r.rules()).isEqualTo(2);
    assertThat(Files.readAllLines(state))
        .containsExactly(
            "ip -4 rule del not fwmark 51820 table 51820",
            "ip -4 rule del table main suppress_prefixlength 0");
    ip.calls.clear();
    r.close();
    assertThat(ip.calls)
        .containsExactly(
            "ip -4 rule del table main suppress_prefixlength 0",
            "ip -4 rule del not fwmark 51820 table 51820");
    assertThat(state).doesNotExist();
    r.close(); // idempotent
    assertThat(ip.calls).hasSize(2);
  }

  @Test
  void nextApplyUndoesWhatAKilledAgentLeft(@TempDir Path dir) throws Exception {
    Path state = PolicyRouting.stateFile(dir, "wg0");
    Files.writeString(
        state,
        "ip -4 rule del not fwmark 51820 table 51820\nip -4 rule del table main suppress_prefixlength 0\n"
            + "nft delete table ip tessera-wg0\nip link del dev eth0\nsh -c reboot\n"); // damaged
    // lines are
    // never run
    FakeIp ip = new FakeIp();
    List<String> log = new ArrayList<>();
    PolicyRouting r =
        PolicyRouting.apply(
            PolicyRouting.plan(
                RouteTable.AUTO, 0, cidrs("10.0.0.2/32"), List.of(), "wg0", t -> false, false),
            state,
            ip,
            log::add);
    assertThat(ip.calls)
        .containsExactly(
            "nft delete table ip tessera-wg0",
            "ip -4 rule del table main suppress_prefixlength 0",
            "ip -4 rule del not fwmark 51820 table 51820",
            "ip -4 route replace 10.0.0.2/32 dev wg0");
    assertThat(state).doesNotExist();
    assertThat(log)
        .anyMatch(l -> l.contains("ignoring unexpected line"))
        .anyMatch(l -> l.contains("removed 3 routing rule"));
    r.close();
  }

  @Test
  void aFailedStepUndoesTheRulesAlreadyAdded(@TempDir Path dir) {
    FakeIp ip = new FakeIp();
    ip.failAt = 2; // the suppress_prefixlength rule
    Path state = PolicyRouting.stateFile(dir, "wg0");
    assertThatThrownBy(
            () ->
                PolicyRouting.apply(
                    PolicyRouting.plan(
                        RouteTable.AUTO,
                        0,
                        cidrs("0.0.0.0/0"),
                        List.of(),
                        "wg0",
                        t -> false,
                        false),
                    state,
                    ip,
                    s -> {}))
        .hasMessageContaining("File exists");
    assertThat(ip.calls).last().isEqualTo("ip -4 rule del not fwmark 51820 table 51820");
    assertThat(state).doesNotExist();
  }
}
