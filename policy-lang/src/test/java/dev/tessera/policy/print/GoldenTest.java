package dev.tessera.policy.print;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.policy.Policies;
import dev.tessera.policy.PolicyResult;
import dev.tessera.policy.Syntax;
import dev.tessera.policy.ast.Comment;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Golden files for {@code fmt} (same syntax) and {@code convert} (every other syntax): for each
 * file in {@code src/test/resources/golden/input}, the printed text in each syntax must equal
 * {@code golden/expected/INPUT.EXT} (EXT the target syntax's extension; the input's own extension
 * is the fmt result). Refresh with {@code -Dgolden.update=true} and review the diff.
 *
 * <p>Besides the bytes, each case checks what the goldens alone would not: the conversion kept the
 * meaning ({@link Conversions} reads the output back and compares ASTs), formatting the output
 * again changes nothing (idempotence), and every comment's text is still in the output.
 */
class GoldenTest {
  private static final Path ROOT = Path.of("src/test/resources/golden");
  private static final boolean UPDATE = Boolean.getBoolean("golden.update");

  static Stream<Arguments> cases() throws IOException {
    List<Arguments> out = new ArrayList<>();
    try (Stream<Path> files = Files.list(ROOT.resolve("input"))) {
      for (Path in : files.sorted().toList()) {
        for (Syntax target : Syntax.values()) {
          out.add(Arguments.of(in.getFileName().toString(), target));
        }
      }
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @MethodSource("cases")
  void printsAsGolden(String input, Syntax target) throws IOException {
    PolicyResult read = Policies.read(ROOT.resolve("input").resolve(input));
    Conversions.Result r = Conversions.print(read, target);
    assertThat(r.blocking()).as("reading errors in %s", input).isEmpty();
    String text = r.text();

    Path golden = ROOT.resolve("expected").resolve(input + "." + ext(target));
    if (UPDATE) {
      Files.writeString(golden, text, StandardCharsets.UTF_8);
    }
    assertThat(text)
        .as("golden %s (refresh with -Dgolden.update=true)", golden)
        .isEqualTo(read(golden));

    // fmt of the output is the output.
    PolicyResult again = Policies.read("again." + ext(target), text, target);
    assertThat(Conversions.print(again, target).text()).as("fmt is idempotent").isEqualTo(text);

    // Every comment survives, as text (YAML splits block comments into lines).
    for (Comment c : read.partial().comments()) {
      for (String line : c.text().split("\n")) {
        assertThat(text).as("comment %s kept", line).contains(line.strip());
      }
    }
  }

  private static String ext(Syntax s) {
    return s.name().toLowerCase(Locale.ROOT);
  }

  private static String read(Path p) {
    try {
      return Files.readString(p, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "missing golden " + p + " (create with -Dgolden.update=true)", e);
    }
  }
}
