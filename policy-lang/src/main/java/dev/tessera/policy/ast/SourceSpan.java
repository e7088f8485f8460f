package dev.tessera.policy.ast;

import java.util.Comparator;
import java.util.Objects;

/**
 * Where a node came from: file name, 1-based start/end line and column (end exclusive), and 0-based
 * character offsets into the source text ({@code -1} when unknown).
 *
 * <p>Design note: spans are deliberately kept <em>out</em> of structural equality. {@link #equals}
 * is always true for two spans and {@link #hashCode} is constant, so that every AST record (which
 * carries a span) compares by meaning only: {@code parse(print(ast)).equals(ast)} holds across
 * syntaxes even though every position moved. Use {@link #sameLocation} when the position itself
 * matters (diagnostic tests, provenance).
 */
public record SourceSpan(
    String file,
    int startLine,
    int startCol,
    int endLine,
    int endCol,
    int startOffset,
    int endOffset)
    implements Comparable<SourceSpan> {

  /** A span for synthesized nodes (no source). */
  public static final SourceSpan NONE = new SourceSpan("", 0, 0, 0, 0, -1, -1);

  private static final Comparator<SourceSpan> ORDER =
      Comparator.comparing(SourceSpan::file)
          .thenComparingInt(SourceSpan::startLine)
          .thenComparingInt(SourceSpan::startCol)
          .thenComparingInt(SourceSpan::endLine)
          .thenComparingInt(SourceSpan::endCol);

  public SourceSpan {
    Objects.requireNonNull(file, "file");
  }

  /** A span covering a single point (zero width) at line:col. */
  public static SourceSpan point(String file, int line, int col, int offset) {
    return new SourceSpan(file, line, col, line, col, offset, offset);
  }

  /** A span from the start of {@code a} to the end of {@code b} (same file assumed). */
  public static SourceSpan between(SourceSpan a, SourceSpan b) {
    return new SourceSpan(
        a.file, a.startLine, a.startCol, b.endLine, b.endCol, a.startOffset, b.endOffset);
  }

  public boolean isKnown() {
    return startLine > 0;
  }

  /** True if both spans denote the same file and range (what {@link #equals} ignores). */
  public boolean sameLocation(SourceSpan o) {
    return o != null
        && file.equals(o.file)
        && startLine == o.startLine
        && startCol == o.startCol
        && endLine == o.endLine
        && endCol == o.endCol;
  }

  /** Always true: spans never take part in structural equality (see class comment). */
  @Override
  public boolean equals(Object o) {
    return o instanceof SourceSpan;
  }

  @Override
  public int hashCode() {
    return 0;
  }

  @Override
  public int compareTo(SourceSpan o) {
    return ORDER.compare(this, o);
  }

  /** {@code file:line:col}, the prefix of every diagnostic ({@code file} alone when unknown). */
  @Override
  public String toString() {
    return isKnown() ? file + ":" + startLine + ":" + startCol : file;
  }
}
