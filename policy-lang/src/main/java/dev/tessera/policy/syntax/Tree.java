package dev.tessera.policy.syntax;

import dev.tessera.policy.ast.SourceSpan;
import java.util.List;
import java.util.Optional;

/**
 * A located JSON-shaped document tree: what the HuJSON and YAML readers build before mapping to the
 * AST, and what schema validation walks. Unlike Jackson's JsonNode it keeps every node's and every
 * key's span, and object entries keep source order and duplicates (reported separately).
 */
public sealed interface Tree {
  SourceSpan span();

  /** JSON type name used in messages ({@code object}, {@code array}, {@code string}, ...). */
  String typeName();

  record Obj(List<Entry> entries, SourceSpan span) implements Tree {
    public Obj {
      entries = List.copyOf(entries);
    }

    @Override
    public String typeName() {
      return "object";
    }

    /** The first entry with exactly this key. */
    public Optional<Entry> get(String key) {
      for (Entry e : entries) {
        if (e.key().equals(key)) {
          return Optional.of(e);
        }
      }
      return Optional.empty();
    }
  }

  record Entry(String key, SourceSpan keySpan, Tree value) {}

  record Arr(List<Tree> items, SourceSpan span) implements Tree {
    public Arr {
      items = List.copyOf(items);
    }

    @Override
    public String typeName() {
      return "array";
    }
  }

  record Str(String value, SourceSpan span) implements Tree {
    @Override
    public String typeName() {
      return "string";
    }
  }

  /** A number, kept as its source text. */
  record Num(String text, boolean integral, SourceSpan span) implements Tree {
    @Override
    public String typeName() {
      return "number"; // as JSON Schema messages say for integers too
    }
  }

  record Bool(boolean value, SourceSpan span) implements Tree {
    @Override
    public String typeName() {
      return "boolean";
    }
  }

  record Null(SourceSpan span) implements Tree {
    @Override
    public String typeName() {
      return "null";
    }
  }

  /** Follows a path of keys (String) and indexes (Integer); empty if it leaves the tree. */
  static Optional<Tree> at(Tree root, List<Object> path) {
    Tree cur = root;
    for (Object step : path) {
      if (step instanceof Integer i && cur instanceof Arr a && i >= 0 && i < a.items().size()) {
        cur = a.items().get(i);
      } else if (step instanceof String k && cur instanceof Obj o) {
        Optional<Entry> e = o.get(k);
        if (e.isEmpty()) {
          return Optional.empty();
        }
        cur = e.get().value();
      } else {
        return Optional.empty();
      }
    }
    return Optional.of(cur);
  }
}
