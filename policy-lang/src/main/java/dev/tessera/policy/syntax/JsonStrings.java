package dev.tessera.policy.syntax;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonFactoryBuilder;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import com.fasterxml.jackson.core.io.SerializedString;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;

/**
 * JSON string literals, written by Jackson's generator: the form every printer (HuJSON, JSON, YAML
 * double-quoted scalars, the DSL) and every diagnostic uses to quote a value.
 *
 * <p>Escapes: Jackson's short ones ({@code \" \\ \b \f \n \r \t}); as lowercase {@code \\u} escapes
 * every other control character and the characters YAML 1.1 does not accept even inside quotes
 * (DEL, NEL, U+2028, U+2029, U+FEFF, U+FFFE, U+FFFF) and lone surrogates. Everything else,
 * including surrogate pairs, is written as is.
 */
public final class JsonStrings {
  private JsonStrings() {}

  private static final JsonFactory JSON =
      new JsonFactoryBuilder().characterEscapes(new PrintableEscapes()).build();

  /** The JSON string literal (with its quotes) of {@code s}. */
  public static String quote(String s) {
    int first = firstSurrogate(s, 0);
    if (first < 0) {
      return generate(s);
    }
    // Jackson sees one char at a time, so it escapes every surrogate: keep pairs out of its way.
    StringBuilder out = new StringBuilder(s.length() + 8).append('"');
    int from = 0;
    for (int i = first; i >= 0; i = firstSurrogate(s, i)) {
      boolean pair =
          Character.isHighSurrogate(s.charAt(i))
              && i + 1 < s.length()
              && Character.isLowSurrogate(s.charAt(i + 1));
      int end = pair ? i : i + 1;
      String escaped = generate(s.substring(from, end));
      out.append(escaped, 1, escaped.length() - 1);
      if (pair) {
        out.append(s, i, i + 2);
        i += 2;
      } else {
        i++;
      }
      from = i;
    }
    String rest = generate(s.substring(from));
    return out.append(rest, 1, rest.length()).toString();
  }

  /** The decoded text of a JSON string literal (with its quotes). */
  public static String unquote(String literal) {
    try (JsonParser p = JSON.createParser(literal)) {
      p.nextToken();
      return p.getText();
    } catch (IOException e) {
      throw new IllegalArgumentException("not a JSON string: " + literal, e);
    }
  }

  private static int firstSurrogate(String s, int from) {
    for (int i = from; i < s.length(); i++) {
      if (Character.isSurrogate(s.charAt(i))) {
        return i;
      }
    }
    return -1;
  }

  private static String generate(String s) {
    StringWriter out = new StringWriter(s.length() + 2);
    try (JsonGenerator g = JSON.createGenerator(out)) {
      g.writeString(s);
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a StringWriter does no I/O
    }
    return out.toString();
  }

  /** The escapes of the class comment. */
  private static final class PrintableEscapes extends CharacterEscapes {
    private static final long serialVersionUID = 1L;
    private final int[] ascii = standardAsciiEscapesForJSON();

    PrintableEscapes() {
      for (int c = 0; c < 0x20; c++) {
        if ("\b\f\n\r\t".indexOf(c) < 0) {
          ascii[c] = ESCAPE_CUSTOM;
        }
      }
      ascii[0x7f] = ESCAPE_CUSTOM;
    }

    @Override
    public int[] getEscapeCodesForAscii() {
      return ascii;
    }

    @Override
    public SerializableString getEscapeSequence(int ch) {
      boolean escape =
          ch < 0x20
              || ch == 0x7f
              || ch == 0x85
              || ch == 0x2028
              || ch == 0x2029
              || ch == 0xFEFF
              || ch == 0xFFFE
              || ch == 0xFFFF
              || Character.isSurrogate((char) ch);
      return escape ? new SerializedString(String.format("\\u%04x", ch)) : null;
    }
  }
}
