package dev.tessera.policy.print;

import dev.tessera.policy.ast.Comment;
import dev.tessera.policy.ast.Policy;
import dev.tessera.policy.print.TreeEmitter.Arr;
import dev.tessera.policy.print.TreeEmitter.Field;
import dev.tessera.policy.print.TreeEmitter.Node;
import dev.tessera.policy.print.TreeEmitter.Obj;

/**
 * Canonical HuJSON: tab indentation and trailing commas on every multi-line container (the layout
 * of Tailscale's own formatter, so {@code fmt} on a Tailscale-formatted file changes little), lists
 * of plain strings on one line when they fit in {@value #WIDTH} columns, comments as {@code //} or
 * {@code /* *}{@code /} as read.
 */
final class HujsonPrinter {
  static final int WIDTH = 100;

  private final CommentPlan plan;
  private final StringBuilder out = new StringBuilder();

  HujsonPrinter(Policy p) {
    this.plan = CommentPlan.of(p);
  }

  String print(Obj doc) {
    for (Comment c : plan.head()) {
      out.append(text(c)).append('\n');
    }
    out.append("{\n");
    for (Field f : doc.fields()) {
      field(f, 1);
    }
    for (Comment c : plan.tail()) {
      out.append('\t').append(text(c)).append('\n');
    }
    out.append("}\n");
    return out.toString();
  }

  private void field(Field f, int depth) {
    leading(f.anchor(), depth);
    int start = out.length();
    indent(depth);
    out.append(Quoting.json(f.key())).append(": ");
    value(f.value(), depth);
    out.append(',');
    trailing(f.anchor(), start);
    out.append('\n');
  }

  private void value(Node n, int depth) {
    switch (n) {
      case TreeEmitter.Str s -> out.append(Quoting.json(s.value()));
      case TreeEmitter.Raw r -> out.append(r.text());
      case TreeEmitter.JsonValue j -> value(TreeEmitter.expand(j), depth);
      case Obj o -> {
        if (o.fields().isEmpty()) {
          out.append("{}");
          return;
        }
        out.append("{\n");
        for (Field f : o.fields()) {
          field(f, depth + 1);
        }
        indent(depth);
        out.append('}');
      }
      case Arr a -> {
        if (a.items().isEmpty()) {
          out.append("[]");
          return;
        }
        String inline = inline(a);
        if (inline != null && column() + inline.length() + 1 <= WIDTH) {
          out.append(inline);
          return;
        }
        out.append("[\n");
        for (int i = 0; i < a.items().size(); i++) {
          Object anchor = a.anchors() == null ? null : a.anchors().get(i);
          leading(anchor, depth + 1);
          int start = out.length();
          indent(depth + 1);
          value(a.items().get(i), depth + 1);
          out.append(',');
          trailing(anchor, start);
          out.append('\n');
        }
        indent(depth);
        out.append(']');
      }
    }
  }

  /** ["a", "b"] when every item is a scalar and no item carries comments; else null. */
  private static String inline(Arr a) {
    if (a.anchors() != null) {
      return null;
    }
    StringBuilder sb = new StringBuilder("[");
    for (int i = 0; i < a.items().size(); i++) {
      Node n = a.items().get(i);
      sb.append(i == 0 ? "" : ", ");
      switch (n) {
        case TreeEmitter.Str s -> sb.append(Quoting.json(s.value()));
        case TreeEmitter.Raw r -> sb.append(r.text());
        default -> {
          return null;
        }
      }
    }
    return sb.append(']').toString();
  }

  private int column() {
    int nl = out.lastIndexOf("\n");
    int col = 0;
    for (int i = nl + 1; i < out.length(); i++) {
      col += out.charAt(i) == '\t' ? 4 : 1;
    }
    return col;
  }

  private void leading(Object anchor, int depth) {
    if (anchor == null) {
      return;
    }
    for (Comment c : plan.leading(anchor)) {
      indent(depth);
      out.append(text(c)).append('\n');
    }
  }

  /** Trailing comments at the end of the entry's first line (see {@link CommentPlan}). */
  private void trailing(Object anchor, int entryStart) {
    if (anchor == null || plan.trailing(anchor).isEmpty()) {
      return;
    }
    StringBuilder sb = new StringBuilder();
    for (Comment c : plan.trailing(anchor)) {
      sb.append(' ').append(text(c));
    }
    int nl = out.indexOf("\n", entryStart);
    if (nl < 0) {
      out.append(sb);
    } else {
      out.insert(nl, sb);
    }
  }

  private void indent(int depth) {
    out.repeat('\t', depth);
  }

  private static String text(Comment c) {
    return switch (c.kind()) {
      case LINE -> "//" + c.text();
      case BLOCK -> "/*" + c.text() + "*/";
    };
  }
}
