package dev.tessera.agent.uapi;

import dev.tessera.agent.crypto.WgKey;
import dev.tessera.net.IpPrefix;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * A parsed UAPI {@code set=1} request: device-level operations, then peer blocks, each in the order
 * the client sent them (wireguard-go applies lines in order; e.g. {@code replace_allowed_ips}
 * before the {@code allowed_ip} lines that follow it).
 *
 * <p>The whole request is parsed and validated before anything is applied, so a malformed request
 * changes nothing (wireguard-go applies the lines before the bad one; being stricter is safe).
 */
public record UapiRequest(List<DeviceOp> deviceOps, List<PeerBlock> peers) {
  public UapiRequest {
    deviceOps = List.copyOf(deviceOps);
    peers = List.copyOf(peers);
  }

  /** Operations on the interface itself. */
  public sealed interface DeviceOp {
    /** {@code private_key}; the all-zero key removes it. */
    record PrivateKey(WgKey key) implements DeviceOp {}

    /** {@code listen_port}; 0 means pick any. */
    record ListenPort(int port) implements DeviceOp {}

    /** {@code fwmark}; 0 removes it. */
    record FwMark(int mark) implements DeviceOp {}

    /** {@code replace_peers=true}: remove all peers before the peer blocks are applied. */
    record ReplacePeers() implements DeviceOp {}
  }

  /** The lines following one {@code public_key=} line. */
  public record PeerBlock(WgKey publicKey, List<PeerOp> ops) {
    public PeerBlock {
      ops = List.copyOf(ops);
    }
  }

  /** Operations on one peer. */
  public sealed interface PeerOp {
    /** {@code update_only=true}: do not create the peer if it does not exist. */
    record UpdateOnly() implements PeerOp {}

    /** {@code remove=true}. */
    record Remove() implements PeerOp {}

    /** {@code preshared_key}; the all-zero key removes it. */
    record PresharedKey(WgKey key) implements PeerOp {}

    /** {@code endpoint=ip:port} or {@code [ip6]:port}. */
    record Endpoint(InetSocketAddress address) implements PeerOp {}

    /** {@code persistent_keepalive_interval} in seconds; 0 turns it off. */
    record PersistentKeepalive(int seconds) implements PeerOp {}

    /** {@code replace_allowed_ips=true}. */
    record ReplaceAllowedIps() implements PeerOp {}

    /** {@code allowed_ip=prefix} (add) or {@code allowed_ip=-prefix} (remove). */
    record AllowedIp(IpPrefix prefix, boolean remove) implements PeerOp {}
  }
}
