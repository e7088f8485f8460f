package dev.tessera.policy.syntax;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.regex.Pattern;

/**
 * Compact JSON text of a {@link Tree}, the form stored in {@link dev.tessera.policy.ast.JsonText}
 * (Jackson's escaping, keys in source order, number text as written). The HuJSON/YAML mapper and
 * the DSL both use it, so an app capability or derpMap read from either syntax is the same value.
 */
public final class JsonBlocks {
  private static final JsonFactory JSON = new JsonFactory();
  private static final Pattern JSON_NUMBER =
      Pattern.compile("-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?");

  private JsonBlocks() {}

  public static String compact(Tree t) {
    StringWriter w = new StringWriter();
    try (JsonGenerator g = JSON.createGenerator(w)) {
      write(t, g);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return w.toString();
  }

  private static void write(Tree t, JsonGenerator g) throws IOException {
    switch (t) {
      case Tree.Obj o -> {
        g.writeStartObject();
        for (Tree.Entry e : o.entries()) {
          g.writeFieldName(e.key());
          write(e.value(), g);
        }
        g.writeEndObject();
      }
      case Tree.Arr a -> {
        g.writeStartArray();
        for (Tree item : a.items()) {
          write(item, g);
        }
        g.writeEndArray();
      }
      case Tree.Str s -> g.writeString(s.value());
      case Tree.Num n -> {
        if (JSON_NUMBER.matcher(n.text()).matches()) {
          g.writeNumber(n.text());
        } else {
          g.writeString(n.text());
        }
      }
      case Tree.Bool b -> g.writeBoolean(b.value());
      case Tree.Null nl -> g.writeNull();
    }
  }
}
