package dev.tessera.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tessera.registry.AuthKeySpec;
import dev.tessera.registry.Cluster;
import dev.tessera.registry.Database;
import dev.tessera.registry.Registry;
import dev.tessera.registry.RegistryConfig;
import dev.tessera.testsupport.Once;
import dev.tessera.testsupport.PostgresCluster;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link RegistryServerTest} on a real PostgreSQL: a throwaway cluster made with initdb, on a Unix
 * socket, one fresh database per test. Here the server is one of several that may share the
 * database; the tests of its own start more servers on it, each with its own policy file, and check
 * that every one decides with the policy of the server that compiles.
 */
class PostgresRegistryServerTest extends RegistryServerTest {
  private static final Once START = new Once();
  private static PostgresCluster cluster;
  private static final AtomicInteger DATABASES = new AtomicInteger();

  /** The database of the server the base class starts (which therefore compiles). */
  private String url;

  private final List<AutoCloseable> others = new ArrayList<>();

  /** Another server's policy: it also lets alice own tag:ops and approves her 10.1.0.0/16. */
  static final String OTHER_POLICY =
      """
      {
        "acls": [{"action": "accept", "src": ["alice@acme.com"], "dst": ["tag:web:443"]}],
        "tagOwners": {"tag:web": ["alice@acme.com"], "tag:db": ["alice@acme.com"],
                      "tag:ops": ["alice@acme.com"]},
        "autoApprovers": {"routes": {"10.1.0.0/16": ["alice@acme.com"]}},
      }
      """;

  @Override
  String databaseUrl() throws Exception {
    url = freshDatabase();
    return url;
  }

  String freshDatabase() throws Exception {
    PostgresCluster.requireInstalled();
    START.run(() -> cluster = PostgresCluster.start());
    String name = "serve_" + DATABASES.incrementAndGet();
    try (Database admin = Database.open(cluster.url("postgres"));
        Connection c = admin.dataSource().getConnection();
        Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + name);
    }
    return cluster.url(name);
  }

  @Override
  Optional<String> storedPolicyText() throws Exception {
    try (Database db = Database.open(url);
        Cluster c = new Cluster(db)) {
      return c.policy().map(Cluster.Policy::text);
    }
  }

  @AfterEach
  void stopOthers() throws Exception {
    for (AutoCloseable c : others.reversed()) {
      c.close();
    }
  }

  @AfterAll
  static void stopCluster() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  /** Another {@code policyc serve} on a database, with its own registry connection and state. */
  record Other(PolicyServer server, Registry registry, URI base, Path policy) {
    String policyState() {
      return server.status().policyState();
    }
  }

  Other serve(String db, String name, String policyText) throws Exception {
    Path home = dir.resolve(name);
    Files.createDirectories(home);
    Path policy = home.resolve("policy.hujson");
    Files.writeString(policy, policyText);
    Registry r = new Registry(Database.open(db), RegistryConfig.defaults(), Clock.systemUTC());
    others.add(r);
    PolicyServer s =
        new PolicyServer(
            new PolicyServer.Config(
                    PolicySource.file(policy),
                    new RegistrySource(r, Clock.systemUTC()),
                    new InetSocketAddress("127.0.0.1", 0),
                    key,
                    home.resolve("state"),
                    3_600_000)
                .withOptions(PolicyServer.Options.DEFAULTS.withAdminToken(ADMIN_TOKEN)),
            new ControlPlane.Settings(r, Duration.ofMinutes(30), 3_600_000));
    others.add(s);
    return new Other(s, r, URI.create("http://127.0.0.1:" + s.start().getPort()), policy);
  }

  static void waitFor(String what, BooleanSupplier done) throws InterruptedException {
    long deadline = System.nanoTime() + 20_000_000_000L;
    while (!done.getAsBoolean()) {
      assertThat(System.nanoTime() < deadline).as(what).isTrue();
      Thread.sleep(20);
    }
  }

  /**
   * A key of alice's for {@code tags}, made without a policy check (as a CLI given another file).
   */
  static String keyFor(Registry r, List<String> tags) throws Exception {
    return r.createAuthKey(
            "test",
            new AuthKeySpec(
                "alice@acme.com", tags, true, false, Optional.of(Duration.ofHours(1)), false),
            (user, tag) -> true)
        .secret();
  }

  static String sha256(Path file) throws Exception {
    return Cluster.Policy.of("", Files.readString(file)).sha256();
  }

  static String error(HttpResponse<String> r) throws Exception {
    return r.statusCode() + " " + JSON.readTree(r.body()).path("error").asText();
  }

  @Test
  void aServerThatDoesNotCompileDecidesWithTheCompilingServersPolicyNotItsOwnFile()
      throws Exception {
    Other other = serve(url, "other", OTHER_POLICY);
    waitFor("the other server reads the stored policy", () -> other.policyState() != null);

    JsonNode compiling = status(base);
    JsonNode following = status(other.base());
    assertThat(compiling.path("cluster").asText()).isEqualTo("compiling");
    assertThat(compiling.path("policy").asText()).isEqualTo("compiled here");
    assertThat(following.path("cluster").asText()).isEqualTo("serving stored bundles");
    assertThat(following.path("policy").asText()).isEqualTo("differs from the compiling server's");
    assertThat(following.path("policySha256").asText())
        .isEqualTo(sha256(dir.resolve("policy.hujson")))
        .isEqualTo(compiling.path("policySha256").asText());
    assertThat(following.path("policyFileSha256").asText()).isEqualTo(sha256(other.policy()));

    // A key for tag:ops, which only the other server's file lets alice own: refused by both.
    String opsKey = keyFor(registry, List.of("tag:ops"));
    Object before = registryState();
    for (URI at : List.of(other.base(), base)) {
      HttpResponse<String> r = enrollAt(at, opsKey, otherPrivate, "ops", Map.of());
      assertThat(error(r)).as("%s: %s", at, r.body()).isEqualTo("403 tag-not-owned");
    }
    assertThat(registryState()).isEqualTo(before);

    // A route only the other server's file approves is left for an administrator to approve.
    HttpResponse<String> router =
        enrollAt(
            other.base(),
            authKey(List.of(), false),
            laptopPrivate,
            "router",
            Map.of("advertiseRoutes", List.of("10.1.0.0/16")));
    assertThat(router.statusCode()).as(router.body()).isEqualTo(200);
    JsonNode id = JSON.readTree(router.body());
    assertThat(id.path("advertisedRoutes").toString()).isEqualTo("[\"10.1.0.0/16\"]");
    assertThat(id.path("approvedRoutes").toString()).isEqualTo("[]");

    // The compiling server's file becomes the other's: once stored, both admit the key.
    Files.writeString(dir.resolve("policy.hujson"), OTHER_POLICY);
    server.pollNow();
    waitFor(
        "the other server follows the new policy",
        () -> "same as the compiling server's".equals(other.policyState()));
    assertThat(status(other.base()).path("policySha256").asText())
        .isEqualTo(sha256(other.policy()));
    HttpResponse<String> ops = enrollAt(other.base(), opsKey, otherPrivate, "ops", Map.of());
    assertThat(ops.statusCode()).as(ops.body()).isEqualTo(200);
  }

  @Test
  void aServerThatTakesOverCompilesItsOwnFileAndEveryServerDecidesWithIt() throws Exception {
    Other other = serve(url, "other", OTHER_POLICY);
    waitFor(
        "the other server reads the stored policy",
        () -> "differs from the compiling server's".equals(other.policyState()));
    String opsKey = keyFor(registry, List.of("tag:ops"));
    assertThat(error(enrollAt(other.base(), opsKey, otherPrivate, "ops", Map.of())))
        .isEqualTo("403 tag-not-owned");

    // The compiling server stops: its session ends and the other takes the lock.
    server.close();
    waitFor("the other server compiles", () -> "compiled here".equals(other.policyState()));
    JsonNode st = status(other.base());
    assertThat(st.path("cluster").asText()).isEqualTo("compiling");
    assertThat(st.path("policySha256").asText()).isEqualTo(sha256(other.policy()));
    try (Database db = Database.open(url);
        Cluster c = new Cluster(db)) {
      Cluster.Policy stored = c.policy().orElseThrow();
      assertThat(stored.text()).isEqualTo(OTHER_POLICY);
      assertThat(stored.sha256()).isEqualTo(sha256(other.policy()));
      assertThat(stored.name()).isEqualTo(other.policy().toString());
    }
    HttpResponse<String> ops = enrollAt(other.base(), opsKey, otherPrivate, "ops", Map.of());
    assertThat(ops.statusCode()).as(ops.body()).isEqualTo(200);

    // A server started now with the first server's file decides with the stored policy too.
    Other third = serve(url, "third", Files.readString(dir.resolve("policy.hujson")));
    waitFor(
        "the third server reads the stored policy",
        () -> "differs from the compiling server's".equals(third.policyState()));
    HttpResponse<String> viaThird = enrollAt(third.base(), opsKey, webPrivate, "ops2", Map.of());
    assertThat(viaThird.statusCode()).as(viaThird.body()).isEqualTo(200);
    HttpResponse<String> router =
        enrollAt(
            third.base(),
            authKey(List.of(), false),
            laptopPrivate,
            "router",
            Map.of("advertiseRoutes", List.of("10.1.0.0/16")));
    assertThat(router.statusCode()).as(router.body()).isEqualTo(200);
    assertThat(JSON.readTree(router.body()).path("approvedRoutes").toString())
        .isEqualTo("[\"10.1.0.0/16\"]");
  }

  @Test
  void aServerStartedBeforeAnyPolicyIsStoredRefusesTaggedKeysUntilOneIs() throws Exception {
    String db = freshDatabase();
    try (Database d = Database.open(db);
        Cluster holder = new Cluster(d)) {
      // Something else holds the compile lock and has stored nothing yet.
      assertThat(holder.tryLead()).isTrue();
      Other other = serve(db, "other", OTHER_POLICY);
      waitFor("the server starts following", () -> other.policyState() != null);
      JsonNode st = status(other.base());
      assertThat(st.path("cluster").asText()).isEqualTo("serving stored bundles");
      assertThat(st.path("policy").asText()).isEqualTo("none stored yet");
      assertThat(st.has("policySha256")).isFalse();

      String webKey = keyFor(other.registry(), List.of("tag:web"));
      HttpResponse<String> r = enrollAt(other.base(), webKey, webPrivate, "web", Map.of());
      assertThat(error(r)).as(r.body()).isEqualTo("403 tag-not-owned");
      assertThat(other.registry().nodes()).isEmpty();

      holder.store(List.of(), Cluster.Policy.of("policy.hujson", OTHER_POLICY));
      waitFor(
          "the server takes the stored policy",
          () -> "same as the compiling server's".equals(other.policyState()));
      HttpResponse<String> ok = enrollAt(other.base(), webKey, webPrivate, "web", Map.of());
      assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
    }
  }

  @Test
  void aFollowerThatCannotMakeTheNewPolicysChecksRefusesWhatNeedsThemUntilItCan() throws Exception {
    String db = freshDatabase();
    // The next policy: alice no longer owns tag:ops.
    String next =
        OTHER_POLICY.replace(
            "\"tag:ops\": [\"alice@acme.com\"]", "\"tag:ops\": [\"bob@acme.com\"]");
    assertThat(next).isNotEqualTo(OTHER_POLICY);
    String nextSha = Cluster.Policy.of("policy.hujson", next).sha256();
    try (Database d = Database.open(db);
        Cluster holder = new Cluster(d);
        Connection admin = d.dataSource().getConnection();
        Statement sql = admin.createStatement()) {
      assertThat(holder.tryLead()).isTrue();
      holder.store(List.of(), Cluster.Policy.of("policy.hujson", OTHER_POLICY));
      Other other = serve(db, "other", OTHER_POLICY);
      waitFor(
          "the server takes the stored policy",
          () -> "same as the compiling server's".equals(other.policyState()));
      String opsKey = keyFor(other.registry(), List.of("tag:ops"));
      String plainKey = keyFor(other.registry(), List.of());

      // The registry cannot be read (its revision table is gone) just when a new policy is stored.
      sql.execute("ALTER TABLE registry_state RENAME TO registry_state_away");
      holder.store(List.of(), Cluster.Policy.of("policy.hujson", next));
      waitFor(
          "the server says its checks are not current",
          () -> other.policyState().startsWith("stored policy changed"));
      JsonNode st = status(other.base());
      assertThat(st.path("policy").asText())
          .startsWith("stored policy changed; its checks cannot be made here yet (the inventory")
          .contains("registry_state");
      assertThat(st.path("policySha256").asText()).isEqualTo(nextSha);

      // The previous policy's checks would admit this key; they are not used.
      HttpResponse<String> r = enrollAt(other.base(), opsKey, otherPrivate, "ops", Map.of());
      assertThat(error(r)).as(r.body()).isEqualTo("503 policy-unavailable");
      assertThat(JSON.readTree(r.body()).path("message").asText())
          .contains("cannot enroll a node with tags now")
          .contains(nextSha);
      HttpResponse<String> router =
          enrollAt(
              other.base(),
              plainKey,
              laptopPrivate,
              "router",
              Map.of("advertiseRoutes", List.of("10.1.0.0/16")));
      assertThat(error(router)).as(router.body()).isEqualTo("503 policy-unavailable");

      // Once the inventory reads again, the new policy's checks decide.
      sql.execute("ALTER TABLE registry_state_away RENAME TO registry_state");
      other.server().pollNow();
      waitFor(
          "the server makes the new policy's checks",
          () -> "differs from the compiling server's".equals(other.policyState()));
      assertThat(status(other.base()).path("policySha256").asText()).isEqualTo(nextSha);
      HttpResponse<String> refused = enrollAt(other.base(), opsKey, otherPrivate, "ops", Map.of());
      assertThat(error(refused)).as(refused.body()).isEqualTo("403 tag-not-owned");
      assertThat(other.registry().nodes()).isEmpty();
    }
  }
}
