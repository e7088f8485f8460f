package dev.tessera.policy.ast;

/**
 * A comment read from the source, kept so printers ({@code fmt}, {@code convert}) can re-attach it
 * near the node that follows it (by span). {@link #text()} excludes the delimiters ({@code //},
 * {@code /* *}{@code /}, {@code #}) but keeps inner spacing as written.
 */
public record Comment(String text, Kind kind, SourceSpan span) implements Located {
  public enum Kind {
    /** {@code // ...} in HuJSON and tpol, {@code # ...} in YAML. */
    LINE,
    /** {@code /* ... *}{@code /}. */
    BLOCK
  }
}
