package dev.tessera.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tessera.bundle.NodeAuth;
import dev.tessera.bundle.SigningKey;
import dev.tessera.registry.AuditEntry;
import dev.tessera.registry.AuthKey;
import dev.tessera.registry.AuthKeySpec;
import dev.tessera.registry.Node;
import dev.tessera.registry.PolicyChecks;
import dev.tessera.registry.Registry;
import dev.tessera.testsupport.PostgresCluster;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * An enrollment storm against a {@code policyc serve} process, killed with SIGKILL in the middle,
 * then restarted: the registry holds no half-applied enrollment. Every node has its audit row (with
 * its key and addresses) and every enrollment audit row its node; addresses are unique; a one-off
 * key was used at most once; the revision moved once per write; every enrollment the server
 * answered 200 to survived. On SQLite and on PostgreSQL.
 */
class CrashSafetyTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final int ONE_OFF_KEYS = 30;
  static final int CLAIMANTS_PER_KEY = 3;
  static final int REUSABLE_ENROLLMENTS = 400;

  @TempDir Path dir;
  final SigningKey key = SigningKey.fromSeed(MultiServerTest.seed(9));

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"sqlite", "postgresql"})
  void killDuringAnEnrollmentStormLeavesNoHalfAppliedChange(String kind) throws Exception {
    PostgresCluster pg = null;
    if (kind.equals("postgresql")) {
      PostgresCluster.requireInstalled();
      pg = PostgresCluster.start();
    }
    try {
      String db =
          pg != null
              ? pg.url()
              : dir.resolve("server").resolve("state").resolve("registry.db").toString();
      run(db, pg != null ? pg.url() : null);
    } finally {
      if (pg != null) {
        pg.close();
      }
    }
  }

  void run(String db, String serveDb) throws Exception {
    Path policy = dir.resolve("policy.hujson");
    Files.writeString(
        policy,
        "{\"acls\": [{\"action\": \"accept\", \"src\": [\"alice@example.com\"], \"dst\": [\"*:*\"]}]}\n");
    ServeProcess server = ServeProcess.start("server", dir.resolve("server"), policy, key, serveDb);
    List<String> oneOff = new ArrayList<>();
    String reusable;
    long revision0;
    int audit0;
    try (Registry r = Registry.open(db)) {
      for (int i = 0; i < ONE_OFF_KEYS; i++) {
        oneOff.add(create(r, false));
      }
      reusable = create(r, true);
      revision0 = r.revision();
      audit0 = r.audit(100_000).size();
    }

    // The storm: each one-off key claimed by several nodes at once, and many nodes on the
    // reusable key, from 8 threads; SIGKILL once 40 enrollments were answered 200.
    List<byte[]> bodies = new ArrayList<>();
    List<byte[]> privateKeys = new ArrayList<>();
    Random random = new Random(20);
    int n = 0;
    for (int round = 0; round < CLAIMANTS_PER_KEY; round++) {
      for (String k : oneOff) {
        privateKeys.add(privateKey(random));
        bodies.add(body(k, privateKeys.getLast(), "o" + n++));
      }
    }
    for (int i = 0; i < REUSABLE_ENROLLMENTS; i++) {
      privateKeys.add(privateKey(random));
      bodies.add(body(reusable, privateKeys.getLast(), "r" + n++));
    }
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    Map<String, String> acknowledged = new ConcurrentHashMap<>(); // name -> public key
    AtomicInteger next = new AtomicInteger();
    AtomicInteger cut = new AtomicInteger();
    CountDownLatch enough = new CountDownLatch(40);
    ExecutorService pool = Executors.newFixedThreadPool(8);
    for (int t = 0; t < 8; t++) {
      pool.execute(
          () -> {
            for (int i = next.getAndIncrement(); i < bodies.size(); i = next.getAndIncrement()) {
              try {
                HttpResponse<String> resp = send(http, server, bodies.get(i), privateKeys.get(i));
                if (resp.statusCode() == 200) {
                  acknowledged.put(
                      JSON.readTree(resp.body()).path("name").asText(),
                      NodeAuth.wireguardPublicKey(privateKeys.get(i)));
                  enough.countDown();
                }
              } catch (java.io.IOException e) {
                cut.incrementAndGet(); // the server is gone: the rest of the storm fails
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            }
          });
    }
    assertThat(enough.await(120, TimeUnit.SECONDS))
        .as("40 enrollments answered:\n%s", Files.readString(server.log()))
        .isTrue();
    server.kill();
    pool.shutdown();
    assertThat(pool.awaitTermination(120, TimeUnit.SECONDS)).isTrue();
    assertThat(cut.get()).as("killed in the middle of the storm").isPositive();

    ServeProcess restarted =
        ServeProcess.start("restarted", dir.resolve("server"), policy, key, serveDb);
    try (Registry r = Registry.open(db)) {
      List<Node> nodes = r.nodes();
      List<AuditEntry> audit = r.audit(100_000);
      List<AuditEntry> stormAudit = audit.subList(audit0, audit.size());
      Map<String, AuditEntry> enrolled = new HashMap<>();
      for (AuditEntry a : stormAudit) {
        assertThat(a.action()).isIn("node-enrolled", "node-reported");
        if (a.action().equals("node-enrolled")) {
          assertThat(enrolled.put(a.subject(), a)).as("one enrollment row per node").isNull();
        }
      }
      assertThat(r.revision() - revision0)
          .as("the revision moved once per write, each with its audit row")
          .isEqualTo(stormAudit.size());
      assertThat(nodes).hasSameSizeAs(enrolled.keySet());
      Set<String> v4 = new HashSet<>();
      Set<String> v6 = new HashSet<>();
      for (Node node : nodes) {
        AuditEntry a = enrolled.get(node.name());
        assertThat(a).as("audit row of " + node.name()).isNotNull();
        assertThat(a.detail().get("publicKey")).isEqualTo(node.publicKey());
        assertThat(a.detail().get("addresses")).isEqualTo(List.of(node.ipv4(), node.ipv6()));
        assertThat(v4.add(node.ipv4())).as("IPv4 unique: " + node.ipv4()).isTrue();
        assertThat(v6.add(node.ipv6())).as("IPv6 unique: " + node.ipv6()).isTrue();
      }
      Map<String, Integer> perKey = new HashMap<>();
      enrolled
          .values()
          .forEach(a -> perKey.merge((String) a.detail().get("authKey"), 1, Integer::sum));
      for (AuthKey k : r.authKeys()) {
        int used = perKey.getOrDefault(k.id(), 0);
        assertThat(k.uses()).as("uses of " + k.id()).isEqualTo(used);
        if (!k.reusable()) {
          assertThat(used).as("one-off key " + k.id()).isLessThanOrEqualTo(1);
        }
      }
      Map<String, String> stored = new HashMap<>();
      nodes.forEach(x -> stored.put(x.name(), x.publicKey()));
      assertThat(stored)
          .as("every acknowledged enrollment survived")
          .containsAllEntriesOf(acknowledged);
      assertThat(nodes.size()).as("some enrollments never happened").isLessThan(bodies.size());
      System.out.printf(
          "crash-safety %s: %d requests, %d answered 200, %d cut by the kill, %d nodes after restart,"
              + " %d one-off keys used%n",
          serveDb == null ? "sqlite" : "postgresql",
          bodies.size(),
          acknowledged.size(),
          cut.get(),
          nodes.size(),
          perKey.keySet().stream().filter(id -> !reusable.contains(id)).count());
    } finally {
      restarted.kill();
    }
  }

  String create(Registry r, boolean reusable) throws Exception {
    return r.createAuthKey(
            "test",
            new AuthKeySpec(
                "alice@example.com",
                List.of(),
                reusable,
                false,
                Optional.of(Duration.ofHours(1)),
                false),
            PolicyChecks.NONE.tags())
        .secret();
  }

  static byte[] privateKey(Random random) {
    byte[] k = new byte[32];
    random.nextBytes(k);
    return k;
  }

  static byte[] body(String authKey, byte[] privateKey, String hostname) throws Exception {
    return JSON.writeValueAsBytes(
        Map.of(
            "authKey",
            authKey,
            "publicKey",
            NodeAuth.wireguardPublicKey(privateKey),
            "hostname",
            hostname,
            "listenPort",
            41641));
  }

  HttpResponse<String> send(HttpClient http, ServeProcess s, byte[] body, byte[] privateKey)
      throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(s.base().resolve("/v1/enroll"))
            .timeout(Duration.ofSeconds(30))
            .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    new NodeAuth.Signer(NodeAuth.wireguardPublicKey(privateKey), privateKey, key.publicKey())
        .sign("POST", "/v1/enroll", body, System.currentTimeMillis())
        .asMap()
        .forEach(b::header);
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }
}
