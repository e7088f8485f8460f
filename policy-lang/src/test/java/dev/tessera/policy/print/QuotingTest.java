package dev.tessera.policy.print;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The printers' string quoting, as a table: value in, literal out, and back. */
class QuotingTest {

  static Stream<Arguments> literals() {
    return Stream.of(
        Arguments.of("plain", "\"plain\""),
        Arguments.of("a\"b\\c/d", "\"a\\\"b\\\\c/d\""),
        Arguments.of("\b\f\n\r\t", "\"\\b\\f\\n\\r\\t\""),
        Arguments.of("\u0000\u0001\u001b\u001f", "\"\\u0000\\u0001\\u001b\\u001f\""),
        // not printable for YAML 1.1 even inside quotes
        Arguments.of(
            "\u007f\u0085\u2028\u2029\ufeff\ufffe\uffff",
            "\"\\u007f\\u0085\\u2028\\u2029\\ufeff\\ufffe\\uffff\""),
        // printable non-ASCII and surrogate pairs as they are; lone surrogates escaped
        Arguments.of("\u00e9\u4e2d \ud83d\ude00", "\"\u00e9\u4e2d \ud83d\ude00\""),
        Arguments.of("a\ud800b", "\"a\\ud800b\""),
        Arguments.of("\udc00\ud83d\ude00\ud800", "\"\\udc00\ud83d\ude00\\ud800\""),
        Arguments.of("\ud800\ud800\udc00x\udfff", "\"\\ud800\ud800\udc00x\\udfff\""),
        Arguments.of("", "\"\""));
  }

  @ParameterizedTest
  @MethodSource("literals")
  void jsonLiterals(String value, String literal) {
    assertThat(Quoting.json(value)).isEqualTo(literal);
    assertThat(Quoting.unquoteJson(literal)).isEqualTo(value);
  }

  @ParameterizedTest
  @MethodSource("literals")
  void yamlAndDslQuoteWithTheSameLiterals(String value, String literal) {
    if (!Quoting.isTpolBare(value)) {
      assertThat(Quoting.tpol(value)).isEqualTo(literal);
    }
    assertThat(Quoting.yaml(value)).isIn(value, literal);
  }
}
