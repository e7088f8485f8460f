package dev.tessera.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.eclipse.jgit.api.Git;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** policyc matrix, diff and lint end to end: outputs and exit codes. */
class AuditCommandsTest {
  static final Path ACME = Path.of("..", "examples", "acme").toAbsolutePath().normalize();
  static final String POLICY = ACME.resolve("policy.hujson").toString();
  static final String INVENTORY = ACME.resolve("inventory.yaml").toString();

  @TempDir Path tmp;

  record Run(int code, String out, String err) {}

  static Run policyc(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = PolicyC.run(new PrintWriter(out), new PrintWriter(err), args);
    return new Run(code, out.toString(), err.toString());
  }

  /** acme with ops also reaching tag:db on 6432: an access change. */
  static String changed() throws IOException {
    return Files.readString(ACME.resolve("policy.hujson")).replace("\"tag:db:5432,22\"", "\"tag:db:5432,6432,22\"");
  }

  /** acme with two grants merged into one: the same access. */
  static String refactored() throws IOException {
    return Files.readString(ACME.resolve("policy.hujson"))
        .replace("\"ip\": [\"udp:53\", \"tcp:53\"]", "\"ip\": [\"tcp:53\", \"udp:53\"]")
        .replace("\"dst\": [\"tag:web:22\", \"tag:api:22\"]", "\"dst\": [\"tag:api:22\", \"tag:web:22\"]");
  }

  @ParameterizedTest(name = "--format {0} --by {1}")
  @CsvSource({"html, node, <!DOCTYPE html>", "csv, node, source \\ destination", "md, group, ### Access matrix",
      "json, tag, \"version\": 1"})
  void matrixWritesEachFormat(String format, String by, String start) throws IOException {
    Path out = tmp.resolve("m." + format);
    Run r = policyc("matrix", POLICY, "--inventory", INVENTORY, "--format", format, "--by", by, "-o", out.toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(Files.readString(out, StandardCharsets.UTF_8)).contains(start).contains("policy.hujson:54");
    assertThat(r.err()).contains("matrix: wrote");
  }

  @Test
  void matrixToStdoutAndErrors() {
    Run r = policyc("matrix", POLICY, "--inventory", INVENTORY, "--format", "csv");
    assertThat(r.code()).isZero();
    assertThat(r.out().split("\r\n")).hasSize(46); // header + 45 sources
    assertThat(policyc("matrix", POLICY).code()).isEqualTo(PolicyC.USAGE); // --inventory is required
    assertThat(policyc("matrix", "/no/such.hujson", "--inventory", INVENTORY).code()).isEqualTo(PolicyC.USAGE);
    assertThat(policyc("matrix", POLICY, "--inventory", INVENTORY, "--format", "pdf").code()).isEqualTo(PolicyC.USAGE);
  }

  @Test
  void matrixRejectsABadInventoryWithLocatedErrors() throws IOException {
    Path inv = tmp.resolve("inv.yaml");
    Files.writeString(inv, "users: []\nnodes:\n  - {name: a, user: nobody@x.io, ips: [100.64.0.1]}\n");
    Run r = policyc("matrix", POLICY, "--inventory", inv.toString());
    assertThat(r.code()).isEqualTo(PolicyC.FAILED);
    assertThat(r.err()).contains(inv + ":3:").contains("not written");
  }

  @Test
  void diffExitCodes() throws IOException {
    Path refactor = tmp.resolve("refactor.hujson");
    Path change = tmp.resolve("change.hujson");
    Path bad = tmp.resolve("bad.hujson");
    Files.writeString(refactor, refactored());
    Files.writeString(change, changed());
    Files.writeString(bad, "{\"acls\": [{\"action\": \"accept\", \"src\": [\"group:nope\"], \"dst\": [\"*:*\"]}]}");
    Run same = policyc("diff", POLICY, refactor.toString(), "--inventory", INVENTORY);
    assertThat(same.code()).as(same.out() + same.err()).isEqualTo(0);
    assertThat(same.out()).contains("Access unchanged");
    Run diff = policyc("diff", POLICY, change.toString(), "--inventory", INVENTORY);
    assertThat(diff.code()).isEqualTo(PolicyC.CHANGED);
    assertThat(diff.out()).contains("+ GAINED tcp/udp 6432").contains("rule edited: " + change + ":61 acls[3] (was " + POLICY + ":61)");
    Run synth = policyc("diff", POLICY, change.toString(), "--format", "json");
    assertThat(synth.code()).isEqualTo(PolicyC.CHANGED);
    assertThat(synth.out()).contains("\"inventorySynthesized\" : true");
    assertThat(policyc("diff", POLICY, bad.toString()).code()).as("a broken policy is not a change").isEqualTo(PolicyC.FAILED);
    assertThat(policyc("diff", POLICY).code()).isEqualTo(2);
    assertThat(policyc("diff", POLICY, tmp.resolve("missing.hujson").toString()).code()).isEqualTo(2);
  }

  @Test
  void diffReadsGitRevisions() throws Exception {
    Path repo = tmp.resolve("repo");
    try (Git git = Git.init().setDirectory(repo.toFile()).call()) {
      Files.createDirectories(repo.resolve("net"));
      Files.writeString(repo.resolve("net/policy.hujson"), Files.readString(ACME.resolve("policy.hujson")));
      git.add().addFilepattern(".").call();
      git.commit().setMessage("v1").setAuthor("t", "t@x.io").setCommitter("t", "t@x.io").setSign(false).call();
      Files.writeString(repo.resolve("net/policy.hujson"), refactored());
      git.commit().setAll(true).setMessage("refactor").setAuthor("t", "t@x.io").setCommitter("t", "t@x.io").setSign(false).call();
      Files.writeString(repo.resolve("net/policy.hujson"), changed());
      git.commit().setAll(true).setMessage("change").setAuthor("t", "t@x.io").setCommitter("t", "t@x.io").setSign(false).call();
    }
    String r = repo.toString();
    Run refactor = policyc("diff", "--git", "HEAD~2..HEAD~1", "--path", "net/policy.hujson", "--repo", r, "--inventory", INVENTORY);
    assertThat(refactor.code()).as(refactor.out() + refactor.err()).isZero();
    Run change = policyc("diff", "--git", "HEAD~1..HEAD", "--path", "net/policy.hujson", "--repo", r, "--inventory", INVENTORY);
    assertThat(change.code()).isEqualTo(PolicyC.CHANGED);
    assertThat(change.out()).contains("HEAD~1:net/policy.hujson -> HEAD:net/policy.hujson").contains("HEAD:net/policy.hujson:61");
    assertThat(policyc("diff", "--git", "HEAD~1..nope", "--path", "net/policy.hujson", "--repo", r).code()).isEqualTo(2);
    assertThat(policyc("diff", "--git", "HEAD~1..HEAD", "--path", "other.hujson", "--repo", r).code()).isEqualTo(2);
    assertThat(policyc("diff", "--git", "HEAD", "--path", "net/policy.hujson", "--repo", r).code()).isEqualTo(2);
    assertThat(policyc("diff", "--git", "HEAD~1..HEAD", "--path", "net/policy.hujson", "--repo", tmp.resolve("none").toString()).code()).isEqualTo(2);
  }

  @Test
  void lintExitCodes() throws IOException {
    Run r = policyc("lint", POLICY, "--inventory", INVENTORY);
    assertThat(r.code()).isZero();
    assertThat(r.out()).contains("policy.hujson:22:5: warning: group:security is defined but never used")
        .contains("lint: 2 findings (1 unused-group, 1 unused-host)");
    assertThat(policyc("lint", POLICY, "--inventory", INVENTORY, "--strict").code()).isEqualTo(1);
    Path clean = tmp.resolve("clean.hujson");
    Files.writeString(clean, "{\"acls\": [{\"action\": \"accept\", \"src\": [\"a@x.io\"], \"dst\": [\"b@x.io:22\"]}]}");
    Run ok = policyc("lint", clean.toString(), "--strict");
    assertThat(ok.code()).as(ok.out() + ok.err()).isZero();
    assertThat(ok.out()).contains("synthesized").contains("lint: no findings");
    Run json = policyc("lint", POLICY, "--inventory", INVENTORY, "--format", "json");
    assertThat(json.out()).contains("unused-host");
    Path bad = tmp.resolve("bad.hujson");
    Files.writeString(bad, "{\"acls\": [");
    assertThat(policyc("lint", bad.toString()).code()).isEqualTo(PolicyC.FAILED);
    assertThat(policyc("lint", tmp.resolve("missing.hujson").toString()).code()).isEqualTo(PolicyC.USAGE);
  }
}
