package dev.tessera.agent.distribution;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tessera.agent.config.AgentConfig;
import dev.tessera.bundle.SigningKey;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** [Tessera] ServerCert: a pinned certificate means HTTPS, never plain HTTP. */
class ServerCertSettingsTest {
  @TempDir Path dir;
  final String key = SigningKey.fromSeed(new byte[32]).publicKeyBase64();

  AgentConfig.Tessera tessera(String server, Path cert) {
    return new AgentConfig.Tessera(
        Optional.empty(),
        Optional.of(server),
        Optional.of(key),
        Optional.of("web-1"),
        Optional.of(dir),
        Optional.ofNullable(cert));
  }

  @Test
  void pinnedCertificateTurnsABareAddressIntoHttps() throws Exception {
    Path cert = Files.writeString(dir.resolve("server.crt"), "pem");
    DistributionSettings s =
        DistributionSettings.from(tessera("10.0.0.1:8411", cert), "wg0", Optional.empty());
    assertThat(s.servers().toString()).isEqualTo("[https://10.0.0.1:8411/]");
    assertThat(s.serverCert()).contains(cert);
    assertThat(
            DistributionSettings.from(tessera("10.0.0.1:8411", null), "wg0", Optional.empty())
                .servers()
                .toString())
        .isEqualTo("[https://10.0.0.1:8411/]");
  }

  @Test
  void pinnedCertificateWithPlainHttpOrUnreadableFileIsRefused() throws Exception {
    Path cert = Files.writeString(dir.resolve("server.crt"), "pem");
    assertThatThrownBy(
            () ->
                DistributionSettings.from(
                    tessera("http://10.0.0.1:8411", cert), "wg0", Optional.empty()))
        .hasMessageContaining("ServerCert needs an https PolicyServer");
    assertThatThrownBy(
            () ->
                DistributionSettings.from(
                    tessera("10.0.0.1:8411", dir.resolve("missing.crt")), "wg0", Optional.empty()))
        .hasMessageContaining("ServerCert: cannot read");
  }
}
