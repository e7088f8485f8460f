package dev.tessera.policy.diag;

import java.util.Arrays;

/** A source file's name and text, with a line index for excerpts. */
public final class SourceText {
  private final String name;
  private final String text;
  private final int[] lineStarts;

  /**
   * The line of the last lookup: readers ask for positions mostly in increasing order, so the
   * answer is usually this line or the next few. A hint only (a racy read is still verified).
   */
  private int hint;

  public SourceText(String name, String text) {
    this.name = name;
    this.text = text;
    int[] starts = new int[16];
    int n = 0;
    starts[n++] = 0;
    if (text.indexOf('\r') < 0) {
      // Fast path (no CR): String.indexOf is vectorized, a char loop is not.
      for (int i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) {
        if (n == starts.length) {
          starts = Arrays.copyOf(starts, n * 2);
        }
        starts[n++] = i + 1;
      }
    } else {
      for (int i = 0; i < text.length(); i++) {
        char c = text.charAt(i);
        if (c == '\n' || (c == '\r' && (i + 1 >= text.length() || text.charAt(i + 1) != '\n'))) {
          if (n == starts.length) {
            starts = Arrays.copyOf(starts, n * 2);
          }
          starts[n++] = i + 1;
        }
      }
    }
    this.lineStarts = Arrays.copyOf(starts, n);
  }

  public String name() {
    return name;
  }

  public String text() {
    return text;
  }

  public int lineCount() {
    return lineStarts.length;
  }

  /** The 1-based line without its terminator, or "" when out of range. */
  public String line(int line) {
    if (line < 1 || line > lineStarts.length) {
      return "";
    }
    int start = lineStarts[line - 1];
    int end = line < lineStarts.length ? lineStarts[line] : text.length();
    while (end > start && (text.charAt(end - 1) == '\n' || text.charAt(end - 1) == '\r')) {
      end--;
    }
    return text.substring(start, end);
  }

  /** 1-based line of a 0-based offset. */
  public int lineOf(int offset) {
    int h = hint;
    for (int k = 0; k < 4 && h < lineStarts.length; k++, h++) {
      if (lineStarts[h] <= offset && (h + 1 == lineStarts.length || offset < lineStarts[h + 1])) {
        hint = h;
        return h + 1;
      }
      if (lineStarts[h] > offset) {
        break;
      }
    }
    int i = Arrays.binarySearch(lineStarts, offset);
    int line = i >= 0 ? i + 1 : -i - 1;
    hint = Math.max(0, line - 1);
    return line;
  }

  /** 0-based offset where a 1-based line starts. */
  public int lineStart(int line) {
    return lineStarts[line - 1];
  }

  /** 1-based column of a 0-based offset. */
  public int colOf(int offset) {
    return offset - lineStarts[lineOf(offset) - 1] + 1;
  }
}
