package dev.tessera.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tessera.bundle.BundleClient;
import dev.tessera.bundle.BundleVerifier;
import dev.tessera.bundle.NodeAuth;
import dev.tessera.bundle.SigningKey;
import dev.tessera.enforcer.Matcher;
import dev.tessera.enforcer.format.IpAddress;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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
        """.formatted(port);
  }

  String inventory() {
    return """
        users:
          - {login: alice@acme.com, role: admin}
        nodes:
          - {name: laptop-alice, user: alice@acme.com, ips: [100.64.0.1]}
          - {name: web-1, tags: [tag:web], ips: [100.64.0.2], key: "%s"}
          - {name: db-1, tags: [tag:db], ips: [100.64.0.3], key: "%s"}
        """.formatted(NodeAuth.wireguardPublicKey(webPrivate), NodeAuth.wireguardPublicKey(dbPrivate));
  }

  @BeforeEach
  void start() throws Exception {
    Files.writeString(dir.resolve("policy.hujson"), policy(443));
    Files.writeString(dir.resolve("inventory.yaml"), inventory());
    startServer();
  }

  void startServer() throws Exception {
    server = new PolicyServer(new PolicyServer.Config(
        PolicySource.file(dir.resolve("policy.hujson")), PolicySource.file(dir.resolve("inventory.yaml")),
        new InetSocketAddress("127.0.0.1", 0), key, dir.resolve("state"), 3_600_000));
    InetSocketAddress bound = server.start();
    base = URI.create("http://127.0.0.1:" + bound.getPort());
  }

  @AfterEach
  void stop() throws IOException {
    server.close();
  }

  BundleClient client(String node, byte[] privateKey, int wait) {
    return new BundleClient(new BundleClient.Config(base, node, privateKey, key.publicKey(),
        dir.resolve("agent-" + node + ".bundle"), wait), applied::add);
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

      CompletableFuture<Boolean> waiting = CompletableFuture.supplyAsync(() -> {
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
      assertThat(millis).as("propagation, not a timing assertion on the unit: a hang would be 30 s").isLessThan(5_000);
      assertThat(web.heldVersion()).isEqualTo(2);
      assertThat(allows(applied.getLast(), 8443)).isTrue();
      assertThat(allows(applied.getLast(), 443)).isFalse();
    }
  }

  @Test
  void brokenChangeKeepsServingTheLastGoodCompilation() throws Exception {
    try (BundleClient web = client("web-1", webPrivate, 1)) {
      web.pollOnce();
      Files.writeString(dir.resolve("policy.hujson"), "{\"acls\": [{\"action\": \"accept\", \"src\": [\"group:nope\"], \"dst\": [\"tag:web:22\"]}]}");
      server.pollNow();
      assertThat(server.status().toMap(server.store())).containsKey("lastError");
      assertThat(server.status().toMap(server.store()).get("lastError").toString()).contains("group:nope");
      assertThat(web.pollOnce()).as("no new bundle: 304 after the wait").isFalse();
      assertThat(web.heldVersion()).isEqualTo(1);
      assertThat(allows(applied.getLast(), 443)).isTrue();
    }
  }

  @Test
  void nodesCannotReadEachOthersFiltersOrReplayRequests() throws Exception {
    // db-1's key claiming to be web-1.
    try (BundleClient impostor = client("web-1", dbPrivate, 1)) {
      assertThatThrownBy(impostor::pollOnce).isInstanceOf(IOException.class).hasMessageContaining("401")
          .hasMessageContaining("BAD_AUTH");
    }
    // A node that is not in the inventory.
    try (BundleClient ghost = client("ghost", seed(9), 1)) {
      assertThatThrownBy(ghost::pollOnce).hasMessageContaining("UNKNOWN_NODE");
    }
    // The same signed request sent twice.
    NodeAuth.Headers h = new NodeAuth.Signer("web-1", webPrivate, key.publicKey())
        .sign("GET", "/v1/bundle?wait=0", new byte[0], System.currentTimeMillis());
    try (HttpClient http = HttpClient.newHttpClient()) {
      HttpRequest.Builder req = HttpRequest.newBuilder(base.resolve("/v1/bundle?wait=0"));
      h.asMap().forEach(req::header);
      assertThat(http.send(req.build(), HttpResponse.BodyHandlers.discarding()).statusCode()).isEqualTo(200);
      HttpResponse<String> again = http.send(req.build(), HttpResponse.BodyHandlers.ofString());
      assertThat(again.statusCode()).isEqualTo(401);
      assertThat(again.body()).contains("REPLAYED");
      // Unauthenticated.
      HttpResponse<String> bare = http.send(HttpRequest.newBuilder(base.resolve("/v1/bundle")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(bare.statusCode()).isEqualTo(401);
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
    assertThat(audit).contains("\"event\":\"compiled\"", "\"event\":\"served\"", "\"node\":\"web-1\"");
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
