package dev.tessera.compiler.matrix;

import dev.tessera.net.IpProtocol;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;

/**
 * The human form of a cell, shared by every renderer so CSV, Markdown, HTML and text agree.
 *
 * <p>A cell becomes entries, one per rule (rules allowing exactly the same share one): protocols
 * with the same ports are written together ({@code tcp/udp 80,443}), and the parts of one entry are
 * joined with {@code +}. A rule without {@code proto} compiles to TCP, UDP, ICMP and ICMPv6, so it
 * reads {@code tcp/udp 80,443 + icmp/ipv6-icmp}. In a grouped matrix an entry ends with {@code
 * [k/n]} when fewer than all n member pairs have all of it (k is the smallest count). Ports: {@code
 * *} is 0-65535; protocols without ports print no ports.
 */
final class CellText {
  private CellText() {}

  /** One line of a cell. */
  public record Entry(
      String access,
      String compact,
      List<Integer> protoNumbers,
      int[] rules,
      int pairs,
      int total) {
    public Entry {
      protoNumbers = List.copyOf(protoNumbers);
      rules = rules.clone();
    }

    @Override
    public int[] rules() {
      return rules.clone();
    }

    /** Whether only some member pairs of a grouped cell have this access. */
    public boolean partial() {
      return pairs < total;
    }

    /** {@code tcp 5432 (policy.hujson:58) [4/5]} */
    public String text(List<RuleRef> origins) {
      StringJoiner j = new StringJoiner(", ", access() + " (", ")");
      for (int r : rules) {
        j.add(origins.get(r).location());
      }
      return j + (partial() ? " [" + pairs + "/" + total + "]" : "");
    }
  }

  /**
   * The cell as entries: for each rule, everything it allows here (its ports may overlap another
   * rule's: "tcp/udp * (R5); tcp/udp 53 (R12)" reads better than cutting the port line at 53);
   * rules allowing exactly the same share an entry. Ordered by rule.
   */
  public static List<Entry> entries(Cell cell) {
    // rule -> proto -> segments containing the rule
    Map<Integer, Map<Integer, List<Segment>>> byRule = new java.util.TreeMap<>();
    for (Cell.ProtoPorts pp : cell.protocols()) {
      for (Segment s : pp.segments()) {
        for (int r : s.rules()) {
          byRule
              .computeIfAbsent(r, x -> new LinkedHashMap<>())
              .computeIfAbsent(pp.proto(), x -> new ArrayList<>())
              .add(s);
        }
      }
    }
    Map<String, List<Integer>> rulesBySignature = new LinkedHashMap<>();
    Map<String, Object[]> signature = new LinkedHashMap<>();
    byRule.forEach(
        (rule, protos) -> {
          // Protocols with the same ports are written together, in display order.
          Map<String, List<Integer>> protosByPorts = new LinkedHashMap<>();
          int min = cell.totalPairs();
          for (Map.Entry<Integer, List<Segment>> e : protos.entrySet()) {
            List<Segment> merged = merge(e.getValue());
            String ports = IpProtocol.hasPorts(e.getKey()) ? ports(merged) : "";
            protosByPorts.computeIfAbsent(ports, x -> new ArrayList<>()).add(e.getKey());
            for (Segment s : e.getValue()) {
              min = Math.min(min, s.pairs());
            }
          }
          List<String> texts = new ArrayList<>();
          List<String> compact = new ArrayList<>();
          List<Integer> numbers = new ArrayList<>();
          boolean tcpUdp =
              protosByPorts.values().stream()
                  .anyMatch(ps -> ps.contains(IpProtocol.TCP) && ps.contains(IpProtocol.UDP));
          protosByPorts.forEach(
              (ports, ps) -> {
                String names = String.join("/", ps.stream().map(IpProtocol::name).toList());
                texts.add(ports.isEmpty() ? names : names + " " + ports);
                numbers.addAll(ps);
                compact.add(compact(ports, ps, names, tcpUdp));
              });
          compact.removeIf(String::isEmpty);
          String sig = String.join(" + ", texts) + "|" + min;
          rulesBySignature.computeIfAbsent(sig, x -> new ArrayList<>()).add(rule);
          signature.putIfAbsent(
              sig,
              new Object[] {String.join(" + ", texts), numbers, min, String.join(" ", compact)});
        });
    List<Entry> out = new ArrayList<>();
    rulesBySignature.forEach(
        (sig, rules) -> {
          Object[] f = signature.get(sig);
          @SuppressWarnings("unchecked")
          List<Integer> numbers = (List<Integer>) f[1];
          out.add(
              new Entry(
                  (String) f[0],
                  (String) f[3],
                  numbers,
                  rules.stream().mapToInt(Integer::intValue).toArray(),
                  (Integer) f[2],
                  cell.totalPairs()));
        });
    return out;
  }

  /**
   * The short form drawn in HTML cells: bare ports mean TCP and UDP (Tailscale's default set, whose
   * ICMP part is then implied), other protocols are spelled ({@code tcp:5432}, {@code icmp}). The
   * full form is in the cell's tooltip.
   */
  private static String compact(String ports, List<Integer> ps, String names, boolean tcpUdp) {
    if (ps.contains(IpProtocol.TCP) && ps.contains(IpProtocol.UDP)) {
      List<String> rest =
          ps.stream()
              .filter(p -> p != IpProtocol.TCP && p != IpProtocol.UDP)
              .map(IpProtocol::name)
              .toList();
      return rest.isEmpty() ? ports : ports + "+" + String.join("/", rest);
    }
    boolean icmpOnly = ps.stream().allMatch(p -> p == IpProtocol.ICMP || p == IpProtocol.ICMPV6);
    if (icmpOnly) {
      return tcpUdp ? "" : "icmp";
    }
    return ports.isEmpty() ? names : names + ":" + ports;
  }

  /** Joins touching segments (a rule's ports, cut by other rules, read as one range again). */
  private static List<Segment> merge(List<Segment> segs) {
    List<Segment> out = new ArrayList<>();
    for (Segment s : segs) {
      if (!out.isEmpty() && out.getLast().last() + 1 >= s.first()) {
        Segment p = out.removeLast();
        out.add(new Segment(p.first(), Math.max(p.last(), s.last()), new int[0], 0));
      } else {
        out.add(new Segment(s.first(), s.last(), new int[0], 0));
      }
    }
    return out;
  }

  /** {@code 22,80-90,443} or {@code *}. */
  public static String ports(List<Segment> segs) {
    StringJoiner j = new StringJoiner(",");
    for (Segment s : segs) {
      if (s.first() == 0 && s.last() == 65535) {
        j.add("*");
      } else if (s.first() == s.last()) {
        j.add(Integer.toString(s.first()));
      } else {
        j.add(s.first() + "-" + s.last());
      }
    }
    return j.toString();
  }

  /**
   * One line of the long form: a protocol, one port range of it ({@code 22}, {@code 80-90}, {@code
   * *}; empty for protocols without ports), one rule granting it, and how many member pairs have it
   * (1 at node level).
   */
  public record LongRow(int proto, String ports, int rule, int pairs) {}

  /**
   * The cell in long form: per rule (ascending), per protocol (display order), each port range the
   * rule grants (its segments joined where they touch and have the same pair count).
   */
  public static List<LongRow> longRows(Cell cell) {
    List<LongRow> out = new ArrayList<>();
    java.util.TreeSet<Integer> rules = new java.util.TreeSet<>();
    for (int r : cell.ruleIndexes()) {
      rules.add(r);
    }
    for (int r : rules) {
      for (Cell.ProtoPorts pp : cell.protocols()) {
        boolean ported = IpProtocol.hasPorts(pp.proto());
        int first = -1;
        int last = -1;
        int pairs = 0;
        for (Segment s : pp.segments()) {
          if (!s.grantedBy(r)) {
            continue;
          }
          if (first >= 0 && last + 1 == s.first() && pairs == s.pairs()) {
            last = s.last();
            continue;
          }
          if (first >= 0) {
            out.add(new LongRow(pp.proto(), ported ? range(first, last) : "", r, pairs));
          }
          first = s.first();
          last = s.last();
          pairs = s.pairs();
        }
        if (first >= 0) {
          out.add(new LongRow(pp.proto(), ported ? range(first, last) : "", r, pairs));
        }
      }
    }
    return out;
  }

  private static String range(int first, int last) {
    return first == 0 && last == 65535
        ? "*"
        : first == last ? Integer.toString(first) : first + "-" + last;
  }

  /** The whole cell on one line, entries separated by "; ". Empty for no access. */
  public static String text(Cell cell, List<RuleRef> origins) {
    StringJoiner j = new StringJoiner("; ");
    for (Entry e : entries(cell)) {
      j.add(e.text(origins));
    }
    return j.toString();
  }
}
