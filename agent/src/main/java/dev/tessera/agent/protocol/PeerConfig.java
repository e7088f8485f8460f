package dev.tessera.agent.protocol;

import dev.tessera.agent.crypto.WgKey;
import dev.tessera.net.IpPrefix;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Objects;

/**
 * A peer as configured ({@code [Peer]} section, or a UAPI {@code set} block with
 * replace_allowed_ips).
 *
 * @param publicKey the peer's static public key (identity)
 * @param presharedKey optional PSK mixed in by Noise IKpsk2; null means none (all zeros)
 * @param allowedIps the prefixes this peer may source and to which we route
 * @param endpoint initial UDP endpoint, or null until the peer contacts us
 * @param persistentKeepaliveSeconds 0 = off, else 1..65535
 */
public record PeerConfig(
    WgKey publicKey,
    WgKey presharedKey,
    List<IpPrefix> allowedIps,
    InetSocketAddress endpoint,
    int persistentKeepaliveSeconds) {
  public PeerConfig {
    Objects.requireNonNull(publicKey, "publicKey");
    allowedIps = List.copyOf(allowedIps);
    if (persistentKeepaliveSeconds < 0 || persistentKeepaliveSeconds > 65535) {
      throw new IllegalArgumentException(
          "persistent keepalive must be 0..65535, got " + persistentKeepaliveSeconds);
    }
  }

  /** A peer with only a key and allowed IPs. */
  public static PeerConfig of(WgKey publicKey, List<IpPrefix> allowedIps) {
    return new PeerConfig(publicKey, null, allowedIps, null, 0);
  }
}
