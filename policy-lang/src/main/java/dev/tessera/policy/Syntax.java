package dev.tessera.policy;

import java.util.Locale;
import java.util.Optional;

/** The three policy syntaxes, chosen by file extension. */
public enum Syntax {
  /**
   * Tailscale's format: JSON with comments and trailing commas ({@code .hujson}, {@code .json}).
   */
  HUJSON,
  /** The same document structure in YAML ({@code .yaml}, {@code .yml}). */
  YAML,
  /** Tessera's DSL ({@code .tpol}). */
  TPOL;

  /** The syntax for a file name's extension, if known. */
  public static Optional<Syntax> forFileName(String fileName) {
    String n = fileName.toLowerCase(Locale.ROOT);
    if (n.endsWith(".hujson") || n.endsWith(".json")) {
      return Optional.of(HUJSON);
    }
    if (n.endsWith(".yaml") || n.endsWith(".yml")) {
      return Optional.of(YAML);
    }
    if (n.endsWith(".tpol")) {
      return Optional.of(TPOL);
    }
    return Optional.empty();
  }
}
