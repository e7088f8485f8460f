package dev.tessera.compiler;

import dev.tessera.compiler.inventory.InventoryNode;

/** Incremental recompilation (see {@link Compilation#update}). */
final class Incremental {
  private Incremental() {}

  static Compilation update(Compilation old, InventoryNode changed) {
    return Compiler.compile(old.policy(), old.inventory().withNode(changed));
  }
}
