package dev.tessera.agent.distribution;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.agent.FilterGate;
import dev.tessera.bundle.NodeAuth;
import dev.tessera.bundle.PollReport;
import dev.tessera.bundle.SigningKey;
import dev.tessera.net.IpPrefix;
import dev.tessera.registry.AuthKeySpec;
import dev.tessera.registry.Database;
import dev.tessera.registry.Enrollment;
import dev.tessera.registry.PolicyChecks;
import dev.tessera.registry.Registry;
import dev.tessera.registry.RegistryConfig;
import dev.tessera.server.ControlPlane;
import dev.tessera.server.PolicyServer;
import dev.tessera.server.PolicySource;
import dev.tessera.server.RegistrySource;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent's side of a refused {@code advertise=}, against a real {@code policyc serve} with a
 * registry over HTTP: the server's answer says why, the agent warns once per distinct reason, shows
 * it in its status while it lasts, and clears it (with one line in the log) once the server takes
 * the routes; the bundle is applied throughout.
 */
class AdvertiseRefusalTest {
  @TempDir Path dir;
  final SigningKey serverKey = SigningKey.fromSeed(PolicySubscriptionTest.seed(1));
  final byte[] nodePrivate = PolicySubscriptionTest.seed(2);
  final List<String> log = new CopyOnWriteArrayList<>();
  Registry registry;
  PolicyServer server;
  URI url;
  PolicySubscription subscription;

  @BeforeEach
  void start() throws Exception {
    Files.writeString(
        dir.resolve("policy.hujson"),
        """
        {"acls": [{"action": "accept", "src": ["alice@acme.com"], "dst": ["alice@acme.com:*"]}]}
        """);
    registry =
        new Registry(
            Database.open(dir.resolve("registry.db").toString()),
            RegistryConfig.defaults(),
            Clock.systemUTC());
    server =
        new PolicyServer(
            new PolicyServer.Config(
                PolicySource.file(dir.resolve("policy.hujson")),
                new RegistrySource(registry, Clock.systemUTC()),
                new InetSocketAddress("127.0.0.1", 0),
                serverKey,
                dir.resolve("server"),
                3_600_000),
            new ControlPlane.Settings(registry, Duration.ofMinutes(30), 3_600_000));
    url = URI.create("http://127.0.0.1:" + server.start().getPort() + "/");
    String authKey =
        registry
            .createAuthKey(
                "test",
                new AuthKeySpec(
                    "alice@acme.com",
                    List.of(),
                    false,
                    false,
                    Optional.of(Duration.ofHours(1)),
                    false),
                PolicyChecks.NONE.tags())
            .secret();
    registry.enroll(
        new Enrollment(
            authKey, NodeAuth.wireguardPublicKey(nodePrivate), "gw", List.of("10.9.0.0/16"), false),
        PolicyChecks.NONE);
    server.pollNow();
    subscription =
        new PolicySubscription(
            new DistributionSettings(
                url, serverKey.publicKey(), "gw", dir.resolve("agent/gw.bundle"), 0),
            nodePrivate,
            FilterGate.fromBundles("gw", log::add),
            log::add);
  }

  @AfterEach
  void stop() throws Exception {
    if (subscription != null) {
      subscription.close();
    }
    server.close();
    registry.close();
  }

  /** {@code n} distinct routes ({@code A.B.C.0/24}, each digit 1-9), up to 729. */
  static List<IpPrefix> routes(int n) {
    List<IpPrefix> out = new ArrayList<>();
    for (int i = 0; out.size() < n; i++) {
      out.add(IpPrefix.parse((1 + i / 81) + "." + (1 + i / 9 % 9) + "." + (1 + i % 9) + ".0/24"));
    }
    return out;
  }

  static PollReport advertising(List<IpPrefix> routes) {
    return new PollReport(41641, List.of(), Map.of(), Optional.of(routes));
  }

  List<String> warnings() {
    return log.stream().filter(l -> l.startsWith("WARNING:")).toList();
  }

  String status() {
    StringBuilder sb = new StringBuilder();
    subscription.appendStatus(sb);
    return sb.toString();
  }

  List<String> advertised() throws Exception {
    return registry.node("gw").orElseThrow().advertisedRoutes();
  }

  @Test
  void aRefusalIsWarnedOncePerReasonShownWhileItLastsAndClearedWhenTheRoutesAreTaken()
      throws Exception {
    subscription.reportWith(() -> advertising(routes(257)));
    assertThat(subscription.step()).isEqualTo(PolicySubscription.Outcome.APPLIED);
    String why = "257 routes advertised; at most 256 are taken";
    assertThat(warnings())
        .singleElement()
        .satisfies(
            w ->
                assertThat(w)
                    .startsWith("WARNING: policy server " + url)
                    .contains("refused the routes this node advertises: " + why));
    assertThat(status()).contains("\nadvertise_refused=" + why + "\n").contains("bundle_version=");
    assertThat(subscription.version()).as("the bundle is applied all the same").isPositive();

    // The same refusal on the next answers (304 now): shown, not warned again.
    assertThat(subscription.step()).isEqualTo(PolicySubscription.Outcome.UNCHANGED);
    assertThat(subscription.step()).isEqualTo(PolicySubscription.Outcome.UNCHANGED);
    assertThat(warnings()).hasSize(1);
    assertThat(status()).contains("\nadvertise_refused=" + why + "\n");

    // A poll that states no routes says nothing about them: the refusal stands.
    subscription.reportWith(() -> new PollReport(41641, List.of(), Map.of()));
    assertThat(subscription.step()).isEqualTo(PolicySubscription.Outcome.UNCHANGED);
    assertThat(status()).contains("\nadvertise_refused=" + why + "\n");
    assertThat(warnings()).hasSize(1);

    // Another reason is warned of once.
    subscription.reportWith(() -> advertising(routes(258)));
    subscription.step();
    subscription.step();
    assertThat(warnings())
        .hasSize(2)
        .last()
        .satisfies(w -> assertThat(w).contains(": 258 routes advertised; at most 256 are taken"));
    assertThat(advertised()).as("the routes recorded before stay").containsExactly("10.9.0.0/16");

    // Routes the server takes: the refusal is cleared, once, and the registry has them.
    List<IpPrefix> taken = routes(256);
    subscription.reportWith(() -> advertising(taken));
    assertThat(subscription.step()).isEqualTo(PolicySubscription.Outcome.UNCHANGED);
    assertThat(status()).doesNotContain("advertise_refused");
    assertThat(log)
        .filteredOn(l -> l.contains("took the routes this node advertises"))
        .singleElement()
        .satisfies(l -> assertThat(l).startsWith("policy server " + url));
    subscription.step();
    assertThat(log).filteredOn(l -> l.contains("took the routes")).hasSize(1);
    assertThat(warnings()).hasSize(2);
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (advertised().size() != 256 && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(advertised()).hasSize(256).contains("1.1.1.0/24", "4.2.4.0/24");
  }
}
