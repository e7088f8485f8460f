package dev.tessera.policy.print;

import dev.tessera.policy.ast.JsonText;
import dev.tessera.policy.diag.Diagnostics;
import dev.tessera.policy.diag.SourceText;
import dev.tessera.policy.syntax.Tree;
import dev.tessera.policy.syntax.TreeReader;

/** Opaque JSON values (app capabilities, derpMap) as trees the printers can lay out. */
final class Json {
  private Json() {}

  /** The tree of a stored JSON value; a value that is not JSON (never from a reader) is a bug. */
  static Tree tree(JsonText j) {
    Diagnostics d = new Diagnostics();
    return TreeReader.read(new SourceText("<json>", j.json()), false, d)
        .orElseThrow(() -> new IllegalArgumentException("not JSON: " + j.json()));
  }

  /** A scalar's JSON text; containers are handled by the printers. */
  static String scalar(Tree t) {
    return switch (t) {
      case Tree.Str s -> Quoting.json(s.value());
      case Tree.Num n -> n.text();
      case Tree.Bool b -> Boolean.toString(b.value());
      case Tree.Null n -> "null";
      case Tree.Obj o -> throw new IllegalArgumentException("object is not a scalar");
      case Tree.Arr a -> throw new IllegalArgumentException("array is not a scalar");
    };
  }

  static boolean isScalar(Tree t) {
    return !(t instanceof Tree.Obj) && !(t instanceof Tree.Arr);
  }

  static boolean isEmptyContainer(Tree t) {
    return (t instanceof Tree.Obj o && o.entries().isEmpty())
        || (t instanceof Tree.Arr a && a.items().isEmpty());
  }

  /**
   * JSON layout shared by the HuJSON and DSL printers: objects one key per line, arrays of scalars
   * on one line when short, trailing commas on multi-line containers when {@code trailingCommas}
   * (HuJSON style; the DSL keeps strict JSON inside its blocks).
   */
  static void write(Tree t, StringBuilder out, String indent, String step, boolean trailingCommas) {
    switch (t) {
      case Tree.Obj o -> {
        if (o.entries().isEmpty()) {
          out.append("{}");
          return;
        }
        out.append("{\n");
        for (int i = 0; i < o.entries().size(); i++) {
          Tree.Entry e = o.entries().get(i);
          out.append(indent).append(step).append(Quoting.json(e.key())).append(": ");
          write(e.value(), out, indent + step, step, trailingCommas);
          if (trailingCommas || i + 1 < o.entries().size()) {
            out.append(',');
          }
          out.append('\n');
        }
        out.append(indent).append('}');
      }
      case Tree.Arr a -> {
        if (a.items().isEmpty()) {
          out.append("[]");
          return;
        }
        boolean flat = a.items().stream().allMatch(Json::isScalar);
        if (flat) {
          StringBuilder line = new StringBuilder("[");
          for (int i = 0; i < a.items().size(); i++) {
            line.append(i == 0 ? "" : ", ").append(scalar(a.items().get(i)));
          }
          line.append(']');
          if (line.length() <= 60) {
            out.append(line);
            return;
          }
        }
        out.append("[\n");
        for (int i = 0; i < a.items().size(); i++) {
          out.append(indent).append(step);
          write(a.items().get(i), out, indent + step, step, trailingCommas);
          if (trailingCommas || i + 1 < a.items().size()) {
            out.append(',');
          }
          out.append('\n');
        }
        out.append(indent).append(']');
      }
      default -> out.append(scalar(t));
    }
  }
}
