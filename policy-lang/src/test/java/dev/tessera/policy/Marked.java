package dev.tessera.policy;

import dev.tessera.policy.diag.Diagnostic;
import java.util.ArrayList;
import java.util.List;

/**
 * Test helper: a policy text with {@code ⟦} markers where diagnostics are expected. The markers are
 * removed and their 1-based line/column computed here, independently of the code under test.
 */
record Marked(String text, List<int[]> positions) {
  static final char MARK = '⟦';

  static Marked of(String withMarks) {
    StringBuilder sb = new StringBuilder();
    List<int[]> pos = new ArrayList<>();
    int line = 1;
    int col = 1;
    for (int i = 0; i < withMarks.length(); i++) {
      char c = withMarks.charAt(i);
      if (c == MARK) {
        pos.add(new int[] {line, col});
        continue;
      }
      sb.append(c);
      if (c == '\n') {
        line++;
        col = 1;
      } else {
        col++;
      }
    }
    return new Marked(sb.toString(), pos);
  }

  /** Expected lines {@code L:C severity code: message}, pairing markers with expectations. */
  List<String> expect(List<String> codeAndMessages) {
    if (codeAndMessages.size() != positions.size()) {
      throw new IllegalArgumentException(
          "test case has "
              + positions.size()
              + " markers but "
              + codeAndMessages.size()
              + " expectations");
    }
    List<String> out = new ArrayList<>();
    for (int i = 0; i < positions.size(); i++) {
      out.add(positions.get(i)[0] + ":" + positions.get(i)[1] + " " + codeAndMessages.get(i));
    }
    return out;
  }

  static List<String> actual(List<Diagnostic> ds) {
    return ds.stream()
        .map(
            d ->
                d.span().startLine()
                    + ":"
                    + d.span().startCol()
                    + " "
                    + (d.isError() ? "" : d.severity().label() + " ")
                    + d.code()
                    + ": "
                    + d.message())
        .toList();
  }
}
