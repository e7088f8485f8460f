package dev.tessera.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tessera.bundle.BundleClient;
import dev.tessera.bundle.BundleVerifier;
import dev.tessera.bundle.NodeAuth;
import dev.tessera.bundle.SigningKey;
import dev.tessera.registry.Cluster;
import dev.tessera.registry.Database;
import dev.tessera.registry.Enrollment;
import dev.tessera.registry.PolicyChecks;
import dev.tessera.registry.Registry;
import dev.tessera.testsupport.PostgresCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two {@code policyc serve} processes on one PostgreSQL database (a throwaway initdb cluster):
 * exactly one compiles, both serve the same versions, agents that switch between them never see a
 * rollback, and after the compiling one is killed with SIGKILL the other takes over and agents see
 * later policy and registry changes through it. A server whose own policy file differs decides with
 * the compiling server's policy, says so, and stores its own once it takes over.
 */
class MultiServerTest {
  static final String POLICY =
      """
      {"acls": [{"action": "accept", "src": ["alice@example.com"], "dst": ["alice@example.com:%s"]}]}
      """;

  @TempDir Path dir;
  PostgresCluster pg;
  Registry registry;
  String authKey;
  final SigningKey key = SigningKey.fromSeed(seed(1));
  final List<ServeProcess> servers = new ArrayList<>();
  final Map<String, byte[]> privateKeys = new HashMap<>();
  final Map<String, List<Long>> applied = new HashMap<>();
  long refused;

  @BeforeEach
  void start() throws Exception {
    PostgresCluster.requireInstalled();
    pg = PostgresCluster.start();
    Files.writeString(dir.resolve("policy.hujson"), POLICY.formatted("*"));
    registry = Registry.open(pg.url());
    authKey = NodesCommandTest.aliceKey(registry);
    servers.add(serve("a"));
    servers.add(serve("b"));
  }

  @AfterEach
  void stop() throws Exception {
    for (ServeProcess s : servers) {
      s.kill();
    }
    if (registry != null) {
      registry.close();
    }
    if (pg != null) {
      pg.close();
    }
  }

  ServeProcess serve(String name) throws Exception {
    return ServeProcess.start(name, dir.resolve(name), dir.resolve("policy.hujson"), key, pg.url());
  }

  String enroll(String host) throws Exception {
    byte[] priv = seed(100 + privateKeys.size());
    privateKeys.put(host, priv);
    return registry
        .enroll(
            new Enrollment(authKey, NodeAuth.wireguardPublicKey(priv), host, List.of(), false),
            PolicyChecks.NONE)
        .name();
  }

  /**
   * One long-poll of {@code node} through {@code s}, as an agent that keeps its state file across
   * servers; returns the version it holds after.
   */
  long poll(String node, ServeProcess s) throws Exception {
    boolean[] loading = {true};
    try (BundleClient c =
        new BundleClient(
            new BundleClient.Config(
                s.base(),
                node,
                privateKeys.get(node),
                key.publicKey(),
                dir.resolve("agent-" + node + ".bundle"),
                1),
            (BundleVerifier.Verified v) -> {
              if (!loading[0]) { // loadPersisted applies the bundle already held
                applied.computeIfAbsent(node, k -> new ArrayList<>()).add(v.bundle().version());
              }
            })) {
      c.loadPersisted();
      loading[0] = false;
      try {
        c.pollOnce();
      } catch (java.io.IOException e) {
        // not served yet (404 before the first compile reaches this server), or the server is gone
      }
      refused += c.refusedCount();
      return c.heldVersion();
    }
  }

  /** Polls {@code node}, alternating between {@code through}, until {@code done} holds. */
  void pollUntil(String node, List<ServeProcess> through, BooleanSupplier done) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    int i = 0;
    while (!done.getAsBoolean()) {
      assertThat(System.nanoTime() < deadline).as("%s: %s", node, logs()).isTrue();
      poll(node, through.get(i++ % through.size()));
    }
  }

  long held(String node) {
    List<Long> v = applied.get(node);
    return v == null ? 0 : v.getLast();
  }

  JsonNode status(ServeProcess s) throws Exception {
    return s.status();
  }

  /** The bundle version {@code s} serves {@code node} now (0 for none). */
  long currentVersion(ServeProcess s, String node) {
    try {
      return status(s).path("nodeStates").path(node).path("currentVersion").asLong();
    } catch (Exception e) {
      throw new AssertionError("status of " + s.name() + ": " + e, e);
    }
  }

  String logs() throws Exception {
    StringBuilder sb = new StringBuilder();
    for (ServeProcess s : servers) {
      sb.append("\n--- ").append(s.name()).append('\n').append(Files.readString(s.log()));
    }
    return sb.toString();
  }

  @Test
  void oneCompilesBothServeAndTheOtherTakesOverAfterSigkill() throws Exception {
    List<String> nodes = new ArrayList<>();
    for (String h : List.of("n0", "n1", "n2")) {
      nodes.add(enroll(h));
    }
    for (String n : nodes) {
      pollUntil(n, servers, () -> held(n) > 0);
    }
    // Exactly one compiles; the other serves the same versions.
    List<String> roles = new ArrayList<>();
    for (ServeProcess s : servers) {
      roles.add(status(s).path("cluster").asText());
    }
    assertThat(roles).containsExactlyInAnyOrder("compiling", "serving stored bundles");
    ServeProcess compiling = servers.get(roles.indexOf("compiling"));
    ServeProcess other = servers.get(roles.indexOf("serving stored bundles"));
    // Each enrollment starts a compile that changes the other nodes' bundles too, so a node's
    // first bundle may be older than the servers' current one: both servers must come to serve
    // the same version, and the node to hold it.
    for (String n : nodes) {
      pollUntil(
          n,
          servers,
          () -> {
            long a = currentVersion(compiling, n);
            return a > 0 && currentVersion(other, n) == a && held(n) == a;
          });
    }

    // A policy change reaches agents polling the server that does not compile.
    long before = held("n0");
    Files.writeString(dir.resolve("policy.hujson"), POLICY.formatted("22"));
    pollUntil("n0", List.of(other), () -> held("n0") > before);

    // The compiling server dies; a node leaves and one joins through the registry; agents see it
    // through the survivor, which now compiles.
    compiling.kill();
    long beforeKill = held("n0");
    registry.delete("test", "n2");
    String joined = enroll("n3");
    pollUntil("n0", List.of(other), () -> held("n0") > beforeKill);
    pollUntil(joined, List.of(other), () -> held(joined) > 0);
    assertThat(status(other).path("cluster").asText()).isEqualTo("compiling");
    assertThat(status(other).path("nodeStates").path("n2").path("currentVersion").asLong())
        .as("a deleted node is served nothing")
        .isZero();

    // A later policy change too.
    long afterTakeover = held("n1");
    Files.writeString(dir.resolve("policy.hujson"), POLICY.formatted("443"));
    pollUntil("n1", List.of(other), () -> held("n1") > afterTakeover);

    assertThat(refused).as("no agent was offered a rollback").isZero();
    for (Map.Entry<String, List<Long>> e : applied.entrySet()) {
      assertThat(e.getValue()).as(e.getKey()).isSorted().doesNotHaveDuplicates();
    }
  }

  /** Waits up to a minute for {@code done}, which may fail while a server is not up yet. */
  void waitUntil(String what, java.util.concurrent.Callable<Boolean> done) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!done.call()) {
      assertThat(System.nanoTime() < deadline).as("%s: %s", what, logs()).isTrue();
      Thread.sleep(100);
    }
  }

  static String sha256(Path file) throws Exception {
    return Cluster.Policy.of("", Files.readString(file)).sha256();
  }

  @Test
  void everyServerDecidesWithTheCompilingServersPolicyAndOneThatTakesOverStoresItsOwn()
      throws Exception {
    // a started first, and took the compile lock before it listened; b follows with a's file.
    ServeProcess a = servers.get(0);
    assertThat(status(a).path("cluster").asText()).isEqualTo("compiling");
    ServeProcess b = servers.remove(1);
    b.kill();
    // c's own file also lets alice own tag:ops.
    Path own = dir.resolve("c-policy.hujson");
    Files.writeString(
        own,
        """
        {"acls": [{"action": "accept", "src": ["alice@example.com"], "dst": ["alice@example.com:*"]}],
         "tagOwners": {"tag:ops": ["alice@example.com"]}}
        """);
    ServeProcess c = ServeProcess.start("c", dir.resolve("c"), own, key, pg.url());
    servers.add(c);
    String shared = sha256(dir.resolve("policy.hujson"));
    String mine = sha256(own);
    waitUntil(
        "c follows a's policy",
        () -> status(c).path("policy").asText().equals("differs from the compiling server's"));
    JsonNode st = status(c);
    assertThat(st.path("cluster").asText()).isEqualTo("serving stored bundles");
    assertThat(st.path("policySha256").asText()).isEqualTo(shared);
    assertThat(st.path("policyFileSha256").asText()).isEqualTo(mine);
    assertThat(Files.readAllLines(c.log()))
        .filteredOn(l -> l.contains(" WARN ") && l.contains(mine))
        .singleElement()
        .asString()
        .contains(shared, "differs from the policy the compiling server compiled");

    // a dies: c takes over, compiles its own file and stores it for every server.
    a.kill();
    waitUntil("c compiles", () -> status(c).path("policy").asText().equals("compiled here"));
    try (Database db = Database.open(pg.url());
        Cluster cluster = new Cluster(db)) {
      Cluster.Policy stored = cluster.policy().orElseThrow();
      assertThat(stored.sha256()).isEqualTo(mine);
      assertThat(stored.text()).isEqualTo(Files.readString(own));
    }
    // A server started again with a's file decides with c's.
    ServeProcess d =
        ServeProcess.start("d", dir.resolve("d"), dir.resolve("policy.hujson"), key, pg.url());
    servers.add(d);
    waitUntil(
        "d follows c's policy",
        () -> status(d).path("policy").asText().equals("differs from the compiling server's"));
    assertThat(status(d).path("policySha256").asText()).isEqualTo(mine);
  }

  static byte[] seed(int i) {
    byte[] b = new byte[32];
    b[1] = (byte) i;
    b[31] = 7;
    return b;
  }
}
