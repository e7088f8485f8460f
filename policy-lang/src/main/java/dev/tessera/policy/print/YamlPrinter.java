package dev.tessera.policy.print;

import dev.tessera.policy.ast.Comment;
import dev.tessera.policy.ast.Policy;
import dev.tessera.policy.print.TreeEmitter.Arr;
import dev.tessera.policy.print.TreeEmitter.Field;
import dev.tessera.policy.print.TreeEmitter.Node;
import dev.tessera.policy.print.TreeEmitter.Obj;
import java.util.List;

/**
 * Canonical YAML: block style throughout (flow style would need commas quoted), two-space
 * indentation, sequences indented under their key, strings plain only when YAML 1.1 cannot read
 * them as anything else ({@link Quoting#yaml}). YAML has only {@code #} comments: block comments
 * become one {@code #} line per line of text.
 */
final class YamlPrinter {
  private final CommentPlan plan;
  private final StringBuilder out = new StringBuilder();

  YamlPrinter(Policy p) {
    this.plan = CommentPlan.of(p);
  }

  String print(Obj doc) {
    for (Comment c : plan.head()) {
      comment(c, "");
    }
    if (doc.fields().isEmpty()) {
      out.append("{}\n");
    }
    for (Field f : doc.fields()) {
      field(f, "", "");
    }
    for (Comment c : plan.tail()) {
      comment(c, "");
    }
    return out.toString();
  }

  /** A key and its value; the first line starts with {@code first}, later ones with indent. */
  private void field(Field f, String indent, String first) {
    leading(f.anchor(), indent, first);
    String key = Quoting.yaml(f.key()) + ":";
    after((first.isEmpty() ? indent : first) + key, f.value(), indent, f.anchor());
  }

  /** Writes a value after {@code line} (which ends with ':' or '-'); nested lines at indent+2. */
  private void after(String line, Node n, String indent, Object anchor) {
    switch (n) {
      case TreeEmitter.Str s -> end(line + " " + Quoting.yaml(s.value()), anchor);
      case TreeEmitter.Raw r -> end(line + " " + r.text(), anchor);
      case TreeEmitter.JsonValue j -> after(line, TreeEmitter.expand(j), indent, anchor);
      case Obj o -> {
        if (o.fields().isEmpty()) {
          end(line + " {}", anchor);
          return;
        }
        end(line, anchor);
        for (Field f : o.fields()) {
          field(f, indent + "  ", "");
        }
      }
      case Arr a -> {
        if (a.items().isEmpty()) {
          end(line + " []", anchor);
          return;
        }
        end(line, anchor);
        items(a, indent + "  ");
      }
    }
  }

  private void items(Arr a, String indent) {
    for (int i = 0; i < a.items().size(); i++) {
      Object anchor = a.anchors() == null ? null : a.anchors().get(i);
      item(a.items().get(i), indent, anchor);
    }
  }

  private void item(Node n, String indent, Object anchor) {
    leading(anchor, indent, "");
    String dash = indent + "- ";
    switch (n) {
      case TreeEmitter.Str s -> end(dash + Quoting.yaml(s.value()), anchor);
      case TreeEmitter.Raw r -> end(dash + r.text(), anchor);
      case TreeEmitter.JsonValue j -> item(TreeEmitter.expand(j), indent, null);
      case Obj o -> {
        if (o.fields().isEmpty()) {
          end(dash + "{}", anchor);
          return;
        }
        String inner = indent + "  ";
        for (int i = 0; i < o.fields().size(); i++) {
          Field f = o.fields().get(i);
          if (i == 0) {
            // The item's trailing comments go on its first line.
            Field first = new Field(f.key(), f.value(), anchor != null ? anchor : f.anchor());
            String key = Quoting.yaml(first.key()) + ":";
            after(dash + key, first.value(), inner, first.anchor());
          } else {
            field(f, inner, "");
          }
        }
      }
      case Arr a -> {
        if (a.items().isEmpty()) {
          end(dash + "[]", anchor);
          return;
        }
        end(indent + "-", anchor);
        items(a, indent + "  ");
      }
    }
  }

  private void end(String line, Object anchor) {
    out.append(line);
    if (anchor != null) {
      for (Comment c : plan.trailing(anchor)) {
        if (c.kind() == Comment.Kind.LINE || c.text().indexOf('\n') < 0) {
          out.append("  #").append(c.text().replace("\r", ""));
        }
      }
    }
    out.append('\n');
  }

  private void leading(Object anchor, String indent, String first) {
    if (anchor == null) {
      return;
    }
    List<Comment> cs = plan.leading(anchor);
    for (Comment c : cs) {
      comment(c, indent);
    }
  }

  private void comment(Comment c, String indent) {
    for (String line : c.text().split("\r?\n", -1)) {
      out.append(indent).append('#').append(line).append('\n');
    }
  }
}
