package dev.tessera.agent.enroll;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tessera.agent.config.AgentConfig;
import dev.tessera.agent.distribution.DistributionSettings;
import dev.tessera.bundle.BundleClient;
import dev.tessera.bundle.BundleVerifier;
import dev.tessera.bundle.SigningKey;
import dev.tessera.registry.AuthKeySpec;
import dev.tessera.registry.Database;
import dev.tessera.registry.Registry;
import dev.tessera.registry.RegistryConfig;
import dev.tessera.server.ControlPlane;
import dev.tessera.server.PolicyServer;
import dev.tessera.server.PolicySource;
import dev.tessera.server.RegistrySource;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code tessera-agent up --server --auth-key} before any interface exists, against a real {@code
 * policyc serve} with a registry over HTTP: the key is made and kept on the node, the identity is
 * kept and re-used without a key, every refusal is a clear {@link EnrollException} with its exit
 * code and leaves no identity, and logout deletes the node on the server and then locally.
 */
class EnrollerTest {
  @TempDir Path dir;
  final SigningKey serverKey = SigningKey.generate();
  final MutableClock clock = new MutableClock();
  final List<String> log = new CopyOnWriteArrayList<>();
  Registry registry;
  PolicyServer server;
  String url;

  static final class MutableClock extends Clock {
    volatile Instant now = Instant.now();

    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public java.time.ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }
  }

  @BeforeEach
  void start() throws Exception {
    Files.writeString(
        dir.resolve("policy.hujson"),
        """
        {
          "tagOwners": {"tag:web": ["alice@acme.com"], "tag:db": ["bob@acme.com"]},
          "acls": [{"action": "accept", "src": ["alice@acme.com"], "dst": ["tag:web:443"]}],
        }
        """);
    registry =
        new Registry(
            Database.open(dir.resolve("registry.db").toString()), RegistryConfig.defaults(), clock);
    server =
        new PolicyServer(
            new PolicyServer.Config(
                PolicySource.file(dir.resolve("policy.hujson")),
                new RegistrySource(registry, clock),
                new InetSocketAddress("127.0.0.1", 0),
                serverKey,
                dir.resolve("server"),
                3_600_000),
            new ControlPlane.Settings(registry, Duration.ofMinutes(30), 3_600_000));
    url = "http://127.0.0.1:" + server.start().getPort();
  }

  @AfterEach
  void stop() throws Exception {
    server.close();
    registry.close();
  }

  String authKey(String user, List<String> tags) throws Exception {
    return registry
        .createAuthKey(
            "test",
            new AuthKeySpec(user, tags, false, false, Optional.of(Duration.ofHours(1)), false),
            server.checks().tags())
        .secret();
  }

  Enroller.Options up(Path state, String server, String key, String hostname) {
    return new Enroller.Options(
        server == null ? List.of() : List.of(server),
        Optional.ofNullable(key),
        Optional.ofNullable(hostname),
        List.of(),
        false,
        state,
        Optional.empty(),
        List.of(),
        Optional.empty(),
        OptionalInt.of(51820));
  }

  @Test
  void aNodeEnrollsOnceKeepsItsKeyAndAddressesAndRejoinsWithoutAKey() throws Exception {
    Path state = dir.resolve("laptop");
    Enroller.Prepared p =
        Enroller.prepare(up(state, url, authKey("alice@acme.com", List.of()), "laptop"), log::add);

    assertThat(p.identity().name()).isEqualTo("laptop");
    assertThat(p.identity().ipv4()).isEqualTo("100.64.0.1");
    assertThat(p.identity().user()).contains("alice@acme.com");
    assertThat(p.iface()).isEqualTo(Enroller.DEFAULT_IFACE);
    AgentConfig c = p.config();
    assertThat(c.peers()).as("no [Peer] anywhere").isEmpty();
    assertThat(c.iface().addresses())
        .hasToString("[100.64.0.1/32, " + p.identity().ipv6() + "/128]");
    assertThat(c.iface().listenPort()).hasValue(51820);
    assertThat(c.tessera().node()).contains("laptop");
    assertThat(c.tessera().serverKey()).contains(serverKey.publicKeyBase64());
    // The [Tessera] section is one the distribution path accepts as it stands.
    DistributionSettings s = DistributionSettings.from(c.tessera(), p.iface(), Optional.empty());
    assertThat(s.stateFile()).isEqualTo(state.resolve("tessera0.bundle"));

    // The private key stays on the node, 0600; the server holds its public half.
    Path keyFile = state.resolve(NodeState.KEY_FILE);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(keyFile)))
        .isEqualTo("rw-------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(state)))
        .isEqualTo("rwx------");
    assertThat(registry.node("laptop").orElseThrow().publicKey())
        .isEqualTo(c.iface().privateKey().publicKey().toBase64());
    assertThat(registry.node("laptop").orElseThrow().endpoints()).contains("127.0.0.1:51820");
    assertThat(log).anyMatch(l -> l.contains("trusting server key " + serverKey.publicKeyBase64()));

    // The node's signed bundle is served under that name and key.
    server.pollNow();
    List<BundleVerifier.Verified> got = new ArrayList<>();
    try (BundleClient b =
        new BundleClient(
            new BundleClient.Config(
                s.servers().getFirst(),
                "laptop",
                c.iface().privateKey().bytes(),
                s.serverKey(),
                null,
                0),
            got::add)) {
      assertThat(b.pollOnce()).isTrue();
    }

    // A restart: no auth key, no server named; the same key, name, addresses and port.
    Object nodesBefore = registry.nodes();
    Enroller.Prepared again = Enroller.prepare(up(state, null, null, null), log::add);
    assertThat(again.identity()).isEqualTo(p.identity());
    assertThat(again.config().iface().privateKey()).isEqualTo(c.iface().privateKey());
    assertThat(again.config().tessera()).isEqualTo(c.tessera());
    assertThat(registry.nodes()).as("nothing enrolled again").isEqualTo(nodesBefore);
  }

  /** Each refusal: its code, its exit code, no identity left behind, nothing in the registry. */
  static Stream<Arguments> refusals() {
    return Stream.of(
        Arguments.of("used", "auth-key-used", 2),
        Arguments.of("revoked", "auth-key-revoked", 2),
        Arguments.of("expired", "auth-key-expired", 2),
        Arguments.of("unknown", "unknown-auth-key", 2),
        Arguments.of("malformed", "malformed-auth-key", 2),
        Arguments.of("tag-not-owned", "tag-not-owned", 2),
        Arguments.of("bad-hostname", "malformed-hostname", 2),
        Arguments.of("unreachable", "unreachable", 1),
        Arguments.of("no-key", "auth-key", 2));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("refusals")
  void aRefusedEnrollmentSaysWhyAndLeavesNoIdentity(String what, String code, int exit)
      throws Exception {
    String key = authKey("alice@acme.com", List.of());
    String target = url;
    String hostname = "node";
    switch (what) {
      case "used" -> Enroller.prepare(up(dir.resolve("first"), url, key, "first"), log::add);
      case "revoked" -> registry.revokeAuthKey("test", registry.authKeys().getFirst().id());
      case "expired" -> clock.now = clock.now.plus(Duration.ofHours(2));
      case "unknown" -> key = key.substring(0, key.length() - 4) + "AAAA";
      case "malformed" -> key = "not-a-key";
      case "tag-not-owned" -> {
        // alice made a key for tag:web, then the policy gave tag:web to bob only.
        key = authKey("alice@acme.com", List.of("tag:web"));
        Files.writeString(
            dir.resolve("policy.hujson"),
            """
            {"tagOwners": {"tag:web": ["bob@acme.com"]},
             "acls": [{"action": "accept", "src": ["*"], "dst": ["*:*"]}]}
            """);
        server.pollNow();
      }
      case "bad-hostname" -> hostname = "-";
      case "unreachable" -> {
        try (ServerSocket s = new ServerSocket(0)) {
          target = "http://127.0.0.1:" + s.getLocalPort();
        }
      }
      case "no-key" -> key = null;
      default -> throw new IllegalArgumentException(what);
    }
    Object before = registry.nodes();
    Path state = dir.resolve("node");
    String k = key;
    String t = target;
    String h = hostname;
    assertThatThrownBy(() -> Enroller.prepare(up(state, t, k, h), log::add))
        .isInstanceOfSatisfying(
            EnrollException.class,
            e -> {
              assertThat(e.code()).isEqualTo(code);
              assertThat(e.exitCode()).isEqualTo(exit);
              assertThat(e.getMessage()).isNotBlank().doesNotContain("Exception");
            });
    assertThat(state.resolve(NodeState.IDENTITY_FILE)).doesNotExist();
    assertThat(registry.nodes()).isEqualTo(before);
  }

  @Test
  void theKeyOfAFailedEnrollmentIsReusedWhenItIsRetried() throws Exception {
    Path state = dir.resolve("web");
    assertThatThrownBy(() -> Enroller.prepare(up(state, url, "not-a-key", "web"), log::add))
        .isInstanceOf(EnrollException.class);
    String made = Files.readString(state.resolve(NodeState.KEY_FILE));
    Enroller.Prepared p =
        Enroller.prepare(
            up(state, url, authKey("alice@acme.com", List.of("tag:web")), "web"), log::add);
    assertThat(Files.readString(state.resolve(NodeState.KEY_FILE))).isEqualTo(made);
    assertThat(p.identity().tags()).containsExactly("tag:web");
  }

  @Test
  void aPinnedServerKeyAndServerCannotBeSwappedSilently() throws Exception {
    Path state = dir.resolve("n");
    Enroller.prepare(up(state, url, authKey("alice@acme.com", List.of()), "n"), log::add);
    String other = SigningKey.generate().publicKeyBase64();
    Enroller.Options withOtherKey =
        new Enroller.Options(
            List.of(),
            Optional.empty(),
            Optional.empty(),
            List.of(),
            false,
            state,
            Optional.of(other),
            List.of(),
            Optional.empty(),
            OptionalInt.empty());
    assertThatThrownBy(() -> Enroller.prepare(withOtherKey, log::add))
        .isInstanceOfSatisfying(
            EnrollException.class, e -> assertThat(e.code()).isEqualTo("server-key-changed"));
    assertThatThrownBy(
            () -> Enroller.prepare(up(state, "http://127.0.0.1:1", null, null), log::add))
        .isInstanceOfSatisfying(
            EnrollException.class, e -> assertThat(e.code()).isEqualTo("other-server"));
    // An explicit key that is not the server's: the server cannot verify the signature.
    Enroller.Options wrongKey =
        new Enroller.Options(
            List.of(url),
            Optional.of(authKey("alice@acme.com", List.of())),
            Optional.of("m"),
            List.of(),
            false,
            dir.resolve("m"),
            Optional.of(other),
            List.of(),
            Optional.empty(),
            OptionalInt.of(51821));
    assertThatThrownBy(() -> Enroller.prepare(wrongKey, log::add))
        .isInstanceOfSatisfying(
            EnrollException.class,
            e -> {
              assertThat(e.code()).isEqualTo("bad-auth");
              assertThat(e.exitCode()).isEqualTo(2);
            });
  }

  @Test
  void severalServersAreTriedInOrderAndPinnedWithTheKey() throws Exception {
    String dead;
    try (ServerSocket s = new ServerSocket(0)) {
      dead = "http://127.0.0.1:" + s.getLocalPort();
    }
    Path state = dir.resolve("multi");
    Enroller.Prepared p =
        Enroller.prepare(
            up(state, dead + "," + url, authKey("alice@acme.com", List.of()), "multi"), log::add);

    assertThat(p.identity().name()).isEqualTo("multi");
    assertThat(log)
        .anyMatch(
            l ->
                l.startsWith("cannot reach " + dead)
                    && l.endsWith("asking the other servers for the key"))
        .anyMatch(l -> l.startsWith("cannot reach " + dead) && l.endsWith("trying the next server"))
        .anyMatch(l -> l.startsWith("enrolled at " + url + "/ as multi"));
    // The running agent gets both, in order, and fails over the same way.
    assertThat(p.config().tessera().policyServer()).contains(dead + "/, " + url + "/");
    assertThat(
            DistributionSettings.from(p.config().tessera(), p.iface(), Optional.empty()).servers())
        .hasToString("[" + dead + "/, " + url + "/]");
    assertThat(NodeState.at(state).pin().orElseThrow().servers())
        .containsExactly(dead + "/", url + "/");

    // A later up may change the list if it keeps one of the pinned servers; the key stays.
    Enroller.Prepared one = Enroller.prepare(up(state, url, null, null), log::add);
    assertThat(one.config().tessera().policyServer()).contains(url + "/");
    assertThat(one.config().tessera().serverKey()).contains(serverKey.publicKeyBase64());
    assertThat(log)
        .anyMatch(l -> l.startsWith("servers are now " + url + "/ (were " + dead + "/, "));
    Enroller.prepare(up(state, dead + "," + url, null, null), log::add);

    // Logout too goes to the first server that answers.
    server.pollNow();
    assertThat(Enroller.logout(state, log::add).name()).isEqualTo("multi");
    assertThat(registry.node("multi")).isEmpty();
  }

  @Test
  void serversThatSignWithDifferentKeysAreNotTrusted() throws Exception {
    String otherKey = SigningKey.generate().publicKeyBase64();
    com.sun.net.httpserver.HttpServer other =
        com.sun.net.httpserver.HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 4);
    other.createContext(
        "/v1/server-key",
        ex -> {
          byte[] b = (otherKey + "\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII);
          ex.sendResponseHeaders(200, b.length);
          ex.getResponseBody().write(b);
          ex.close();
        });
    other.start();
    try {
      String impostor = "http://127.0.0.1:" + other.getAddress().getPort();
      Path state = dir.resolve("split");
      String key = authKey("alice@acme.com", List.of());
      Object before = registry.nodes();
      assertThatThrownBy(
              () -> Enroller.prepare(up(state, url + "," + impostor, key, "split"), log::add))
          .isInstanceOfSatisfying(
              EnrollException.class,
              e -> {
                assertThat(e.code()).isEqualTo("servers-disagree");
                assertThat(e.exitCode()).isEqualTo(2);
                assertThat(e.getMessage())
                    .contains(serverKey.publicKeyBase64())
                    .contains(otherKey)
                    .contains(impostor);
              });
      assertThat(state.resolve(NodeState.PIN_FILE)).doesNotExist();
      assertThat(state.resolve(NodeState.IDENTITY_FILE)).doesNotExist();
      assertThat(registry.nodes()).isEqualTo(before);
    } finally {
      other.stop(0);
    }
  }

  @Test
  void aPinWrittenWithOneServerIsReadAsAListOfOne() throws Exception {
    Path state = dir.resolve("single");
    Files.createDirectories(state);
    Files.writeString(
        state.resolve(NodeState.PIN_FILE),
        "{\"server\": \"" + url + "/\", \"serverKey\": \"" + serverKey.publicKeyBase64() + "\"}");
    assertThat(NodeState.at(state).pin().orElseThrow().servers()).containsExactly(url + "/");
    Files.writeString(state.resolve(NodeState.PIN_FILE), "{\"servers\": [], \"serverKey\": \"x\"}");
    assertThatThrownBy(() -> NodeState.at(state).pin()).hasMessageContaining("lacks servers");
  }

  @Test
  void logoutDeletesTheNodeOnTheServerAndThenTheLocalState() throws Exception {
    Path state = dir.resolve("gone");
    Enroller.Prepared p =
        Enroller.prepare(up(state, url, authKey("alice@acme.com", List.of()), "gone"), log::add);
    server.pollNow();
    Files.writeString(state.resolve("tessera0.bundle"), "x");

    Identity id = Enroller.logout(state, log::add);
    assertThat(id.name()).isEqualTo("gone");
    assertThat(registry.node("gone")).isEmpty();
    assertThat(Enroller.forget(state))
        .extracting(f -> f.getFileName().toString())
        .containsExactly("node.json", "node.key", "server.json", "tessera0.bundle");
    assertThat(state).isEmptyDirectory();
    assertThatThrownBy(() -> Enroller.logout(state, log::add))
        .isInstanceOfSatisfying(
            EnrollException.class, e -> assertThat(e.code()).isEqualTo("not-enrolled"));
    assertThat(p.identity().ipv4()).isEqualTo("100.64.0.1");
  }

  @Test
  void aNodeLogsOutRightAfterItEnrolledBeforeTheServerCompiledIt() throws Exception {
    Path state = dir.resolve("brief");
    Enroller.prepare(up(state, url, authKey("alice@acme.com", List.of()), "brief"), log::add);
    // No compilation since (the server polls its sources hourly here): only the registry knows it.
    assertThat(server.store().get("brief")).isNull();
    assertThat(Enroller.logout(state, log::add).name()).isEqualTo("brief");
    assertThat(registry.node("brief")).isEmpty();
  }

  /** {@code up} with route settings: each empty Optional is an option not given. */
  Enroller.Options routes(
      Path state,
      String key,
      Optional<List<String>> advertise,
      Optional<Boolean> exitOffer,
      Optional<Boolean> accept,
      Optional<String> exitNode) {
    return new Enroller.Options(
        key == null ? List.of() : List.of(url),
        Optional.ofNullable(key),
        Optional.of("router"),
        advertise,
        exitOffer,
        accept,
        exitNode,
        state,
        Optional.empty(),
        List.of(),
        Optional.empty(),
        OptionalInt.of(51822));
  }

  @Test
  void routeSettingsAreKeptInTheStateAndALaterUpChangesOnlyWhatItGives() throws Exception {
    Path state = dir.resolve("router");
    Optional<Boolean> none = Optional.empty();
    Enroller.Prepared p =
        Enroller.prepare(
            routes(
                state,
                authKey("alice@acme.com", List.of()),
                Optional.of(List.of("10.1.0.0/16")),
                none,
                Optional.of(true),
                Optional.empty()),
            log::add);
    assertThat(registry.node("router").orElseThrow().advertisedRoutes())
        .containsExactly("10.1.0.0/16");
    assertThat(p.routing().acceptRoutes()).isTrue();
    assertThat(p.routing().exitNode()).isEmpty();
    assertThat(p.routing().advertisedRoutes().orElseThrow()).hasToString("[10.1.0.0/16]");

    // A restart without options keeps them all.
    Enroller.Prepared same =
        Enroller.prepare(
            routes(state, null, Optional.empty(), none, none, Optional.empty()), log::add);
    assertThat(same.routing()).isEqualTo(p.routing());

    // A later up: an exit node offer and no subnet routes; accept-routes as it was. The registry
    // learns it from the agent's next poll (its report carries the routes), not from up itself.
    Object nodes = registry.nodes();
    Enroller.Prepared changed =
        Enroller.prepare(
            routes(state, null, Optional.of(List.of()), Optional.of(true), none, Optional.empty()),
            log::add);
    assertThat(changed.routing().advertisedRoutes().orElseThrow()).hasToString("[0.0.0.0/0, ::/0]");
    assertThat(changed.routing().acceptRoutes()).isTrue();
    assertThat(registry.nodes()).isEqualTo(nodes);
    assertThat(log).anyMatch(l -> l.startsWith("advertising [0.0.0.0/0, ::/0] from now on"));
    assertThat(Files.readString(state.resolve(NodeState.IDENTITY_FILE)))
        .contains("\"advertiseExitNode\" : true");

    // Using an exit node while offering one, or this node itself, or a malformed value: refused,
    // nothing kept.
    String kept = Files.readString(state.resolve(NodeState.IDENTITY_FILE));
    for (String bad : List.of("web", "router", "100.64.0.1", "no such!")) {
      assertThatThrownBy(
              () ->
                  Enroller.prepare(
                      routes(state, null, Optional.empty(), none, none, Optional.of(bad)),
                      log::add))
          .as(bad)
          .isInstanceOfSatisfying(
              EnrollException.class,
              e -> {
                assertThat(e.code()).isEqualTo("exit-node");
                assertThat(e.exitCode()).isEqualTo(2);
              });
    }
    assertThatThrownBy(
            () ->
                Enroller.prepare(
                    routes(
                        state,
                        null,
                        Optional.of(List.of("10.1.0.1/16")),
                        none,
                        none,
                        Optional.empty()),
                    log::add))
        .isInstanceOfSatisfying(
            EnrollException.class,
            e -> {
              assertThat(e.code()).isEqualTo("advertise-routes");
              assertThat(e.getMessage()).contains("host bits");
            });
    assertThat(Files.readString(state.resolve(NodeState.IDENTITY_FILE))).isEqualTo(kept);

    // Stop offering the exit node and use one instead; then --exit-node= clears it.
    Enroller.Prepared client =
        Enroller.prepare(
            routes(state, null, Optional.empty(), Optional.of(false), none, Optional.of("web")),
            log::add);
    assertThat(client.routing().exitNode()).contains("web");
    assertThat(client.routing().advertisedRoutes().orElseThrow()).isEmpty();
    Enroller.Prepared cleared =
        Enroller.prepare(
            routes(state, null, Optional.empty(), none, Optional.of(false), Optional.of("")),
            log::add);
    assertThat(cleared.routing().exitNode()).isEmpty();
    assertThat(cleared.routing().acceptRoutes()).isFalse();
    assertThat(cleared.identity()).isEqualTo(p.identity());
  }

  @Test
  void aNodeDeletedOnTheServerCannotLogOutAndKeepsItsStateForTheOperator() throws Exception {
    Path state = dir.resolve("deleted");
    Enroller.prepare(up(state, url, authKey("alice@acme.com", List.of()), "deleted"), log::add);
    registry.delete("admin", "deleted");
    server.pollNow();
    assertThatThrownBy(() -> Enroller.logout(state, log::add))
        .isInstanceOfSatisfying(
            EnrollException.class,
            e -> {
              assertThat(e.code()).isEqualTo("unauthorized");
              assertThat(e.getMessage()).contains("deleted already");
            });
    assertThat(state.resolve(NodeState.IDENTITY_FILE)).exists();
  }

  @Test
  void anotherAgentsTunnelAddressIsNoEndpoint() throws Exception {
    assertThat(Enroller.inTailnetPools(java.net.InetAddress.getByName("100.64.0.1"))).isTrue();
    assertThat(Enroller.inTailnetPools(java.net.InetAddress.getByName("100.127.255.254"))).isTrue();
    assertThat(Enroller.inTailnetPools(java.net.InetAddress.getByName("100.128.0.1"))).isFalse();
    assertThat(Enroller.inTailnetPools(java.net.InetAddress.getByName("192.0.2.1"))).isFalse();
    assertThat(Enroller.inTailnetPools(java.net.InetAddress.getByName("fd7a:115c:a1e0::2")))
        .isTrue();
    assertThat(Enroller.inTailnetPools(java.net.InetAddress.getByName("fd7a:115c:a1e1::2")))
        .isFalse();
    assertThat(Enroller.freePort()).isBetween(1, 65535);
  }

  @Test
  void hostnamesBecomeDnsLabels() {
    assertThat(Enroller.sanitize("My_Laptop.example.com")).isEqualTo("my-laptop");
    assertThat(Enroller.sanitize("--")).isEqualTo("node");
    assertThat(Enroller.sanitize("x".repeat(80))).hasSize(63);
    assertThat(Base64.getDecoder().decode(serverKey.publicKeyBase64())).hasSize(32);
  }
}
