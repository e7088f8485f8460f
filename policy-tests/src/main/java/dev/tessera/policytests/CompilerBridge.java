package dev.tessera.policytests;

import dev.tessera.compiler.Compilation;
import dev.tessera.compiler.Compiler;
import dev.tessera.compiler.inventory.Inventory;
import dev.tessera.policy.ast.Policy;

/** The seam between {@link PolicyTester} and the compiler: {@link Compiler#compile}, unchanged. */
final class CompilerBridge {
  private CompilerBridge() {}

  static PolicyTester.Compiled compile(Policy policy, Inventory inventory) {
    return of(Compiler.compile(policy, inventory));
  }

  static PolicyTester.Compiled of(Compilation c) {
    if (c.hasErrors()) {
      return PolicyTester.Compiled.failed(c.diagnostics());
    }
    return new PolicyTester.Compiled(
        c.filters(), c.rules(), name -> c.index().id(name), c.diagnostics());
  }
}
