package dev.tessera.enforcer.format;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonFactoryBuilder;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.PrettyPrinter;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import com.fasterxml.jackson.core.io.SerializedString;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Strict JSON (RFC 8259) reading and canonical writing for the compiled-filter view, on Jackson's
 * streaming parser and generator. Strict: no comments, no trailing commas, no duplicate object
 * keys, no leading zeros, nesting depth and number length bounded (hostile input must not overflow
 * the stack), strings must be valid Unicode (no lone surrogates).
 *
 * <p>Values: {@code Map<String,Object>} (insertion ordered), {@code List<Object>}, String,
 * BigDecimal, Boolean, and {@link #NULL}. Written canonically: numbers as {@link
 * BigDecimal#toString()}, control characters and U+2028/U+2029 as lowercase {@code \\u} escapes,
 * everything else as is; pretty output indents by two spaces and keeps arrays of scalars on one
 * line.
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
  private static final int MAX_NUMBER_LENGTH = 64;

  private static final JsonFactory FACTORY =
      new JsonFactoryBuilder()
          .disable(StreamReadFeature.AUTO_CLOSE_SOURCE)
          .streamReadConstraints(
              StreamReadConstraints.builder()
                  .maxNestingDepth(MAX_DEPTH)
                  .maxNumberLength(MAX_NUMBER_LENGTH)
                  .build())
          .characterEscapes(new Escapes())
          .build();

  static final class ParseException extends Exception {
    private static final long serialVersionUID = 1L;

    ParseException(String message) {
      super(message);
    }
  }

  static Object parse(String text) throws ParseException {
    try (JsonParser p = FACTORY.createParser(text)) {
      p.enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
      if (p.nextToken() == null) {
        throw new ParseException("unexpected end of input");
      }
      Object v = value(p);
      if (p.nextToken() != null) {
        throw new ParseException(
            "trailing characters after the JSON value at offset "
                + p.currentTokenLocation().getCharOffset());
      }
      return v;
    } catch (JsonProcessingException e) {
      String m = e.getOriginalMessage();
      if (m.startsWith("Duplicate ")) {
        m = "duplicate key: " + m;
      }
      var at = e.getLocation();
      throw new ParseException(at == null ? m : m + " at offset " + at.getCharOffset());
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a String source does no I/O
    }
  }

  private static Object value(JsonParser p) throws IOException, ParseException {
    return switch (p.currentToken()) {
      case START_OBJECT -> {
        Map<String, Object> m = new LinkedHashMap<>();
        for (String k = p.nextFieldName(); k != null; k = p.nextFieldName()) {
          checkUnicode(k, p);
          p.nextToken();
          m.put(k, value(p));
        }
        yield m;
      }
      case START_ARRAY -> {
        List<Object> l = new ArrayList<>();
        while (p.nextToken() != JsonToken.END_ARRAY) {
          l.add(value(p));
        }
        yield Collections.unmodifiableList(l);
      }
      case VALUE_STRING -> checkUnicode(p.getText(), p);
      case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> number(p);
      case VALUE_TRUE -> Boolean.TRUE;
      case VALUE_FALSE -> Boolean.FALSE;
      case VALUE_NULL -> NULL;
      default -> throw new ParseException("unexpected token " + p.currentToken());
    };
  }

  private static BigDecimal number(JsonParser p) throws IOException, ParseException {
    try {
      return new BigDecimal(p.getText());
    } catch (NumberFormatException e) {
      // an exponent beyond BigDecimal's int scale ("5E5555555555"): out of any range we read
      throw new ParseException(
          "number out of range at offset " + p.currentTokenLocation().getCharOffset());
    }
  }

  /** Jackson decodes {@code \\u} escapes without pairing surrogates: reject lone ones. */
  private static String checkUnicode(String s, JsonParser p) throws ParseException {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c)
          && i + 1 < s.length()
          && Character.isLowSurrogate(s.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        throw new ParseException(
            "lone surrogate in string at offset " + p.currentTokenLocation().getCharOffset());
      }
    }
    return s;
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
    return generate(v, null);
  }

  /** Pretty output, two-space indent; arrays of scalars stay on one line. */
  static String writePretty(Object v) {
    return generate(v, new Layout()) + "\n";
  }

  private static String generate(Object v, Layout layout) {
    StringWriter out = new StringWriter();
    try (JsonGenerator g = FACTORY.createGenerator(out)) {
      if (layout != null) {
        g.setPrettyPrinter(layout);
      }
      write(g, v, layout);
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a StringWriter does no I/O
    }
    return out.toString();
  }

  private static void write(JsonGenerator g, Object v, Layout layout) throws IOException {
    if (v == NULL || v == null) {
      g.writeNull();
    } else if (v instanceof Boolean b) {
      g.writeBoolean(b);
    } else if (v instanceof BigDecimal d) {
      g.writeNumber(d);
    } else if (v instanceof Integer i) {
      g.writeNumber(i);
    } else if (v instanceof Long l) {
      g.writeNumber(l);
    } else if (v instanceof String s) {
      g.writeString(s);
    } else if (v instanceof Raw raw) {
      g.writeRawValue(raw.json);
    } else if (v instanceof List<?> list) {
      if (layout != null) {
        layout.nextArrayFlat = list.stream().noneMatch(e -> e instanceof Map || e instanceof List);
      }
      g.writeStartArray();
      for (Object e : list) {
        write(g, e, layout);
      }
      g.writeEndArray();
    } else if (v instanceof Map<?, ?> map) {
      g.writeStartObject();
      for (Map.Entry<?, ?> e : map.entrySet()) {
        g.writeFieldName((String) e.getKey());
        write(g, e.getValue(), layout);
      }
      g.writeEndObject();
    } else {
      throw new IllegalArgumentException("not a JSON value: " + v.getClass());
    }
  }

  /** A pre-serialized JSON value, written as is. */
  record Raw(String json) {}

  /**
   * The canonical string escapes: Jackson's short escapes ({@code \\" \\\\ \\b \\f \\n \\r \\t}),
   * other control characters and the line and paragraph separators (which break JavaScript string
   * literals) as lowercase {@code \\u} escapes.
   */
  private static final class Escapes extends CharacterEscapes {
    private static final long serialVersionUID = 1L;
    private final int[] ascii = standardAsciiEscapesForJSON();

    Escapes() {
      for (int c = 0; c < 0x20; c++) {
        if ("\b\f\n\r\t".indexOf(c) < 0) {
          ascii[c] = ESCAPE_CUSTOM;
        }
      }
    }

    @Override
    public int[] getEscapeCodesForAscii() {
      return ascii;
    }

    @Override
    public SerializableString getEscapeSequence(int ch) {
      return ch < 0x20 || ch == 0x2028 || ch == 0x2029
          ? new SerializedString(String.format("\\u%04x", ch))
          : null;
    }
  }

  /**
   * Two-space indentation, one entry per line; an array holding no object or array stays on one
   * line with ", " between its values. The writer says which kind the next array is.
   */
  private static final class Layout implements PrettyPrinter {
    boolean nextArrayFlat;
    private final Deque<Boolean> flat = new ArrayDeque<>();
    private int depth;

    private void newline(JsonGenerator g) throws IOException {
      g.writeRaw('\n');
      for (int i = 0; i < depth; i++) {
        g.writeRaw("  ");
      }
    }

    @Override
    public void writeRootValueSeparator(JsonGenerator g) {}

    @Override
    public void writeStartObject(JsonGenerator g) throws IOException {
      g.writeRaw('{');
      depth++;
    }

    @Override
    public void beforeObjectEntries(JsonGenerator g) throws IOException {
      newline(g);
    }

    @Override
    public void writeObjectFieldValueSeparator(JsonGenerator g) throws IOException {
      g.writeRaw(": ");
    }

    @Override
    public void writeObjectEntrySeparator(JsonGenerator g) throws IOException {
      g.writeRaw(',');
      newline(g);
    }

    @Override
    public void writeEndObject(JsonGenerator g, int entries) throws IOException {
      depth--;
      if (entries > 0) {
        newline(g);
      }
      g.writeRaw('}');
    }

    @Override
    public void writeStartArray(JsonGenerator g) throws IOException {
      flat.push(nextArrayFlat);
      g.writeRaw('[');
      depth++;
    }

    @Override
    public void beforeArrayValues(JsonGenerator g) throws IOException {
      if (!flat.peek()) {
        newline(g);
      }
    }

    @Override
    public void writeArrayValueSeparator(JsonGenerator g) throws IOException {
      if (flat.peek()) {
        g.writeRaw(", ");
      } else {
        g.writeRaw(',');
        newline(g);
      }
    }

    @Override
    public void writeEndArray(JsonGenerator g, int values) throws IOException {
      depth--;
      if (!flat.pop() && values > 0) {
        newline(g);
      }
      g.writeRaw(']');
    }
  }
}
