package dev.tessera.policytests;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.policy.diag.Diagnostic;
import org.junit.jupiter.api.Test;

class TestFileReaderTest {

  @Test
  void readsHujsonWithCommentsTrailingCommasAndPositions() {
    String text =
        """
        // extra tests kept beside the policy
        {
          "tests": [
            {"src": "alice@acme.com", "accept": ["tag:web:443",], "deny": ["tag:db:5432"]},
            /* block comment */ {"src": "tag:api", "proto": "tcp", "accept": ["tag:db:5432"]},
          ],
        }
        """;
    TestFileReader.Result r = TestFileReader.read("more.hujson", text);
    assertThat(r.problems()).isEmpty();
    assertThat(r.tests()).hasSize(2);
    TestSpec first = r.tests().getFirst();
    assertThat(first.src().orElseThrow().value()).isEqualTo("alice@acme.com");
    assertThat(first.accept().getFirst().value()).isEqualTo("tag:web:443");
    assertThat(first.accept().getFirst().span().toString()).isEqualTo("more.hujson:4:42");
    assertThat(first.deny().getFirst().span().startLine()).isEqualTo(4);
    assertThat(first.span().startLine()).isEqualTo(4);
    assertThat(r.tests().get(1).proto().orElseThrow().value()).isEqualTo("tcp");
  }

  @Test
  void readsYamlListAndKeepsNumbersAsText() {
    String text =
        """
        - src: alice@acme.com
          proto: 6
          accept:
            - tag:web:443
        - src: uma@acme.com
          deny: [legacy-erp:443]
        """;
    TestFileReader.Result r = TestFileReader.read("more.yaml", text);
    assertThat(r.problems()).isEmpty();
    assertThat(r.tests()).hasSize(2);
    assertThat(r.tests().getFirst().proto().orElseThrow().value()).isEqualTo("6");
    assertThat(r.tests().getFirst().accept().getFirst().span().toString())
        .isEqualTo("more.yaml:4:7");
    assertThat(r.tests().get(1).deny().getFirst().value()).isEqualTo("legacy-erp:443");
    assertThat(r.tests().get(1).hasAccept()).isFalse();
    assertThat(r.tests().get(1).hasDeny()).isTrue();
  }

  @Test
  void syntaxErrorsAreLocated() {
    TestFileReader.Result r =
        TestFileReader.read("bad.hujson", "[\n  {\"src\": \"a@b.c\" \"accept\": []}\n]");
    assertThat(r.tests()).isEmpty();
    assertThat(r.problems()).hasSize(1);
    Diagnostic d = r.problems().getFirst();
    assertThat(d.code()).isEqualTo("syntax");
    assertThat(d.span().toString()).isEqualTo("bad.hujson:2:19");
    assertThat(d.message()).isEqualTo("expected ',' or '}' after the value of \"src\", found '\"'");
  }

  @Test
  void duplicateKeysAreReportedAsInAPolicy() {
    TestFileReader.Result r =
        TestFileReader.read("dup.yaml", "- src: a@b.c\n  accept: [x:1]\n  src: c@d.e\n");
    assertThat(r.problems()).extracting(Diagnostic::code).containsExactly("duplicate-key");
    assertThat(r.problems().getFirst().span().toString()).isEqualTo("dup.yaml:3:3");
  }

  @Test
  void unknownKeysAndWrongShapesAreReported() {
    TestFileReader.Result r =
        TestFileReader.read(
            "bad.yaml",
            """
            tests:
              - src: a@b.c
                acept: [tag:web:80]
              - just a string
              - src: [not, a, string]
                accept: [x:1]
            """);
    assertThat(r.tests()).isEmpty();
    assertThat(r.problems())
        .extracting(Diagnostic::code)
        .containsExactly("unknown-key", "schema", "schema");
    assertThat(r.problems().getFirst().message()).contains("acept");
    assertThat(r.problems().getFirst().span().toString()).isEqualTo("bad.yaml:3:5");
  }

  @Test
  void emptyAndNonListDocumentsAreReported() {
    assertThat(TestFileReader.read("e.yaml", "").problems()).hasSize(1);
    assertThat(TestFileReader.read("e.hujson", "{\"acls\": []}").problems())
        .extracting(Diagnostic::code)
        .containsExactly("unknown-key", "schema");
    assertThat(TestFileReader.read("e.hujson", "\"x\"").problems()).hasSize(1);
  }
}
