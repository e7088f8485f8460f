package dev.tessera.policy.print;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link HujsonFormat} gives what Tailscale's formatter gives: the table {@code
 * hujson-format-cases.json} is {@code testdataFormat} of {@code github.com/tailscale/hujson}'s
 * {@code format_test.go} (BSD-3-Clause), input and expected output, extracted verbatim. The one
 * case whose input has string escapes is left out: Go rewrites escapes, this formatter keeps every
 * string as written.
 */
class HujsonFormatTest {
  static Stream<Arguments> tailscaleCases() throws IOException {
    List<Arguments> out = new ArrayList<>();
    try (InputStream in = HujsonFormatTest.class.getResourceAsStream("hujson-format-cases.json")) {
      JsonNode cases = new ObjectMapper().readTree(in);
      for (int i = 0; i < cases.size(); i++) {
        String input = cases.get(i).get("in").asText();
        if (input.indexOf('\\') >= 0) {
          continue;
        }
        String want = cases.get(i).get("want").asText();
        out.add(Arguments.of(i, input, (want.startsWith("\n") ? want.substring(1) : want) + "\n"));
      }
    }
    return out.stream();
  }

  @ParameterizedTest(name = "format_test.go case {0}")
  @MethodSource("tailscaleCases")
  void formatsAsTailscale(int index, String input, String want) {
    assertThat(HujsonFormat.format(input)).isEqualTo(want);
    assertThat(HujsonFormat.format(want)).as("idempotent").isEqualTo(want);
  }

  @Test
  void keepsStringEscapesAndValueText() {
    String in =
        "{\"hosts\": {\"a\": \"10.0.0.1/32\", \"b\": \"\\u0041\"}, \"autoApprovers\": {\"routes\": {\"fd7a::1/128\": []}}}";
    String out = HujsonFormat.format(in);
    assertThat(out).contains("\"10.0.0.1/32\"", "\"\\u0041\"", "\"fd7a::1/128\"");
  }

  @Test
  void renamesKeysOnlyWhenAsked() {
    String in =
        "{\n\"ACLs\": [{\"action\": \"accept\", \"users\": [\"*\"], \"ports\": [\"*:*\"]}], // rules\n}";
    assertThat(HujsonFormat.format(in)).contains("\"ACLs\"", "\"users\"", "\"ports\"", "// rules");
    String modern = HujsonFormat.format(in, dev.tessera.policy.syntax.ModernKeys::of);
    assertThat(modern)
        .contains("\"acls\"", "\"src\"", "\"dst\"", "// rules")
        .doesNotContain("users", "ports");
  }

  /**
   * Values of consecutive one-line members are aligned, as Go does (a comment before a key
   * included).
   */
  @Test
  void keepsCommentsWhereTheyAre() {
    String in =
        """
        {
          // leading
          "hosts": {
            "web": "10.0.0.1", // web
            /* before db */ "db": "10.0.0.2",
            // end of hosts
          },
        }
        """;
    assertThat(HujsonFormat.format(in))
        .isEqualTo(
            """
        {
        	// leading
        	"hosts": {
        		"web": "10.0.0.1", // web
        		/* before db */ "db":  "10.0.0.2",
        		// end of hosts
        	},
        }
        """);
  }
}
