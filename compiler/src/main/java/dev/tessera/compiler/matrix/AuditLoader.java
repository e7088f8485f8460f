package dev.tessera.compiler.matrix;

import dev.tessera.compiler.inventory.Inventory;
import dev.tessera.compiler.inventory.InventoryReader;
import dev.tessera.policy.Policies;
import dev.tessera.policy.PolicyResult;
import dev.tessera.policy.Syntax;
import dev.tessera.policy.ast.Policy;
import dev.tessera.policy.diag.Diagnostic;
import dev.tessera.policy.diag.DiagnosticRenderer;
import dev.tessera.policy.diag.Diagnostics;
import dev.tessera.policy.diag.SourceText;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads and compiles what {@code matrix}, {@code diff} and {@code lint} work on, collecting
 * diagnostics instead of throwing, so the commands stay thin and fail closed: any error in the
 * policy, the inventory or compilation means no view is produced.
 */
public final class AuditLoader {
  private final Map<String, SourceText> sources = new LinkedHashMap<>();
  private final List<Diagnostic> diagnostics = new ArrayList<>();

  /** Parses and validates a policy; empty when it has errors. */
  public Optional<Policy> policy(String name, String text) {
    Syntax syntax = Syntax.forFileName(name).orElse(Syntax.HUJSON);
    sources.put(name, new SourceText(name, text));
    PolicyResult r = Policies.read(name, text, syntax);
    diagnostics.addAll(r.diagnostics());
    return r.policy();
  }

  /** Parses an inventory (YAML or JSON); empty when it has errors. */
  public Optional<Inventory> inventory(String name, String text) {
    sources.put(name, new SourceText(name, text));
    Diagnostics d = new Diagnostics();
    Inventory inv = InventoryReader.read(name, text, d);
    diagnostics.addAll(d.sorted());
    return d.hasErrors() ? Optional.empty() : Optional.of(inv);
  }

  /**
   * Compiles {@code index}'s policy for {@code inventory}; empty when compilation reports errors.
   */
  public Optional<CompiledNetwork> compile(PolicyIndex index, Inventory inventory) {
    return compile(index, inventory, false);
  }

  /**
   * As {@link #compile(PolicyIndex, Inventory)}; with {@code assumePosture} every posture check
   * passes (for synthesized inventories, see {@link SyntheticInventory#withoutPosture}).
   */
  public Optional<CompiledNetwork> compile(
      PolicyIndex index, Inventory inventory, boolean assumePosture) {
    Diagnostics d = new Diagnostics();
    Policy policy =
        assumePosture ? SyntheticInventory.withoutPosture(index.policy()) : index.policy();
    CompilerBridge.Result r = CompilerBridge.compile(policy, inventory, d);
    diagnostics.addAll(d.sorted());
    if (d.hasErrors() || r == null) {
      return Optional.empty();
    }
    return Optional.of(CompiledNetworks.of(index, inventory, r.filters(), r.emptyReasons()));
  }

  /**
   * Compiles two policies for one inventory at the same time (the diff's two sides; on two cores
   * this halves the wait). Diagnostics are kept in argument order.
   */
  public List<Optional<CompiledNetwork>> compileBoth(
      PolicyIndex a, PolicyIndex b, Inventory inventory, boolean assumePosture) {
    AuditLoader la = new AuditLoader();
    AuditLoader lb = new AuditLoader();
    java.util.concurrent.CompletableFuture<Optional<CompiledNetwork>> fb =
        java.util.concurrent.CompletableFuture.supplyAsync(
            () -> lb.compile(b, inventory, assumePosture));
    Optional<CompiledNetwork> ra = la.compile(a, inventory, assumePosture);
    Optional<CompiledNetwork> rb = fb.join();
    diagnostics.addAll(la.diagnostics);
    diagnostics.addAll(lb.diagnostics);
    return List.of(ra, rb);
  }

  public boolean hasErrors() {
    return diagnostics.stream().anyMatch(Diagnostic::isError);
  }

  public List<Diagnostic> diagnostics() {
    return List.copyOf(diagnostics);
  }

  /** All diagnostics so far, as {@code file:line:col: error: ...} with source excerpts. */
  public String renderDiagnostics() {
    return DiagnosticRenderer.text(diagnostics, sources);
  }

  /** Registers a source so diagnostics located in it print with excerpts. */
  public void source(String name, String text) {
    sources.put(name, new SourceText(name, text));
  }
}
