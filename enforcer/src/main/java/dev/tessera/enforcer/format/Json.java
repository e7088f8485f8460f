package dev.tessera.enforcer.format;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small strict JSON (RFC 8259) reader and canonical writer for the compiled-filter view. The
 * enforcer depends on no library, and this schema is small. Strict: no comments, no trailing
 * commas, no duplicate object keys, no leading zeros, nesting depth bounded (hostile input must not
 * overflow the stack), strings must be valid Unicode (no lone surrogates).
 *
 * <p>Values: {@code Map<String,Object>} (insertion ordered), {@code List<Object>}, String,
 * BigDecimal, Boolean, and {@link #NULL}.
 */
final class Json {
  private Json() {}

  /** JSON null (a map cannot hold Java null values usefully). */
  static final Object NULL =
      new Object() {
        @Override
        public String toString() {
          return "null";
        }
      };

  static final int MAX_DEPTH = 64;

  static final class ParseException extends Exception {
    private static final long serialVersionUID = 1L;
    final int offset;

    ParseException(String message, int offset) {
      super(message + " at offset " + offset);
      this.offset = offset;
    }
  }

  static Object parse(String text) throws ParseException {
    Reader r = new Reader(text);
    r.ws();
    Object v = r.value(0);
    r.ws();
    if (r.pos != text.length()) {
      throw new ParseException("trailing characters after the JSON value", r.pos);
    }
    return v;
  }

  /** Parses one JSON value and writes it back minified; IllegalArgumentException if invalid. */
  static String minify(String json, String what) {
    try {
      return write(parse(json));
    } catch (ParseException e) {
      throw new IllegalArgumentException(what + " is not valid JSON: " + e.getMessage());
    }
  }

  static String write(Object v) {
    StringBuilder sb = new StringBuilder();
    write(sb, v, -1, 0);
    return sb.toString();
  }

  /** Pretty output, two-space indent; arrays of scalars stay on one line. */
  static String writePretty(Object v) {
    StringBuilder sb = new StringBuilder();
    write(sb, v, 0, 0);
    return sb.append('\n').toString();
  }

  private static void write(StringBuilder sb, Object v, int indent, int depth) {
    if (v == NULL || v == null) {
      sb.append("null");
    } else if (v instanceof Boolean b) {
      sb.append(b);
    } else if (v instanceof BigDecimal d) {
      sb.append(d.toString());
    } else if (v instanceof Integer || v instanceof Long) {
      sb.append(v);
    } else if (v instanceof String s) {
      quote(sb, s);
    } else if (v instanceof Raw raw) {
      sb.append(raw.json);
    } else if (v instanceof List<?> list) {
      boolean flat =
          indent < 0 || list.stream().noneMatch(e -> e instanceof Map || e instanceof List);
      sb.append('[');
      for (int i = 0; i < list.size(); i++) {
        if (i > 0) {
          sb.append(flat && indent >= 0 ? ", " : ",");
        }
        if (!flat) {
          newline(sb, indent, depth + 1);
        }
        write(sb, list.get(i), indent, depth + 1);
      }
      if (!flat && !list.isEmpty()) {
        newline(sb, indent, depth);
      }
      sb.append(']');
    } else if (v instanceof Map<?, ?> map) {
      sb.append('{');
      int i = 0;
      for (Map.Entry<?, ?> e : map.entrySet()) {
        if (i++ > 0) {
          sb.append(',');
        }
        if (indent >= 0) {
          newline(sb, indent, depth + 1);
        }
        quote(sb, (String) e.getKey());
        sb.append(indent >= 0 ? ": " : ":");
        write(sb, e.getValue(), indent, depth + 1);
      }
      if (indent >= 0 && !map.isEmpty()) {
        newline(sb, indent, depth);
      }
      sb.append('}');
    } else {
      throw new IllegalArgumentException("not a JSON value: " + v.getClass());
    }
  }

  /** A pre-serialized JSON value, written as is. */
  record Raw(String json) {}

  private static void newline(StringBuilder sb, int indent, int depth) {
    sb.append('\n');
    for (int i = 0; i < depth; i++) {
      sb.append("  ");
    }
  }

  static void quote(StringBuilder sb, String s) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        case '\b' -> sb.append("\\b");
        case '\f' -> sb.append("\\f");
        default -> {
          if (c < 0x20 || c == 0x2028 || c == 0x2029) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    sb.append('"');
  }

  private static final class Reader {
    final String s;
    int pos;

    Reader(String s) {
      this.s = s;
    }

    void ws() {
      while (pos < s.length()) {
        char c = s.charAt(pos);
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
          pos++;
        } else {
          break;
        }
      }
    }

    Object value(int depth) throws ParseException {
      if (depth > MAX_DEPTH) {
        throw new ParseException("nesting deeper than " + MAX_DEPTH, pos);
      }
      if (pos >= s.length()) {
        throw new ParseException("unexpected end of input", pos);
      }
      char c = s.charAt(pos);
      switch (c) {
        case '{':
          return object(depth);
        case '[':
          return array(depth);
        case '"':
          return string();
        case 't':
          literal("true");
          return Boolean.TRUE;
        case 'f':
          literal("false");
          return Boolean.FALSE;
        case 'n':
          literal("null");
          return NULL;
        default:
          if (c == '-' || (c >= '0' && c <= '9')) {
            return number();
          }
          throw new ParseException("unexpected character '" + c + "'", pos);
      }
    }

    void literal(String word) throws ParseException {
      if (!s.startsWith(word, pos)) {
        throw new ParseException("expected " + word, pos);
      }
      pos += word.length();
    }

    Map<String, Object> object(int depth) throws ParseException {
      pos++;
      Map<String, Object> m = new LinkedHashMap<>();
      ws();
      if (pos < s.length() && s.charAt(pos) == '}') {
        pos++;
        return m;
      }
      while (true) {
        ws();
        if (pos >= s.length() || s.charAt(pos) != '"') {
          throw new ParseException("expected an object key", pos);
        }
        int keyPos = pos;
        String k = string();
        ws();
        expect(':');
        ws();
        Object v = value(depth + 1);
        if (m.put(k, v) != null) {
          throw new ParseException("duplicate key \"" + k + "\"", keyPos);
        }
        ws();
        if (pos < s.length() && s.charAt(pos) == ',') {
          pos++;
          continue;
        }
        expect('}');
        return m;
      }
    }

    List<Object> array(int depth) throws ParseException {
      pos++;
      List<Object> l = new ArrayList<>();
      ws();
      if (pos < s.length() && s.charAt(pos) == ']') {
        pos++;
        return l;
      }
      while (true) {
        ws();
        l.add(value(depth + 1));
        ws();
        if (pos < s.length() && s.charAt(pos) == ',') {
          pos++;
          continue;
        }
        expect(']');
        return Collections.unmodifiableList(l);
      }
    }

    void expect(char c) throws ParseException {
      if (pos >= s.length() || s.charAt(pos) != c) {
        throw new ParseException("expected '" + c + "'", pos);
      }
      pos++;
    }

    String string() throws ParseException {
      int start = pos;
      pos++;
      StringBuilder sb = new StringBuilder();
      while (true) {
        if (pos >= s.length()) {
          throw new ParseException("unterminated string", start);
        }
        char c = s.charAt(pos++);
        if (c == '"') {
          break;
        }
        if (c < 0x20) {
          throw new ParseException("control character in string", pos - 1);
        }
        if (c != '\\') {
          sb.append(c);
          continue;
        }
        if (pos >= s.length()) {
          throw new ParseException("unterminated escape", pos);
        }
        char e = s.charAt(pos++);
        switch (e) {
          case '"' -> sb.append('"');
          case '\\' -> sb.append('\\');
          case '/' -> sb.append('/');
          case 'b' -> sb.append('\b');
          case 'f' -> sb.append('\f');
          case 'n' -> sb.append('\n');
          case 'r' -> sb.append('\r');
          case 't' -> sb.append('\t');
          case 'u' -> {
            if (pos + 4 > s.length()) {
              throw new ParseException("short \\u escape", pos);
            }
            int v = 0;
            for (int i = 0; i < 4; i++) {
              int d = Character.digit(s.charAt(pos + i), 16);
              if (d < 0) {
                throw new ParseException("bad \\u escape", pos);
              }
              v = (v << 4) | d;
            }
            pos += 4;
            sb.append((char) v);
          }
          default -> throw new ParseException("bad escape \\" + e, pos - 1);
        }
      }
      String out = sb.toString();
      for (int i = 0; i < out.length(); i++) {
        char c = out.charAt(i);
        if (Character.isHighSurrogate(c)) {
          if (i + 1 >= out.length() || !Character.isLowSurrogate(out.charAt(i + 1))) {
            throw new ParseException("lone surrogate in string", start);
          }
          i++;
        } else if (Character.isLowSurrogate(c)) {
          throw new ParseException("lone surrogate in string", start);
        }
      }
      return out;
    }

    BigDecimal number() throws ParseException {
      int start = pos;
      if (s.charAt(pos) == '-') {
        pos++;
      }
      if (pos >= s.length()) {
        throw new ParseException("bad number", start);
      }
      if (s.charAt(pos) == '0') {
        pos++;
      } else if (s.charAt(pos) >= '1' && s.charAt(pos) <= '9') {
        digits();
      } else {
        throw new ParseException("bad number", start);
      }
      if (pos < s.length() && s.charAt(pos) == '.') {
        pos++;
        if (digits() == 0) {
          throw new ParseException("bad number", start);
        }
      }
      if (pos < s.length() && (s.charAt(pos) == 'e' || s.charAt(pos) == 'E')) {
        pos++;
        if (pos < s.length() && (s.charAt(pos) == '+' || s.charAt(pos) == '-')) {
          pos++;
        }
        if (digits() == 0) {
          throw new ParseException("bad number", start);
        }
      }
      if (pos - start > 64) {
        throw new ParseException("number too long", start);
      }
      try {
        return new BigDecimal(s.substring(start, pos));
      } catch (NumberFormatException e) {
        // an exponent beyond BigDecimal's int scale ("5E5555555555"): out of any range we read
        throw new ParseException("number out of range", start);
      }
    }

    int digits() {
      int n = 0;
      while (pos < s.length() && s.charAt(pos) >= '0' && s.charAt(pos) <= '9') {
        pos++;
        n++;
      }
      return n;
    }
  }
}
