package dev.tessera.cli;

import dev.tessera.compiler.inventory.Inventory;
import dev.tessera.policy.Policies;
import dev.tessera.policy.PolicyResult;
import dev.tessera.policy.ast.Policy;
import dev.tessera.policy.diag.Codes;
import dev.tessera.policy.diag.Diagnostic;
import dev.tessera.policy.diag.SourceText;
import dev.tessera.policytests.PolicyTestInputs;
import dev.tessera.policytests.TestSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The files a command is given (a policy, optionally an inventory and external test files), read
 * together: every diagnostic of every file, the texts for excerpts, and the exit code the problems
 * call for. One place decides that code, so every command agrees: a file that cannot be read is
 * {@link PolicyC#USAGE}, a file that was read and has errors is {@link PolicyC#FAILED}.
 */
final class Inputs {
  private final PolicyResult policy;
  private final PolicyTestInputs.Read<Inventory> inventory;
  private final List<PolicyTestInputs.Read<List<TestSpec>>> tests;
  private final Map<String, SourceText> sources = new LinkedHashMap<>();
  private final List<Diagnostic> diagnostics = new ArrayList<>();

  private Inputs(
      PolicyResult policy,
      PolicyTestInputs.Read<Inventory> inventory,
      List<PolicyTestInputs.Read<List<TestSpec>>> tests) {
    this.policy = policy;
    this.inventory = inventory;
    this.tests = List.copyOf(tests);
    if (policy.source() != null) {
      sources.put(policy.source().name(), policy.source());
    }
    diagnostics.addAll(policy.diagnostics());
    if (inventory != null) {
      inventory.source().ifPresent(s -> sources.put(s.name(), s));
      diagnostics.addAll(inventory.diagnostics());
    }
    for (PolicyTestInputs.Read<List<TestSpec>> t : tests) {
      t.source().ifPresent(s -> sources.put(s.name(), s));
      diagnostics.addAll(t.diagnostics());
    }
  }

  /** Reads the policy, the inventory (null: none given) and the external test files. */
  static Inputs read(Path policyFile, Path inventoryFile, List<Path> testFiles) {
    List<PolicyTestInputs.Read<List<TestSpec>>> tests = new ArrayList<>();
    for (Path f : testFiles) {
      tests.add(PolicyTestInputs.readTests(f));
    }
    return new Inputs(
        Policies.read(policyFile),
        inventoryFile == null ? null : PolicyTestInputs.readInventory(inventoryFile),
        tests);
  }

  static Inputs read(Path policyFile, Path inventoryFile) {
    return read(policyFile, inventoryFile, List.of());
  }

  /** Every diagnostic: the policy's, then the inventory's, then each test file's. */
  List<Diagnostic> diagnostics() {
    return Collections.unmodifiableList(diagnostics);
  }

  List<Diagnostic> errors() {
    return diagnostics.stream().filter(Diagnostic::isError).toList();
  }

  Map<String, SourceText> sources() {
    return Collections.unmodifiableMap(sources);
  }

  /**
   * True when some file could not be read at all (missing, a directory, not UTF-8, unknown syntax).
   */
  boolean unreadable() {
    return policy.unreadable() || diagnostics.stream().anyMatch(Inputs::unreadable);
  }

  static boolean unreadable(Diagnostic d) {
    return d.code().equals(Codes.IO) || d.code().equals(Codes.UNSUPPORTED_SYNTAX);
  }

  /** True when every file was read and none has an error, so the command can do its work. */
  boolean valid() {
    return policy.policy().isPresent()
        && (inventory == null || inventory.value().isPresent())
        && tests.stream().allMatch(t -> t.value().isPresent())
        && errors().isEmpty();
  }

  /**
   * {@link PolicyC#USAGE} when a file could not be read, else {@link PolicyC#FAILED}; only when not
   * {@link #valid()}.
   */
  int exitCode() {
    return unreadable() ? PolicyC.USAGE : PolicyC.FAILED;
  }

  /** The valid policy; call only when {@link #valid()}. */
  Policy policy() {
    return policy.policy().orElseThrow();
  }

  PolicyResult policyResult() {
    return policy;
  }

  /** The valid inventory if one was given; call only when {@link #valid()}. */
  Optional<Inventory> inventory() {
    return inventory == null ? Optional.empty() : inventory.value();
  }

  /** The tests of every external test file, in order; call only when {@link #valid()}. */
  List<TestSpec> extraTests() {
    List<TestSpec> all = new ArrayList<>();
    for (PolicyTestInputs.Read<List<TestSpec>> t : tests) {
      all.addAll(t.value().orElseThrow());
    }
    return all;
  }

  /**
   * Why the input is not valid, in one line: {@code cannot read FILE: no such file}, or {@code N
   * errors in FILE[, M in FILE2]}.
   */
  String problem() {
    for (Diagnostic d : diagnostics) {
      if (unreadable(d)) {
        return "cannot read " + d.span().file() + ": " + d.message();
      }
    }
    return Inputs.count(errors());
  }

  /** {@code 1 error in a.hujson}, {@code 3 errors in a.hujson, 1 in inv.yaml}. */
  static String count(List<Diagnostic> errors) {
    Map<String, Integer> byFile = new LinkedHashMap<>();
    for (Diagnostic d : errors) {
      byFile.merge(d.span().file(), 1, Integer::sum);
    }
    StringBuilder sb = new StringBuilder();
    for (Map.Entry<String, Integer> e : byFile.entrySet()) {
      if (sb.isEmpty()) {
        sb.append(e.getValue())
            .append(e.getValue() == 1 ? " error in " : " errors in ")
            .append(e.getKey());
      } else {
        sb.append(", ").append(e.getValue()).append(" in ").append(e.getKey());
      }
    }
    return sb.isEmpty() ? "invalid input" : sb.toString();
  }
}
