package dev.tessera.agent.uapi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tessera.agent.crypto.WgKey;
import dev.tessera.agent.protocol.PeerStatus;
import dev.tessera.net.IpPrefix;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class UapiProtocolTest {
  static final String K1 = "e84b5a6d2717c1003a13b431570353dbaca9146cf150c5f8575680feba52027a";
  static final String K2 = "b85996fecc9c7f1fc6d2572a76eda11d59bcd20be8e543b15ce4bd85a8e75a33";
  static final String PSK = "188515093e952f5f22e865cef3012e72f8b5f0b598ac0309d5dacce3b70fcf52";

  @Test
  void parsesTheXplatformExample() throws Exception {
    // The example request from https://www.wireguard.com/xplatform/ (shortened).
    UapiRequest r =
        UapiProtocol.parseSet(
            List.of(
                "private_key=" + K1,
                "fwmark=0",
                "listen_port=12912",
                "replace_peers=true",
                "public_key=" + K2,
                "preshared_key=" + PSK,
                "replace_allowed_ips=true",
                "allowed_ip=192.168.4.4/32",
                "endpoint=[abcd:23::33%2]:51820".replace("%2", ""),
                "public_key=" + PSK,
                "protocol_version=1",
                "update_only=true",
                "allowed_ip=-192.168.4.6/32",
                "endpoint=182.122.22.19:3233",
                "persistent_keepalive_interval=111",
                "remove=true"));
    assertThat(r.deviceOps())
        .containsExactly(
            new UapiRequest.DeviceOp.PrivateKey(WgKey.fromHex(K1)),
            new UapiRequest.DeviceOp.FwMark(0),
            new UapiRequest.DeviceOp.ListenPort(12912),
            new UapiRequest.DeviceOp.ReplacePeers());
    assertThat(r.peers()).hasSize(2);
    assertThat(r.peers().get(0).publicKey()).isEqualTo(WgKey.fromHex(K2));
    assertThat(r.peers().get(0).ops())
        .containsExactly(
            new UapiRequest.PeerOp.PresharedKey(WgKey.fromHex(PSK)),
            new UapiRequest.PeerOp.ReplaceAllowedIps(),
            new UapiRequest.PeerOp.AllowedIp(IpPrefix.parse("192.168.4.4/32"), false),
            new UapiRequest.PeerOp.Endpoint(new InetSocketAddress("abcd:23::33", 51820)));
    assertThat(r.peers().get(1).ops())
        .containsExactly(
            new UapiRequest.PeerOp.UpdateOnly(),
            new UapiRequest.PeerOp.AllowedIp(IpPrefix.parse("192.168.4.6/32"), true),
            new UapiRequest.PeerOp.Endpoint(new InetSocketAddress("182.122.22.19", 3233)),
            new UapiRequest.PeerOp.PersistentKeepalive(111),
            new UapiRequest.PeerOp.Remove());
  }

  static Stream<Arguments> bad() {
    return Stream.of(
        Arguments.of(List.of("nonsense"), UapiException.EPROTO, "failed to parse line"),
        Arguments.of(List.of("private_key=abc"), UapiException.EINVAL, "private_key"),
        Arguments.of(List.of("listen_port=65536"), UapiException.EINVAL, "listen_port"),
        Arguments.of(List.of("listen_port=-1"), UapiException.EINVAL, "listen_port"),
        Arguments.of(List.of("replace_peers=false"), UapiException.EINVAL, "replace_peers"),
        Arguments.of(
            List.of("endpoint=1.2.3.4:5"), UapiException.EINVAL, "invalid UAPI device key"),
        Arguments.of(
            List.of("public_key=" + K1, "endpoint=host.example:5"),
            UapiException.EINVAL,
            "endpoint"),
        Arguments.of(
            List.of("public_key=" + K1, "endpoint=::1:5"), UapiException.EINVAL, "endpoint"),
        Arguments.of(
            List.of("public_key=" + K1, "allowed_ip=10.0.0.0"), UapiException.EINVAL, "allowed ip"),
        Arguments.of(
            List.of("public_key=" + K1, "allowed_ip=10.0.0.0/40"),
            UapiException.EINVAL,
            "allowed ip"),
        Arguments.of(
            List.of("public_key=" + K1, "protocol_version=2"),
            UapiException.EINVAL,
            "protocol version"),
        Arguments.of(
            List.of("public_key=" + K1, "listen_port=1"),
            UapiException.EINVAL,
            "invalid UAPI peer key"),
        Arguments.of(List.of("public_key=zz"), UapiException.EINVAL, "public key"));
  }

  @ParameterizedTest(name = "[{index}] {2}")
  @MethodSource("bad")
  void rejectsWithErrno(List<String> lines, int errno, String msg) {
    assertThatThrownBy(() -> UapiProtocol.parseSet(lines))
        .isInstanceOfSatisfying(UapiException.class, e -> assertThat(e.errno()).isEqualTo(errno))
        .hasMessageContaining(msg);
  }

  @Test
  void formatsGetLikeWireguardGo() {
    PeerStatus p =
        new PeerStatus(
            WgKey.fromHex(K2),
            null,
            new InetSocketAddress("fd00::7", 51820),
            List.of(IpPrefix.parse("10.0.0.2/32"), IpPrefix.parse("fd00:0:0:0:0:0:0:2/128")),
            1_700_000_000_123_456_789L,
            1000,
            2000,
            25,
            true);
    String out =
        UapiProtocol.formatGet(
            new UapiProtocol.DeviceState(WgKey.fromHex(K1), 51820, 0, List.of(p)));
    assertThat(out)
        .isEqualTo(
            """
        private_key=%s
        listen_port=51820
        public_key=%s
        preshared_key=%s
        protocol_version=1
        endpoint=[fd00::7]:51820
        last_handshake_time_sec=1700000000
        last_handshake_time_nsec=123456789
        tx_bytes=2000
        rx_bytes=1000
        persistent_keepalive_interval=25
        allowed_ip=10.0.0.2/32
        allowed_ip=fd00::2/128
        """
                .formatted(K1, K2, "0".repeat(64)));
  }

  @Test
  void omitsUnsetDeviceFields() {
    assertThat(UapiProtocol.formatGet(new UapiProtocol.DeviceState(null, 0, 0, List.of())))
        .isEmpty();
  }
}
