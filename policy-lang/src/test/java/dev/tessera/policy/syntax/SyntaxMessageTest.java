package dev.tessera.policy.syntax;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.policy.Policies;
import dev.tessera.policy.PolicyResult;
import dev.tessera.policy.Syntax;
import dev.tessera.policy.diag.Diagnostic;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Malformed HuJSON: the message says what is wrong in policy terms, at the exact place, with no
 * Jackson wording.
 */
class SyntaxMessageTest {
  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '`',
      textBlock =
          """
      missing comma after a value  | `{"acls": [] "groups": {}}`     | expected ',' or '}' after the value of "acls", found '"' | 1 | 13
      unquoted key                 | `{acls: []}`                    | expected a key in double quotes, found 'a'              | 1 | 2
      missing colon                | `{"acls" []}`                   | expected ':' after the key, found '['                   | 1 | 9
      bare word value              | `{"acls": nope}`                | expected a value (a string in double quotes, a number, true, false, null, an object or a list), found 'nope' | 1 | 10
      missing comma in a list      | `{"acls": [{} {}]}`             | expected ',' or ']' between list items, found '{'       | 1 | 14
      unterminated string          | `{"acls": "abc`                 | unterminated string                                     | 1 | 14
      """)
  void saysWhatIsWrongWhere(String name, String text, String message, int line, int col) {
    PolicyResult r = Policies.read("p.hujson", text, Syntax.HUJSON);
    assertThat(r.errors()).hasSize(1);
    Diagnostic d = r.errors().getFirst();
    assertThat(d.message())
        .isEqualTo(message)
        .doesNotContain("code ", "token 'null'", "VALUE_STRING");
    assertThat(d.span().startLine()).isEqualTo(line);
    assertThat(d.span().startCol()).isEqualTo(col);
  }
}
