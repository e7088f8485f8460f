package dev.tessera.compiler.emit;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.tessera.compiler.Compilation;
import dev.tessera.enforcer.format.CompiledFilter;
import dev.tessera.enforcer.format.FilterCodec;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.SortedMap;

/**
 * Writes a compilation to a directory: one file per node and {@code index.json} listing, by node
 * name, each file and the SHA-256 of its bytes (for the tessera format that is the filter's content
 * hash, {@code FilterCodec.sha256Hex}). Everything is sorted and generated from the canonical
 * filters, so equal inputs give byte-identical directories whatever the order of the policy's and
 * inventory's entries.
 */
public final class OutputWriter {
  private OutputWriter() {}

  /** The bytes of every file to write, by file name (index.json last), in name order. */
  public static Map<String, byte[]> render(Compilation c, OutputFormat format) {
    Map<String, byte[]> files = new LinkedHashMap<>();
    SortedMap<String, CompiledFilter> filters = c.filters();
    StringWriter w = new StringWriter();
    try (JsonGenerator g = new JsonFactory().createGenerator(w).useDefaultPrettyPrinter()) {
      g.writeStartObject();
      g.writeStringField("format", format.name().toLowerCase(Locale.ROOT));
      g.writeNumberField("formatVersion", CompiledFilter.FORMAT_VERSION);
      g.writeArrayFieldStart("nodes");
      for (Map.Entry<String, CompiledFilter> e : filters.entrySet()) {
        CompiledFilter f = e.getValue();
        byte[] bytes =
            switch (format) {
              case TESSERA -> FilterCodec.encode(f);
              case TAILSCALE -> TailscaleJson.write(f).getBytes(StandardCharsets.UTF_8);
            };
        String file = fileName(e.getKey()) + "." + format.extension();
        files.put(file, bytes);
        g.writeStartObject();
        g.writeStringField("name", e.getKey());
        g.writeStringField("file", file);
        g.writeStringField("sha256", HexFormat.of().formatHex(FilterCodec.sha256(bytes)));
        g.writeNumberField("rules", f.rules().size());
        g.writeNumberField("peers", f.peers().size());
        g.writeEndObject();
      }
      g.writeEndArray();
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    files.put("index.json", (w + "\n").getBytes(StandardCharsets.UTF_8));
    return files;
  }

  public static void write(Compilation c, OutputFormat format, Path dir) throws IOException {
    Files.createDirectories(dir);
    for (Map.Entry<String, byte[]> e : render(c, format).entrySet()) {
      Files.write(dir.resolve(e.getKey()), e.getValue());
    }
  }

  /**
   * A node name as a file name: letters, digits, '.', '_' and '-' kept; anything else (path
   * separators included) as {@code %XX} of its UTF-8 bytes, so distinct names give distinct, safe
   * files. A leading '.' is escaped too (no hidden files, no "..").
   */
  public static String fileName(String node) {
    StringBuilder sb = new StringBuilder();
    byte[] bytes = node.getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < bytes.length; i++) {
      int b = bytes[i] & 0xFF;
      boolean ok =
          (b >= 'a' && b <= 'z')
              || (b >= 'A' && b <= 'Z')
              || (b >= '0' && b <= '9')
              || b == '_'
              || b == '-'
              || (b == '.' && i > 0);
      if (ok) {
        sb.append((char) b);
      } else {
        sb.append('%').append(String.format("%02X", b));
      }
    }
    return sb.toString();
  }
}
