package dev.tessera.policy.syntax.tpol;

import dev.tessera.policy.ast.SourceSpan;
import dev.tessera.policy.diag.SourceText;
import org.antlr.v4.runtime.ParserRuleContext;
import org.antlr.v4.runtime.Token;

/**
 * Token and rule positions as {@link SourceSpan}s. ANTLR's code-point stream indexes code points;
 * spans use UTF-16 offsets (what {@link SourceText} and the other readers use), so a file with
 * characters outside the BMP (an emoji in a comment) gets a mapping table, other files none.
 */
final class Positions {
  private final SourceText src;

  /** UTF-16 offset of each code point index, or null when the two coincide. */
  private final int[] utf16;

  Positions(SourceText src) {
    this.src = src;
    String t = src.text();
    int cps = t.codePointCount(0, t.length());
    if (cps == t.length()) {
      utf16 = null;
    } else {
      utf16 = new int[cps + 1];
      int off = 0;
      for (int i = 0; i < cps; i++) {
        utf16[i] = off;
        off += Character.charCount(t.codePointAt(off));
      }
      utf16[cps] = off;
    }
  }

  String file() {
    return src.name();
  }

  int offset(int codePointIndex) {
    if (utf16 == null) {
      return Math.max(0, Math.min(codePointIndex, src.text().length()));
    }
    return utf16[Math.max(0, Math.min(codePointIndex, utf16.length - 1))];
  }

  /** The span of [start, end) UTF-16 offsets. */
  SourceSpan span(int start, int end) {
    int e = Math.max(start, end);
    return new SourceSpan(
        src.name(), src.lineOf(start), src.colOf(start), src.lineOf(e), src.colOf(e), start, e);
  }

  SourceSpan span(Token t) {
    if (t.getType() == Token.EOF || t.getStartIndex() < 0) {
      int end = src.text().length();
      return span(end, end);
    }
    return span(offset(t.getStartIndex()), offset(t.getStopIndex() + 1));
  }

  SourceSpan span(Token first, Token last) {
    if (last == null || last.getStopIndex() < first.getStartIndex()) {
      return span(first);
    }
    return span(offset(first.getStartIndex()), offset(last.getStopIndex() + 1));
  }

  SourceSpan span(ParserRuleContext ctx) {
    return span(ctx.getStart(), ctx.getStop());
  }
}
