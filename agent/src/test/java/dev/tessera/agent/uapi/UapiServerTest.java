package dev.tessera.agent.uapi;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.agent.crypto.WgKey;
import dev.tessera.agent.protocol.PeerStatus;
import dev.tessera.agent.testing.NetnsLab;
import dev.tessera.net.IpPrefix;
import dev.tessera.testsupport.RequiresRoot;
import dev.tessera.testsupport.RequiresTools;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.StringReader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

class UapiServerTest {
  final List<UapiRequest> applied = new CopyOnWriteArrayList<>();
  final WgKey priv = WgKey.generatePrivate(new SecureRandom());
  final WgKey peer = WgKey.generatePrivate(new SecureRandom()).publicKey();

  final UapiServer.Handler handler =
      new UapiServer.Handler() {
        @Override
        public UapiProtocol.DeviceState get() {
          return new UapiProtocol.DeviceState(
              priv,
              51999,
              0,
              List.of(
                  new PeerStatus(
                      peer,
                      null,
                      new InetSocketAddress("198.18.0.9", 4000),
                      List.of(IpPrefix.parse("10.9.0.0/24")),
                      0,
                      10,
                      20,
                      0,
                      false)));
        }

        @Override
        public void set(UapiRequest request) throws UapiException {
          if (request.deviceOps().contains(new UapiRequest.DeviceOp.ListenPort(1))) {
            throw new UapiException(UapiException.EADDRINUSE, "port 1 in use");
          }
          applied.add(request);
        }

        @Override
        public String tesseraStatus() {
          return "drop_no_rule=3\n";
        }
      };

  String converse(String input) throws Exception {
    UapiServer s = null;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    var ctor = UapiServer.class; // handle() is package-private; exercise it without a socket
    java.lang.reflect.Method m =
        ctor.getDeclaredMethod("handle", BufferedReader.class, java.io.OutputStream.class);
    m.setAccessible(true);
    Path dir = Files.createTempDirectory("uapi");
    try {
      s = UapiServer.start(dir, "t0", handler, msg -> {});
      m.invoke(s, new BufferedReader(new StringReader(input)), out);
    } finally {
      if (s != null) {
        s.close();
      }
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  @Test
  void severalOperationsOnOneConnection() throws Exception {
    String out =
        converse(
            "get=1\n\nset=1\nlisten_port=5\n\ntessera=1\n\nset=1\nlisten_port=1\n\nbogus=1\n\nget=1\n\n");
    assertThat(out).startsWith("private_key=" + priv.toHex() + "\nlisten_port=51999\n");
    assertThat(out).contains("endpoint=198.18.0.9:4000\n").contains("allowed_ip=10.9.0.0/24\n");
    // get, set ok, tessera status, failing set; then the unknown op closes the connection.
    assertThat(out.split("errno=", -1)).hasSize(5);
    assertThat(out).endsWith("errno=0\n\ndrop_no_rule=3\nerrno=0\n\nerrno=-98\n\n");
    assertThat(applied)
        .singleElement()
        .satisfies(
            r -> assertThat(r.deviceOps()).containsExactly(new UapiRequest.DeviceOp.ListenPort(5)));
  }

  @Test
  void malformedSetAppliesNothing() throws Exception {
    String out = converse("set=1\nlisten_port=5\nwhat=ever\n\n");
    assertThat(out).isEqualTo("errno=-22\n\n");
    assertThat(applied).isEmpty();
  }

  @Test
  void getWithTrailingDataIsInvalid() throws Exception {
    assertThat(converse("get=1\nx\n")).isEqualTo("errno=-22\n\n");
  }

  /** The real {@code wg} tool against our socket in /var/run/wireguard (root only). */
  @Test
  @Tag("root")
  @RequiresRoot("binds /var/run/wireguard/<iface>.sock for the wg tool")
  @RequiresTools("wg")
  void wgToolShowAndSet() throws Exception {
    String iface = "tsru" + Integer.toString(ThreadLocalRandom.current().nextInt(1 << 20), 36);
    try (UapiServer s = UapiServer.start(UapiServer.DEFAULT_DIR, iface, handler, msg -> {})) {
      assertThat(Files.getPosixFilePermissions(s.path()).toString())
          .isEqualTo("[OWNER_READ, OWNER_WRITE]");
      NetnsLab.Result show = NetnsLab.exec(10, "wg", "show", iface, "dump");
      assertThat(show.exit()).as(show.output()).isZero();
      assertThat(show.output())
          .startsWith(priv.toBase64() + "\t" + priv.publicKey().toBase64() + "\t51999\toff\n");
      assertThat(show.output())
          .contains(peer.toBase64() + "\t(none)\t198.18.0.9:4000\t10.9.0.0/24\t0\t10\t20\toff");

      NetnsLab.Result set =
          NetnsLab.exec(
              10,
              "wg",
              "set",
              iface,
              "listen-port",
              "4444",
              "peer",
              peer.toBase64(),
              "allowed-ips",
              "10.9.0.0/24,fd00::/64",
              "endpoint",
              "198.18.0.10:4001",
              "persistent-keepalive",
              "15");
      assertThat(set.exit()).as(set.output()).isZero();
      UapiRequest r = applied.getLast();
      assertThat(r.deviceOps()).containsExactly(new UapiRequest.DeviceOp.ListenPort(4444));
      assertThat(r.peers().getFirst().ops())
          .contains(
              new UapiRequest.PeerOp.Endpoint(new InetSocketAddress("198.18.0.10", 4001)),
              new UapiRequest.PeerOp.PersistentKeepalive(15),
              new UapiRequest.PeerOp.AllowedIp(IpPrefix.parse("fd00::/64"), false));

      NetnsLab.Result fail = NetnsLab.exec(10, "wg", "set", iface, "listen-port", "1");
      assertThat(fail.exit()).isNotZero();
      assertThat(fail.output()).containsIgnoringCase("address already in use");
    }
    assertThat(NetnsLab.uapiSocket(iface)).doesNotExist();
  }
}
