package dev.tessera.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tessera.bundle.BundleClient;
import dev.tessera.bundle.BundleVerifier;
import dev.tessera.bundle.Freshness;
import dev.tessera.bundle.NodeAuth;
import dev.tessera.bundle.SigningKey;
import dev.tessera.enforcer.Matcher;
import dev.tessera.net.IpAddress;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PolicyServerTest {
  static final IpAddress ALICE = IpAddress.parse("100.64.0.1");
  static final IpAddress WEB = IpAddress.parse("100.64.0.2");

  @TempDir Path dir;
  final SigningKey key = SigningKey.fromSeed(seed(1));
  final byte[] webPrivate = seed(2);
  final byte[] dbPrivate = seed(3);
  PolicyServer server;
  URI base;
  final List<BundleVerifier.Verified> applied = new CopyOnWriteArrayList<>();

  static byte[] seed(int n) {
    byte[] s = new byte[32];
    new Random(n).nextBytes(s);
    return s;
  }

  static String policy(int port) {
    return """
        {
          "acls": [
            {"action": "accept", "src": ["alice@acme.com"], "dst": ["tag:web:%d"]},
          ],
          "tagOwners": {"tag:web": ["alice@acme.com"], "tag:db": ["alice@acme.com"]},
        }
        """
        .formatted(port);
  }

  String inventory() {
    return """
        users:
          - {login: alice@acme.com, role: admin}
        nodes:
          - {name: laptop-alice, user: alice@acme.com, ips: [100.64.0.1]}
          - {name: web-1, tags: [tag:web], ips: [100.64.0.2], key: "%s"}
          - {name: db-1, tags: [tag:db], ips: [100.64.0.3], key: "%s"}
        """
        .formatted(NodeAuth.wireguardPublicKey(webPrivate), NodeAuth.wireguardPublicKey(dbPrivate));
  }

  @BeforeEach
  void start() throws Exception {
    Files.writeString(dir.resolve("policy.hujson"), policy(443));
    Files.writeString(dir.resolve("inventory.yaml"), inventory());
    startServer();
  }

  static final String ADMIN_TOKEN = "admin-token-0123456789abcdef";
  PolicyServer.Options options = PolicyServer.Options.DEFAULTS.withAdminToken(ADMIN_TOKEN);

  void startServer() throws Exception {
    server =
        new PolicyServer(
            new PolicyServer.Config(
                    PolicySource.file(dir.resolve("policy.hujson")),
                    PolicySource.file(dir.resolve("inventory.yaml")),
                    new InetSocketAddress("127.0.0.1", 0),
                    key,
                    dir.resolve("state"),
                    3_600_000)
                .withOptions(options));
    InetSocketAddress bound = server.start();
    base = URI.create("http://127.0.0.1:" + bound.getPort());
  }

  @AfterEach
  void stop() throws IOException {
    server.close();
  }

  BundleClient client(String node, byte[] privateKey, int wait) {
    return new BundleClient(
        new BundleClient.Config(
            base,
            node,
            privateKey,
            key.publicKey(),
            dir.resolve("agent-" + node + ".bundle"),
            wait),
        applied::add);
  }

  boolean allows(BundleVerifier.Verified v, int port) {
    return Matcher.of(v.filter()).allows(ALICE, WEB, 6, port);
  }

  @Test
  void nodeGetsItsSignedFilterAndHearsOfAChangeAtOnce() throws Exception {
    try (BundleClient web = client("web-1", webPrivate, 30)) {
      assertThat(web.pollOnce()).isTrue();
      assertThat(web.heldVersion()).isEqualTo(1);
      assertThat(allows(applied.getLast(), 443)).isTrue();
      assertThat(allows(applied.getLast(), 22)).isFalse();

      CompletableFuture<Boolean> waiting =
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  return web.pollOnce();
                } catch (Exception e) {
                  throw new RuntimeException(e);
                }
              });
      Thread.sleep(300);
      assertThat(waiting).isNotDone(); // long-polling: nothing changed yet
      long changedAt = System.nanoTime();
      Files.writeString(dir.resolve("policy.hujson"), policy(8443));
      server.pollNow();
      assertThat(waiting.get(5, TimeUnit.SECONDS)).isTrue();
      long millis = (System.nanoTime() - changedAt) / 1_000_000;
      assertThat(millis)
          .as("propagation, not a timing assertion on the unit: a hang would be 30 s")
          .isLessThan(5_000);
      assertThat(web.heldVersion()).isEqualTo(2);
      assertThat(allows(applied.getLast(), 8443)).isTrue();
      assertThat(allows(applied.getLast(), 443)).isFalse();
    }
  }

  @Test
  void brokenChangeKeepsServingTheLastGoodCompilation() throws Exception {
    try (BundleClient web = client("web-1", webPrivate, 1)) {
      web.pollOnce();
      Files.writeString(
          dir.resolve("policy.hujson"),
          "{\"acls\": [{\"action\": \"accept\", \"src\": [\"group:nope\"], \"dst\": [\"tag:web:22\"]}]}");
      server.pollNow();
      assertThat(server.status().toMap(server.store())).containsKey("lastError");
      assertThat(server.status().toMap(server.store()).get("lastError").toString())
          .contains("group:nope");
      assertThat(web.pollOnce()).as("no new bundle: 304 after the wait").isFalse();
      assertThat(web.heldVersion()).isEqualTo(1);
      assertThat(allows(applied.getLast(), 443)).isTrue();
    }
  }

  /**
   * Who is refused must not learn why: a forged request for a real node, a request for a node that
   * does not exist, a replay, an unauthenticated request and a wrong admin token all get the same
   * 401 with the same body.
   */
  @Test
  void everyAuthenticationFailureIsTheSame401() throws Exception {
    java.util.Set<String> bodies = new java.util.HashSet<>();
    // db-1's key claiming to be web-1.
    try (BundleClient impostor = client("web-1", dbPrivate, 1)) {
      assertThatThrownBy(impostor::pollOnce)
          .isInstanceOf(IOException.class)
          .hasMessageContaining("401")
          .satisfies(e -> bodies.add(e.getMessage()));
    }
    // A node that is not in the inventory.
    try (BundleClient ghost = client("ghost", seed(9), 1)) {
      assertThatThrownBy(ghost::pollOnce)
          .hasMessageContaining("401")
          .satisfies(e -> bodies.add(e.getMessage()));
    }
    assertThat(bodies).as("forged and unknown node answered alike").hasSize(1);
    bodies.clear();
    // The same signed request sent twice.
    NodeAuth.Headers h =
        new NodeAuth.Signer("web-1", webPrivate, key.publicKey())
            .sign("GET", "/v1/bundle?wait=0", new byte[0], System.currentTimeMillis());
    try (HttpClient http = HttpClient.newHttpClient()) {
      HttpRequest.Builder req = HttpRequest.newBuilder(base.resolve("/v1/bundle?wait=0"));
      h.asMap().forEach(req::header);
      assertThat(http.send(req.build(), HttpResponse.BodyHandlers.discarding()).statusCode())
          .isEqualTo(200);
      HttpResponse<String> again = http.send(req.build(), HttpResponse.BodyHandlers.ofString());
      HttpResponse<String> bare =
          http.send(
              HttpRequest.newBuilder(base.resolve("/v1/bundle")).build(),
              HttpResponse.BodyHandlers.ofString());
      HttpResponse<String> badAdmin =
          http.send(
              HttpRequest.newBuilder(base.resolve("/v1/status"))
                  .header("Authorization", "Bearer wrong-token")
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      HttpResponse<String> noAdmin =
          http.send(
              HttpRequest.newBuilder(base.resolve("/v1/status")).build(),
              HttpResponse.BodyHandlers.ofString());
      for (HttpResponse<String> r : List.of(again, bare, badAdmin, noAdmin)) {
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(r.body()).isEqualTo("unauthorized\n");
      }
    }
    // The reasons are counted where only the admin sees them.
    assertThat(server.status().toMap(server.store()).get("limits").toString())
        .contains("BAD_AUTH", "UNKNOWN_NODE", "REPLAYED");
  }

  /** Requests are counted by path and status; paths the server does not serve fold into one. */
  @Test
  void requestsAreCountedByPathAndStatus() throws Exception {
    try (HttpClient http = HttpClient.newHttpClient()) {
      for (String path : List.of("/v1/health", "/v1/health?x=1", "/v1/status", "/nope", "/a/b")) {
        http.send(
            HttpRequest.newBuilder(base.resolve(path)).build(),
            HttpResponse.BodyHandlers.discarding());
      }
      http.send(
          HttpRequest.newBuilder(base.resolve("/v1/status"))
              .header("Authorization", "Bearer " + ADMIN_TOKEN)
              .build(),
          HttpResponse.BodyHandlers.discarding());
    }
    // the last request's own answer is counted as it is written: poll until it shows
    Object requests = null;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < deadline) {
      requests = server.status().toMap(server.store()).get("requests");
      if (requests.toString().contains("/v1/status={200=1")) {
        break;
      }
      Thread.sleep(20);
    }
    assertThat(requests)
        .isEqualTo(
            Map.of(
                "/v1/health", Map.of("200", 2L),
                "/v1/status", Map.of("200", 1L, "401", 1L),
                "other", Map.of("404", 2L)));
  }

  /** /v1/status (inventory, liveness, policy revision) needs the admin token. */
  @Test
  void statusNeedsTheAdminToken() throws Exception {
    try (HttpClient http = HttpClient.newHttpClient()) {
      HttpResponse<String> without =
          http.send(
              HttpRequest.newBuilder(base.resolve("/v1/status")).build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(without.statusCode()).isEqualTo(401);
      assertThat(without.body()).doesNotContain("web-1", "revision");
      HttpResponse<String> with =
          http.send(
              HttpRequest.newBuilder(base.resolve("/v1/status"))
                  .header("Authorization", "Bearer " + ADMIN_TOKEN)
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(with.statusCode()).isEqualTo(200);
      assertThat(with.body()).contains("web-1", "revision");
    }
  }

  /** Every "unchanged" answer carries a signed, current statement for the node and its version. */
  @Test
  void unchangedAnswersCarryASignedFreshnessStatement() throws Exception {
    try (BundleClient web = client("web-1", webPrivate, 1)) {
      web.pollOnce();
      long held = web.heldVersion();
      NodeAuth.Headers h =
          new NodeAuth.Signer("web-1", webPrivate, key.publicKey())
              .sign("GET", "/v1/bundle?wait=0", new byte[0], System.currentTimeMillis());
      try (HttpClient http = HttpClient.newHttpClient()) {
        HttpRequest.Builder req =
            HttpRequest.newBuilder(base.resolve("/v1/bundle?wait=0"))
                .header("If-None-Match", "\"" + held + "\"");
        h.asMap().forEach(req::header);
        HttpResponse<String> r = http.send(req.build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(304);
        Freshness f =
            Freshness.verifyHeader(
                r.headers().firstValue(Freshness.HEADER).orElse(null), key.publicKey());
        assertThat(f.node()).isEqualTo("web-1");
        assertThat(f.version()).isEqualTo(held);
        assertThat(f.currentAt(System.currentTimeMillis())).isTrue();
      }
      // The client's own long-poll accepts it and records it.
      assertThat(web.pollOnce()).isFalse();
      assertThat(web.freshness()).isPresent();
    }
  }

  /**
   * Losing the server's state directory must not brick the fleet: a restarted server serves
   * versions above those agents hold (a new epoch), and agents keep updating.
   */
  @Test
  void agentsKeepUpdatingAfterTheServerLosesItsState() throws Exception {
    server.close();
    options = options.withEpochFile(dir.resolve("keys/signing.key.epoch"));
    startServer();
    long held;
    try (BundleClient web = client("web-1", webPrivate, 1)) {
      web.pollOnce();
      Files.writeString(dir.resolve("policy.hujson"), policy(8443));
      server.pollNow();
      assertThat(web.pollOnce()).isTrue();
      held = web.heldVersion();
    }
    server.close();
    deleteTree(dir.resolve("state"));
    startServer(); // on another port: the agent below is told the new address
    try (BundleClient web = client("web-1", webPrivate, 1)) {
      assertThat(web.loadPersisted()).isEqualTo(held);
      assertThat(web.pollOnce()).as("the restarted server's bundle is accepted").isTrue();
      assertThat(web.heldVersion()).isGreaterThan(held);
      Files.writeString(dir.resolve("policy.hujson"), policy(9443));
      server.pollNow();
      assertThat(web.pollOnce()).as("and so are later changes").isTrue();
      assertThat(allows(applied.getLast(), 9443)).isTrue();
    }
  }

  static void deleteTree(Path root) throws IOException {
    try (var walk = Files.walk(root)) {
      for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  /** A node flooding requests gets 429 with Retry-After; another node is still served. */
  @Test
  void aNodeOverItsRequestRateGets429AndOthersAreServed() throws Exception {
    server.close();
    options = options.withLimits(100, 2, 5, 0.1, 15_000);
    startServer();
    try (HttpClient http = HttpClient.newHttpClient()) {
      int tooMany = 0;
      for (int i = 0; i < 20; i++) {
        HttpResponse<String> r = get(http, "web-1", webPrivate, "/v1/bundle?wait=0");
        if (r.statusCode() == 429) {
          tooMany++;
          assertThat(r.headers().firstValue("Retry-After")).isPresent();
        } else {
          assertThat(r.statusCode()).isEqualTo(200);
        }
      }
      assertThat(tooMany).as("requests beyond the burst of 5").isEqualTo(15);
      assertThat(get(http, "db-1", dbPrivate, "/v1/bundle?wait=0").statusCode()).isEqualTo(200);
    }
  }

  HttpResponse<String> get(HttpClient http, String node, byte[] privateKey, String path)
      throws Exception {
    NodeAuth.Headers h =
        new NodeAuth.Signer(node, privateKey, key.publicKey())
            .sign("GET", path, new byte[0], System.currentTimeMillis());
    HttpRequest.Builder req = HttpRequest.newBuilder(base.resolve(path));
    h.asMap().forEach(req::header);
    return http.send(req.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** A connection that sends nothing, or trickles a request, is closed after the idle timeout. */
  @Test
  void idleAndSlowConnectionsAreClosed() throws Exception {
    server.close();
    options = options.withLimits(100, 4, 20, 2, 300);
    startServer();
    try (java.net.Socket silent = new java.net.Socket("127.0.0.1", base.getPort());
        java.net.Socket slow = new java.net.Socket("127.0.0.1", base.getPort())) {
      silent.setSoTimeout(10_000);
      slow.setSoTimeout(10_000);
      slow.getOutputStream().write("GET /v1/health HTTP/1.1\r\nHost: x\r\n".getBytes());
      long start = System.nanoTime();
      assertThat(silent.getInputStream().read()).as("closed by the server").isEqualTo(-1);
      assertThat(slow.getInputStream().read()).as("closed by the server").isEqualTo(-1);
      assertThat((System.nanoTime() - start) / 1_000_000)
          .as("well before the 10 s read timeout")
          .isLessThan(9_000);
    }
  }

  /** Beyond the connection cap a new connection's request gets 429. */
  @Test
  void connectionsBeyondTheCapGet429() throws Exception {
    server.close();
    options = options.withLimits(2, 4, 20, 2, 15_000);
    startServer();
    try (java.net.Socket a = new java.net.Socket("127.0.0.1", base.getPort());
        java.net.Socket b = new java.net.Socket("127.0.0.1", base.getPort())) {
      NetWait.until(
          () ->
              server
                  .status()
                  .toMap(server.store())
                  .get("limits")
                  .toString()
                  .contains("openConnections=2"));
      java.net.Socket c = new java.net.Socket("127.0.0.1", base.getPort());
      c.setSoTimeout(5_000);
      c.getOutputStream().write("GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n".getBytes());
      String answer = new String(c.getInputStream().readAllBytes());
      assertThat(answer).startsWith("HTTP/1.1 429").contains("retry-after: 1");
      c.close();
    }
  }

  /**
   * One source (here 127.0.0.2) holding its cap of connections has its next one closed unanswered,
   * counted as refused; another source (127.0.0.3) still connects and is served, and the first
   * connects again once one of its connections has closed.
   */
  @Test
  void aSourceBeyondItsConnectionCapIsRefusedWhileAnotherSourceConnects() throws Exception {
    server.close();
    options = options.withMaxConnectionsPerSource(2);
    startServer();
    java.net.InetAddress flooder = java.net.InetAddress.getByName("127.0.0.2");
    java.net.InetAddress other = java.net.InetAddress.getByName("127.0.0.3");
    java.net.Socket a = new java.net.Socket(base.getHost(), base.getPort(), flooder, 0);
    try (java.net.Socket b = new java.net.Socket(base.getHost(), base.getPort(), flooder, 0)) {
      NetWait.until(() -> limits().get("openConnections").equals(2));
      try (java.net.Socket third =
          new java.net.Socket(base.getHost(), base.getPort(), flooder, 0)) {
        assertThat(healthAnswer(third)).as("the third connection from 127.0.0.2").isEmpty();
      }
      assertThat(limits().get("connectionsRefusedPerSource")).isEqualTo(1L);
      try (java.net.Socket elsewhere =
          new java.net.Socket(base.getHost(), base.getPort(), other, 0)) {
        assertThat(healthAnswer(elsewhere)).startsWith("HTTP/1.1 200");
      }
      a.close();
      NetWait.until(() -> limits().get("openConnections").equals(1));
      try (java.net.Socket again =
          new java.net.Socket(base.getHost(), base.getPort(), flooder, 0)) {
        assertThat(healthAnswer(again)).startsWith("HTTP/1.1 200");
      }
    } finally {
      a.close();
    }
    assertThat(limits().get("connectionsRefusedPerSource")).isEqualTo(1L);
  }

  @SuppressWarnings("unchecked")
  java.util.Map<String, Object> limits() {
    return (java.util.Map<String, Object>) server.status().toMap(server.store()).get("limits");
  }

  /** What the server answers a health check on {@code s} ("" if it closes without an answer). */
  static String healthAnswer(java.net.Socket s) throws IOException {
    s.setSoTimeout(5_000);
    try {
      s.getOutputStream()
          .write("GET /v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".getBytes());
      return new String(s.getInputStream().readAllBytes());
    } catch (java.net.SocketException e) {
      return ""; // reset: closed before the request arrived
    }
  }

  /** Readiness polling (no fixed sleeps). */
  static final class NetWait {
    static void until(java.util.function.BooleanSupplier c) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (!c.getAsBoolean()) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError("timed out");
        }
        Thread.sleep(10);
      }
    }
  }

  /** An audit log that cannot be written is reported in status; bundles are still served. */
  @Test
  void aFailingAuditLogDoesNotStopServing() throws Exception {
    server.close();
    Path audit = dir.resolve("state/audit.jsonl");
    Files.delete(audit);
    Files.createSymbolicLink(audit, Path.of("/dev/full"));
    startServer();
    try (BundleClient web = client("web-1", webPrivate, 1)) {
      assertThat(web.pollOnce()).isTrue();
      Files.writeString(dir.resolve("policy.hujson"), policy(8443));
      server.pollNow();
      assertThat(web.pollOnce()).isTrue();
      assertThat(allows(applied.getLast(), 8443)).isTrue();
    }
    @SuppressWarnings("unchecked")
    java.util.Map<String, Object> auditStatus = (java.util.Map<String, Object>) awaitAuditError();
    assertThat(auditStatus.get("error").toString()).contains("audit write");
    assertThat((Long) auditStatus.get("dropped")).isPositive();
  }

  Object awaitAuditError() throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < deadline) {
      Object a = server.status().toMap(server.store()).get("audit");
      if (a instanceof java.util.Map<?, ?> m && m.containsKey("error")) {
        return a;
      }
      Thread.sleep(50);
    }
    return server.status().toMap(server.store()).get("audit");
  }

  /** State, versions and audit log are owner-only whatever the umask. */
  @Test
  void stateFilesAreOwnerOnly() throws Exception {
    try (BundleClient web = client("web-1", webPrivate, 1)) {
      web.pollOnce();
    }
    server.close();
    startServer();
    assertThat(mode(dir.resolve("state"))).isEqualTo("rwx------");
    assertThat(mode(dir.resolve("state/versions.json"))).isEqualTo("rw-------");
    assertThat(mode(dir.resolve("state/audit.jsonl"))).isEqualTo("rw-------");
  }

  static String mode(Path p) throws IOException {
    return java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
  }

  /** An Error thrown by a poll no longer ends polling: it is counted and the next poll runs. */
  @Test
  void thePollerSurvivesAnError() throws Exception {
    var executor = java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
    try {
      ServerStatus st = new ServerStatus();
      java.util.concurrent.atomic.AtomicInteger runs =
          new java.util.concurrent.atomic.AtomicInteger();
      PolicyServer.scheduleGuarded(
          executor,
          () -> {
            if (runs.incrementAndGet() == 1) {
              throw new StackOverflowError("simulated");
            }
          },
          10,
          st);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (runs.get() < 3 && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertThat(runs.get()).isGreaterThanOrEqualTo(3);
      assertThat(st.pollFailures()).isEqualTo(1);
    } finally {
      executor.shutdownNow();
    }
  }

  /** A request body above the bound is refused unread. */
  @Test
  void oversizedRequestBodiesAreRefused() throws Exception {
    try (HttpClient http = HttpClient.newHttpClient()) {
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(base.resolve("/v1/ack"))
                  .POST(
                      HttpRequest.BodyPublishers.ofByteArray(
                          new byte[PolicyServer.MAX_REQUEST_BODY + 1]))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(413);
    }
  }

  @Test
  void restartedServerContinuesVersionsAndRestartedAgentUsesItsLastGoodBundle() throws Exception {
    try (BundleClient web = client("web-1", webPrivate, 1)) {
      web.pollOnce();
      Files.writeString(dir.resolve("policy.hujson"), policy(8443));
      server.pollNow();
      web.pollOnce();
      assertThat(web.heldVersion()).isEqualTo(2);
    }
    server.close();
    // Server down: a restarted agent enforces its persisted bundle.
    applied.clear();
    try (BundleClient web = client("web-1", webPrivate, 1)) {
      assertThat(web.loadPersisted()).isEqualTo(2);
      assertThat(allows(applied.getLast(), 8443)).isTrue();
      assertThatThrownBy(web::pollOnce).isInstanceOf(IOException.class);
      assertThat(web.heldVersion()).isEqualTo(2);
    }
    // Server back with the same state: same filter, same version; a change goes to 3.
    startServer();
    try (BundleClient web = client("web-1", webPrivate, 1)) {
      web.loadPersisted();
      assertThat(web.pollOnce()).isFalse();
      Files.writeString(dir.resolve("policy.hujson"), policy(9443));
      server.pollNow();
      assertThat(web.pollOnce()).isTrue();
      assertThat(web.heldVersion()).isEqualTo(3);
    }
    String audit = Files.readString(dir.resolve("state/audit.jsonl"));
    assertThat(audit)
        .contains("\"event\":\"compiled\"", "\"event\":\"served\"", "\"node\":\"web-1\"");
  }

  @Test
  void tamperedPersistedBundleIsRefusedAndNothingIsEnforced() throws Exception {
    try (BundleClient web = client("web-1", webPrivate, 1)) {
      web.pollOnce();
    }
    Path file = dir.resolve("agent-web-1.bundle");
    byte[] bytes = Files.readAllBytes(file);
    bytes[bytes.length / 2] ^= 1;
    Files.write(file, bytes);
    applied.clear();
    try (BundleClient web = client("web-1", webPrivate, 1)) {
      assertThat(web.loadPersisted()).isZero();
      assertThat(web.hasBundle()).isFalse();
      assertThat(web.lastError()).hasValueSatisfying(e -> assertThat(e).contains("BAD_SIGNATURE"));
      assertThat(applied).isEmpty();
    }
  }
}
