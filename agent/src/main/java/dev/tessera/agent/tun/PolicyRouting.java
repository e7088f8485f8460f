package dev.tessera.agent.tun;

import dev.tessera.agent.config.RouteTable;
import dev.tessera.net.IpCidr;
import dev.tessera.net.IpPrefix;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.LongPredicate;

/**
 * Routes for AllowedIPs, including a full tunnel ({@code 0.0.0.0/0}, {@code ::/0}), with wg-quick's
 * exact policy-routing scheme (wg-quick(8), {@code add_route} and {@code add_default}).
 *
 * <p>Why rules are needed for {@code /0}: a default route into the tunnel would also catch the
 * tunnel's own encrypted UDP to the peer's endpoint, which would loop back into the tunnel.
 * wg-quick therefore (1) marks the WireGuard socket with a fwmark M (the configured {@code FwMark},
 * else the first free table from 51820 up), (2) puts the default route into table M, (3) adds
 * {@code ip rule not fwmark M table M}: everything except the tunnel's own datagrams uses table M,
 * and (4) adds {@code ip rule table main suppress_prefixlength 0} before it, so the main table's
 * specific routes (LAN, the endpoint's subnet) still win over the tunnel while its default route is
 * ignored. Marked packets skip table M and follow main's default route to the physical link.
 *
 * <p>Lifecycle: routes live in tables only through the TUN interface and vanish with it (also after
 * a crash). Rules do not; each rule added is recorded in a state file ({@code RUNDIR/IFACE.rules},
 * one undo command per line) before the next step, {@link #close} (down, SIGTERM) deletes them and
 * the file, and the next {@link #apply} for the interface first undoes what a killed agent left
 * there. Only rules this agent added are deleted, never a rule of another interface.
 *
 * <p>Firewall part, when {@code nft} is installed (wg-quick's nft branch; its iptables fallback is
 * not done): a table {@code tessera-IFACE} per family with (1) anti-spoofing: a packet for one of
 * the interface's addresses arriving on another interface from a non-local source is dropped
 * (otherwise anyone on the LAN could reach services bound to the tunnel address), and (2) connmark:
 * the fwmark of the tunnel's outgoing UDP is saved in its conntrack entry and restored on the
 * replies, so with {@code net.ipv4.conf.all.src_valid_mark=1} (set, as wg-quick does) a strict
 * {@code rp_filter=1} accepts the endpoint's replies. Its undo ({@code nft delete table}) is
 * recorded like the rules'. Without nft and with {@code rp_filter=1} the agent warns.
 */
public final class PolicyRouting implements AutoCloseable {
  /** wg-quick's first candidate table (and fwmark) for a full tunnel. */
  public static final long FIRST_TABLE = 51820;

  /**
   * One command and, for what outlives the interface (rules, nft tables), the command undoing it.
   *
   * @param args the command: {@code ip ...}, {@code nft ...} or {@code sysctl ...}
   * @param undo the command that removes it, or empty when it needs no undo
   */
  public record Step(List<String> args, List<String> undo) {
    public Step {
      args = List.copyOf(args);
      undo = List.copyOf(undo);
    }
  }

  /**
   * What to do for a config.
   *
   * @param fwmark the socket mark to set (0 = none); for a full tunnel the table's number
   * @param fwmarkChosen the mark was not configured and was chosen as a free table (wg-quick's
   *     {@code wg set fwmark $table})
   * @param steps in order
   */
  public record Plan(long fwmark, boolean fwmarkChosen, List<Step> steps) {
    public Plan {
      steps = List.copyOf(steps);
    }

    public boolean fullTunnel() {
      return steps.stream().anyMatch(s -> !s.undo().isEmpty());
    }
  }

  /**
   * Plans routes for {@code routes} on {@code iface}, as wg-quick would.
   *
   * @param configuredMark the config's FwMark (0 = none)
   * @param addresses the interface's addresses (for the anti-spoofing rules)
   * @param tableInUse whether a routing table already holds routes (wg-quick skips such tables when
   *     it chooses one); only asked when no mark is configured and a /0 is present
   * @param nft whether {@code nft} is installed: then a full tunnel also gets the firewall part
   */
  public static Plan plan(
      RouteTable table,
      long configuredMark,
      List<IpPrefix> routes,
      List<IpCidr> addresses,
      String iface,
      LongPredicate tableInUse,
      boolean nft) {
    Set<IpPrefix> unique = new LinkedHashSet<>(routes);
    List<Step> steps = new ArrayList<>();
    long mark = configuredMark;
    boolean chosen = false;
    switch (table) {
      case RouteTable.Off o -> {}
      case RouteTable.Named n -> {
        for (IpPrefix r : unique) {
          steps.add(
              new Step(
                  List.of(
                      "ip",
                      family(r),
                      "route",
                      "replace",
                      r.toMixedString(),
                      "dev",
                      iface,
                      "table",
                      n.name()),
                  List.of()));
        }
      }
      case RouteTable.Auto a -> {
        boolean anyDefault = unique.stream().anyMatch(r -> r.bits() == 0);
        if (anyDefault && mark == 0) {
          mark = FIRST_TABLE;
          while (tableInUse.test(mark)) {
            mark++;
          }
          chosen = true;
        }
        String t = Long.toString(mark);
        for (IpPrefix r : unique) {
          String fam = family(r);
          if (r.bits() != 0) {
            steps.add(
                new Step(
                    List.of("ip", fam, "route", "replace", r.toMixedString(), "dev", iface),
                    List.of()));
            continue;
          }
          steps.add(
              new Step(
                  List.of(
                      "ip", fam, "route", "replace", r.toMixedString(), "dev", iface, "table", t),
                  List.of()));
          steps.add(
              new Step(
                  List.of("ip", fam, "rule", "add", "not", "fwmark", t, "table", t),
                  List.of("ip", fam, "rule", "del", "not", "fwmark", t, "table", t)));
          steps.add(
              new Step(
                  List.of("ip", fam, "rule", "add", "table", "main", "suppress_prefixlength", "0"),
                  List.of(
                      "ip", fam, "rule", "del", "table", "main", "suppress_prefixlength", "0")));
          if (nft) {
            steps.addAll(firewall(!r.ipv6(), iface, t, addresses));
          }
        }
      }
    }
    return new Plan(mark, chosen, steps);
  }

  /**
   * {@code plan} plus, for a full tunnel, a rule per address sending traffic to it by the main
   * table ({@code ip rule add to ADDR table main}, ahead of the tunnel's rules since each rule
   * added without a priority goes before the ones added earlier): the policy server of an exit-node
   * client stays reachable over the underlay even when its HTTP connections carry no fwmark. Each
   * rule's undo is recorded like the others'. A plan without a full tunnel is returned unchanged.
   */
  public static Plan keepOutside(Plan plan, List<java.net.InetAddress> addresses) {
    if (!plan.fullTunnel() || addresses.isEmpty()) {
      return plan;
    }
    List<Step> steps = new ArrayList<>(plan.steps());
    Set<String> seen = new LinkedHashSet<>();
    for (java.net.InetAddress a : addresses) {
      boolean v4 = a instanceof java.net.Inet4Address;
      String to = dev.tessera.net.IpAddress.of(a).toMixedString() + (v4 ? "/32" : "/128");
      if (seen.add(to)) {
        String fam = v4 ? "-4" : "-6";
        steps.add(
            new Step(
                List.of("ip", fam, "rule", "add", "to", to, "table", "main"),
                List.of("ip", fam, "rule", "del", "to", to, "table", "main")));
      }
    }
    return new Plan(plan.fwmark(), plan.fwmarkChosen(), steps);
  }

  /** wg-quick's nft rules for one family (see the class comment). */
  static List<Step> firewall(boolean v4, String iface, String mark, List<IpCidr> addresses) {
    String pf = v4 ? "ip" : "ip6";
    String name = nftTable(iface);
    StringBuilder sb = new StringBuilder();
    // declare, delete, re-create: the table's content is exactly ours even if a stale one existed
    sb.append("add table ").append(pf).append(' ').append(name).append('\n');
    sb.append("delete table ").append(pf).append(' ').append(name).append('\n');
    sb.append("add table ").append(pf).append(' ').append(name).append('\n');
    sb.append("add chain ")
        .append(pf)
        .append(' ')
        .append(name)
        .append(" preraw { type filter hook prerouting priority -300; }\n");
    sb.append("add chain ")
        .append(pf)
        .append(' ')
        .append(name)
        .append(" premangle { type filter hook prerouting priority -150; }\n");
    sb.append("add chain ")
        .append(pf)
        .append(' ')
        .append(name)
        .append(" postmangle { type filter hook postrouting priority -150; }\n");
    for (IpCidr a : addresses) {
      if (!a.isIpv6() == v4) {
        sb.append("add rule ")
            .append(pf)
            .append(' ')
            .append(name)
            .append(" preraw iifname != \"")
            .append(iface)
            .append("\" ")
            .append(pf)
            .append(" daddr ")
            .append(a.address().toMixedString())
            .append(" fib saddr type != local drop\n");
      }
    }
    sb.append("add rule ")
        .append(pf)
        .append(' ')
        .append(name)
        .append(" postmangle meta l4proto udp mark ")
        .append(mark)
        .append(" ct mark set mark\n");
    sb.append("add rule ")
        .append(pf)
        .append(' ')
        .append(name)
        .append(" premangle meta l4proto udp meta mark set ct mark\n");
    List<Step> steps = new ArrayList<>();
    if (v4) {
      steps.add(
          new Step(List.of("sysctl", "-q", "-w", "net.ipv4.conf.all.src_valid_mark=1"), List.of()));
    }
    steps.add(new Step(List.of("nft", sb.toString()), List.of("nft", "delete", "table", pf, name)));
    return steps;
  }

  /** The nft table of an interface's full-tunnel rules. */
  public static String nftTable(String iface) {
    return "tessera-" + iface;
  }

  /** Whether the {@code nft} tool is installed. */
  public static boolean nftInstalled() {
    String path = System.getenv().getOrDefault("PATH", "") + ":/usr/sbin:/sbin";
    for (String dir : path.split(":")) {
      if (!dir.isEmpty() && java.nio.file.Files.isExecutable(Path.of(dir, "nft"))) {
        return true;
      }
    }
    return false;
  }

  private static String family(IpPrefix r) {
    return r.ipv6() ? "-6" : "-4";
  }

  /** Runs a command of a plan; the seam the tests replace. */
  public interface IpRunner {
    String ip(List<String> command) throws IOException;
  }

  public static final IpRunner SYSTEM_IP = LinkSetup::run;

  /** Whether table {@code t} holds any IPv4 or IPv6 route (wg-quick's probe). */
  public static boolean tableInUse(long t) {
    for (String fam : List.of("-4", "-6")) {
      try {
        if (!LinkSetup.ip(fam, "route", "show", "table", Long.toString(t)).isBlank()) {
          return true;
        }
      } catch (IOException e) {
        // e.g. IPv6 disabled: that family holds nothing
      }
    }
    return false;
  }

  private final Path stateFile;
  private final IpRunner ip;
  private final Consumer<String> log;
  private final List<List<String>> undo = new ArrayList<>();

  private PolicyRouting(Path stateFile, IpRunner ip, Consumer<String> log) {
    this.stateFile = stateFile;
    this.ip = ip;
    this.log = log;
  }

  /** The state file of an interface's rules. */
  public static Path stateFile(Path runDir, String iface) {
    return runDir.resolve(iface + ".rules");
  }

  /**
   * Undoes rules a previous agent for this interface left behind (it was killed before {@link
   * #close}), then runs the plan, recording each rule's undo in {@code stateFile} before the next
   * step. On failure, undoes what it did and throws with ip's message.
   */
  public static PolicyRouting apply(Plan plan, Path stateFile, IpRunner ip, Consumer<String> log)
      throws IOException {
    undoStale(stateFile, ip, log);
    PolicyRouting r = new PolicyRouting(stateFile, ip, log);
    try {
      for (Step s : plan.steps()) {
        ip.ip(s.args());
        if (!s.undo().isEmpty()) {
          r.undo.add(s.undo());
          r.save();
        }
      }
    } catch (IOException | RuntimeException e) {
      r.close();
      throw e;
    }
    return r;
  }

  /** Removes the rules recorded in {@code stateFile} by an agent that did not get to clean up. */
  public static void undoStale(Path stateFile, IpRunner ip, Consumer<String> log)
      throws IOException {
    if (!Files.exists(stateFile)) {
      return;
    }
    // A few lines are written; a damaged or replaced file must not hang or exhaust the agent.
    List<String> lines =
        dev.tessera.bundle.BoundedFiles.readString(stateFile, 1 << 20).lines().toList();
    int removed = 0;
    for (int i = lines.size() - 1; i >= 0; i--) {
      List<String> args = List.of(lines.get(i).strip().split("\\s+"));
      // Only ever "ip -4|-6 rule del ..." or "nft delete table ip|ip6 NAME": the file is root's,
      // but
      // a damaged one must not make us run anything else.
      boolean ipRule =
          args.size() >= 5
              && args.get(0).equals("ip")
              && (args.get(1).equals("-4") || args.get(1).equals("-6"))
              && args.get(2).equals("rule")
              && args.get(3).equals("del");
      boolean nftTable =
          args.size() == 5
              && args.get(0).equals("nft")
              && args.get(1).equals("delete")
              && args.get(2).equals("table")
              && (args.get(3).equals("ip") || args.get(3).equals("ip6"));
      if (!ipRule && !nftTable) {
        log.accept("ignoring unexpected line in " + stateFile + ": " + lines.get(i));
        continue;
      }
      try {
        ip.ip(args);
        removed++;
      } catch (IOException e) {
        log.accept("stale rule already gone: " + String.join(" ", args));
      }
    }
    Files.deleteIfExists(stateFile);
    log.accept(
        "removed "
            + removed
            + " routing rule(s)/nft table(s) left by a previous agent for this interface ("
            + stateFile
            + ")");
  }

  private void save() throws IOException {
    StringBuilder sb = new StringBuilder();
    for (List<String> u : undo) {
      sb.append(String.join(" ", u)).append('\n');
    }
    dev.tessera.agent.config.PrivateFiles.writeString(stateFile, sb.toString());
  }

  /** Number of rules and nft tables in force (tests, status). */
  public int rules() {
    return undo.size();
  }

  /** Deletes the rules this instance added, newest first, and the state file. Idempotent. */
  @Override
  public synchronized void close() {
    boolean allGone = true;
    for (int i = undo.size() - 1; i >= 0; i--) {
      try {
        ip.ip(undo.get(i));
      } catch (IOException e) {
        allGone = false;
        log.accept("could not undo (" + String.join(" ", undo.get(i)) + "): " + e.getMessage());
      }
    }
    undo.clear();
    if (allGone) {
      try {
        Files.deleteIfExists(stateFile);
      } catch (IOException e) {
        log.accept("could not remove " + stateFile + ": " + e.getMessage());
      }
    }
  }

  /**
   * True when IPv4 reverse-path filtering is strict, which drops a full tunnel's endpoint replies
   * without connmark rules.
   */
  public static boolean strictRpFilter() {
    try {
      return Files.readString(Path.of("/proc/sys/net/ipv4/conf/all/rp_filter")).strip().equals("1");
    } catch (IOException e) {
      return false;
    }
  }
}
