package dev.tessera.compiler.incremental;

import dev.tessera.compiler.inventory.InventoryNode;
import java.util.Objects;

/** One inventory change that {@link IncrementalCompiler#apply} recompiles for. */
public sealed interface Change {
  /** The name of the node that joined, changed or left. */
  String name();

  /** A node joined (new name) or changed (same name). */
  record Upsert(InventoryNode node) implements Change {
    public Upsert {
      Objects.requireNonNull(node, "node");
    }

    @Override
    public String name() {
      return node.name();
    }
  }

  /** The node named {@code name} left (a name not in the inventory changes nothing). */
  record Leave(String name) implements Change {
    public Leave {
      Objects.requireNonNull(name, "name");
    }
  }
}
