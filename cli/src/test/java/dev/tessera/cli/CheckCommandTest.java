package dev.tessera.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code policyc check} through the real command line: exit codes and output. */
class CheckCommandTest {
  record Run(int code, String out, String err) {}

  static Run policyc(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = PolicyC.run(new PrintWriter(out), new PrintWriter(err), args);
    return new Run(code, out.toString(), err.toString());
  }

  static Path root() {
    Path p = Path.of("").toAbsolutePath();
    while (p != null && !Files.isDirectory(p.resolve("examples/acme"))) {
      p = p.getParent();
    }
    return p;
  }

  @Test
  void validFileExitsZero() {
    String f = root().resolve("examples/acme/policy.hujson").toString();
    Run r = policyc("check", f);
    assertThat(r.code()).as(r.out() + r.err()).isZero();
    assertThat(r.out()).isEqualTo(f + ": ok\n");
  }

  @Test
  void everyErrorOfEveryFileIsPrintedAndExitIsOne(@TempDir Path dir) throws Exception {
    Path a = dir.resolve("a.hujson");
    Files.writeString(
        a,
        "{\n  \"acls\": [{\"action\": \"accept\", \"src\": [\"group:engg\"], \"dst\": [\"*:0\"]}],\n}\n");
    Path b = dir.resolve("b.yaml");
    Files.writeString(b, "grants:\n  - {src: ['*'], dst: ['*']}\n");
    Path ok = dir.resolve("ok.yaml");
    Files.writeString(ok, "acls: []\n");
    Run r = policyc("check", a.toString(), b.toString(), ok.toString());
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.out())
        .isEqualTo(
            a
                + ":2:41: error: group:engg is not defined in \"groups\"\n"
                + "    2 |   \"acls\": [{\"action\": \"accept\", \"src\": [\"group:engg\"], \"dst\": [\"*:0\"]}],\n"
                + "      |                                         ^~~~~~~~~~~~\n"
                + a
                + ":2:67: error: port 0 is not allowed\n"
                + "    2 |   \"acls\": [{\"action\": \"accept\", \"src\": [\"group:engg\"], \"dst\": [\"*:0\"]}],\n"
                + "      |                                                                   ^\n"
                + "  help: ports start at 1; use * for every port\n"
                + b
                + ":2:5: error: ip and app can not both be empty\n"
                + "    2 |   - {src: ['*'], dst: ['*']}\n"
                + "      |     ^~~~~~~~~~~~~~~~~~~~~~~~\n"
                + "  help: add \"ip\": [\"*\"] for all network access, or list ports such as \"tcp:443\"\n"
                + ok
                + ": ok\n"
                + "3 errors, 0 warnings in 3 files\n");
  }

  @Test
  void jsonFormat(@TempDir Path dir) throws Exception {
    Path a = dir.resolve("a.hujson");
    Files.writeString(
        a, "{\"acls\": [{\"action\": \"deny\", \"src\": [\"*\"], \"dst\": [\"*:*\"]}]}");
    Run r = policyc("check", "--format", "json", a.toString());
    assertThat(r.code()).isEqualTo(1);
    JsonNode j = new ObjectMapper().readTree(r.out());
    assertThat(j.get("valid").asBoolean()).isFalse();
    assertThat(j.get("errors").asInt()).isEqualTo(1);
    JsonNode d = j.get("files").get(0).get("diagnostics").get(0);
    assertThat(d.get("file").asText()).isEqualTo(a.toString());
    assertThat(d.get("line").asInt()).isEqualTo(1);
    assertThat(d.get("col").asInt()).isEqualTo(22);
    assertThat(d.get("code").asText()).isEqualTo("invalid-action");
    assertThat(d.get("message").asText()).isEqualTo("action=\"deny\" is not supported");
  }

  @Test
  void unreadableFilesExitTwo(@TempDir Path dir) throws Exception {
    Run missing = policyc("check", dir.resolve("nope.hujson").toString());
    assertThat(missing.code()).isEqualTo(2);
    assertThat(missing.out()).startsWith(dir.resolve("nope.hujson") + ": error: no such file\n");
    Path txt = dir.resolve("policy.txt");
    Files.writeString(txt, "{}");
    Run unknown = policyc("check", txt.toString());
    assertThat(unknown.code()).isEqualTo(2);
    assertThat(unknown.out())
        .contains("cannot tell the policy syntax from the file name \"policy.txt\"");
  }

  @Test
  void usageErrorsExitTwo() {
    assertThat(policyc("check").code()).isEqualTo(2);
    assertThat(policyc("check", "--format", "xml", "a.hujson").code()).isEqualTo(2);
  }

  @Test
  void warningsAloneStillPass(@TempDir Path dir) throws Exception {
    Path a = dir.resolve("a.hujson");
    Files.writeString(a, "{\"ACLs\": []}");
    Run r = policyc("check", a.toString());
    assertThat(r.code()).isZero();
    assertThat(r.out())
        .contains("warning: key \"ACLs\" is spelled \"acls\"")
        .contains(a + ": ok\n");
  }
}
