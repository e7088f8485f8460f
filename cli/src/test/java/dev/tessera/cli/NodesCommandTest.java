package dev.tessera.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.registry.AuthKeySpec;
import dev.tessera.registry.Enrollment;
import dev.tessera.registry.Node;
import dev.tessera.registry.PolicyChecks;
import dev.tessera.registry.Registry;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * policyc nodes against a SQLite registry: outputs, exit codes, and what the registry holds after.
 */
class NodesCommandTest {
  @TempDir Path tmp;
  String db;

  record Result(int code, String out, String err) {}

  Result run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = PolicyC.run(new PrintWriter(out), new PrintWriter(err), args);
    return new Result(code, out.toString(), err.toString());
  }

  @BeforeEach
  void twoNodes() throws Exception {
    db = tmp.resolve("registry.db").toString();
    Random random = new Random(20);
    try (Registry r = Registry.open(db)) {
      String key = aliceKey(r);
      for (String host : List.of("laptop", "phone")) {
        byte[] pub = new byte[32];
        random.nextBytes(pub);
        r.enroll(
            new Enrollment(key, Base64.getEncoder().encodeToString(pub), host, List.of(), false),
            PolicyChecks.NONE);
      }
    }
  }

  /** A reusable key for alice@example.com's devices, valid for an hour. */
  static String aliceKey(Registry r) throws Exception {
    return r.createAuthKey(
            "test",
            new AuthKeySpec(
                "alice@example.com",
                List.of(),
                true,
                false,
                Optional.of(Duration.ofHours(1)),
                false),
            PolicyChecks.NONE.tags())
        .secret();
  }

  List<String> names() throws Exception {
    try (Registry r = Registry.open(db)) {
      return r.nodes().stream().map(Node::name).sorted().toList();
    }
  }

  @Test
  void listShowsEveryNode() {
    Result r = run("nodes", "list", "--db", db);
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("laptop", "phone", "alice@example.com", "100.64.0.");
  }

  @ParameterizedTest(name = "{0} {1} -> {3}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
      rename | laptop | desk     | 0 | desk;phone   |
      rename | laptop | phone    | 1 | laptop;phone | name-taken
      rename | laptop | Bad_Name | 1 | laptop;phone | malformed-hostname
      rename | ghost  | desk     | 1 | laptop;phone | unknown-node
      delete | phone  |          | 0 | laptop       |
      delete | ghost  |          | 1 | laptop;phone | unknown-node
      expire | laptop |          | 0 | laptop;phone |
      expire | ghost  |          | 1 | laptop;phone | unknown-node
      """)
  void changesGoThroughTheRegistry(
      String cmd, String node, String arg, int exit, String after, String error) throws Exception {
    Result r =
        arg == null
            ? run("nodes", cmd, "--db", db, node)
            : run("nodes", cmd, "--db", db, node, arg);
    assertThat(r.code()).as(r.err()).isEqualTo(exit);
    assertThat(names()).containsExactly(after.split(";"));
    if (error != null) {
      assertThat(r.err())
          .startsWith(cmd + ": " + error + ": ")
          .doesNotContain("Exception")
          .hasLineCount(1);
    }
  }

  @Test
  void expireTakesTheNodeOutOfService() throws Exception {
    assertThat(run("nodes", "expire", "--db", db, "laptop").code()).isZero();
    try (Registry r = Registry.open(db)) {
      assertThat(r.node("laptop").orElseThrow().isExpired(java.time.Instant.now())).isTrue();
      assertThat(r.node("phone").orElseThrow().isExpired(java.time.Instant.now())).isFalse();
    }
    assertThat(run("nodes", "list", "--db", db).out()).containsPattern("laptop .*expired");
  }

  @Test
  void unreachableDatabaseIsOneLineExitTwo() {
    Result r = run("nodes", "list", "--db", "postgresql://nobody@127.0.0.1:1/none");
    assertThat(r.code()).isEqualTo(PolicyC.USAGE);
    assertThat(r.err()).startsWith("list: database: ").doesNotContain("\tat ").hasLineCount(1);
  }

  @Test
  void exportedInventoryCompilesAgainstAPolicy() throws Exception {
    assertThat(run("nodes", "expire", "--db", db, "phone").code()).isZero();
    Path inv = tmp.resolve("inventory.yaml");
    Result exported = run("inventory", "export", "--db", db, "--out", inv.toString());
    assertThat(exported.code()).as(exported.err()).isZero();
    Path policy = tmp.resolve("policy.hujson");
    java.nio.file.Files.writeString(
        policy,
        "{\"acls\": [{\"action\": \"accept\", \"src\": [\"alice@example.com\"], \"dst\": [\"*:22\"]}]}\n");
    Path outDir = tmp.resolve("out");
    Result compiled =
        run(
            "compile",
            policy.toString(),
            "--inventory",
            inv.toString(),
            "--out",
            outDir.toString());
    assertThat(compiled.code()).as(compiled.err()).isZero();
    String index = java.nio.file.Files.readString(outDir.resolve("index.json"));
    assertThat(index)
        .contains("laptop")
        .as("an expired node is not in the inventory")
        .doesNotContain("phone");
  }

  @Test
  void authKeyListAndRevoke() throws Exception {
    String id;
    try (Registry r = Registry.open(db)) {
      id = r.authKeys().get(0).id();
    }
    assertThat(run("authkey", "list", "--db", db).out())
        .contains(id, "alice@example.com", "reusable", "valid");
    Result revoked = run("authkey", "revoke", "--db", db, id);
    assertThat(revoked.code()).as(revoked.err()).isZero();
    try (Registry r = Registry.open(db)) {
      assertThat(r.authKeys().get(0).revoked()).isPresent();
    }
    assertThat(run("authkey", "list", "--db", db).out()).contains("revoked");
    Result unknown = run("authkey", "revoke", "--db", db, "nosuchkey");
    assertThat(unknown.code()).isEqualTo(PolicyC.FAILED);
    assertThat(unknown.err()).startsWith("revoke: ").doesNotContain("Exception").hasLineCount(1);
  }
}
