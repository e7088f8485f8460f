package dev.tessera.policy.print;

import dev.tessera.policy.ast.Comment;
import dev.tessera.policy.ast.Policy;
import dev.tessera.policy.print.TreeEmitter.Arr;
import dev.tessera.policy.print.TreeEmitter.Field;
import dev.tessera.policy.print.TreeEmitter.Node;
import dev.tessera.policy.print.TreeEmitter.Obj;

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
    leading(f.anchor(), indent);
    int start = out.length();
    String key = Quoting.yaml(f.key()) + ":";
    after((first.isEmpty() ? indent : first) + key, f.value(), indent);
    trailing(f.anchor(), start);
  }

  /** Writes a value after {@code line} (which ends with ':' or '-'); nested lines at indent+2. */
  private void after(String line, Node n, String indent) {
    switch (n) {
      case TreeEmitter.Str s -> end(line + " " + Quoting.yaml(s.value()));
      case TreeEmitter.Raw r -> end(line + " " + r.text());
      case TreeEmitter.JsonValue j -> after(line, TreeEmitter.expand(j), indent);
      case Obj o -> {
        if (o.fields().isEmpty()) {
          end(line + " {}");
          return;
        }
        end(line);
        for (Field f : o.fields()) {
          field(f, indent + "  ", "");
        }
      }
      case Arr a -> {
        if (a.items().isEmpty()) {
          end(line + " []");
          return;
        }
        end(line);
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
    n = TreeEmitter.expand(n);
    leading(anchor, indent);
    int start = out.length();
    String dash = indent + "- ";
    switch (n) {
      case TreeEmitter.Str s -> end(dash + Quoting.yaml(s.value()));
      case TreeEmitter.Raw r -> end(dash + r.text());
      case TreeEmitter.JsonValue j -> throw new IllegalStateException("expanded above");
      case Obj o -> {
        if (o.fields().isEmpty()) {
          end(dash + "{}");
        } else {
          String inner = indent + "  ";
          for (int i = 0; i < o.fields().size(); i++) {
            Field f = o.fields().get(i);
            if (i == 0) {
              after(dash + Quoting.yaml(f.key()) + ":", f.value(), inner);
            } else {
              field(f, inner, "");
            }
          }
        }
      }
      case Arr a -> {
        if (a.items().isEmpty()) {
          end(dash + "[]");
        } else {
          end(indent + "-");
          items(a, indent + "  ");
        }
      }
    }
    trailing(anchor, start);
  }

  private void end(String line) {
    out.append(line).append('\n');
  }

  private void leading(Object anchor, String indent) {
    if (anchor == null) {
      return;
    }
    for (Comment c : plan.leading(anchor)) {
      comment(c, indent);
    }
  }

  /**
   * Trailing comments at the end of the entry's first line (see {@link CommentPlan}); YAML has only
   * line comments, so a multi-line block comment cannot trail and is never asked to.
   */
  private void trailing(Object anchor, int entryStart) {
    if (anchor == null || plan.trailing(anchor).isEmpty()) {
      return;
    }
    StringBuilder sb = new StringBuilder();
    for (Comment c : plan.trailing(anchor)) {
      sb.append("  #").append(c.text().replace("\n", " ").replace("\r", ""));
    }
    out.insert(out.indexOf("\n", entryStart), sb);
  }

  private void comment(Comment c, String indent) {
    for (String line : c.text().split("\r?\n", -1)) {
      out.append(indent).append('#').append(line).append('\n');
    }
  }
}
