package dev.tessera.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tessera.bundle.BundleClient;
import dev.tessera.bundle.NodeAuth;
import dev.tessera.bundle.SigningKey;
import dev.tessera.bundle.TlsIdentity;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * HTTPS with a self-signed certificate that the agent pins: it works, and nothing else is trusted.
 */
class TlsServerTest {
  @TempDir Path dir;

  @Test
  void agentPinningTheServerCertificateGetsItsBundleOverHttps() throws Exception {
    SigningKey key = SigningKey.fromSeed(PolicyServerTest.seed(1));
    byte[] webPrivate = PolicyServerTest.seed(2);
    Files.writeString(dir.resolve("policy.hujson"), PolicyServerTest.policy(443));
    Files.writeString(
        dir.resolve("inventory.yaml"),
        """
        users:
          - {login: alice@acme.com, role: admin}
        nodes:
          - {name: laptop-alice, user: alice@acme.com, ips: [100.64.0.1]}
          - {name: web-1, tags: [tag:web], ips: [100.64.0.2], key: "%s"}
        """
            .formatted(NodeAuth.wireguardPublicKey(webPrivate)));
    TlsIdentity.generate(
        dir.resolve("server.crt"),
        dir.resolve("server.key"),
        List.of("localhost", "127.0.0.1"),
        Duration.ofDays(1));
    TlsIdentity.generate(
        dir.resolve("other.crt"),
        dir.resolve("other.key"),
        List.of("localhost", "127.0.0.1"),
        Duration.ofDays(1));
    assertThat(Files.getPosixFilePermissions(dir.resolve("server.key")).toString())
        .isEqualTo("[OWNER_READ, OWNER_WRITE]");

    try (PolicyServer server =
        new PolicyServer(
            new PolicyServer.Config(
                PolicySource.file(dir.resolve("policy.hujson")),
                PolicySource.file(dir.resolve("inventory.yaml")),
                new InetSocketAddress("127.0.0.1", 0),
                key,
                dir.resolve("state"),
                3_600_000,
                dir.resolve("server.crt"),
                dir.resolve("server.key")))) {
      int port = server.start().getPort();
      URI https = URI.create("https://127.0.0.1:" + port);

      try (BundleClient pinned =
          new BundleClient(
              new BundleClient.Config(
                  https, "web-1", webPrivate, key.publicKey(), null, 1, dir.resolve("server.crt")),
              b -> {})) {
        assertThat(pinned.pollOnce()).isTrue();
        assertThat(pinned.heldVersion()).isEqualTo(1);
      }
      // The JDK's trust store does not know a self-signed server; another pinned certificate
      // neither.
      try (BundleClient unpinned =
          new BundleClient(
              new BundleClient.Config(https, "web-1", webPrivate, key.publicKey(), null, 1),
              b -> {})) {
        assertThatThrownBy(unpinned::pollOnce).isInstanceOf(IOException.class);
      }
      try (BundleClient wrongPin =
          new BundleClient(
              new BundleClient.Config(
                  https, "web-1", webPrivate, key.publicKey(), null, 1, dir.resolve("other.crt")),
              b -> {})) {
        assertThatThrownBy(wrongPin::pollOnce).isInstanceOf(IOException.class);
      }
      // Plain HTTP to a TLS port gets no bundle.
      try (BundleClient plain =
          new BundleClient(
              new BundleClient.Config(
                  URI.create("http://127.0.0.1:" + port),
                  "web-1",
                  webPrivate,
                  key.publicKey(),
                  null,
                  1),
              b -> {})) {
        assertThatThrownBy(plain::pollOnce).isInstanceOf(IOException.class);
      }
    }
  }
}
