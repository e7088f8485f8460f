package dev.tessera.policy.print;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.policy.Policies;
import dev.tessera.policy.PolicyResult;
import dev.tessera.testsupport.Conformance;
import dev.tessera.testsupport.ProjectRoot;
import dev.tessera.testsupport.RequiresConformance;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * After {@code fmt}, every comment of a HuJSON policy is still beside what it annotates: the token
 * before it and the token after it (keys, values and brackets, counted from the start of the file;
 * commas aside, since the formatter adds and removes trailing commas) are the same tokens as
 * before, and a comment that ended its line's content (a trailing {@code // web}) still does. Run
 * over the bundled examples and the real policy files of the conformance data; formatting twice
 * changes nothing.
 */
class CommentNeighbourTest {
  /** A key, value or bracket ({@code kind} 't'), or a comment ('c'), with its line. */
  record Token(char kind, String text, int line) {}

  /** The neighbours of one comment: previous and next non-comment token (index and text). */
  record Neighbours(
      String comment,
      int before,
      String beforeText,
      int after,
      String afterText,
      boolean trailing) {}

  @Test
  void examplesKeepCommentNeighbours() throws IOException {
    List<Path> files;
    try (Stream<Path> s = Files.walk(ProjectRoot.get().resolve("examples"))) {
      files =
          s.filter(p -> p.toString().endsWith(".hujson") && !p.toString().contains("/target/"))
              .sorted()
              .toList();
    }
    assertThat(files).isNotEmpty();
    assertThat(check(files)).as("files formatted").isEqualTo(files.size());
  }

  @Test
  @RequiresConformance
  void realPoliciesKeepCommentNeighbours() throws IOException {
    List<Path> files;
    try (Stream<Path> s = Files.list(Conformance.wild())) {
      files = s.map(d -> d.resolve("policy.hujson")).filter(Files::isRegularFile).sorted().toList();
    }
    assertThat(files).hasSize(70);
    // One file is not HuJSON at all (its opening brace is inside a comment): it is refused, not
    // formatted.
    assertThat(check(files)).as("files formatted").isEqualTo(69);
  }

  /** Checks every file that can be formatted; returns how many were. */
  private static int check(List<Path> files) throws IOException {
    int formatted = 0;
    int comments = 0;
    for (Path f : files) {
      PolicyResult read = Policies.read(f);
      Conversions.Result r = Conversions.format(read, false);
      if (!r.ok()) {
        assertThat(r.blocking())
            .as("%s refused only for syntax errors", f)
            .allMatch(d -> d.code().equals(dev.tessera.policy.diag.Codes.SYNTAX));
        continue;
      }
      formatted++;
      String original = Files.readString(f);
      List<Neighbours> before = neighbours(original);
      List<Neighbours> after = neighbours(r.text());
      assertThat(after).as("comment neighbours in %s", f).isEqualTo(before);
      comments += before.size();
      PolicyResult again = Policies.read(f.toString(), r.text(), dev.tessera.policy.Syntax.HUJSON);
      assertThat(Conversions.format(again, false).text())
          .as("fmt of fmt of %s", f)
          .isEqualTo(r.text());
    }
    System.out.println(
        "comment neighbours: "
            + formatted
            + " files formatted, "
            + comments
            + " comments kept beside their keys/values");
    return formatted;
  }

  static List<Neighbours> neighbours(String text) {
    List<Token> tokens = tokens(text);
    List<Neighbours> out = new ArrayList<>();
    List<Integer> index = new ArrayList<>(); // token position -> index among non-comment tokens
    int n = 0;
    for (Token t : tokens) {
      index.add(t.kind() == 'c' ? -1 : n++);
    }
    for (int i = 0; i < tokens.size(); i++) {
      Token c = tokens.get(i);
      if (c.kind() != 'c') {
        continue;
      }
      int p = i - 1;
      while (p >= 0 && tokens.get(p).kind() == 'c') {
        p--;
      }
      int q = i + 1;
      while (q < tokens.size() && tokens.get(q).kind() == 'c') {
        q++;
      }
      Token prev = p >= 0 ? tokens.get(p) : null;
      Token next = q < tokens.size() ? tokens.get(q) : null;
      boolean trailing = prev != null && prev.line() == c.line();
      out.add(
          new Neighbours(
              c.text().strip(),
              prev == null ? -1 : index.get(p),
              prev == null ? "" : prev.text(),
              next == null ? -1 : index.get(q),
              next == null ? "" : next.text(),
              trailing));
    }
    return out;
  }

  /** HuJSON tokens: strings, literals, brackets and comments; whitespace, ':' and ',' skipped. */
  static List<Token> tokens(String t) {
    List<Token> out = new ArrayList<>();
    int line = 1;
    int i = 0;
    while (i < t.length()) {
      char c = t.charAt(i);
      if (c == '\n') {
        line++;
        i++;
      } else if (Character.isWhitespace(c) || c == ',' || c == ':') {
        i++;
      } else if (t.startsWith("//", i)) {
        int end = t.indexOf('\n', i);
        end = end < 0 ? t.length() : end;
        out.add(new Token('c', t.substring(i, end), line));
        i = end;
      } else if (t.startsWith("/*", i)) {
        int end = t.indexOf("*/", i + 2) + 2;
        String body = t.substring(i, end);
        // Block comments are re-indented; compare their words only.
        out.add(new Token('c', String.join(" ", body.split("\\s+")), line));
        line += (int) body.chars().filter(ch -> ch == '\n').count();
        i = end;
      } else if (c == '"') {
        int j = i + 1;
        while (t.charAt(j) != '"') {
          j += t.charAt(j) == '\\' ? 2 : 1;
        }
        out.add(new Token('t', t.substring(i, j + 1), line));
        i = j + 1;
      } else if ("{}[]".indexOf(c) >= 0) {
        out.add(new Token('t', String.valueOf(c), line));
        i++;
      } else {
        int j = i;
        while (j < t.length()
            && !Character.isWhitespace(t.charAt(j))
            && ",:{}[]/".indexOf(t.charAt(j)) < 0) {
          j++;
        }
        out.add(new Token('t', t.substring(i, j), line));
        i = j;
      }
    }
    return out;
  }
}
