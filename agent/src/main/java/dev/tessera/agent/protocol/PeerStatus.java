package dev.tessera.agent.protocol;

import dev.tessera.agent.crypto.WgKey;
import dev.tessera.net.IpPrefix;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * A consistent-enough snapshot of one peer for UAPI {@code get} / {@code wg show}.
 *
 * @param publicKey peer public key
 * @param presharedKey PSK or null (UAPI prints all zeros then)
 * @param endpoint current endpoint (roamed to the latest authenticated source), or null
 * @param allowedIps allowed IPs in insertion order
 * @param lastHandshakeEpochNanos wall-clock time of the last completed handshake in nanoseconds
 *     since the Unix epoch, 0 if never (UAPI last_handshake_time_sec/_nsec)
 * @param rxBytes bytes of authenticated datagrams received (whole UDP payloads, like wireguard-go)
 * @param txBytes bytes of datagrams sent to this peer
 * @param persistentKeepaliveSeconds 0 = off
 * @param hasCurrentSession whether a usable current keypair exists
 */
public record PeerStatus(
    WgKey publicKey,
    WgKey presharedKey,
    InetSocketAddress endpoint,
    List<IpPrefix> allowedIps,
    long lastHandshakeEpochNanos,
    long rxBytes,
    long txBytes,
    int persistentKeepaliveSeconds,
    boolean hasCurrentSession) {
  public PeerStatus {
    allowedIps = List.copyOf(allowedIps);
  }
}
