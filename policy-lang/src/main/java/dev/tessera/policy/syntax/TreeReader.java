package dev.tessera.policy.syntax;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.tessera.policy.ast.SourceSpan;
import dev.tessera.policy.diag.Codes;
import dev.tessera.policy.diag.Diagnostics;
import dev.tessera.policy.diag.SourceText;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads HuJSON or YAML text into a located {@link Tree} with Jackson's streaming parser.
 *
 * <p>Design note: one streaming pass, no databind. Positions come from Jackson's token locations as
 * character offsets, turned into line/column by {@link SourceText} so both syntaxes count the same
 * way (1-based, tabs count as one column). HuJSON is JSON plus {@code //} and {@code /* *}{@code /}
 * comments and trailing commas, which Jackson supports as read features; everything else stays
 * strict JSON (no single quotes, no unquoted keys), as in Tailscale's hujson package. Exact
 * duplicate keys are reported here (Go's decoder would silently keep the last one, which hides
 * mistakes); the first occurrence is kept. Any parser failure becomes one located {@code syntax}
 * diagnostic; nothing is thrown.
 */
public final class TreeReader {
  private TreeReader() {}

  /** Lazily built: a {@code policyc check} of a JSON file never loads the YAML classes. */
  private static final class Json {
    static final JsonFactory FACTORY =
        JsonFactory.builder()
            .enable(JsonReadFeature.ALLOW_JAVA_COMMENTS)
            .enable(JsonReadFeature.ALLOW_TRAILING_COMMA)
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(200).build())
            .build();
  }

  private static final class Yaml {
    static final YAMLFactory FACTORY =
        YAMLFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(200).build())
            .loaderOptions(largeDocuments())
            .build();
  }

  /**
   * SnakeYAML refuses documents over 3 MB by default; a 20k-rule policy is 5 MB. The limit guards
   * against unbounded input, so it is raised, not removed. Aliases stay limited (billion laughs).
   */
  static org.yaml.snakeyaml.LoaderOptions largeDocuments() {
    org.yaml.snakeyaml.LoaderOptions options = new org.yaml.snakeyaml.LoaderOptions();
    options.setCodePointLimit(256 * 1024 * 1024);
    options.setMaxAliasesForCollections(50);
    return options;
  }

  /** Reads a policy; empty (with a diagnostic) when it is not well-formed or is empty. */
  public static Optional<Tree> read(SourceText src, boolean yaml, Diagnostics diags) {
    return read(src, yaml, diags, "policy", "the file is empty; a policy is an object such as {}");
  }

  /**
   * Reads any located document (a policy, an inventory, a test file); empty when it is not
   * well-formed (with a located {@code syntax} diagnostic) or holds no value (with an error saying
   * {@code ifEmpty}, or none when {@code ifEmpty} is null). {@code what} names the document in
   * messages. Never throws for bad input.
   */
  public static Optional<Tree> read(
      SourceText src, boolean yaml, Diagnostics diags, String what, String ifEmpty) {
    String file = src.name();
    try (JsonParser p =
        yaml ? Yaml.FACTORY.createParser(src.text()) : Json.FACTORY.createParser(src.text())) {
      Builder b = new Builder(p, src, yaml);
      JsonToken t = p.nextToken();
      if (t == null) {
        if (ifEmpty != null) {
          diags.error(Codes.SYNTAX, ifEmpty, SourceSpan.point(file, 1, 1, 0));
        }
        return Optional.empty();
      }
      Tree root = b.value(t, diags);
      JsonToken extra = p.nextToken();
      if (extra != null) {
        diags.error(
            Codes.SYNTAX,
            "unexpected content after the end of the " + what,
            b.span(p.currentTokenLocation(), p.currentTokenLocation()));
      }
      return Optional.of(root);
    } catch (JacksonException e) {
      if (yaml
          && findMarked(e) instanceof org.yaml.snakeyaml.error.MarkedYAMLException m
          && m.getProblemMark() != null) {
        // SnakeYAML's first line is the context ("while parsing a flow sequence"); the problem
        // and its own position are what the user needs.
        org.yaml.snakeyaml.error.Mark mark = m.getProblemMark();
        String msg =
            m.getProblem() == null ? firstLine(String.valueOf(m.getMessage())) : m.getProblem();
        if (m.getContext() != null && m.getContextMark() != null) {
          msg +=
              " ("
                  + m.getContext()
                  + " started at line "
                  + (m.getContextMark().getLine() + 1)
                  + ")";
        }
        int off = Math.max(0, Math.min(mark.getIndex(), src.text().length()));
        int line = src.lineOf(off);
        int col = off - src.lineStart(line) + 1;
        diags.error(
            Codes.SYNTAX,
            msg.strip(),
            new SourceSpan(file, line, col, line, col + 1, off, off + 1));
      } else {
        diags.error(Codes.SYNTAX, cleanMessage(e), locationSpan(src, e.getLocation()));
      }
      return Optional.empty();
    } catch (IOException | RuntimeException e) {
      // The YAML engine reports some malformed input with unchecked exceptions of its own; the
      // caller must still get a located error and no exception.
      diags.error(
          Codes.SYNTAX,
          "cannot parse: " + firstLine(String.valueOf(e.getMessage())),
          SourceSpan.point(file, 1, 1, 0));
      return Optional.empty();
    }
  }

  private static Throwable findMarked(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof org.yaml.snakeyaml.error.MarkedYAMLException) {
        return t;
      }
    }
    return null;
  }

  private static SourceSpan locationSpan(SourceText src, JsonLocation loc) {
    if (loc == null || loc.getLineNr() < 1) {
      return SourceSpan.point(src.name(), 1, 1, 0);
    }
    long off = loc.getCharOffset();
    int line = loc.getLineNr();
    int col = Math.max(1, loc.getColumnNr());
    if (off >= 0 && off <= src.text().length()) {
      line = src.lineOf((int) off);
      col = src.colOf((int) off);
    }
    return new SourceSpan(src.name(), line, col, line, col + 1, (int) off, (int) off + 1);
  }

  /** Jackson's message without its source dump and location suffix. */
  static String cleanMessage(JacksonException e) {
    String m = e.getOriginalMessage();
    if (m == null) {
      m = "malformed input";
    }
    m = firstLine(m);
    java.util.regex.Matcher close = CLOSE_MARKER.matcher(m);
    if (close.find()) {
      boolean obj = close.group(1).equals("Object");
      m =
          m.substring(0, close.start())
              + "expected '"
              + (obj ? "}" : "]")
              + "' to close the "
              + (obj ? "object" : "array")
              + " opened at line "
              + close.group(2)
              + ", column "
              + close.group(3);
    }
    int src = m.indexOf(" (for input source");
    if (src > 0) {
      m = m.substring(0, src);
    }
    return policyWords(
        m.replace("Unexpected character", "unexpected character")
            .replace("Unexpected end-of-input", "unexpected end of input")
            .replace("Unexpected close marker", "unexpected close marker"),
        e);
  }

  /**
   * Jackson's wording ({@code (code 58)}, {@code token 'null'}, {@code VALUE_STRING}) in the terms
   * of a policy file: what was found, what was expected, after which key.
   */
  static String policyWords(String m, JacksonException e) {
    String after = "";
    if (e.getProcessor() instanceof JsonParser p && p.getParsingContext() != null) {
      String name = p.getParsingContext().getCurrentName();
      if (name != null) {
        after = " after the value of \"" + name + "\"";
      }
    }
    java.util.regex.Matcher ch = UNEXPECTED_CHAR.matcher(m);
    String found = ch.find() ? ch.group(1) : null;
    if (m.contains("was expecting comma to separate Object entries")) {
      return "expected ',' or '}'" + after + (found == null ? "" : ", found " + found);
    }
    if (m.contains("was expecting comma to separate Array entries")) {
      return "expected ',' or ']' between list items" + (found == null ? "" : ", found " + found);
    }
    if (m.contains("was expecting double-quote to start field name")) {
      return "expected a key in double quotes" + (found == null ? "" : ", found " + found);
    }
    if (m.contains("was expecting a colon to separate field name and value")) {
      return "expected ':' after the key" + (found == null ? "" : ", found " + found);
    }
    if (m.startsWith("Unrecognized token")) {
      java.util.regex.Matcher t = UNRECOGNIZED.matcher(m);
      return "expected a value (a string in double quotes, a number, true, false, null, an object or a list)"
          + (t.find() ? ", found '" + t.group(1) + "'" : "");
    }
    if (m.contains("in VALUE_STRING")
        || m.contains("in a String value")
        || m.contains("closing quote for a string")) {
      return "unterminated string";
    }
    if (m.contains("Illegal unquoted character") || m.contains("has to be escaped")) {
      return "a string cannot hold a line break or control character as is: close the string, or write it as \\n or \\u00XX";
    }
    if (m.contains("expected a valid value")) {
      return "expected a value (a string in double quotes, a number, true, false, null, an object or a list)"
          + (found == null ? "" : ", found " + found);
    }
    // Anything else: at least no character codes or Jackson token names.
    return m.replaceAll(" \\((?:CTRL-CHAR, )?code \\d+\\)", "")
        .replaceAll(
            "\\(JSON String, Number, Array, Object or token 'null', 'true' or 'false'\\)",
            "a value");
  }

  private static final java.util.regex.Pattern UNEXPECTED_CHAR =
      java.util.regex.Pattern.compile(
          "character \\((\\(CTRL-CHAR, code \\d+\\)|.+?) \\(code \\d+\\)\\)");
  private static final java.util.regex.Pattern UNRECOGNIZED =
      java.util.regex.Pattern.compile("Unrecognized token '([^']*)'");

  private static final java.util.regex.Pattern CLOSE_MARKER =
      java.util.regex.Pattern.compile(
          "expected close marker for (Object|Array) \\(start marker at \\[.*?line: (\\d+), column: (\\d+)\\]\\)");

  private static String firstLine(String s) {
    int nl = s.indexOf('\n');
    return (nl >= 0 ? s.substring(0, nl) : s).strip();
  }

  private static final class Builder {
    private final JsonParser p;
    private final SourceText src;
    private final String text;
    private final boolean yaml;

    Builder(JsonParser p, SourceText src, boolean yaml) {
      this.p = p;
      this.src = src;
      this.text = src.text();
      this.yaml = yaml;
    }

    SourceSpan span(JsonLocation start, JsonLocation end) {
      int s = clamp(start.getCharOffset());
      int e = Math.max(s, clamp(end.getCharOffset()));
      return span(s, e);
    }

    SourceSpan span(int s, int e) {
      int sl = src.lineOf(s);
      int el = e == s ? sl : src.lineOf(e);
      return new SourceSpan(
          src.name(), sl, s - src.lineStart(sl) + 1, el, e - src.lineStart(el) + 1, s, e);
    }

    private int clamp(long off) {
      return (int) Math.max(0, Math.min(off, text.length()));
    }

    Tree value(JsonToken t, Diagnostics diags) throws IOException {
      JsonLocation start = p.currentTokenLocation();
      return switch (t) {
        case START_OBJECT -> object(start, diags);
        case START_ARRAY -> array(start, diags);
        case VALUE_STRING -> {
          String v = p.getText();
          yield new Tree.Str(v, scalarSpan(start));
        }
        case VALUE_NUMBER_INT -> new Tree.Num(p.getText(), true, scalarSpan(start));
        case VALUE_NUMBER_FLOAT -> new Tree.Num(p.getText(), false, scalarSpan(start));
        case VALUE_TRUE -> new Tree.Bool(true, scalarSpan(start));
        case VALUE_FALSE -> new Tree.Bool(false, scalarSpan(start));
        case VALUE_NULL -> new Tree.Null(scalarSpan(start));
        default -> throw new IllegalStateException("unexpected token " + t);
      };
    }

    private SourceSpan scalarSpan(JsonLocation start) {
      int s = clamp(start.getCharOffset());
      int e = clamp(p.currentLocation().getCharOffset());
      if (!yaml) {
        e = jsonTokenEnd(s, e);
      }
      return span(s, Math.max(s, e));
    }

    /**
     * The end of the JSON token starting at {@code s}: after the closing quote of a string, else
     * after the run of literal characters. Jackson's own "current location" may already be past the
     * separator that follows, so we measure in the text.
     */
    private int jsonTokenEnd(int s, int fallback) {
      if (s >= text.length()) {
        return fallback;
      }
      if (text.charAt(s) == '"') {
        int i = s + 1;
        while (i < text.length()) {
          char c = text.charAt(i);
          if (c == '\\') {
            i += 2;
            continue;
          }
          if (c == '"') {
            return i + 1;
          }
          i++;
        }
        return fallback;
      }
      int i = s;
      while (i < text.length()) {
        char c = text.charAt(i);
        if (Character.isLetterOrDigit(c) || c == '-' || c == '+' || c == '.') {
          i++;
        } else {
          break;
        }
      }
      return i;
    }

    private Tree object(JsonLocation start, Diagnostics diags) throws IOException {
      List<Tree.Entry> entries = new ArrayList<>();
      Map<String, SourceSpan> seen = new HashMap<>();
      JsonToken t;
      while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
        JsonLocation keyLoc = p.currentTokenLocation();
        String key = p.currentName();
        int ks = clamp(keyLoc.getCharOffset());
        int ke =
            yaml
                ? clamp(p.currentLocation().getCharOffset())
                : jsonTokenEnd(ks, ks + key.length() + 2);
        if (yaml && ke <= ks) {
          ke = ks + key.length();
        }
        SourceSpan keySpan = span(ks, Math.max(ks, ke));
        JsonToken vt = p.nextToken();
        Tree v = value(vt, diags);
        SourceSpan first = seen.putIfAbsent(key, keySpan);
        if (first != null) {
          diags.error(
              Codes.DUPLICATE_KEY,
              "duplicate key \"" + key + "\" (first defined at line " + first.startLine() + ")",
              keySpan,
              "remove one of them; merge their contents if both are needed");
        } else {
          entries.add(new Tree.Entry(key, keySpan, v));
        }
      }
      return new Tree.Obj(entries, containerSpan(start));
    }

    private Tree array(JsonLocation start, Diagnostics diags) throws IOException {
      List<Tree> items = new ArrayList<>();
      JsonToken t;
      while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
        items.add(value(t, diags));
      }
      return new Tree.Arr(items, containerSpan(start));
    }

    private SourceSpan containerSpan(JsonLocation start) {
      int s = clamp(start.getCharOffset());
      int e = clamp(p.currentLocation().getCharOffset());
      if (!yaml) {
        // Jackson's location after a close marker is just past it.
        e = Math.min(e, text.length());
      }
      return span(s, Math.max(s, e));
    }
  }
}
