package dev.tessera.agent.enroll;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tessera.agent.distribution.DistributionSettings;
import dev.tessera.bundle.BundleClient;
import dev.tessera.bundle.SigningKey;
import dev.tessera.bundle.TlsIdentity;
import dev.tessera.registry.AuthKeySpec;
import dev.tessera.registry.Database;
import dev.tessera.registry.Registry;
import dev.tessera.registry.RegistryConfig;
import dev.tessera.server.ControlPlane;
import dev.tessera.server.PolicyServer;
import dev.tessera.server.PolicySource;
import dev.tessera.server.RegistrySource;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tessera-agent up --server A,B --server-cert ...} against two HTTPS servers of one control
 * plane (one registry, one signing key) that have different self-signed certificates, as {@code
 * policyc keygen --tls} makes them: given both certificates (two files, or one PEM file holding
 * both), the node trusts each for every server, enrolls, and polls either server; a server whose
 * certificate was not given is refused with the TLS error that says to give it.
 */
class ServerCertificatesTest {
  @TempDir Path dir;
  final SigningKey serverKey = SigningKey.generate();
  final List<String> log = new CopyOnWriteArrayList<>();
  final List<PolicyServer> servers = new ArrayList<>();
  final List<URI> urls = new ArrayList<>();
  Registry registry;

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
    for (String name : List.of("a", "b")) {
      TlsIdentity.generate(
          dir.resolve(name + ".crt"),
          dir.resolve(name + ".tls-key"),
          List.of("localhost", "127.0.0.1"),
          Duration.ofDays(1));
      PolicyServer s =
          new PolicyServer(
              new PolicyServer.Config(
                  PolicySource.file(dir.resolve("policy.hujson")),
                  new RegistrySource(registry, Clock.systemUTC()),
                  new InetSocketAddress("127.0.0.1", 0),
                  serverKey,
                  dir.resolve("server-" + name),
                  3_600_000,
                  dir.resolve(name + ".crt"),
                  dir.resolve(name + ".tls-key")),
              new ControlPlane.Settings(registry, Duration.ofMinutes(30), 3_600_000));
      servers.add(s);
      urls.add(URI.create("https://127.0.0.1:" + s.start().getPort() + "/"));
    }
  }

  @AfterEach
  void stop() throws Exception {
    for (PolicyServer s : servers) {
      s.close();
    }
    registry.close();
  }

  String authKey() throws Exception {
    return registry
        .createAuthKey(
            "test",
            new AuthKeySpec(
                "alice@acme.com", List.of(), false, false, Optional.of(Duration.ofHours(1)), false),
            servers.getFirst().checks().tags())
        .secret();
  }

  /**
   * {@code up --server A,B --server-cert CERTS... --auth-key K} in {@code state}; the key pinned on
   * first use.
   */
  Enroller.Options up(Path state, List<Path> certs) throws Exception {
    return new Enroller.Options(
        List.of(urls.get(0) + "," + urls.get(1)),
        Optional.of(authKey()),
        Optional.of("gw"),
        List.of(),
        false,
        state,
        Optional.empty(),
        certs,
        Optional.empty(),
        OptionalInt.of(51820));
  }

  /**
   * One poll of {@code server} as the node enrolled in {@code state}, trusting its kept
   * certificates.
   */
  boolean poll(Enroller.Prepared p, URI server) throws Exception {
    DistributionSettings s =
        DistributionSettings.from(p.config().tessera(), p.iface(), Optional.empty());
    try (BundleClient c =
        new BundleClient(
            new BundleClient.Config(
                server,
                p.identity().name(),
                p.config().iface().privateKey().bytes(),
                s.serverKey(),
                null,
                0,
                s.serverCert().orElseThrow()),
            b -> {})) {
      return c.pollOnce();
    }
  }

  @Test
  void givenBothCertificatesTheNodeEnrollsAndPollsEitherServer() throws Exception {
    Path state = dir.resolve("node");
    Enroller.Prepared p =
        Enroller.prepare(up(state, List.of(dir.resolve("a.crt"), dir.resolve("b.crt"))), log::add);
    // Trust on first use asked both servers for the key, each over its own certificate.
    assertThat(log).anyMatch(l -> l.contains("trusting server key " + serverKey.publicKeyBase64()));
    assertThat(registry.node("gw")).isPresent();
    Path kept = state.resolve(NodeState.CERT_FILE);
    assertThat(TlsIdentity.certificates(kept))
        .containsExactly(
            TlsIdentity.certificates(dir.resolve("a.crt")).getFirst(),
            TlsIdentity.certificates(dir.resolve("b.crt")).getFirst());
    assertThat(
            DistributionSettings.from(p.config().tessera(), p.iface(), Optional.empty()).servers())
        .containsExactlyElementsOf(urls);

    for (PolicyServer s : servers) {
      s.pollNow();
    }
    assertThat(poll(p, urls.get(0))).as("server a, over a's certificate").isTrue();
    assertThat(poll(p, urls.get(1))).as("server b, over b's certificate").isTrue();
  }

  @Test
  void onePemFileMayHoldTheCertificatesOfBothServers() throws Exception {
    Path both =
        Files.writeString(
            dir.resolve("both.crt"),
            Files.readString(dir.resolve("a.crt")) + Files.readString(dir.resolve("b.crt")));
    Enroller.Prepared p = Enroller.prepare(up(dir.resolve("node"), List.of(both)), log::add);
    assertThat(TlsIdentity.certificates(p.config().tessera().serverCert().orElseThrow()))
        .hasSize(2);
    for (PolicyServer s : servers) {
      s.pollNow();
    }
    assertThat(poll(p, urls.get(0))).isTrue();
    assertThat(poll(p, urls.get(1))).isTrue();
  }

  @Test
  void aServerWhoseCertificateIsNotGivenIsRefusedWithTheTlsError() throws Exception {
    Path state = dir.resolve("node");
    assertThatThrownBy(() -> Enroller.prepare(up(state, List.of(dir.resolve("a.crt"))), log::add))
        .isInstanceOfSatisfying(
            EnrollException.class,
            e -> {
              assertThat(e.code()).isEqualTo("tls");
              assertThat(e.exitCode()).isEqualTo(2);
              assertThat(e.getMessage())
                  .startsWith("TLS with https://" + urls.get(1).getAuthority())
                  .endsWith("give it with --server-cert FILE");
            });
    assertThat(registry.nodes()).as("nothing enrolled").isEmpty();

    // Enrolled with both, a node whose kept file lost b's certificate cannot poll b.
    Enroller.Prepared p =
        Enroller.prepare(up(state, List.of(dir.resolve("a.crt"), dir.resolve("b.crt"))), log::add);
    Files.copy(
        dir.resolve("a.crt"),
        state.resolve(NodeState.CERT_FILE),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    for (PolicyServer s : servers) {
      s.pollNow();
    }
    assertThat(poll(p, urls.get(0))).isTrue();
    assertThatThrownBy(() -> poll(p, urls.get(1))).isInstanceOf(IOException.class);
  }

  @Test
  void aFileThatHoldsNoCertificateIsAUsageError() throws Exception {
    Path junk = Files.writeString(dir.resolve("junk.crt"), "not a certificate\n");
    assertThatThrownBy(
            () ->
                Enroller.prepare(
                    up(dir.resolve("node"), List.of(dir.resolve("a.crt"), junk)), log::add))
        .isInstanceOfSatisfying(
            EnrollException.class,
            e -> {
              assertThat(e.code()).isEqualTo("server-cert");
              assertThat(e.exitCode()).isEqualTo(2);
              assertThat(e.getMessage()).contains(junk.toString());
            });
    assertThat(registry.nodes()).isEmpty();
  }
}
