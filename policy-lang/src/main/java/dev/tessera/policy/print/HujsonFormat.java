package dev.tessera.policy.print;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code fmt} for HuJSON: Tailscale's own formatter ({@code github.com/tailscale/hujson}, {@code
 * Value.Format}, BSD-3-Clause) on a concrete syntax tree, so the file keeps everything its author
 * wrote except whitespace and commas: keys, their order, every value's text, and every comment
 * where it was (before a key, after a value on its line, before a closing bracket).
 *
 * <p>Design note: the tree is the one of the Go package. Each value has the <em>extra</em> text
 * (whitespace and comments) before and after it; between an object member's name and value the
 * name's after-extra and the value's before-extra; between the last element and the closing bracket
 * the container's after-extra. A trailing comma is the last value's after-extra being present
 * (possibly empty) rather than absent ({@code null}). Formatting rewrites only extras and trailing
 * commas, following {@code format.go} step by step: normalize, decide which objects and arrays are
 * expanded (one member per line: those the author wrote on several lines, or longer than 80
 * columns), indent with tabs, align the values of consecutive one-line members. Line lengths are
 * counted in UTF-8 bytes as Go does. One deliberate difference: string literals are kept byte for
 * byte (Go rewrites strings that contain escapes into its own escaping).
 */
final class HujsonFormat {
  private HujsonFormat() {}

  private static final int PUNCH_CARD_WIDTH = 80;

  /** A value with the whitespace and comments around it; extras are null when absent. */
  private static final class Value {
    String before;
    Node node;
    String after;

    /** When the parser met a closing bracket instead of a value: that bracket; else 0. */
    char closing;
  }

  private sealed interface Node permits Lit, Composite {}

  /** A string, number, true, false or null, as written. */
  private record Lit(String text) implements Node {}

  /** An object (members) or an array (elements), with the extra before its closing bracket. */
  private static final class Composite implements Node {
    final boolean object;
    final List<Value> names = new ArrayList<>(); // objects only, parallel to values
    final List<Value> values = new ArrayList<>();
    String afterExtra;

    Composite(boolean object) {
      this.object = object;
    }

    int length() {
      return values.size();
    }

    Value lastValue() {
      return values.isEmpty() ? null : values.getLast();
    }

    /** Names and values in order (Go's allValues). */
    List<Value> allValues() {
      if (!object) {
        return values;
      }
      List<Value> all = new ArrayList<>(values.size() * 2);
      for (int i = 0; i < values.size(); i++) {
        all.add(names.get(i));
        all.add(values.get(i));
      }
      return all;
    }

    /** The extra before element i: the name's before-extra in objects. */
    String beforeExtraAt(int i) {
      if (i < values.size()) {
        return object ? names.get(i).before : values.get(i).before;
      }
      return afterExtra;
    }
  }

  /** Thrown when the text is not HuJSON; callers only format text that already parsed. */
  static final class SyntaxError extends RuntimeException {
    final int offset;

    SyntaxError(String message, int offset) {
      super(message);
      this.offset = offset;
    }
  }

  /** The formatted text (always ending in one newline). */
  static String format(String text) {
    return format(text, (path, key) -> key);
  }

  /**
   * Formats after renaming keys: {@code rename} gets the keys from the root to each object (array
   * levels left out) and the decoded key, and returns the new key or the same one.
   */
  static String format(String text, KeyRenamer rename) {
    Value root = parse(text);
    renameKeys(root.node, List.of(), rename);
    formatValue(root);
    StringBuilder out = new StringBuilder(text.length() + 64);
    pack(root, out);
    return out.toString();
  }

  /** Chooses a key's new name; see {@link #format(String, KeyRenamer)}. */
  @FunctionalInterface
  interface KeyRenamer {
    String rename(List<String> objectPath, String key);
  }

  // ---------------------------------------------------------------- parse

  private static Value parse(String b) {
    int[] n = {0};
    Value v = parseNext(n, b);
    if (v.node == null) {
      throw new SyntaxError("unexpected closing bracket", n[0]);
    }
    if (n[0] < b.length()) {
      throw new SyntaxError("unexpected text after the end of the policy", n[0]);
    }
    return v;
  }

  /**
   * Parses extra, value, extra; a closing bracket in place of a value returns a value with node
   * null.
   */
  private static Value parseNext(int[] n, String b) {
    Value v = new Value();
    int n0 = n[0];
    n[0] = consumeExtra(n[0], b);
    if (n[0] > n0) {
      v.before = b.substring(n0, n[0]);
    }
    if (n[0] < b.length() && (b.charAt(n[0]) == '}' || b.charAt(n[0]) == ']')) {
      v.closing = b.charAt(n[0]);
      return v;
    }
    v.node = parseTrimmed(n, b);
    int end = n[0];
    n[0] = consumeExtra(n[0], b);
    if (n[0] > end) {
      v.after = b.substring(end, n[0]);
    }
    return v;
  }

  private static Node parseTrimmed(int[] n, String b) {
    if (n[0] >= b.length()) {
      throw new SyntaxError("unexpected end of the file", n[0]);
    }
    char c = b.charAt(n[0]);
    switch (c) {
      case '{', '[' -> {
        boolean object = c == '{';
        n[0]++;
        Composite comp = new Composite(object);
        while (true) {
          Value first = parseNext(n, b);
          if (first.node == null) {
            if (first.closing != (object ? '}' : ']')) {
              throw new SyntaxError("unexpected closing bracket", n[0]);
            }
            setTrailingComma(comp, comp.length() > 0);
            comp.afterExtra = first.before;
            n[0]++;
            return comp;
          }
          if (object) {
            if (!(first.node instanceof Lit l) || !l.text().startsWith("\"")) {
              throw new SyntaxError("expected a key in quotes", n[0]);
            }
            if (n[0] >= b.length() || b.charAt(n[0]) != ':') {
              throw new SyntaxError("expected ':' after a key", n[0]);
            }
            n[0]++;
            Value value = parseNext(n, b);
            if (value.node == null) {
              throw new SyntaxError("expected a value", n[0]);
            }
            comp.names.add(first);
            comp.values.add(value);
          } else {
            comp.values.add(first);
          }
          char close = object ? '}' : ']';
          if (n[0] >= b.length()) {
            throw new SyntaxError("unexpected end of the file", n[0]);
          } else if (b.charAt(n[0]) == ',') {
            n[0]++;
          } else if (b.charAt(n[0]) == close) {
            Value last = comp.lastValue();
            comp.afterExtra = last.after;
            last.after = null;
            n[0]++;
            return comp;
          } else {
            throw new SyntaxError("expected ',' or '" + close + "'", n[0]);
          }
        }
      }
      case '"' -> {
        int n0 = n[0];
        int i = n0 + 1;
        boolean escape = false;
        while (true) {
          if (i >= b.length()) {
            throw new SyntaxError("unterminated string", n0);
          }
          char ch = b.charAt(i);
          if (escape) {
            escape = false;
          } else if (ch == '\\') {
            escape = true;
          } else if (ch == '"') {
            n[0] = i + 1;
            return new Lit(b.substring(n0, i + 1));
          }
          i++;
        }
      }
      default -> {
        int n0 = n[0];
        int i = n0;
        while (i < b.length() && isLiteralChar(b.charAt(i))) {
          i++;
        }
        if (i == n0) {
          throw new SyntaxError("unexpected character", n0);
        }
        n[0] = i;
        return new Lit(b.substring(n0, i));
      }
    }
  }

  private static boolean isLiteralChar(char c) {
    return c == '-'
        || c == '+'
        || c == '.'
        || (c >= 'a' && c <= 'z')
        || (c >= 'A' && c <= 'Z')
        || (c >= '0' && c <= '9');
  }

  private static int consumeExtra(int n, String b) {
    while (n < b.length()) {
      char c = b.charAt(n);
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
        n += consumeWhitespace(b, n);
      } else if (c == '/') {
        int nc = consumeComment(b, n);
        if (nc == 0) {
          return n;
        }
        if (nc < 0) {
          throw new SyntaxError("unterminated comment", n);
        }
        n += nc;
      } else {
        return n;
      }
    }
    return n;
  }

  private static int consumeWhitespace(String b, int from) {
    int n = from;
    while (n < b.length()) {
      char c = b.charAt(n);
      if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
        break;
      }
      n++;
    }
    return n - from;
  }

  /** Length of the comment at {@code from}: 0 if none, -1 if it does not end. */
  private static int consumeComment(String b, int from) {
    String end;
    if (b.startsWith("//", from)) {
      end = "\n";
    } else if (b.startsWith("/*", from)) {
      end = "*/";
    } else {
      return 0;
    }
    int i = b.indexOf(end, from + 2);
    if (i < 0) {
      return -1;
    }
    return i + end.length() - from;
  }

  // ---------------------------------------------------------------- key renaming

  private static void renameKeys(Node node, List<String> path, KeyRenamer rename) {
    if (!(node instanceof Composite comp)) {
      return;
    }
    for (int i = 0; i < comp.length(); i++) {
      List<String> inner = path;
      if (comp.object) {
        Value name = comp.names.get(i);
        String lit = ((Lit) name.node).text();
        String key = Quoting.unquoteJson(lit);
        String renamed = rename.rename(path, key);
        if (!renamed.equals(key)) {
          name.node = new Lit(Quoting.json(renamed));
        }
        inner = new ArrayList<>(path);
        inner.add(renamed);
      }
      renameKeys(comp.values.get(i).node, inner, rename);
    }
  }

  // ---------------------------------------------------------------- format

  private static void formatValue(Value v) {
    v.before = formatExtra(v.before, 0, Opts.NONE);
    if (v.before != null) {
      v.before = v.before.substring(consumeWhitespace(v.before, 0));
    }
    Map<Composite, Boolean> needExpand = new IdentityHashMap<>();
    boolean standard = isStandard(v);
    normalize(v);
    expandComposites(v, needExpand);
    formatWhitespace(v, 0, needExpand, standard);
    alignObjectValues(v);
    String after = formatExtra(v.after, 0, Opts.NONE);
    v.after = stripTrailing(after == null ? "" : after) + "\n";
  }

  private static void normalize(Value v) {
    if (v.node instanceof Composite comp) {
      if (comp.length() == 0) {
        if (!hasComment(comp.afterExtra)) {
          comp.afterExtra = null;
        }
        return;
      }
      for (Value v3 : comp.allValues()) {
        if (!hasComment(v3.after)) {
          v3.after = null;
        }
      }
      for (Value v3 : comp.allValues()) {
        normalize(v3);
      }
    }
  }

  /** Line statistics of a laid-out sequence (Go's lineStats). */
  private record LineStats(int firstLength, int lastLength, boolean multiline) {}

  private static final class Line {
    int length;
    final List<Integer> lengths = new ArrayList<>();

    void update(LineStats s) {
      length += s.firstLength();
      if (s.multiline()) {
        lengths.add(length);
        length = s.lastLength();
      }
    }
  }

  private static LineStats expandComposites(Value v, Map<Composite, Boolean> needExpand) {
    if (v.node instanceof Lit l) {
      int n = utf8Length(l.text());
      return new LineStats(n, n, false);
    }
    Composite comp = (Composite) v.node;
    boolean expand = false;
    Line line = new Line();
    line.length += 1;
    for (int i = 0; i < comp.length(); i++) {
      Value value = comp.values.get(i);
      if (comp.object) {
        Value name = comp.names.get(i);
        expand = expand || hasNewline(name.before);
        line.update(lineStats(name.before));
        line.update(expandComposites(name, needExpand));
        line.update(lineStats(name.after));
        line.length += 2; // ": "
      } else {
        expand = expand || hasNewline(value.before);
      }
      line.update(lineStats(value.before));
      line.update(expandComposites(value, needExpand));
      line.update(lineStats(value.after));
      line.length += 2; // ", "
    }
    line.length += 1;
    // (Go also says "always expand multi-line objects with more than one member", but tests the
    // stats of this object before they are computed, so that condition never holds; left out.)
    Value last = comp.lastValue();
    if (last != null) {
      expand = expand || hasNewline(last.after);
    }
    expand = expand || hasNewline(comp.afterExtra);
    line.lengths.add(line.length);
    LineStats stats =
        new LineStats(line.lengths.getFirst(), line.lengths.getLast(), line.lengths.size() > 1);
    for (int i = 0; !expand && i < line.lengths.size(); i++) {
      expand = line.lengths.get(i) > PUNCH_CARD_WIDTH;
    }
    if (expand) {
      stats = new LineStats(1 + lineStats(comp.beforeExtraAt(0)).firstLength(), 1, true);
      needExpand.put(comp, true);
    }
    return stats;
  }

  private static LineStats lineStats(String b) {
    if (b == null) {
      return new LineStats(0, 0, false);
    }
    int nl = b.indexOf('\n');
    if (nl < 0) {
      int n = commentLength(b);
      return new LineStats(n, n, false);
    }
    return new LineStats(
        commentLength(b.substring(0, nl)),
        commentLength(b.substring(b.lastIndexOf('\n') + 1)),
        true);
  }

  /** Approximate length of the comments in one line of extra (Go's lineStats.length). */
  private static int commentLength(String b) {
    int n = 0;
    int i = 0;
    while (true) {
      i += consumeWhitespace(b, i);
      if (b.startsWith("//", i)) {
        return n + 1 + utf8Length(b.substring(i));
      }
      if (b.startsWith("/*", i)) {
        int nc = consumeComment(b, i);
        if (nc <= 0) {
          return n + 1 + utf8Length(b.substring(i));
        }
        n += 1 + utf8Length(b.substring(i, i + nc));
        i += nc;
        continue;
      }
      if (n > 0) {
        n += 1;
      }
      return n;
    }
  }

  private static void formatWhitespace(
      Value v, int depth, Map<Composite, Boolean> needExpand, boolean standardize) {
    if (!(v.node instanceof Composite comp)) {
      return;
    }
    boolean expand = needExpand.getOrDefault(comp, false);
    for (int i = 0; i < comp.length(); i++) {
      Value value = comp.values.get(i);
      int depthOffset = expand ? 1 : 0;
      if (comp.object) {
        Value name = comp.names.get(i);
        name.before =
            formatExtra(
                name.before, depth + 1, new Opts(expand, false, i == 0, false, false, i != 0));
        formatWhitespace(name, depth + 1, needExpand, standardize);
        name.after =
            formatExtra(name.after, depth + 2, new Opts(false, false, true, true, false, false));
        value.before =
            formatExtra(value.before, depth + 2, new Opts(false, false, true, true, false, true));
        if (hasNewline(name.after) || hasNewline(value.before)) {
          depthOffset++;
        }
      } else {
        value.before =
            formatExtra(
                value.before, depth + 1, new Opts(expand, false, i == 0, false, false, i != 0));
      }
      formatWhitespace(value, depth + depthOffset, needExpand, standardize);
      value.after =
          formatExtra(value.after, depth + 2, new Opts(false, false, true, true, false, false));
    }
    comp.afterExtra =
        formatExtra(
            comp.afterExtra,
            depth + 1,
            new Opts(false, expand, comp.length() == 0, true, true, false));
    Value last = comp.lastValue();
    boolean surroundedComma =
        last != null
            && last.after != null
            && !last.after.isEmpty()
            && comp.afterExtra != null
            && !comp.afterExtra.isEmpty();
    if (!expand && !surroundedComma) {
      setTrailingComma(comp, false);
    } else if (expand && !standardize) {
      setTrailingComma(comp, true);
    }
  }

  private static void setTrailingComma(Composite comp, boolean v) {
    Value last = comp.lastValue();
    if (last == null) {
      return;
    }
    if (v && last.after == null) {
      last.after = "";
    } else if (!v && last.after != null) {
      comp.afterExtra = last.after + (comp.afterExtra == null ? "" : comp.afterExtra);
      last.after = null;
    }
  }

  private record Opts(
      boolean ensureLeadingNewline,
      boolean ensureTrailingNewline,
      boolean removeLeadingEmptyLines,
      boolean removeTrailingEmptyLines,
      boolean unindentLastLine,
      boolean appendSpaceIfEmpty) {
    static final Opts NONE = new Opts(false, false, false, false, false, false);
  }

  /** Go's Extra.format; returns {@code b} itself when nothing changes (keeps null as null). */
  private static String formatExtra(String b, int depth, Opts opts) {
    String in = b == null ? "" : b;
    if (in.indexOf('\r') >= 0) {
      in = in.replace("\r\n", "\n").replace("\n\r", "\n").replace('\r', ' ');
    }
    StringBuilder out = new StringBuilder();
    if (opts.ensureLeadingNewline() && in.indexOf('\n') < 0) {
      out.append('\n');
    }
    int i = 0;
    while (i < in.length()) {
      int ws = consumeWhitespace(in, i);
      if (ws > 0) {
        int nl = 0;
        for (int k = i; k < i + ws; k++) {
          if (in.charAt(k) == '\n') {
            nl++;
          }
        }
        out.repeat('\n', Math.min(nl, 2)); // never more than one blank line
        i += ws;
        continue;
      }
      int n = consumeComment(in, i);
      if (n <= 0) {
        return b; // not a comment: leave the extra alone (cannot happen after a successful parse)
      }
      if (endsWithNewline(out)) {
        out.repeat('\t', depth);
      } else {
        out.append(' ');
      }
      String comment = in.substring(i, i + n);
      boolean line = comment.startsWith("//");
      if (line || comment.indexOf('\n') < 0) {
        comment = stripTrailing(comment);
        if (line) {
          n--; // leave the newline for the next round
        }
        out.append(comment);
        i += n;
        continue;
      }
      appendBlockComment(out, comment, depth);
      i += n;
    }
    if (opts.ensureTrailingNewline() && !endsWithNewline(out)) {
      out.append('\n');
    }
    String s = out.toString();
    while (opts.removeLeadingEmptyLines() && s.startsWith("\n\n")) {
      s = s.substring(1);
    }
    while (opts.removeTrailingEmptyLines() && s.endsWith("\n\n")) {
      s = s.substring(0, s.length() - 1);
    }
    StringBuilder tail = new StringBuilder(s);
    if (s.endsWith("\n")) {
      tail.repeat('\t', opts.unindentLastLine() ? depth - 1 : depth);
    } else if (!s.isEmpty()) {
      tail.append(' ');
    }
    if (opts.appendSpaceIfEmpty() && tail.isEmpty()) {
      tail.append(' ');
    }
    String result = tail.toString();
    return result.equals(b == null ? "" : b) ? b : result;
  }

  /** A block comment over several lines, re-indented by its lines' common prefix (Go's rules). */
  private static void appendBlockComment(StringBuilder out, String comment, int depth) {
    String[] lines = comment.split("\n", -1);
    String firstLine = "";
    boolean hasEmptyLine = false;
    for (int k = 0; k < lines.length; k++) {
      lines[k] = stripTrailing(lines[k]);
      if (firstLine.isEmpty() && !lines[k].isEmpty() && k > 0) {
        firstLine = lines[k];
      }
      hasEmptyLine = hasEmptyLine || lines[k].isEmpty();
    }
    String commonPrefix = firstLine;
    for (int k = 1; k < lines.length; k++) {
      String line = lines[k];
      if (line.isEmpty()) {
        continue;
      }
      if (line.endsWith("*/") && consumeWhitespace(line, 0) + 2 == line.length()) {
        int prefixLen = consumeWhitespace(commonPrefix, 0);
        lines[k] = commonPrefix.substring(0, prefixLen) + "*/";
        break;
      }
      int m = 0;
      while (m < line.length()
          && m < commonPrefix.length()
          && line.charAt(m) == commonPrefix.charAt(m)) {
        m++;
      }
      commonPrefix = commonPrefix.substring(0, m);
    }
    int prefixLen = consumeWhitespace(commonPrefix, 0);
    boolean starAligned =
        !hasEmptyLine && commonPrefix.length() > prefixLen && commonPrefix.charAt(prefixLen) == '*';
    out.append(lines[0]).append('\n');
    for (int k = 1; k < lines.length; k++) {
      String line = lines[k];
      if (!line.isEmpty()) {
        out.repeat('\t', depth);
        if (starAligned) {
          out.append(' ');
        }
        out.append(line.substring(Math.min(prefixLen, line.length())));
      }
      out.append('\n');
    }
    while (endsWithNewline(out)) {
      out.setLength(out.length() - 1);
    }
  }

  private static void alignObjectValues(Value v) {
    if (v.node instanceof Composite comp && comp.object) {
      List<Value> rows = new ArrayList<>();
      List<Integer> lengths = new ArrayList<>();
      String indentSuffix = "";
      for (int i = 0; i < comp.length(); i++) {
        Value name = comp.names.get(i);
        Value value = comp.values.get(i);
        if (!hasNewline(name.before)
            || hasNewline(name.after)
            || hasNewline(value.before)
            || hasNewlineInside(value)
            || hasNewline(value.after)) {
          alignRows(rows, lengths);
          continue;
        }
        if (count(name.before, '\n') > 1 || !name.before.endsWith(indentSuffix)) {
          alignRows(rows, lengths);
        }
        rows.add(value);
        lengths.add(
            utf8Length(((Lit) name.node).text())
                + utf8Length(name.after)
                + 1
                + utf8Length(value.before));
      }
      alignRows(rows, lengths);
    }
    if (v.node instanceof Composite comp) {
      for (Value v2 : comp.allValues()) {
        alignObjectValues(v2);
      }
    }
  }

  private static void alignRows(List<Value> rows, List<Integer> lengths) {
    int max = 0;
    for (int l : lengths) {
      max = Math.max(max, l);
    }
    for (int k = 0; k < rows.size(); k++) {
      Value row = rows.get(k);
      row.before = (row.before == null ? "" : row.before) + " ".repeat(max - lengths.get(k));
    }
    rows.clear();
    lengths.clear();
  }

  /** Go's Value.hasNewline(false): a newline in any extra inside the value. */
  private static boolean hasNewlineInside(Value v) {
    if (v.node instanceof Composite comp) {
      for (Value c : comp.allValues()) {
        if (hasNewline(c.before) || hasNewline(c.after) || hasNewlineInside(c)) {
          return true;
        }
      }
    }
    return false;
  }

  private static boolean isStandard(Value v) {
    if (hasComment(v.before) || hasComment(v.after)) {
      return false;
    }
    if (v.node instanceof Composite comp) {
      for (Value c : comp.allValues()) {
        if (!isStandard(c)) {
          return false;
        }
      }
      Value last = comp.lastValue();
      return !(last != null && last.after != null) && !hasComment(comp.afterExtra);
    }
    return true;
  }

  // ---------------------------------------------------------------- pack

  private static void pack(Value v, StringBuilder out) {
    append(out, v.before);
    switch (v.node) {
      case Lit l -> out.append(l.text());
      case Composite comp -> {
        out.append(comp.object ? '{' : '[');
        for (int i = 0; i < comp.length(); i++) {
          if (comp.object) {
            pack(comp.names.get(i), out);
            out.append(':');
          }
          pack(comp.values.get(i), out);
          out.append(',');
        }
        Value last = comp.lastValue();
        if (last != null && last.after == null) {
          out.setLength(out.length() - 1);
        }
        append(out, comp.afterExtra);
        out.append(comp.object ? '}' : ']');
      }
    }
    append(out, v.after);
  }

  // ---------------------------------------------------------------- helpers

  private static void append(StringBuilder out, String s) {
    if (s != null) {
      out.append(s);
    }
  }

  private static boolean hasComment(String b) {
    return b != null && consumeWhitespace(b, 0) < b.length();
  }

  private static boolean hasNewline(String b) {
    return b != null && b.indexOf('\n') >= 0;
  }

  private static boolean endsWithNewline(StringBuilder sb) {
    return !sb.isEmpty() && sb.charAt(sb.length() - 1) == '\n';
  }

  private static int count(String s, char c) {
    int n = 0;
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) == c) {
        n++;
      }
    }
    return n;
  }

  private static String stripTrailing(String s) {
    int end = s.length();
    while (end > 0 && Character.isWhitespace(s.charAt(end - 1))) {
      end--;
    }
    return s.substring(0, end);
  }

  private static int utf8Length(String s) {
    if (s == null) {
      return 0;
    }
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) >= 0x80) {
        return s.getBytes(StandardCharsets.UTF_8).length;
      }
    }
    return s.length();
  }
}
