package dev.tessera.agent.config;

import dev.tessera.agent.crypto.WgKey;
import dev.tessera.net.IpCidr;
import dev.tessera.net.IpPrefix;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * A parsed wg-quick style config plus Tessera's own section. Immutable; lists are copied at the
 * boundary.
 *
 * @param iface the [Interface] section
 * @param peers the [Peer] sections in file order
 * @param tessera the [Tessera] section (all fields empty when the section is absent)
 */
public record AgentConfig(Interface iface, List<Peer> peers, Tessera tessera) {
  public AgentConfig {
    peers = List.copyOf(peers);
  }

  /**
   * [Interface]: PrivateKey is required; the rest is optional (wg-quick defaults apply).
   *
   * @param fwMark SO_MARK for the UDP sockets (0 = off); with a {@code /0} AllowedIPs and {@code
   *     Table = auto} it is also the full-tunnel routing table (wg-quick's rule)
   * @param table where routes for AllowedIPs go (wg-quick's {@code Table =})
   */
  public record Interface(
      WgKey privateKey,
      List<IpCidr> addresses,
      OptionalInt listenPort,
      OptionalInt mtu,
      OptionalInt fwMark,
      RouteTable table) {
    public Interface {
      addresses = List.copyOf(addresses);
      java.util.Objects.requireNonNull(table, "table");
    }

    /** With {@code Table = auto}. */
    public Interface(
        WgKey privateKey,
        List<IpCidr> addresses,
        OptionalInt listenPort,
        OptionalInt mtu,
        OptionalInt fwMark) {
      this(privateKey, addresses, listenPort, mtu, fwMark, RouteTable.AUTO);
    }
  }

  /** [Peer]: PublicKey is required. persistentKeepalive 0 means off. */
  public record Peer(
      WgKey publicKey,
      Optional<WgKey> presharedKey,
      List<IpPrefix> allowedIps,
      Optional<Endpoint> endpoint,
      int persistentKeepalive) {
    public Peer {
      allowedIps = List.copyOf(allowedIps);
    }
  }

  /**
   * [Tessera]: {@code FilterFile} is a compiled filter (enforcer format) to enforce on every
   * decrypted packet. {@code PolicyServer}, {@code ServerKey}, {@code Node} and {@code StateDir}
   * configure signed filter distribution (validated and used by {@code
   * dev.tessera.agent.distribution.DistributionSettings}). {@code FlowLog} is the flow log file
   * (JSON lines, rolled; see {@code dev.tessera.agent.FlowLog}).
   */
  public record Tessera(
      Optional<Path> filterFile,
      Optional<String> policyServer,
      Optional<String> serverKey,
      Optional<String> node,
      Optional<Path> stateDir,
      Optional<Path> serverCert,
      Optional<String> maxPolicyAge,
      Optional<String> staleMode,
      Optional<Path> flowLog,
      Optional<String> plainHttp) {
    public static final Tessera NONE =
        new Tessera(Optional.empty(), Optional.empty(), Optional.empty());

    /** Without {@code PlainHttp} (HTTPS to the policy server). */
    public Tessera(
        Optional<Path> filterFile,
        Optional<String> policyServer,
        Optional<String> serverKey,
        Optional<String> node,
        Optional<Path> stateDir,
        Optional<Path> serverCert,
        Optional<String> maxPolicyAge,
        Optional<String> staleMode,
        Optional<Path> flowLog) {
      this(
          filterFile,
          policyServer,
          serverKey,
          node,
          stateDir,
          serverCert,
          maxPolicyAge,
          staleMode,
          flowLog,
          Optional.empty());
    }

    /** Without {@code FlowLog} (no flow log). */
    public Tessera(
        Optional<Path> filterFile,
        Optional<String> policyServer,
        Optional<String> serverKey,
        Optional<String> node,
        Optional<Path> stateDir,
        Optional<Path> serverCert,
        Optional<String> maxPolicyAge,
        Optional<String> staleMode) {
      this(
          filterFile,
          policyServer,
          serverKey,
          node,
          stateDir,
          serverCert,
          maxPolicyAge,
          staleMode,
          Optional.empty());
    }

    /** Without {@code MaxPolicyAge} and {@code StaleMode} (their defaults apply). */
    public Tessera(
        Optional<Path> filterFile,
        Optional<String> policyServer,
        Optional<String> serverKey,
        Optional<String> node,
        Optional<Path> stateDir,
        Optional<Path> serverCert) {
      this(
          filterFile,
          policyServer,
          serverKey,
          node,
          stateDir,
          serverCert,
          Optional.empty(),
          Optional.empty());
    }

    /** Without {@code ServerCert} (plain HTTP, or HTTPS trusted through the JDK's trust store). */
    public Tessera(
        Optional<Path> filterFile,
        Optional<String> policyServer,
        Optional<String> serverKey,
        Optional<String> node,
        Optional<Path> stateDir) {
      this(filterFile, policyServer, serverKey, node, stateDir, Optional.empty());
    }

    /** Without the distribution keys {@code Node} and {@code StateDir}. */
    public Tessera(
        Optional<Path> filterFile, Optional<String> policyServer, Optional<String> serverKey) {
      this(filterFile, policyServer, serverKey, Optional.empty(), Optional.empty());
    }
  }
}
