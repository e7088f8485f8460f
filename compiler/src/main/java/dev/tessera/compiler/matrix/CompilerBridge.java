package dev.tessera.compiler.matrix;

import dev.tessera.compiler.Compilation;
import dev.tessera.compiler.Compiler;
import dev.tessera.compiler.inventory.Inventory;
import dev.tessera.enforcer.format.CompiledFilter;
import dev.tessera.policy.ast.Policy;
import dev.tessera.policy.diag.Diagnostics;
import java.util.Map;

/** The one place the auditor views call the compiler. */
final class CompilerBridge {
  private CompilerBridge() {}

  /** Compiles; returns the filter per node name, or null when compilation reported errors. */
  static Map<String, CompiledFilter> compile(Policy policy, Inventory inventory, Diagnostics diags) {
    Compilation c = Compiler.compile(policy, inventory);
    diags.addAll(c.diagnostics());
    return c.hasErrors() ? null : c.filters();
  }
}
