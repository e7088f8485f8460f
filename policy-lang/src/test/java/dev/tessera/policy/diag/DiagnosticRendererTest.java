package dev.tessera.policy.diag;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tessera.policy.Policies;
import dev.tessera.policy.PolicyResult;
import dev.tessera.policy.Syntax;
import dev.tessera.policy.ast.SourceSpan;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Golden tests for the rendered diagnostics (text and JSON). Refresh the goldens with {@code
 * -Dgolden.update=true} and review the diff.
 */
class DiagnosticRendererTest {
  private static final Path GOLDEN_DIR = Path.of("src/test/resources/dev/tessera/policy/diag");

  private static String resource(String name) throws IOException {
    try (InputStream in = DiagnosticRendererTest.class.getResourceAsStream(name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private static void golden(String name, String actual) throws IOException {
    Path file = GOLDEN_DIR.resolve(name);
    if (Boolean.getBoolean("golden.update")) {
      Files.writeString(file, actual, StandardCharsets.UTF_8);
    }
    assertThat(actual)
        .as("golden " + name + " (refresh with -Dgolden.update=true)")
        .isEqualTo(Files.readString(file, StandardCharsets.UTF_8));
  }

  private static PolicyResult sample() throws IOException {
    return Policies.read("render-input.hujson", resource("render-input.hujson"), Syntax.HUJSON);
  }

  @Test
  void textMatchesGolden() throws IOException {
    PolicyResult r = sample();
    golden(
        "render.golden.txt",
        DiagnosticRenderer.text(r.diagnostics(), Map.of(r.source().name(), r.source())));
  }

  @Test
  void jsonMatchesGoldenAndParses() throws IOException {
    PolicyResult r = sample();
    String json = DiagnosticRenderer.json(r.diagnostics());
    JsonNode tree = new ObjectMapper().readTree(json);
    assertThat(tree.isArray()).isTrue();
    assertThat(tree.size()).isEqualTo(r.diagnostics().size());
    assertThat(tree.get(0).get("file").asText()).isEqualTo("render-input.hujson");
    golden("render.golden.json", json + "\n");
  }

  @Test
  void caretUnderlinesTheTokenAndExpandsTabs() {
    SourceText src = new SourceText("t", "\t\"x\": \"group:engg\",\n");
    Diagnostic d =
        Diagnostic.error(
            "undefined-group",
            "group:engg is not defined",
            new SourceSpan("t", 1, 7, 1, 19, 6, 18),
            "did you mean group:eng?");
    assertThat(DiagnosticRenderer.text(d, src))
        .isEqualTo(
            "t:1:7: error: group:engg is not defined\n"
                + "    1 |     \"x\": \"group:engg\",\n"
                + "      |          ^"
                + "~".repeat(11)
                + "\n"
                + "  help: did you mean group:eng?\n");
  }

  @Test
  void unknownPositionPrintsTheFileOnly() {
    Diagnostic d =
        Diagnostic.error("io", "no such file", SourceSpan.point("missing.hujson", 0, 0, -1));
    assertThat(DiagnosticRenderer.text(d, null)).isEqualTo("missing.hujson: error: no such file\n");
  }
}
