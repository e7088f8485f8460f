package dev.tessera.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.registry.AuditEntry;
import dev.tessera.registry.AuthKey;
import dev.tessera.registry.Enrollment;
import dev.tessera.registry.Node;
import dev.tessera.registry.PolicyChecks;
import dev.tessera.registry.Registry;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

/**
 * policyc authkey create, nodes tag and nodes approve-routes against a SQLite registry: what each
 * writes, and that each refusal writes nothing (nodes, keys, audit trail and revision unchanged).
 */
class AdminCommandsTest {
  static final String POLICY =
      """
      {
      	"groups": {"group:ops": ["admin@example.com"]},
      	"tagOwners": {"tag:server": ["group:ops"], "tag:exit": ["admin@example.com"]},
      	"acls": [{"action": "accept", "src": ["group:ops"], "dst": ["tag:server:22"]}],
      }
      """;

  @TempDir Path tmp;
  String db;
  String policy;

  record Result(int code, String out, String err) {}

  /** Everything a refusal must leave as it was. */
  record Snapshot(long revision, List<Node> nodes, List<AuthKey> keys, List<AuditEntry> audit) {}

  Result run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = PolicyC.run(new PrintWriter(out), new PrintWriter(err), args);
    return new Result(code, out.toString(), err.toString());
  }

  Snapshot snapshot() throws Exception {
    try (Registry r = Registry.open(db)) {
      return new Snapshot(r.revision(), r.nodes(), r.authKeys(), r.audit(1000));
    }
  }

  /** A user's laptop and a router advertising 10.1.0.0/16 and an exit route. */
  @BeforeEach
  void registry() throws Exception {
    db = tmp.resolve("registry.db").toString();
    policy = tmp.resolve("policy.hujson").toString();
    Files.writeString(Path.of(policy), POLICY);
    Files.writeString(tmp.resolve("broken.hujson"), "{\"acls\": [\n");
    Files.writeString(
        tmp.resolve("undefined.hujson"),
        POLICY.replace("[\"group:ops\"], \"dst\"", "[\"group:no\"], \"dst\""));
    Random random = new Random(20);
    try (Registry r = Registry.open(db)) {
      String key = NodesCommandTest.aliceKey(r);
      byte[] pub = new byte[32];
      random.nextBytes(pub);
      r.enroll(
          new Enrollment(key, Base64.getEncoder().encodeToString(pub), "laptop", List.of(), false),
          PolicyChecks.NONE);
      random.nextBytes(pub);
      r.enroll(
          new Enrollment(
              key, Base64.getEncoder().encodeToString(pub), "router", List.of("10.1.0.0/16"), true),
          PolicyChecks.NONE);
    }
  }

  /** {@code args} with {@code @db}, {@code @policy} and {@code @tmp/} replaced. */
  String[] args(String line) {
    return Arrays.stream(line.trim().split(" +"))
        .map(
            a ->
                a.replace("@db", db)
                    .replace("@policy", policy)
                    .replace("@tmp/", tmp.toString() + "/"))
        .toArray(String[]::new);
  }

  @ParameterizedTest(name = "{0} -> {1} {2}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
      authkey create --db @db --tags tag:server --policy @policy                               | 1 | tag-not-owned: cli does not own tag:server
      authkey create --db @db --tags tag:server --as alice@example.com --policy @policy         | 1 | tag-not-owned: alice@example.com does not own tag:server
      authkey create --db @db --tags tag:server,tag:nope --as admin@example.com --policy @policy | 1 | tag-not-owned: admin@example.com does not own tag:nope
      authkey create --db @db --tags server --as admin@example.com --policy @policy             | 1 | malformed-tag:
      authkey create --db @db --tags tag:server --as admin@example.com                          | 2 | --tags needs --policy FILE
      authkey create --db @db --tags tag:server --as admin@example.com --policy @tmp/broken.hujson | 1 | cannot be used: 1 error
      authkey create --db @db --tags tag:server --as admin@example.com --policy @tmp/undefined.hujson | 1 | cannot be used:
      authkey create --db @db --tags tag:server --as admin@example.com --policy @tmp/missing.hujson | 2 | cannot be used:
      authkey create --db @db --user alice@example.com --tags tag:server --policy @policy       | 2 | mutually exclusive
      authkey create --db @db                                                                    | 2 | Missing required argument
      authkey create --db @db --user tag:x                                                       | 1 | malformed-user:
      authkey create --db @db --user alice@example.com --expiry 0h                               | 2 | not a positive duration
      authkey create --db @db --user alice@example.com --expiry 3w                               | 2 | not a positive duration
      authkey create --db @tmp/none.db --user alice@example.com                                  | 2 | database: no registry at
      authkey create --state @tmp/nostate --user alice@example.com                               | 2 | nostate/registry.db
      nodes tag --db @db laptop tag:server --policy @policy                                      | 1 | tag-not-owned: cli does not own tag:server
      nodes tag --db @db laptop tag:server,tag:exit --as alice@example.com --policy @policy      | 1 | tag-not-owned: alice@example.com does not own tag:exit, tag:server
      nodes tag --db @db ghost tag:server --as admin@example.com --policy @policy                | 1 | unknown-node:
      nodes tag --db @db laptop web --as admin@example.com --policy @policy                      | 1 | malformed-tag:
      nodes tag --db @db laptop tag:server --as admin@example.com                                | 2 | nodes tag needs --policy FILE: the registry holds no policy
      nodes tag --db @db laptop tag:server --as admin@example.com --policy @tmp/broken.hujson    | 1 | cannot be used:
      nodes approve-routes --db @db router 10.2.0.0/16                                           | 1 | route-not-advertised: node 'router' does not advertise 10.2.0.0/16
      nodes approve-routes --db @db laptop 10.1.0.0/16                                           | 1 | route-not-advertised: node 'laptop' does not advertise 10.1.0.0/16 (it advertises nothing)
      nodes approve-routes --db @db router 10.1.0.0/33                                           | 1 | malformed-route:
      nodes approve-routes --db @db ghost 10.1.0.0/16                                            | 1 | unknown-node:
      """)
  void refusalsWriteNothing(String line, int exit, String message) throws Exception {
    Snapshot before = snapshot();
    Result r = run(args(line));
    assertThat(r.code()).as("stdout %s\nstderr %s", r.out(), r.err()).isEqualTo(exit);
    assertThat(r.err()).contains(message).doesNotContain("Exception").doesNotContain("\tat ");
    assertThat(r.out()).as("no secret is printed").doesNotContain("tskey-");
    assertThat(snapshot()).isEqualTo(before);
    assertThat(tmp.resolve("none.db")).doesNotExist();
    assertThat(tmp.resolve("nostate")).doesNotExist();
  }

  @Test
  void createdUserKeyIsPrintedOnceAndEnrollsOnce() throws Exception {
    Result r = run(args("authkey create --db @db --user bob@example.com --expiry 2h --as ops"));
    assertThat(r.code()).as(r.err()).isZero();
    String secret = r.out().strip();
    assertThat(secret).matches("tskey-[0-9a-f]{16}-[A-Za-z0-9_-]{43}");
    assertThat(r.err()).contains("for bob@example.com, one-off, expires ").doesNotContain(secret);
    try (Registry reg = Registry.open(db)) {
      AuthKey k = reg.authKeys().getLast();
      assertThat(secret).startsWith("tskey-" + k.id() + "-");
      assertThat(k.user()).isEqualTo("bob@example.com");
      assertThat(k.tags()).isEmpty();
      assertThat(k.reusable()).isFalse();
      assertThat(k.expiry().orElseThrow())
          .isBetween(Instant.now().plus(Duration.ofMinutes(110)), Instant.now().plusSeconds(7200));
      assertThat(reg.audit(1).getFirst().actor()).isEqualTo("ops");
      Node n =
          reg.enroll(new Enrollment(secret, key(7), "desk", List.of(), false), PolicyChecks.NONE);
      assertThat(n.user()).contains("bob@example.com");
      assertThat(n.tags()).isEmpty();
    }
    assertThat(run(args("authkey list --db @db")).out()).containsPattern("bob@example.com .*used");
  }

  @Test
  void createdTaggedKeyCarriesOwnedTagsAndItsOptions() throws Exception {
    Result r =
        run(
            args(
                "authkey create --db @db --tags tag:server,tag:exit --as admin@example.com"
                    + " --policy @policy --reusable --ephemeral --expiry never --pre-approved-routes"));
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.err()).contains("for tag:exit,tag:server, reusable, ephemeral, expires never");
    try (Registry reg = Registry.open(db)) {
      AuthKey k = reg.authKeys().getLast();
      assertThat(k.user()).isEqualTo("admin@example.com");
      assertThat(k.tags()).containsExactly("tag:exit", "tag:server");
      assertThat(k.reusable()).isTrue();
      assertThat(k.ephemeral()).isTrue();
      assertThat(k.expiry()).isEmpty();
      assertThat(k.preApprovedRoutes()).isTrue();
    }
  }

  @Test
  void tagMakesTheAdministratorTheTaggerAndTheCompileAgrees() throws Exception {
    Result r =
        run(args("nodes tag --db @db laptop tag:server --as admin@example.com --policy @policy"));
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).isEqualTo("laptop tagged tag:server\n");
    try (Registry reg = Registry.open(db)) {
      Node n = reg.node("laptop").orElseThrow();
      assertThat(n.tags()).containsExactly("tag:server");
      assertThat(n.user()).contains("admin@example.com");
    }
    Path inv = tmp.resolve("inventory.json");
    assertThat(run(args("inventory export --db @db --out @tmp/inventory.json")).code()).isZero();
    Result compiled =
        run(
            "compile",
            policy,
            "--inventory",
            inv.toString(),
            "--out",
            tmp.resolve("out").toString());
    assertThat(compiled.code()).as(compiled.out() + compiled.err()).isZero();
  }

  @Test
  void approveRoutesApprovesOnlyAdvertisedRoutes() throws Exception {
    Result r = run(args("nodes approve-routes --db @db router 10.1.0.0/16,0.0.0.0/0"));
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).isEqualTo("router routes 0.0.0.0/0,10.1.0.0/16\n");
    try (Registry reg = Registry.open(db)) {
      assertThat(reg.node("router").orElseThrow().approvedRoutes())
          .containsExactlyInAnyOrder("10.1.0.0/16", "0.0.0.0/0");
    }
  }

  @Test
  void dbDefaultsToTheServersStateDirectory() throws Exception {
    Path state = tmp.resolve("state");
    Files.createDirectories(state);
    Files.move(Path.of(db), state.resolve("registry.db"));
    Result r = run("nodes", "list", "--state", state.toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("laptop", "router");
    CommandLine cl = PolicyC.commandLine();
    String serveState =
        cl.getSubcommands().get("serve").getCommandSpec().findOption("--state").defaultValue();
    List<String> defaults = new ArrayList<>();
    for (String[] cmd :
        List.of(
            new String[] {"nodes", "list"},
            new String[] {"nodes", "tag"},
            new String[] {"authkey", "create"},
            new String[] {"inventory", "export"})) {
      defaults.add(
          cl.getSubcommands()
              .get(cmd[0])
              .getSubcommands()
              .get(cmd[1])
              .getCommandSpec()
              .findOption("--state")
              .defaultValue());
    }
    assertThat(defaults).containsOnly(serveState);
  }

  static String key(int seed) {
    byte[] pub = new byte[32];
    new Random(seed).nextBytes(pub);
    return Base64.getEncoder().encodeToString(pub);
  }
}
