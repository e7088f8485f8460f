package dev.tessera.agent.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.agent.crypto.WgKey;
import dev.tessera.net.IpCidr;
import dev.tessera.net.IpPrefix;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ConfigParserTest {
  // Keys from wg(8)'s documentation style; any 32 bytes in base64 do.
  static final String PRIV = "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=";
  static final String PUB = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=";
  static final String PUB2 = "TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0=";
  static final String PSK = "FpCyhws9cxwWoV4xELtfJvjJN+zQVRPISllRWgeopVE=";

  static AgentConfig ok(String text) {
    ConfigParser.Result r = ConfigParser.parse("wg0.conf", text, Path.of("/etc/tessera"));
    assertThat(r.errors()).as("errors").isEmpty();
    return r.config().orElseThrow();
  }

  @Test
  void fullConfig() {
    AgentConfig c =
        ok(
            """
        # a comment
        [Interface]
        PrivateKey = %s
        Address = 10.7.0.1/24, fd00:7::1/64
        ListenPort = 51820
        MTU = 1420

        [Peer]
        PublicKey = %s
        PresharedKey = %s
        AllowedIPs = 10.7.0.2/32, fd00:7::2/128   # trailing comment
        AllowedIPs = 192.168.50.0/24
        Endpoint = 192.0.2.7:51821
        PersistentKeepalive = 25

        [peer]
        publickey = %s
        endpoint = [2001:db8::1]:4000

        [Tessera]
        FilterFile = filters/node.tfilter
        PolicyServer = https://policy.example:8443
        ServerKey = abc
        FlowLog = log/flows.jsonl
        """
                .formatted(PRIV, PUB, PSK, PUB2));
    assertThat(c.iface().privateKey()).isEqualTo(Keys.base64OrNull(PRIV));
    assertThat(c.iface().addresses())
        .extracting(IpCidr::toMixedString)
        .containsExactly("10.7.0.1/24", "fd00:7::1/64");
    assertThat(c.iface().listenPort()).hasValue(51820);
    assertThat(c.iface().mtu()).hasValue(1420);
    assertThat(c.peers()).hasSize(2);
    AgentConfig.Peer p = c.peers().getFirst();
    assertThat(p.publicKey().toBase64()).isEqualTo(PUB);
    assertThat(p.presharedKey()).hasValue(Keys.base64OrNull(PSK));
    assertThat(p.allowedIps())
        .extracting(IpPrefix::toMixedString)
        .containsExactly("10.7.0.2/32", "fd00:7::2/128", "192.168.50.0/24");
    assertThat(p.endpoint()).hasValue(new Endpoint("192.0.2.7", 51821));
    assertThat(p.persistentKeepalive()).isEqualTo(25);
    assertThat(c.peers().get(1).endpoint()).hasValue(new Endpoint("2001:db8::1", 4000));
    assertThat(c.peers().get(1).persistentKeepalive()).isZero();
    assertThat(c.tessera().filterFile()).hasValue(Path.of("/etc/tessera/filters/node.tfilter"));
    assertThat(c.tessera().policyServer()).hasValue("https://policy.example:8443");
    assertThat(c.tessera().serverKey()).hasValue("abc");
    assertThat(c.tessera().flowLog()).hasValue(Path.of("/etc/tessera/log/flows.jsonl"));
  }

  @Test
  void wgQuickShellKeysAreWarnings() {
    ConfigParser.Result r =
        ConfigParser.parse(
            "wg0.conf",
            """
        [Interface]
        PrivateKey = %s
        DNS = 1.1.1.1
        PostUp = rm -rf /
        """
                .formatted(PRIV),
            null);
    assertThat(r.ok()).isTrue();
    assertThat(r.problems()).extracting(ConfigProblem::line).containsExactly(3, 4);
    assertThat(r.problems()).allMatch(p -> !p.error());
  }

  static Stream<Arguments> tablesAndMarks() {
    return Stream.of(
        Arguments.of("", RouteTable.AUTO, null),
        Arguments.of("Table = auto\nFwMark = off", RouteTable.AUTO, 0L),
        Arguments.of("Table = OFF", RouteTable.OFF, null),
        Arguments.of("Table = 01234\nFwMark = 0xCA6C", new RouteTable.Named("1234"), 51820L),
        Arguments.of(
            "Table = vpn_routes\nFwMark = 4294967295",
            new RouteTable.Named("vpn_routes"),
            4294967295L));
  }

  @ParameterizedTest(name = "[{index}] {1} {2}")
  @MethodSource("tablesAndMarks")
  void tableAndFwMarkAsWgQuickReadsThem(String lines, RouteTable table, Long mark) {
    AgentConfig c = ok("[Interface]\nPrivateKey = " + PRIV + "\n" + lines + "\n");
    assertThat(c.iface().table()).isEqualTo(table);
    if (mark == null) {
      assertThat(c.iface().fwMark()).isEmpty();
    } else {
      assertThat(Integer.toUnsignedLong(c.iface().fwMark().orElseThrow())).isEqualTo(mark);
    }
  }

  @Test
  void hostBitsInAllowedIpsAreMaskedWithWarning() {
    ConfigParser.Result r =
        ConfigParser.parse(
            "x",
            """
        [Interface]
        PrivateKey = %s
        [Peer]
        PublicKey = %s
        AllowedIPs = 10.1.2.3/16
        """
                .formatted(PRIV, PUB),
            null);
    assertThat(r.config().orElseThrow().peers().getFirst().allowedIps())
        .extracting(IpPrefix::toMixedString)
        .containsExactly("10.1.0.0/16");
    assertThat(r.problems()).singleElement().satisfies(p -> assertThat(p.line()).isEqualTo(5));
  }

  static Stream<Arguments> bad() {
    String head = "[Interface]\nPrivateKey = " + PRIV + "\n";
    String peer = "[Peer]\nPublicKey = " + PUB + "\n";
    return Stream.of(
        Arguments.of("", 0, "missing [Interface]"),
        Arguments.of("[Interface]\nAddress = 10.0.0.1/24\n", 0, "no PrivateKey"),
        Arguments.of("PrivateKey = " + PRIV + "\n", 1, "outside any section"),
        Arguments.of("[Interface]\nPrivateKey = abc\n", 2, "PrivateKey must be 32 bytes"),
        Arguments.of(head + "Address = 10.0.0.300/24\n", 3, "not an IP address"),
        Arguments.of(head + "Address = example.com\n", 3, "not an IP address"),
        Arguments.of(head + "ListenPort = 70000\n", 3, "ListenPort must be in 0..65535"),
        Arguments.of(head + "ListenPort = -1\n", 3, "ListenPort must be a number"),
        Arguments.of(head + "MTU = 100\n", 3, "MTU must be in 576..65535"),
        Arguments.of(head + "FwMark = 0x1g\n", 3, "FwMark must be off or a number"),
        Arguments.of(head + "FwMark = 4294967296\n", 3, "FwMark must be off or a number"),
        Arguments.of(head + "Table = 0\n", 3, "Table must be off, auto"),
        Arguments.of(head + "Table = main; ip rule flush\n", 3, "Table must be off, auto"),
        Arguments.of(head + "Adress = 10.0.0.1/24\n", 3, "unknown key 'Adress'"),
        Arguments.of(head + "[Peers]\n", 3, "unknown section [Peers]"),
        Arguments.of(head + "[Peer\n", 3, "must end with ']'"),
        Arguments.of(head + "just words\n", 3, "expected 'Key = Value'"),
        Arguments.of(head + "[Peer]\nEndpoint = 1.2.3.4:5\n", 3, "[Peer] has no PublicKey"),
        Arguments.of(head + peer + "AllowedIPs = 10.0.0.0/33\n", 5, "not an IP prefix"),
        Arguments.of(head + peer + "Endpoint = 1.2.3.4\n", 5, "Endpoint must be host:port"),
        Arguments.of(
            head + peer + "Endpoint = 2001:db8::1:51820\n", 5, "Endpoint must be host:port"),
        Arguments.of(head + peer + "Endpoint = host:0\n", 5, "Endpoint must be host:port"),
        Arguments.of(
            head + peer + "PersistentKeepalive = 99999\n",
            5,
            "PersistentKeepalive must be in 0..65535"),
        Arguments.of(head + peer + "PresharedKey = zz\n", 5, "PresharedKey must be 32 bytes"),
        Arguments.of(head + peer + peer, 5, "duplicate peer"),
        Arguments.of(head + "[Interface]\n", 3, "second [Interface]"),
        Arguments.of(head + "[Tessera]\nFilterFile =\n", 4, "FilterFile is empty"),
        Arguments.of(head + "[Tessera]\nFlowLog =\n", 4, "FlowLog is empty"),
        Arguments.of(
            head + "[Tessera]\nServerCert = a.crt\nServerCert = b.crt\n",
            5,
            "ServerCert is given twice; put every server's certificate in one PEM file"),
        Arguments.of(head + "[Tessera]\nFilter = x\n", 4, "unknown key 'Filter' in [Tessera]"));
  }

  @ParameterizedTest(name = "[{index}] line {1}: {2}")
  @MethodSource("bad")
  void errorsAreLocated(String text, int line, String message) {
    ConfigParser.Result r = ConfigParser.parse("wg0.conf", text, null);
    assertThat(r.ok()).isFalse();
    List<ConfigProblem> errors = r.errors();
    assertThat(errors)
        .anySatisfy(
            e -> {
              assertThat(e.line()).isEqualTo(line);
              assertThat(e.message()).contains(message);
            });
    assertThat(errors.getFirst().toString()).startsWith("wg0.conf");
  }

  @Test
  void collectsSeveralErrorsInOnePass() {
    ConfigParser.Result r =
        ConfigParser.parse("x", "[Interface]\nPrivateKey = bad\nListenPort = x\nMTU = 1\n", null);
    assertThat(r.errors()).extracting(ConfigProblem::line).containsExactly(2, 3, 4, 0);
  }

  @ParameterizedTest
  @MethodSource("prefixes")
  void prefixRoundTrip(String in, String out) {
    IpCidr p = IpCidr.tryParse(in.strip());
    assertThat(p == null ? null : p.toMixedString()).isEqualTo(out);
  }

  static Stream<Arguments> prefixes() {
    return Stream.of(
        Arguments.of("10.0.0.1", "10.0.0.1/32"),
        Arguments.of("0.0.0.0/0", "0.0.0.0/0"),
        Arguments.of("fd00:0:0:0:0:0:0:1", "fd00::1/128"),
        Arguments.of("::/0", "::/0"),
        Arguments.of("2001:db8:0:0:1:0:0:1/64", "2001:db8::1:0:0:1/64"),
        Arguments.of("::ffff:1.2.3.4", "::ffff:1.2.3.4/128"),
        Arguments.of("1.2.3", null),
        Arguments.of("01.2.3.4.5", null),
        Arguments.of("localhost", null),
        Arguments.of("fe80::1%eth0", null),
        Arguments.of("10.0.0.0/", null));
  }

  @Test
  void keyParsing() {
    WgKey k = Keys.base64OrNull(PRIV);
    assertThat(Keys.hexOrNull(k.toHex())).isEqualTo(k);
    assertThat(Keys.base64OrNull(PRIV.substring(1))).isNull();
    assertThat(Keys.hexOrNull("zz" + k.toHex().substring(2))).isNull();
    // RFC 7748 section 6.1 test vector: Alice's private key -> public key.
    WgKey alice =
        Keys.hexOrNull("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
    assertThat(alice.publicKey().toHex())
        .isEqualTo("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
  }
}
