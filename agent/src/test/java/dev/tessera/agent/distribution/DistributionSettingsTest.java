package dev.tessera.agent.distribution;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tessera.agent.config.AgentConfig;
import dev.tessera.agent.config.ConfigParser;
import dev.tessera.bundle.SigningKey;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DistributionSettingsTest {
  static final String KEY = SigningKey.fromSeed(new byte[32]).publicKeyBase64();
  static final String PRIV = "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=";

  static AgentConfig.Tessera parse(String tessera) {
    ConfigParser.Result r =
        ConfigParser.parse(
            "wg0.conf",
            "[Interface]\nPrivateKey = " + PRIV + "\n\n[Tessera]\n" + tessera,
            Path.of("/etc/wireguard"));
    assertThat(r.problems()).as("config problems").isEmpty();
    return r.config().orElseThrow().tessera();
  }

  @Test
  void fullSectionParsesAndDerivesTheStateFile() throws Exception {
    AgentConfig.Tessera t =
        parse(
            "PolicyServer = 198.51.100.7:8411\nServerKey = "
                + KEY
                + "\nNode = web-1\nStateDir = state\n");
    assertThat(DistributionSettings.requested(t)).isTrue();
    DistributionSettings s = DistributionSettings.from(t, "wg0", Optional.empty());
    assertThat(s.servers()).hasToString("[https://198.51.100.7:8411/]");
    assertThat(s.node()).isEqualTo("web-1");
    assertThat(s.serverKey()).isEqualTo(SigningKey.parsePublicKey(KEY));
    assertThat(s.stateFile())
        .isEqualTo(Path.of("/etc/wireguard/state/wg0.bundle")); // relative to the config
    assertThat(s.waitSeconds()).isEqualTo(DistributionSettings.DEFAULT_WAIT_SECONDS);
  }

  @Test
  void defaultStateDir() throws Exception {
    DistributionSettings s =
        DistributionSettings.from(
            parse("PolicyServer = policy.example:8411\nServerKey = " + KEY + "\nNode = a\n"),
            "tsr0",
            Optional.empty());
    assertThat(s.stateFile()).isEqualTo(Path.of("/var/lib/tessera/tsr0.bundle"));
  }

  @Test
  void noDistributionKeysMeansNotRequested() {
    assertThat(DistributionSettings.requested(parse("FilterFile = /tmp/f\n"))).isFalse();
    assertThat(DistributionSettings.requested(AgentConfig.Tessera.NONE)).isFalse();
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "10.0.0.1:8411                 | https://10.0.0.1:8411/",
        "HTTPS://policy.example:443/   | https://policy.example:443/",
        "[fd00::1]:8411                | https://[fd00::1]:8411/",
      })
  void serverForms(String value, String uri) throws Exception {
    assertThat(DistributionSettings.parseServer(value)).hasToString(uri);
  }

  /**
   * A bare host:port is HTTPS, as {@code policyc serve} is by default; plain HTTP needs PlainHttp =
   * yes, and is then warned about at start.
   */
  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "PolicyServer = 10.0.0.1:8411                               | https://10.0.0.1:8411/",
        "PolicyServer = http://10.0.0.1:8411                        | error: is plain HTTP",
        "PolicyServer = http://10.0.0.1:8411\\nPlainHttp = no        | error: is plain HTTP",
        "PolicyServer = http://10.0.0.1:8411\\nPlainHttp = yes       | http://10.0.0.1:8411/",
        "PolicyServer = 10.0.0.1:8411\\nPlainHttp = yes              | https://10.0.0.1:8411/",
        "PolicyServer = http://10.0.0.1:8411\\nPlainHttp = maybe     | error: PlainHttp must be yes or no",
        "PolicyServer = 10.0.0.1:8411\\nPlainHttp = yes\\nServerCert = server.crt | error: contradict",
        "PlainHttp = yes                                            | error: need PolicyServer",
      })
  void plainHttpOnlyByExplicitChoice(String section, String expected) throws Exception {
    AgentConfig.Tessera t =
        parse(section.replace("\\n", "\n") + "\nServerKey = " + KEY + "\nNode = a\n");
    if (expected.startsWith("error: ")) {
      assertThatThrownBy(() -> DistributionSettings.from(t, "wg0", Optional.empty()))
          .isInstanceOf(DistributionSettings.InvalidSettings.class)
          .hasMessageContaining("[Tessera]")
          .hasMessageContaining(expected.substring("error: ".length()));
    } else {
      assertThat(DistributionSettings.from(t, "wg0", Optional.empty()).servers())
          .hasToString("[" + expected + "]");
    }
  }

  /** Several servers of one control plane: in order, each as a single one, none twice. */
  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "10.0.0.1:8411, 10.0.0.2:8411                    | [https://10.0.0.1:8411/, https://10.0.0.2:8411/]",
        "https://b.example:1,https://a.example:1          | [https://b.example:1/, https://a.example:1/]",
        "http://10.0.0.1:1, http://10.0.0.2:1\\nPlainHttp = yes | [http://10.0.0.1:1/, http://10.0.0.2:1/]",
        "10.0.0.1:8411, http://10.0.0.2:8411              | error: is plain HTTP",
        "10.0.0.1:8411,                                  | error: empty entry",
        "10.0.0.1:8411,,10.0.0.2:8411                    | error: empty entry",
        "10.0.0.1:8411, https://10.0.0.1:8411/            | error: names https://10.0.0.1:8411/ twice",
        "10.0.0.1:8411, 10.0.0.2                         | error: needs a host and a port",
      })
  void severalServers(String value, String expected) throws Exception {
    AgentConfig.Tessera t =
        parse(
            "PolicyServer = "
                + value.replace("\\n", "\n")
                + "\nServerKey = "
                + KEY
                + "\nNode = a\n");
    if (expected.startsWith("error: ")) {
      assertThatThrownBy(() -> DistributionSettings.from(t, "wg0", Optional.empty()))
          .isInstanceOf(DistributionSettings.InvalidSettings.class)
          .hasMessageContaining("[Tessera] PolicyServer")
          .hasMessageContaining(expected.substring("error: ".length()));
    } else {
      assertThat(DistributionSettings.from(t, "wg0", Optional.empty()).servers())
          .hasToString(expected);
    }
  }

  @Test
  void atMostSixteenServers() throws Exception {
    String many =
        String.join(
            ",",
            java.util.stream.IntStream.rangeClosed(1, 17)
                .mapToObj(i -> "10.0.0." + i + ":1")
                .toList());
    assertThat(
            DistributionSettings.parseServers(
                many.substring(0, many.lastIndexOf(',')), false, false))
        .hasSize(16);
    assertThatThrownBy(() -> DistributionSettings.parseServers(many, false, false))
        .hasMessageContaining("17 servers; at most 16");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "policy.example                    | needs a host and a port",
        "10.0.0.1:0                        | needs a host and a port",
        "10.0.0.1:99999                    | needs a host and a port",
        "https://10.0.0.1:8411/v1/bundle   | just scheme://host:port",
        "https://user@10.0.0.1:8411        | just scheme://host:port",
        "ftp://10.0.0.1:21                 | needs a host and a port",
        "'10.0.0.1 :8411'                  | not host:port",
      })
  void badServers(String value, String message) {
    assertThatThrownBy(() -> DistributionSettings.parseServer(value))
        .isInstanceOf(DistributionSettings.InvalidSettings.class)
        .hasMessageContaining("PolicyServer")
        .hasMessageContaining(message);
  }

  @ParameterizedTest(name = "{1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "ServerKey = KEY\\nNode = a                                   | need PolicyServer",
        "StateDir = /var/lib/x                                      | need PolicyServer",
        "PolicyServer = 10.0.0.1:1\\nNode = a                         | needs ServerKey",
        "PolicyServer = 10.0.0.1:1\\nServerKey = KEY                  | needs Node",
        "PolicyServer = 10.0.0.1:1\\nServerKey = AAAA\\nNode = a       | ServerKey: server key must be 32 bytes",
        "PolicyServer = 10.0.0.1:1\\nServerKey = !!\\nNode = a         | ServerKey: server key is not valid base64",
        "PolicyServer = 10.0.0.1:1\\nServerKey = KEY\\nNode = a\\nFilterFile = f | mutually exclusive",
      })
  void badSections(String section, String message) {
    AgentConfig.Tessera t = parse(section.replace("\\n", "\n").replace("KEY", KEY) + "\n");
    assertThatThrownBy(() -> DistributionSettings.from(t, "wg0", Optional.empty()))
        .isInstanceOf(DistributionSettings.InvalidSettings.class)
        .hasMessageContaining("[Tessera]")
        .hasMessageContaining(message);
  }

  @Test
  void filterOverrideConflictsWithPolicyServer() {
    AgentConfig.Tessera t = parse("PolicyServer = 10.0.0.1:1\nServerKey = " + KEY + "\nNode = a\n");
    assertThatThrownBy(() -> DistributionSettings.from(t, "wg0", Optional.of(Path.of("/tmp/f"))))
        .hasMessageContaining("mutually exclusive");
  }

  @Test
  void agentDoesNotStartWithUnusableSettings() {
    ConfigParser.Result r =
        ConfigParser.parse(
            "wg0.conf",
            "[Interface]\nPrivateKey = "
                + PRIV
                + "\n[Tessera]\nPolicyServer = 10.0.0.1:8411\nNode = a\n",
            null);
    // Fails before any TUN, socket or file is touched, so this needs no root.
    assertThatThrownBy(
            () ->
                dev.tessera.agent.Agent.start(
                    r.config().orElseThrow(),
                    dev.tessera.agent.AgentOptions.defaults("tsrtest0", s -> {})))
        .isInstanceOf(java.io.IOException.class)
        .hasMessageContaining("needs ServerKey");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({
    "non-canonical, /////////////////////////////////////////38=, not canonical",
    "identity, AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=, identity",
  })
  void unusableServerKeyStopsTheAgentWithAMessage(String what, String key, String message) {
    ConfigParser.Result r =
        ConfigParser.parse(
            "wg0.conf",
            "[Interface]\nPrivateKey = "
                + PRIV
                + "\n[Tessera]\nPolicyServer = 10.0.0.1:8411\nNode = a\nServerKey = "
                + key
                + "\n",
            null);
    assertThatThrownBy(
            () ->
                PolicySubscription.open(r.config().orElseThrow(), "wg0", Optional.empty(), s -> {}))
        .isInstanceOf(java.io.IOException.class)
        .hasMessageContaining("ServerKey cannot be used")
        .hasMessageContaining(message);
  }

  /** An agent allowed plain HTTP says so loudly at start; over HTTPS it does not. */
  @ParameterizedTest(name = "{0}")
  @CsvSource({"http://10.0.0.1:8411, PlainHttp = yes, true", "10.0.0.1:8411, '', false"})
  void plainHttpIsWarnedAtStart(String server, String line, boolean warned, @TempDir Path state)
      throws Exception {
    ConfigParser.Result r =
        ConfigParser.parse(
            "wg0.conf",
            "[Interface]\nPrivateKey = "
                + PRIV
                + "\n[Tessera]\nPolicyServer = "
                + server
                + "\nNode = a\nServerKey = "
                + KEY
                + "\nStateDir = "
                + state
                + "\n"
                + line
                + "\n",
            null);
    java.util.List<String> log = new java.util.ArrayList<>();
    try (PolicySubscription s =
        PolicySubscription.open(r.config().orElseThrow(), "wg0", Optional.empty(), log::add)) {
      assertThat(
              log.stream().anyMatch(l -> l.startsWith("WARNING: the policy server is plain HTTP")))
          .isEqualTo(warned);
    }
  }

  @Test
  void emptyNodeOrStateDirIsALocatedConfigError() {
    ConfigParser.Result r =
        ConfigParser.parse(
            "wg0.conf",
            "[Interface]\nPrivateKey = " + PRIV + "\n[Tessera]\nNode =\nStateDir =\n",
            null);
    assertThat(r.ok()).isFalse();
    assertThat(r.problems())
        .extracting(Object::toString)
        .anySatisfy(p -> assertThat(p).contains(":4").contains("Node is empty"))
        .anySatisfy(p -> assertThat(p).contains(":5").contains("StateDir is empty"));
  }
}
