package dev.tessera.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code policyc fmt} and {@code policyc convert} through the real command line: exit codes,
 * output.
 */
class FmtConvertCommandTest {
  record Run(int code, String out, String err) {}

  static Run policyc(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = PolicyC.run(new PrintWriter(out), new PrintWriter(err), args);
    return new Run(code, out.toString(), err.toString());
  }

  @TempDir Path dir;

  private Path write(String name, String text) throws Exception {
    Path p = dir.resolve(name);
    Files.writeString(p, text);
    return p;
  }

  @Test
  void fmtPrintsCanonicalLayoutWithComments() throws Exception {
    Path f =
        write(
            "p.tpol",
            "allow   group:eng->tag:web:22   # why\ngroup eng=a@b.c\ntag web owned by group:eng\n");
    Run r = policyc("fmt", f.toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out())
        .isEqualTo(
            """
        group eng = a@b.c

        tag web owned by group:eng

        allow group:eng -> tag:web:22  # why
        """);
  }

  /**
   * HuJSON fmt changes layout only: values keep their text ({@code /32}, {@code /128} stay), legacy
   * keys stay unless {@code --modernize}, and comments stay beside what they annotate.
   */
  @Test
  void fmtOfHujsonKeepsValuesKeysAndComments() throws Exception {
    Path f =
        write(
            "p.hujson",
            """
        {
          // who may approve which routes
          "autoApprovers": {"routes": {"10.0.0.1/32": ["tag:r"], "fd7a::1/128": ["tag:r"]}},
          "hosts": {
            "web": "10.0.0.5/32", // web
          },
          "tagOwners": {"tag:r": []},
          "acls": [{"action": "accept", "users": ["*"], "ports": ["10.0.0.5/32:443"]}],
        }
        """);
    Run r = policyc("fmt", f.toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out())
        .isEqualTo(
            """
        {
        	// who may approve which routes
        	"autoApprovers": {"routes": {"10.0.0.1/32": ["tag:r"], "fd7a::1/128": ["tag:r"]}},
        	"hosts": {
        		"web": "10.0.0.5/32", // web
        	},
        	"tagOwners": {"tag:r": []},
        	"acls":      [{"action": "accept", "users": ["*"], "ports": ["10.0.0.5/32:443"]}],
        }
        """);
    Run modern = policyc("fmt", "--modernize", f.toString());
    assertThat(modern.code()).as(modern.err()).isZero();
    assertThat(modern.out())
        .contains("\"src\": [\"*\"], \"dst\": [\"10.0.0.5/32:443\"]", "// web")
        .doesNotContain("\"users\"", "\"ports\"");
    Files.writeString(f, r.out());
    assertThat(policyc("fmt", "--check", f.toString()).code()).isZero();
  }

  @Test
  void fmtCheckExitsOneWithHintAndZeroWhenFormatted() throws Exception {
    Path f = write("p.tpol", "group eng=a@b.c\n");
    Run bad = policyc("fmt", "--check", f.toString());
    assertThat(bad.code()).isEqualTo(PolicyC.FAILED);
    assertThat(bad.out())
        .startsWith(f + ": not formatted (first difference at line 1)\n")
        .contains(
            "  - group eng=a@b.c\n", "  + group eng = a@b.c\n", "run: policyc fmt --write " + f);
    Run write = policyc("fmt", "--write", f.toString());
    assertThat(write.code()).isZero();
    assertThat(Files.readString(f)).isEqualTo("group eng = a@b.c\n");
    Run good = policyc("fmt", "--check", f.toString());
    assertThat(good.code()).isZero();
    assertThat(good.out()).isEmpty();
  }

  @Test
  void fmtRefusesAFileWithReadingErrors() throws Exception {
    Path f = write("p.tpol", "group eng = a@b.c\nalow x -> y:1\n");
    Run r = policyc("fmt", "--write", f.toString());
    assertThat(r.code()).isEqualTo(PolicyC.FAILED);
    assertThat(r.err())
        .contains(
            f + ":2:1: error: expected a statement, found 'alow'",
            "help: did you mean allow?",
            "not formatted: fix the errors above first");
    assertThat(Files.readString(f)).isEqualTo("group eng = a@b.c\nalow x -> y:1\n");
  }

  @Test
  void fmtAndConvertUsageErrorsExitTwo() throws Exception {
    assertThat(policyc("fmt", dir.resolve("missing.tpol").toString()).code())
        .isEqualTo(PolicyC.USAGE);
    Path f = write("p.tpol", "group eng = a@b.c\n");
    assertThat(policyc("fmt", "--check", "--write", f.toString()).code()).isEqualTo(PolicyC.USAGE);
    Run noTarget = policyc("convert", f.toString());
    assertThat(noTarget.code()).isEqualTo(PolicyC.USAGE);
    assertThat(noTarget.err()).contains("--to hujson, --to yaml or --to tpol");
    assertThat(policyc("convert", f.toString(), "--to", "xml").code()).isEqualTo(PolicyC.USAGE);
    assertThat(
            policyc(
                    "convert",
                    f.toString(),
                    "--to",
                    "yaml",
                    "-o",
                    dir.resolve("x.hujson").toString())
                .code())
        .isEqualTo(PolicyC.USAGE);
  }

  @Test
  void convertEverySyntaxPairKeepsMeaningAndComments() throws Exception {
    Path src =
        write(
            "p.hujson",
            """
        // header
        {
          "groups": {"group:eng": ["a@b.c"]}, // trailing
          "tagOwners": {"tag:web": ["group:eng"]},
          "acls": [
            // why
            {"action": "accept", "src": ["group:eng"], "dst": ["tag:web:443"]},
          ],
        }
        """);
    Run tpol = policyc("convert", src.toString(), "--to", "tpol");
    assertThat(tpol.code()).as(tpol.err()).isZero();
    assertThat(tpol.out())
        .isEqualTo(
            """
        # header

        group eng = a@b.c  # trailing

        tag web owned by group:eng

        # why
        allow group:eng -> tag:web:443
        """);
    Path t = write("p.tpol", tpol.out());
    Path y = dir.resolve("p.yaml");
    assertThat(policyc("convert", t.toString(), "-o", y.toString()).code()).isZero();
    assertThat(Files.readString(y)).contains("# header", "# trailing", "# why", "- tag:web:443");
    Run back = policyc("convert", y.toString(), "--to", "hujson");
    assertThat(back.code()).isZero();
    assertThat(back.out())
        .contains("// header", "// trailing", "// why", "\"dst\": [\"tag:web:443\"]");
    assertThat(policyc("check", y.toString()).code()).isZero();
  }

  @Test
  void convertOfAPolicyWithMeaningErrorsConvertsAndSaysSo() throws Exception {
    Path f = write("p.tpol", "allow group:nobody -> tag:web:22\n");
    Run r = policyc("convert", f.toString(), "--to", "hujson");
    assertThat(r.code()).isZero();
    assertThat(r.err()).contains("note: " + f + " has 2 policy errors");
    assertThat(r.out()).contains("\"src\": [\"group:nobody\"]");
  }
}
