package dev.tessera.agent;

import dev.tessera.agent.crypto.WgKey;
import dev.tessera.agent.protocol.DropReason;
import dev.tessera.agent.protocol.Peer;
import dev.tessera.agent.protocol.PeerStatus;
import dev.tessera.agent.protocol.WireGuardDevice;
import dev.tessera.agent.uapi.UapiException;
import dev.tessera.agent.uapi.UapiProtocol;
import dev.tessera.agent.uapi.UapiRequest;
import dev.tessera.agent.uapi.UapiServer;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Applies UAPI requests to the protocol core with wireguard-go's semantics (device/uapi.go): a
 * {@code public_key} line selects or creates a peer; {@code update_only} means "do not create";
 * {@code remove} deletes it and ignores the rest of its block; a peer with the device's own public
 * key is ignored; {@code listen_port} rebinds the UDP sockets (EADDRINUSE when that fails); {@code
 * fwmark} sets SO_MARK on the UDP sockets. Requests are serialized. Routes and rules are not
 * touched, as with {@code wg set}.
 */
final class DeviceUapi implements UapiServer.Handler {
  /** Rebinds the UDP sockets; returns the port actually bound. */
  interface Rebinder {
    int rebind(int port) throws IOException;

    int port();

    /** SO_MARK on the UDP sockets (0 clears it). */
    void setFwmark(int mark) throws IOException;
  }

  private final WireGuardDevice device;
  private final Rebinder udp;
  private final DataPath path;

  /** Runs after every set: re-applies the policy bundle's peer list to peers added or changed. */
  private final Runnable afterSet;

  DeviceUapi(WireGuardDevice device, Rebinder udp, DataPath path) {
    this(device, udp, path, () -> {});
  }

  DeviceUapi(WireGuardDevice device, Rebinder udp, DataPath path, Runnable afterSet) {
    this.device = device;
    this.udp = udp;
    this.path = path;
    this.afterSet = afterSet;
  }

  @Override
  public synchronized UapiProtocol.DeviceState get() {
    List<PeerStatus> peers = new ArrayList<>();
    for (Peer p : device.peers()) {
      peers.add(p.status());
    }
    return new UapiProtocol.DeviceState(
        device.privateKey().orElse(null), udp.port(), device.fwmark(), peers);
  }

  @Override
  public synchronized void set(UapiRequest req) throws UapiException {
    try {
      setNow(req);
    } finally {
      afterSet.run(); // also after a partial failure: whatever was applied is subject to the policy
    }
  }

  private void setNow(UapiRequest req) throws UapiException {
    for (UapiRequest.DeviceOp op : req.deviceOps()) {
      switch (op) {
        case UapiRequest.DeviceOp.PrivateKey(WgKey k) ->
            device.setPrivateKey(k.isZero() ? null : k);
        case UapiRequest.DeviceOp.ListenPort(int port) -> {
          if (port != udp.port() || port == 0) {
            try {
              device.setListenPort(udp.rebind(port));
            } catch (IOException e) {
              throw new UapiException(
                  UapiException.EADDRINUSE, "failed to set listen_port: " + e.getMessage());
            }
          }
        }
        case UapiRequest.DeviceOp.FwMark(int mark) -> {
          try {
            udp.setFwmark(
                mark); // the socket first: `wg show fwmark` must never claim a mark not in force
          } catch (IOException e) {
            // wireguard-go answers a failed BindSetMark with the same errno as a failed bind
            throw new UapiException(
                UapiException.EADDRINUSE, "failed to update fwmark: " + e.getMessage());
          }
          device.setFwmark(mark);
        }
        case UapiRequest.DeviceOp.ReplacePeers() -> device.removeAllPeers();
      }
    }
    Optional<WgKey> self = device.publicKey();
    for (UapiRequest.PeerBlock block : req.peers()) {
      if (self.isPresent() && self.get().equals(block.publicKey())) {
        continue; // wireguard-go ignores a peer with the device's own key
      }
      boolean exists = device.peer(block.publicKey()).isPresent();
      if (!exists
          && block.ops().stream().anyMatch(o -> o instanceof UapiRequest.PeerOp.UpdateOnly)) {
        continue; // update_only: never create
      }
      if (!exists && block.ops().stream().anyMatch(o -> o instanceof UapiRequest.PeerOp.Remove)) {
        continue; // removing a peer that does not exist is a no-op
      }
      Peer peer = device.addPeer(block.publicKey());
      for (UapiRequest.PeerOp op : block.ops()) {
        boolean removed = false;
        switch (op) {
          case UapiRequest.PeerOp.UpdateOnly() -> {}
          case UapiRequest.PeerOp.Remove() -> {
            device.removePeer(block.publicKey());
            removed = true;
          }
          case UapiRequest.PeerOp.PresharedKey(WgKey k) ->
              peer.setPresharedKey(k.isZero() ? null : k);
          case UapiRequest.PeerOp.Endpoint(var a) -> peer.setEndpoint(a);
          case UapiRequest.PeerOp.PersistentKeepalive(int s) -> peer.setPersistentKeepalive(s);
          case UapiRequest.PeerOp.ReplaceAllowedIps() -> peer.replaceAllowedIps(List.of());
          case UapiRequest.PeerOp.AllowedIp(var prefix, boolean remove) -> {
            if (remove) {
              peer.removeAllowedIp(prefix);
            } else {
              peer.addAllowedIp(prefix);
            }
          }
        }
        if (removed) {
          break; // the rest of the block applies to a "dummy" peer in wireguard-go: ignored
        }
      }
    }
  }

  @Override
  public void expireSessions() {
    for (Peer p : device.peers()) {
      p.expireCurrentKeypairs();
    }
  }

  @Override
  public String tesseraStatus() {
    StringBuilder sb = new StringBuilder();
    path.filter().appendStatus(sb);
    AgentStats s = path.stats();
    sb.append("drop_inbound_tun-write=").append(s.tunWriteDropped.sum()).append('\n');
    sb.append("drop_outbound_malformed=").append(s.outboundRejected.sum()).append('\n');
    sb.append("tun_packets_read=").append(s.tunPacketsRead.sum()).append('\n');
    sb.append("udp_datagrams_received=").append(s.datagramsReceived.sum()).append('\n');
    sb.append("loop_restarts=").append(s.loopRestarts.sum()).append('\n');
    sb.append("under_load=").append(device.isUnderLoad()).append('\n');
    for (Map.Entry<DropReason, Long> e : device.dropCounts().entrySet()) {
      sb.append("wg_drop_")
          .append(e.getKey().name().toLowerCase(java.util.Locale.ROOT))
          .append('=')
          .append(e.getValue())
          .append('\n');
    }
    // Per peer (key in hex, as UAPI get): non-zero drop counters by reason, the WireGuard core's
    // and the filter's.
    for (Peer p : device.peers()) {
      String hex = p.publicKey().toHex();
      for (DropReason r : DropReason.values()) {
        long n = p.drops(r);
        if (n > 0) {
          sb.append("peer_drop_")
              .append(hex)
              .append('_')
              .append(r.name().toLowerCase(java.util.Locale.ROOT))
              .append('=')
              .append(n)
              .append('\n');
        }
      }
      for (FilterGate.DropLabel l : FilterGate.DROP_LABELS) {
        long n = p.filterDrops(l.index());
        if (n > 0) {
          sb.append("peer_filter_drop_")
              .append(hex)
              .append('_')
              .append(l.direction())
              .append('_')
              .append(l.reason())
              .append('=')
              .append(n)
              .append('\n');
        }
      }
    }
    return sb.toString();
  }
}
