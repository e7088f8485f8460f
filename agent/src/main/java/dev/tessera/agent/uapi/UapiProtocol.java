package dev.tessera.agent.uapi;

import dev.tessera.agent.config.Keys;
import dev.tessera.agent.crypto.WgKey;
import dev.tessera.agent.protocol.PeerStatus;
import dev.tessera.net.IpAddress;
import dev.tessera.net.IpCidr;
import dev.tessera.net.IpPrefix;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * Text format of the WireGuard cross-platform userspace API
 * (https://www.wireguard.com/xplatform/#configuration-protocol), as wireguard-go's device/uapi.go
 * implements it: {@code key=value} lines, keys in lower-case hex, a blank line ends a request or a
 * response, and every response ends with {@code errno=N}.
 *
 * <p>Parsing is strict and complete before anything is applied (see {@link UapiRequest}).
 */
public final class UapiProtocol {
  private UapiProtocol() {}

  /** The device-wide part of a {@code get} answer. */
  public record DeviceState(WgKey privateKey, int listenPort, int fwMark, List<PeerStatus> peers) {
    public DeviceState {
      peers = List.copyOf(peers);
    }
  }

  /**
   * Formats a {@code get=1} answer without the trailing {@code errno} line. Field order and
   * omissions follow wireguard-go: private_key only when set, listen_port and fwmark only when
   * nonzero; per peer public_key, preshared_key (zeros when none), protocol_version, endpoint when
   * known, handshake time, byte counters, keepalive, then one allowed_ip line per prefix.
   */
  public static String formatGet(DeviceState s) {
    StringBuilder sb = new StringBuilder(256 + 256 * s.peers().size());
    if (s.privateKey() != null && !s.privateKey().isZero()) {
      line(sb, "private_key", s.privateKey().toHex());
    }
    if (s.listenPort() != 0) {
      line(sb, "listen_port", Integer.toString(s.listenPort()));
    }
    if (s.fwMark() != 0) {
      line(sb, "fwmark", Integer.toUnsignedString(s.fwMark()));
    }
    for (PeerStatus p : s.peers()) {
      line(sb, "public_key", p.publicKey().toHex());
      line(
          sb,
          "preshared_key",
          p.presharedKey() == null ? "0".repeat(64) : p.presharedKey().toHex());
      line(sb, "protocol_version", "1");
      if (p.endpoint() != null) {
        line(sb, "endpoint", endpointText(p.endpoint()));
      }
      long nanos = p.lastHandshakeEpochNanos();
      line(sb, "last_handshake_time_sec", Long.toString(nanos / 1_000_000_000L));
      line(sb, "last_handshake_time_nsec", Long.toString(nanos % 1_000_000_000L));
      line(sb, "tx_bytes", Long.toString(p.txBytes()));
      line(sb, "rx_bytes", Long.toString(p.rxBytes()));
      line(sb, "persistent_keepalive_interval", Integer.toString(p.persistentKeepaliveSeconds()));
      for (IpPrefix a : p.allowedIps()) {
        line(sb, "allowed_ip", a.toMixedString());
      }
    }
    return sb.toString();
  }

  private static void line(StringBuilder sb, String k, String v) {
    sb.append(k).append('=').append(v).append('\n');
  }

  /** {@code 1.2.3.4:51820} or {@code [fd00::1]:51820}, as Go's netip.AddrPort prints. */
  public static String endpointText(InetSocketAddress a) {
    InetAddress ip = a.getAddress();
    if (ip == null) {
      return a.getHostString() + ":" + a.getPort();
    }
    String host = IpAddress.of(ip).toMixedString();
    return ip instanceof Inet6Address ? "[" + host + "]:" + a.getPort() : host + ":" + a.getPort();
  }

  /**
   * Parses the body of a {@code set=1} request (the lines after {@code set=1}, without the
   * terminating blank line).
   */
  public static UapiRequest parseSet(List<String> lines) throws UapiException {
    List<UapiRequest.DeviceOp> dev = new ArrayList<>();
    List<UapiRequest.PeerBlock> peers = new ArrayList<>();
    WgKey peerKey = null;
    List<UapiRequest.PeerOp> ops = null;
    for (String line : lines) {
      int eq = line.indexOf('=');
      if (eq < 0) {
        throw new UapiException(UapiException.EPROTO, "failed to parse line \"" + line + "\"");
      }
      String key = line.substring(0, eq);
      String value = line.substring(eq + 1);
      if (key.equals("public_key")) {
        if (peerKey != null) {
          peers.add(new UapiRequest.PeerBlock(peerKey, ops));
        }
        peerKey = Keys.hexOrNull(value);
        if (peerKey == null) {
          throw invalid("failed to get peer by public key: bad hex key");
        }
        ops = new ArrayList<>();
        continue;
      }
      if (peerKey == null) {
        dev.add(deviceOp(key, value));
      } else {
        UapiRequest.PeerOp op = peerOp(key, value);
        if (op != null) { // protocol_version=1 carries no operation
          ops.add(op);
        }
      }
    }
    if (peerKey != null) {
      peers.add(new UapiRequest.PeerBlock(peerKey, ops));
    }
    return new UapiRequest(dev, peers);
  }

  private static UapiRequest.DeviceOp deviceOp(String key, String value) throws UapiException {
    return switch (key) {
      case "private_key" -> {
        WgKey k = Keys.hexOrNull(value);
        if (k == null) {
          throw invalid("failed to set private_key: bad hex key");
        }
        yield new UapiRequest.DeviceOp.PrivateKey(k);
      }
      case "listen_port" ->
          new UapiRequest.DeviceOp.ListenPort((int) unsigned(value, 0xffff, "listen_port"));
      case "fwmark" ->
          new UapiRequest.DeviceOp.FwMark((int) unsigned(value, 0xffffffffL, "fwmark"));
      case "replace_peers" -> {
        requireTrue(key, value);
        yield new UapiRequest.DeviceOp.ReplacePeers();
      }
      default -> throw invalid("invalid UAPI device key: " + key);
    };
  }

  private static UapiRequest.PeerOp peerOp(String key, String value) throws UapiException {
    return switch (key) {
      case "update_only" -> {
        requireTrue(key, value);
        yield new UapiRequest.PeerOp.UpdateOnly();
      }
      case "remove" -> {
        requireTrue(key, value);
        yield new UapiRequest.PeerOp.Remove();
      }
      case "preshared_key" -> {
        WgKey k = Keys.hexOrNull(value);
        if (k == null) {
          throw invalid("failed to set preshared key: bad hex key");
        }
        yield new UapiRequest.PeerOp.PresharedKey(k);
      }
      case "endpoint" -> new UapiRequest.PeerOp.Endpoint(parseEndpoint(value));
      case "persistent_keepalive_interval" ->
          new UapiRequest.PeerOp.PersistentKeepalive(
              (int) unsigned(value, 0xffff, "persistent keepalive interval"));
      case "replace_allowed_ips" -> {
        requireTrue(key, value);
        yield new UapiRequest.PeerOp.ReplaceAllowedIps();
      }
      case "allowed_ip" -> {
        boolean remove = value.startsWith("-");
        String v = remove ? value.substring(1) : value;
        IpCidr c = IpCidr.tryParse(v.strip());
        if (c == null || v.indexOf('/') < 0) {
          throw invalid("failed to set allowed ip: " + value);
        }
        yield new UapiRequest.PeerOp.AllowedIp(c.masked(), remove);
      }
      case "protocol_version" -> {
        if (!value.equals("1")) {
          throw invalid("invalid protocol version: " + value);
        }
        yield null;
      }
      default -> throw invalid("invalid UAPI peer key: " + key);
    };
  }

  /** Numeric endpoints only: the wg tool resolves names before it talks to the device. */
  public static InetSocketAddress parseEndpoint(String value) throws UapiException {
    String host;
    String port;
    if (value.startsWith("[")) {
      int close = value.indexOf(']');
      if (close < 0 || close + 1 >= value.length() || value.charAt(close + 1) != ':') {
        throw invalid("failed to set endpoint " + value);
      }
      host = value.substring(1, close);
      port = value.substring(close + 2);
    } else {
      int colon = value.lastIndexOf(':');
      if (colon < 0 || value.indexOf(':') != colon) {
        throw invalid("failed to set endpoint " + value);
      }
      host = value.substring(0, colon);
      port = value.substring(colon + 1);
    }
    IpAddress raw = IpAddress.tryParse(host);
    if (raw == null) {
      throw invalid("failed to set endpoint " + value);
    }
    long p = unsigned(port, 0xffff, "endpoint port");
    return new InetSocketAddress(raw.toInetAddress(), (int) p);
  }

  private static void requireTrue(String key, String value) throws UapiException {
    if (!value.equals("true")) {
      throw invalid("failed to set " + key + ", invalid value: " + value);
    }
  }

  private static long unsigned(String v, long max, String what) throws UapiException {
    if (v.isEmpty() || v.length() > 10 || !v.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw invalid("failed to parse " + what + ": " + v);
    }
    long n = Long.parseLong(v);
    if (n > max) {
      throw invalid("failed to parse " + what + ": out of range: " + v);
    }
    return n;
  }

  private static UapiException invalid(String msg) {
    return new UapiException(UapiException.EINVAL, msg);
  }
}
