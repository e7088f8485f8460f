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
 * scan that knows JSON strings; YAML comments come from SnakeYAML's comment events (exact, aware of
 * quoting and block scalars). Only called on text that already parsed.
 */
public final class CommentScanner {
  private CommentScanner() {}

  /** {@code //} and {@code /* *}{@code /} comments outside strings, in source order. */
  public static List<Comment> hujson(SourceText src) {
    String t = src.text();
    List<Comment> out = new ArrayList<>();
    int i = 0;
    int n = t.length();
    int sl = -1;
    while (i < n) {
      // Jump to the next quote or slash (vectorized indexOf), the only characters that matter.
      // The next slash is remembered until passed, so the scan stays linear.
      if (sl < i) {
        sl = t.indexOf('/', i);
        if (sl < 0) {
          break;
        }
      }
      int q = t.indexOf('"', i);
      if (q >= 0 && q < sl) {
        // Skip the string: find the closing quote not escaped by an odd run of backslashes.
        int j = q + 1;
        while (true) {
          int close = t.indexOf('"', j);
          if (close < 0) {
            return List.copyOf(out);
          }
          int bs = 0;
          for (int k = close - 1; k > q && t.charAt(k) == '\\'; k--) {
            bs++;
          }
          if (bs % 2 == 0) {
            i = close + 1;
            break;
          }
          j = close + 1;
        }
        continue;
      }
      i = sl;
      if (i + 1 < n && t.charAt(i + 1) == '/') {
        int end = i + 2;
        while (end < n && t.charAt(end) != '\n' && t.charAt(end) != '\r') {
          end++;
        }
        out.add(new Comment(t.substring(i + 2, end), Comment.Kind.LINE, span(src, i, end)));
        i = end;
      } else if (i + 1 < n && t.charAt(i + 1) == '*') {
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
        if (e instanceof CommentEvent ce
            && ce.getCommentType() != org.yaml.snakeyaml.comments.CommentType.BLANK_LINE) {
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
    int sl = src.lineOf(s);
    int el = e == s ? sl : src.lineOf(e);
    return new SourceSpan(
        src.name(), sl, s - src.lineStart(sl) + 1, el, e - src.lineStart(el) + 1, s, e);
  }
}
