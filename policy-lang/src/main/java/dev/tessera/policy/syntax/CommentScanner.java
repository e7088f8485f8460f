package dev.tessera.policy.syntax;

import dev.tessera.policy.ast.Comment;
import dev.tessera.policy.ast.SourceSpan;
import dev.tessera.policy.diag.SourceText;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.events.CommentEvent;
import org.yaml.snakeyaml.events.Event;

/**
 * Collects comments for printers. Jackson skips comments, so HuJSON comments are found by a small
 * scan that knows JSON strings; YAML comments come from SnakeYAML's comment events (exact, aware
 * of quoting and block scalars). Only called on text that already parsed.
 */
public final class CommentScanner {
  private CommentScanner() {}

  /** {@code //} and {@code /* *}{@code /} comments outside strings, in source order. */
  public static List<Comment> hujson(SourceText src) {
    String t = src.text();
    List<Comment> out = new ArrayList<>();
    int i = 0;
    int n = t.length();
    while (i < n) {
      char c = t.charAt(i);
      if (c == '"') {
        i++;
        while (i < n && t.charAt(i) != '"') {
          i += t.charAt(i) == '\\' ? 2 : 1;
        }
        i++;
      } else if (c == '/' && i + 1 < n && t.charAt(i + 1) == '/') {
        int end = i + 2;
        while (end < n && t.charAt(end) != '\n' && t.charAt(end) != '\r') {
          end++;
        }
        out.add(new Comment(t.substring(i + 2, end), Comment.Kind.LINE, span(src, i, end)));
        i = end;
      } else if (c == '/' && i + 1 < n && t.charAt(i + 1) == '*') {
        int close = t.indexOf("*/", i + 2);
        int end = close < 0 ? n : close + 2;
        String body = t.substring(i + 2, close < 0 ? n : close);
        out.add(new Comment(body, Comment.Kind.BLOCK, span(src, i, end)));
        i = end;
      } else {
        i++;
      }
    }
    return List.copyOf(out);
  }

  /** {@code #} comments (text after the {@code #}), in source order. Empty if the YAML is bad. */
  public static List<Comment> yaml(SourceText src) {
    List<Comment> out = new ArrayList<>();
    try {
      LoaderOptions opts = new LoaderOptions();
      opts.setProcessComments(true);
      org.yaml.snakeyaml.Yaml yaml = new org.yaml.snakeyaml.Yaml(opts);
      for (Event e : yaml.parse(new StringReader(src.text()))) {
        if (e instanceof CommentEvent ce && ce.getCommentType() != org.yaml.snakeyaml.comments.CommentType.BLANK_LINE) {
          int s = Math.max(0, Math.min(ce.getStartMark().getIndex(), src.text().length()));
          int end = Math.max(s, Math.min(ce.getEndMark().getIndex(), src.text().length()));
          out.add(new Comment(ce.getValue(), Comment.Kind.LINE, span(src, s, end)));
        }
      }
    } catch (RuntimeException e) {
      // Malformed YAML was already reported by the tree reader; comments are a nicety.
    }
    return List.copyOf(out);
  }

  private static SourceSpan span(SourceText src, int s, int e) {
    return new SourceSpan(src.name(), src.lineOf(s), src.colOf(s), src.lineOf(e), src.colOf(e), s, e);
  }
}
