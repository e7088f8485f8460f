package dev.tessera.compiler.matrix;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.compiler.inventory.Inventory;
import dev.tessera.enforcer.format.CapGrant;
import dev.tessera.enforcer.format.CompiledFilter;
import dev.tessera.enforcer.format.FilterCodec;
import dev.tessera.enforcer.format.FilterRule;
import dev.tessera.enforcer.format.RuleOrigin;
import dev.tessera.policy.Policies;
import dev.tessera.policy.PolicyResult;
import dev.tessera.policy.Syntax;
import dev.tessera.policy.ast.Policy;
import dev.tessera.policy.print.Conversions;
import dev.tessera.testsupport.Conformance;
import dev.tessera.testsupport.RequiresConformance;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Layout commands keep meaning on the real policy files: for every file Tailscale accepts ({@code
 * wild/expected.tsv}), {@code fmt}, {@code convert --to yaml} and back, and {@code convert --to
 * tpol} and back compile, on the synthesized inventory of the original, to filters byte-identical
 * to the original's (rule origins compared by kind and index, since their line and column follow
 * the layout), and every string value of the original is still written the same way in the result.
 */
class RoundTripConformanceTest {
  record Way(String name, List<Syntax> hops) {}

  /** Round trips known to change filters or value text, with the reason; each must still fail. */
  private static final java.util.Map<String, String> KNOWN = java.util.Map.of();

  private static final List<Way> WAYS =
      List.of(
          new Way("fmt", List.of()),
          new Way("yaml and back", List.of(Syntax.YAML, Syntax.HUJSON)),
          new Way("tpol and back", List.of(Syntax.TPOL, Syntax.HUJSON)));

  @Test
  @RequiresConformance
  void fmtAndConvertRoundTripsCompileToTheSameFilters() throws IOException {
    Path root = Conformance.wild();
    List<String> valid =
        Files.readAllLines(root.resolve("expected.tsv")).stream()
            .filter(l -> l.matches("\\d+\\tvalid\\t.*"))
            .map(l -> l.substring(0, l.indexOf('\t')))
            .toList();
    List<String> failures = new ArrayList<>();
    List<String> notCompiled = new ArrayList<>();
    int checked = 0;
    for (String id : valid) {
      Path file;
      try (Stream<Path> s = Files.list(root.resolve(id))) {
        file =
            s.filter(f -> f.getFileName().toString().startsWith("policy."))
                .findFirst()
                .orElseThrow();
      }
      String name = file.getFileName().toString();
      String text = Files.readString(file);
      Optional<Inventory> inventory =
          new AuditLoader().policy(name, text).map(SyntheticInventory::from);
      Optional<List<byte[]>> original = inventory.flatMap(inv -> filters(name, text, inv));
      if (original.isEmpty()) {
        notCompiled.add(id);
        continue;
      }
      checked++;
      for (Way way : WAYS) {
        String result;
        try {
          result = apply(name, text, way);
        } catch (IllegalStateException e) {
          failures.add(id + " " + way.name() + ": " + e.getMessage());
          continue;
        }
        Optional<List<byte[]>> again = filters("policy.hujson", result, inventory.get());
        if (again.isEmpty()) {
          failures.add(id + " " + way.name() + ": the result does not compile");
        } else if (!sameBytes(original.get(), again.get())) {
          failures.add(id + " " + way.name() + ": filters differ");
        }
        List<String> lost = lostValues(text, result);
        if (!lost.isEmpty()) {
          failures.add(id + " " + way.name() + ": value text not kept: " + lost);
        }
      }
    }
    System.out.printf(
        "round trip: %d valid files compiled and checked %d ways; not compiled here %s%n",
        checked, WAYS.size(), notCompiled);
    Conformance.recordRate(
        "roundtrip_real_files", checked * WAYS.size() - failures.size(), checked * WAYS.size());
    failures.forEach(f -> System.out.println("round trip failure: " + f));
    List<String> unexpected =
        failures.stream().filter(f -> KNOWN.keySet().stream().noneMatch(f::startsWith)).toList();
    List<String> fixed =
        KNOWN.keySet().stream()
            .filter(k -> failures.stream().noneMatch(f -> f.startsWith(k)))
            .toList();
    assertThat(unexpected)
        .as("fmt/convert round trips that change filters or value text")
        .isEmpty();
    assertThat(fixed).as("known failures that now pass: remove them from KNOWN").isEmpty();
    assertThat(checked).as("valid files checked").isGreaterThanOrEqualTo(40);
  }

  private static String apply(String name, String text, Way way) {
    PolicyResult read = Policies.read(name, text, Syntax.HUJSON);
    if (way.hops().isEmpty()) {
      return ok(Conversions.format(read, false), "fmt");
    }
    String current = text;
    String currentName = name;
    for (Syntax to : way.hops()) {
      String out =
          ok(
              Conversions.print(
                  Policies.read(
                      currentName, current, Syntax.forFileName(currentName).orElse(Syntax.HUJSON)),
                  to),
              "convert --to " + to);
      currentName = "policy." + to.name().toLowerCase(Locale.ROOT);
      current = out;
    }
    return current;
  }

  private static String ok(Conversions.Result r, String step) {
    if (!r.ok()) {
      throw new IllegalStateException(step + " refused: " + r.blocking());
    }
    return r.text();
  }

  private static Optional<List<byte[]>> filters(String name, String text, Inventory inventory) {
    AuditLoader l = new AuditLoader();
    Optional<Policy> p = l.policy(name, text);
    if (p.isEmpty()) {
      return Optional.empty();
    }
    return l.compile(PolicyIndex.of(p.get(), name), inventory, true)
        .map(
            net -> {
              List<byte[]> out = new ArrayList<>();
              for (int i = 0; i < net.nodes().size(); i++) {
                out.add(FilterCodec.encode(withoutPositions(net.filter(i))));
              }
              return out;
            });
  }

  private static RuleOrigin kindAndIndex(RuleOrigin o) {
    return o == null ? null : new RuleOrigin("policy", 1, 1, o.kind(), o.index());
  }

  private static CompiledFilter withoutPositions(CompiledFilter f) {
    return new CompiledFilter(
        f.formatVersion(),
        f.node(),
        f.nodeAddresses(),
        f.rules().stream()
            .map(
                r ->
                    new FilterRule(
                        r.sources(), r.protocols(), r.destinations(), kindAndIndex(r.origin())))
            .toList(),
        f.peers(),
        f.capGrants().stream()
            .map(
                c ->
                    new CapGrant(
                        c.sources(),
                        c.destinations(),
                        c.capability(),
                        c.values(),
                        kindAndIndex(c.origin())))
            .toList());
  }

  private static boolean sameBytes(List<byte[]> a, List<byte[]> b) {
    if (a.size() != b.size()) {
      return false;
    }
    for (int i = 0; i < a.size(); i++) {
      if (!Arrays.equals(a.get(i), b.get(i))) {
        return false;
      }
    }
    return true;
  }

  /**
   * String values (not keys) of {@code before}, outside comments, that {@code after} no longer
   * holds as values.
   */
  static List<String> lostValues(String before, String after) {
    List<String> have = new ArrayList<>(values(after));
    List<String> lost = new ArrayList<>();
    for (String v : values(before)) {
      if (!have.remove(v)) {
        lost.add(v);
      }
    }
    return lost;
  }

  /** The string values (not keys) of a HuJSON text, comments skipped, escapes as written. */
  private static List<String> values(String hujson) {
    List<String> out = new ArrayList<>();
    int i = 0;
    int n = hujson.length();
    while (i < n) {
      char c = hujson.charAt(i);
      if (c == '/' && i + 1 < n && hujson.charAt(i + 1) == '/') {
        int e = hujson.indexOf('\n', i);
        i = e < 0 ? n : e;
      } else if (c == '/' && i + 1 < n && hujson.charAt(i + 1) == '*') {
        int e = hujson.indexOf("*/", i + 2);
        i = e < 0 ? n : e + 2;
      } else if (c == '"') {
        int j = i + 1;
        while (j < n && hujson.charAt(j) != '"') {
          j += hujson.charAt(j) == '\\' ? 2 : 1;
        }
        String v = hujson.substring(i + 1, Math.min(j, n));
        int k = j + 1;
        while (k < n && Character.isWhitespace(hujson.charAt(k))) {
          k++;
        }
        if (k >= n || hujson.charAt(k) != ':') {
          out.add(v);
        }
        i = j + 1;
      } else {
        i++;
      }
    }
    return out;
  }
}
