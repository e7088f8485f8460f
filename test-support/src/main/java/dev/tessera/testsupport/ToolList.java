package dev.tessera.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The project's tool list, {@code .ci/tools}: one line per external program a test may run, with
 * the Debian package that provides it ({@code program package what-for...}; {@code #} starts a
 * comment). {@code .ci/run} installs exactly these packages.
 */
public record ToolList(Map<String, Entry> entries) {
  public static final String FILE = ".ci/tools";

  public record Entry(String program, String debianPackage, String usedBy) {}

  public ToolList {
    entries = Map.copyOf(entries);
  }

  public static ToolList load(Path file) {
    List<String> lines;
    try {
      lines = Files.readAllLines(file);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the tool list " + file, e);
    }
    Map<String, Entry> m = new LinkedHashMap<>();
    for (String raw : lines) {
      String line = raw.strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      String[] f = line.split("\\s+", 3);
      if (f.length < 2) {
        throw new IllegalStateException(file + ": a line needs a program and its package: " + raw);
      }
      m.put(f[0], new Entry(f[0], f[1], f.length > 2 ? f[2] : ""));
    }
    return new ToolList(m);
  }

  public Optional<Entry> find(String program) {
    return Optional.ofNullable(entries.get(program));
  }
}
