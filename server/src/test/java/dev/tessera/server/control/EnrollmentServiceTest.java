package dev.tessera.server.control;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tessera.bundle.NodeAuth;
import dev.tessera.bundle.SigningKey;
import dev.tessera.registry.AuthKeySpec;
import dev.tessera.registry.Database;
import dev.tessera.registry.PolicyChecks;
import dev.tessera.registry.Registry;
import dev.tessera.registry.RegistryConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.bouncycastle.math.ec.rfc7748.X25519;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code POST /v1/enroll}: proof of possession, the registry's refusals as HTTP answers. */
class EnrollmentServiceTest {
  private static final SigningKey SERVER = SigningKey.generate();
  private static final PolicyChecks CHECKS =
      new PolicyChecks(
          (u, t) -> u.equals("admin@example.com") && t.equals("tag:server"), (r, u, t) -> false);
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;
  private Registry registry;
  private EnrollmentService service;

  @BeforeEach
  void open() throws Exception {
    registry =
        new Registry(
            Database.open(dir.resolve("r.db").toString()),
            RegistryConfig.defaults(),
            Clock.systemUTC());
    service = new EnrollmentService(registry, SERVER, () -> CHECKS);
  }

  @AfterEach
  void close() {
    registry.close();
  }

  /** A node's WireGuard key pair: {private, public}. */
  private static byte[][] keyPair() {
    byte[] priv = new byte[32];
    new SecureRandom().nextBytes(priv);
    byte[] pub = new byte[32];
    X25519.scalarMultBase(priv, 0, pub, 0);
    return new byte[][] {priv, pub};
  }

  private static Map<String, String> sign(byte[][] signerKeys, byte[] body) {
    String node = Base64.getEncoder().encodeToString(signerKeys[1]);
    return new NodeAuth.Signer(node, signerKeys[0], SERVER.publicKey())
        .sign("POST", "/v1/enroll", body, System.currentTimeMillis())
        .asMap();
  }

  private static byte[] body(String authKey, byte[][] keys, String hostname) throws Exception {
    return JSON.writeValueAsBytes(
        Map.of(
            "authKey",
            authKey,
            "publicKey",
            Base64.getEncoder().encodeToString(keys[1]),
            "hostname",
            hostname,
            "listenPort",
            51820,
            "posture",
            Map.of("node:os", "linux")));
  }

  private EnrollmentService.Response post(byte[] body, Map<String, String> headers) {
    return service.enroll(
        "POST", "/v1/enroll", body, headers, "198.51.100.9", System.currentTimeMillis());
  }

  private String userKey(boolean reusable) throws Exception {
    return registry
        .createAuthKey(
            "cli",
            new AuthKeySpec(
                "alice@example.com",
                List.of(),
                reusable,
                false,
                Optional.of(Duration.ofHours(1)),
                false),
            CHECKS.tags())
        .secret();
  }

  @Test
  void errorAnswersAreJsonWhateverTheMessageHolds() throws Exception {
    String message = "no node \"a\\b\"\n\t\u0001 \u2028 caf\u00e9 \ud83d\ude00 </script>";
    EnrollmentService.Response r = EnrollmentService.Response.error(404, "unknown-node", message);
    assertThat(r.status()).isEqualTo(404);
    JsonNode body = JSON.readTree(r.body());
    assertThat(body.size()).isEqualTo(2);
    assertThat(body.path("error").asText()).isEqualTo("unknown-node");
    assertThat(body.path("message").asText()).isEqualTo(message);
    assertThat(r.text()).doesNotContain("\n").doesNotContain("\u0001");
  }

  @Test
  void aSignedEnrollmentGetsItsIdentityAndTheObservedEndpoint() throws Exception {
    byte[][] keys = keyPair();
    byte[] body = body(userKey(false), keys, "web-1");
    EnrollmentService.Response r = post(body, sign(keys, body));
    assertThat(r.status()).as(r.text()).isEqualTo(200);
    JsonNode id = JSON.readTree(r.body());
    assertThat(id.path("name").asText()).isEqualTo("web-1");
    assertThat(id.path("ipv4").asText()).isEqualTo("100.64.0.1");
    assertThat(id.path("user").asText()).isEqualTo("alice@example.com");
    var node = registry.node("web-1").orElseThrow();
    assertThat(node.endpoints()).containsExactly("198.51.100.9:51820");
    assertThat(node.posture()).containsEntry("node:os", "linux");
  }

  @Test
  void onlyTheHolderOfThePrivateKeyCanRegisterIt() throws Exception {
    byte[][] victim = keyPair();
    byte[][] attacker = keyPair();
    byte[] body = body(userKey(true), victim, "stolen");
    EnrollmentService.Response r = post(body, sign(attacker, body));
    assertThat(r.status()).isEqualTo(401);
    assertThat(r.text()).contains("signed with another key");
    Map<String, String> forged = new java.util.HashMap<>(sign(attacker, body));
    forged.put(NodeAuth.HEADER_NODE, Base64.getEncoder().encodeToString(victim[1]));
    assertThat(post(body, forged).status()).isEqualTo(401);
    assertThat(post(body, Map.of()).status()).isEqualTo(401);
    assertThat(registry.nodes()).isEmpty();
  }

  @Test
  void aCapturedRequestCannotBeReplayedOrAltered() throws Exception {
    byte[][] keys = keyPair();
    String key = userKey(true);
    byte[] body = body(key, keys, "a");
    Map<String, String> headers = sign(keys, body);
    assertThat(post(body, headers).status()).isEqualTo(200);
    registry.deleteByKey("cli", Base64.getEncoder().encodeToString(keys[1]));
    assertThat(post(body, headers).status()).isEqualTo(401);
    byte[] altered = body(key, keys, "b");
    assertThat(post(altered, sign(keys, body)).status()).isEqualTo(401);
    assertThat(registry.nodes()).isEmpty();
  }

  @Test
  void refusalsAreClearAnswersAndWriteNothing() throws Exception {
    String once = userKey(false);
    byte[][] k1 = keyPair();
    byte[] b1 = body(once, k1, "first");
    assertThat(post(b1, sign(k1, b1)).status()).isEqualTo(200);
    byte[][] k2 = keyPair();
    byte[] reuse = body(once, k2, "second");
    EnrollmentService.Response used = post(reuse, sign(k2, reuse));
    assertThat(used.status()).isEqualTo(401);
    assertThat(JSON.readTree(used.body()).path("error").asText()).isEqualTo("auth-key-used");
    byte[] dup = body(userKey(true), k1, "again");
    assertThat(post(dup, sign(k1, dup)).status()).isEqualTo(409);
    byte[] badName = body(userKey(true), k2, "not_a_label");
    EnrollmentService.Response bad = post(badName, sign(k2, badName));
    assertThat(bad.status()).isEqualTo(400);
    assertThat(JSON.readTree(bad.body()).path("error").asText()).isEqualTo("malformed-hostname");
    byte[] notJson = "{".getBytes(StandardCharsets.UTF_8);
    assertThat(post(notJson, sign(k2, notJson)).status()).isEqualTo(400);
    assertThat(registry.nodes()).extracting(n -> n.name()).containsExactly("first");
  }

  @Test
  void aTagTheKeysCreatorNoLongerOwnsIsRefused() throws Exception {
    String tagged =
        registry
            .createAuthKey(
                "cli",
                new AuthKeySpec(
                    "admin@example.com",
                    List.of("tag:server"),
                    true,
                    false,
                    Optional.empty(),
                    false),
                CHECKS.tags())
            .secret();
    EnrollmentService strict = new EnrollmentService(registry, SERVER, () -> PolicyChecks.NONE);
    byte[][] keys = keyPair();
    byte[] body = body(tagged, keys, "db");
    EnrollmentService.Response r =
        strict.enroll(
            "POST", "/v1/enroll", body, sign(keys, body), null, System.currentTimeMillis());
    assertThat(r.status()).isEqualTo(403);
    assertThat(r.text()).contains("tag-not-owned").contains("does not own tag:server");
    assertThat(registry.nodes()).isEmpty();
  }
}
