package dev.tessera.compiler.matrix;

import dev.tessera.compiler.Compilation;
import dev.tessera.compiler.Compiler;
import dev.tessera.compiler.inventory.Inventory;
import dev.tessera.compiler.ir.Clause;
import dev.tessera.compiler.ir.Destination;
import dev.tessera.compiler.ir.ResolvedRule;
import dev.tessera.enforcer.format.CompiledFilter;
import dev.tessera.policy.ast.Policy;
import dev.tessera.policy.ast.PostureRef;
import dev.tessera.policy.diag.Diagnostics;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** The one place the auditor views call the compiler. */
final class CompilerBridge {
  private CompilerBridge() {}

  /** Filters per node name, and for each rule ({@code kind#index}) why it may allow nothing. */
  record Result(Map<String, CompiledFilter> filters, Map<String, String> emptyReasons) {}

  /** Compiles; null when compilation reported errors. */
  static Result compile(Policy policy, Inventory inventory, Diagnostics diags) {
    Compilation c = Compiler.compile(policy, inventory);
    diags.addAll(c.diagnostics());
    if (c.hasErrors()) {
      return null;
    }
    Map<String, String> reasons = new HashMap<>();
    for (ResolvedRule r : c.rules()) {
      reasons.put(r.origin().kind() + "#" + r.origin().index(), reason(c, r));
    }
    return new Result(c.filters(), reasons);
  }

  /**
   * Why a rule would compile to nothing, read off the compiler's resolved form (only used to word a
   * lint finding; whether the rule grants anything is decided from the filters).
   */
  private static String reason(Compilation c, ResolvedRule r) {
    BitSet src = r.sourceNodes();
    if (src.isEmpty() && r.selected().isEmpty()) {
      return "its sources match no device or address";
    }
    if (!src.isEmpty() && !r.posture().isEmpty()) {
      BitSet passing = (BitSet) src.clone();
      passing.andNot(r.postureFailed());
      if (passing.isEmpty() && r.sources().isEmpty()) {
        String postures =
            r.posture().stream().map(PostureRef::text).collect(Collectors.joining(", "));
        List<String> names = c.names(src);
        return (names.size() == 1
                ? "its only source device (" + names.getFirst() + ") fails"
                : "all " + names.size() + " source devices fail")
            + " its posture ("
            + postures
            + ")";
      }
    }
    boolean noDestination =
        !r.clauses().isEmpty()
            && r.clauses().stream()
                .map(Clause::destination)
                .allMatch(d -> d instanceof Destination.Nodes n && n.nodes().isEmpty());
    if (noDestination) {
      return "its destinations match no device";
    }
    return "no device in its sources reaches any device or route in its destinations";
  }
}
