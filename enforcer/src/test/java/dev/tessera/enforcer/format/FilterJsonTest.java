package dev.tessera.enforcer.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class FilterJsonTest {

  @Test
  void roundTripsRandomFilters() throws Exception {
    long seed = System.nanoTime();
    Random r = new Random(seed);
    for (int i = 0; i < 1000; i++) {
      CompiledFilter f = RandomFilters.filter(r);
      String json = FilterJson.write(f);
      CompiledFilter back = FilterJson.read(json);
      assertThat(back).as("seed %d\n%s", seed, json).isEqualTo(f.canonical());
      assertThat(FilterJson.write(back)).isEqualTo(json);
    }
  }

  /** Golden file: the JSON view of the sample filter (refresh with -Dgolden.update=true). */
  @Test
  void goldenSample() throws Exception {
    String json = FilterJson.write(FilterCodecTest.sample());
    Path golden = Path.of("src/test/resources/golden/sample-filter.json");
    if (Boolean.getBoolean("golden.update")) {
      Files.createDirectories(golden.getParent());
      Files.writeString(golden, json, StandardCharsets.UTF_8);
    }
    assertThat(json).isEqualTo(Files.readString(golden, StandardCharsets.UTF_8));
    assertThat(FilterJson.read(json)).isEqualTo(FilterCodecTest.sample().canonical());
  }

  static String doc(String rules) {
    return "{\"format\":\"tessera-filter\",\"version\":1,\"node\":\"n\",\"nodeAddresses\":[],\"rules\":"
        + rules
        + ",\"peers\":[],\"capGrants\":[]}";
  }

  static final String RULE =
      "{\"sources\":[\"10.0.0.0/8\"],\"protocols\":[6],\"destinations\":[{\"prefix\":\"100.64.0.1/32\",\"ports\":\"%s\"}],"
          + "\"origin\":{\"file\":\"p\",\"line\":1,\"col\":2,\"kind\":\"acl\",\"index\":0}}";

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "22 | 22 | 22",
        "80-90 | 80 | 90",
        "* | 0 | 65535",
        "0-65535 | 0 | 65535",
      })
  void portForms(String ports, int first, int last) throws Exception {
    CompiledFilter f = FilterJson.read(doc("[" + RULE.formatted(ports) + "]"));
    assertThat(f.rules().get(0).destinations().get(0).firstPort()).isEqualTo(first);
    assertThat(f.rules().get(0).destinations().get(0).lastPort()).isEqualTo(last);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "not json | invalid JSON",
        "[] | $: expected an object",
        "{\"format\":\"x\"} | missing key",
        "DOC_EXTRA | unknown key \"extra\"",
        "DOC_V2 | unsupported format version 2",
        "DOC_BADPORT | $.rules[0].destinations[0].ports: bad port",
        "DOC_INVERTED | inverted port range",
        "DOC_BIGPORT | out of range",
        "DOC_HOSTBITS | $.rules[0].destinations[0].prefix",
        "DOC_BAREADDR | expected address/bits",
        "DOC_PROTO | $.rules[0].protocols[0]: 256 out of range",
        "DOC_DUPKEY | duplicate key",
        "DOC_TRAILINGCOMMA | was expecting double-quote to start field name",
        "DOC_KIND | $.rules[0].origin",
      })
  void rejectsWithPath(String input, String message) {
    String rule = RULE.formatted("22");
    String json =
        switch (input) {
          case "DOC_EXTRA" -> doc("[]").replace("{\"format\"", "{\"extra\":1,\"format\"");
          case "DOC_V2" -> doc("[]").replace("\"version\":1", "\"version\":2");
          case "DOC_BADPORT" -> doc("[" + RULE.formatted("ssh") + "]");
          case "DOC_INVERTED" -> doc("[" + RULE.formatted("90-80") + "]");
          case "DOC_BIGPORT" -> doc("[" + RULE.formatted("65536") + "]");
          case "DOC_HOSTBITS" -> doc("[" + rule.replace("100.64.0.1/32", "100.64.0.1/24") + "]");
          case "DOC_BAREADDR" -> doc("[" + rule.replace("100.64.0.1/32", "100.64.0.1") + "]");
          case "DOC_PROTO" -> doc("[" + rule.replace("[6]", "[256]") + "]");
          case "DOC_DUPKEY" -> doc("[]").replace("\"node\":\"n\"", "\"node\":\"n\",\"node\":\"m\"");
          case "DOC_TRAILINGCOMMA" -> doc("[]").replace("\"capGrants\":[]}", "\"capGrants\":[],}");
          case "DOC_KIND" -> doc("[" + rule.replace("\"acl\"", "\"ACL!\"") + "]");
          default -> input;
        };
    assertThatThrownBy(() -> FilterJson.read(json))
        .isInstanceOf(FilterFormatException.class)
        .hasMessageContaining(message);
  }

  @Test
  void deepNestingIsRejectedNotAStackOverflow() {
    String deep = "[".repeat(100_000);
    assertThatThrownBy(() -> FilterJson.read(deep))
        .isInstanceOf(FilterFormatException.class)
        .hasMessageContaining("nesting");
  }

  static Stream<Arguments> escapes() {
    return Stream.of(
        Arguments.of("a\"b\\c/", "\"a\\\"b\\\\c/\""),
        Arguments.of("\b\f\n\r\t", "\"\\b\\f\\n\\r\\t\""),
        Arguments.of("\u0000\u0001\u001f", "\"\\u0000\\u0001\\u001f\""),
        Arguments.of("\u2028\u2029", "\"\\u2028\\u2029\""),
        Arguments.of("\u007f \u00e9 \ud83d\ude00", "\"\u007f \u00e9 \ud83d\ude00\""));
  }

  /** The canonical string form: short escapes, other controls and U+2028/9 as lowercase \\u. */
  @ParameterizedTest
  @MethodSource("escapes")
  void stringsAreWrittenCanonically(String value, String literal) throws Exception {
    assertThat(Json.write(value)).isEqualTo(literal);
    assertThat(Json.parse(literal)).isEqualTo(value);
  }

  @Test
  void valuesAreMinifiedCanonically() {
    assertThat(Json.minify("{ \"a\" : [1, 2.50, -0, 1e2, 1.5E-3], \"b\": null, \"c\": {}}", "v"))
        .isEqualTo("{\"a\":[1,2.50,0,1E+2,0.0015],\"b\":null,\"c\":{}}");
    assertThatThrownBy(() -> Json.minify("\"\\ud800\"", "v"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("lone surrogate");
    assertThatThrownBy(() -> Json.minify("[1,]", "v")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Json.minify("01", "v")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Json.minify("1 2", "v"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("trailing");
  }

  @Test
  void prettyKeepsArraysOfScalarsOnOneLine() {
    Map<String, Object> inner = new LinkedHashMap<>();
    inner.put("x", List.of("a", "b"));
    inner.put("e", List.of());
    Map<String, Object> root = new LinkedHashMap<>();
    root.put("n", 1);
    root.put("objs", List.of(inner, Map.of()));
    root.put("raw", List.of(new Json.Raw("{\"k\":[1]}")));
    assertThat(Json.writePretty(root))
        .isEqualTo(
            """
            {
              "n": 1,
              "objs": [
                {
                  "x": ["a", "b"],
                  "e": []
                },
                {}
              ],
              "raw": [{"k":[1]}]
            }
            """);
  }
}
