package dev.tessera.agent.testing;

import dev.tessera.agent.crypto.WgKey;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A stock wireguard-go instance inside a lab namespace, configured with {@code wg} and {@code ip}.
 */
public final class WgGo {
  public final NetnsLab lab;
  public final String ns;
  public final String iface;
  public final Process process;

  private WgGo(NetnsLab lab, String ns, String iface, Process process) {
    this.lab = lab;
    this.ns = ns;
    this.iface = iface;
    this.process = process;
  }

  /**
   * Starts wireguard-go in {@code ns}, gives it {@code tunAddress}/24 and the private key, and
   * brings the link up. Peers are added with {@link #setPeer}.
   */
  public static WgGo start(
      NetnsLab lab,
      String ns,
      String iface,
      String privateKeyB64,
      int listenPort,
      String tunAddress)
      throws IOException {
    Path log = lab.dir.resolve(iface + ".wggo.log");
    Process p = lab.spawn(ns, log, "env", "LOG_LEVEL=error", "wireguard-go", "-f", iface);
    lab.dumpOnClose("wireguard-go " + iface, log);
    NetnsLab.waitFor(
        "wireguard-go UAPI socket for " + iface,
        10_000,
        () -> Files.exists(NetnsLab.uapiSocket(iface)) || !p.isAlive());
    if (!p.isAlive()) {
      throw new IOException("wireguard-go exited: " + Files.readString(log));
    }
    WgGo w = new WgGo(lab, ns, iface, p);
    Path key = lab.dir.resolve(iface + ".key");
    Files.writeString(key, privateKeyB64 + "\n");
    lab.in(
        ns,
        "wg",
        "set",
        iface,
        "private-key",
        key.toString(),
        "listen-port",
        Integer.toString(listenPort));
    lab.in(ns, "ip", "addr", "add", tunAddress + "/24", "dev", iface);
    lab.in(ns, "ip", "link", "set", "dev", iface, "mtu", "1420", "up");
    return w;
  }

  /**
   * The usual node B: wireguard-go in {@code nsB} ({@code TUN_B}, port 51821) with node A as its
   * peer ({@code TUN_A/32} at {@code UNDER_A:51820}, or no endpoint when {@code aEndpoint} is
   * false).
   */
  public static WgGo peerOfA(NetnsLab lab, WgKey b, WgKey a, boolean aEndpoint) throws IOException {
    WgGo w = start(lab, lab.nsB, lab.iface("gb"), b.toBase64(), 51821, NetnsLab.TUN_B);
    w.setPeer(
        a.publicKey().toBase64(),
        NetnsLab.TUN_A + "/32",
        aEndpoint ? NetnsLab.UNDER_A + ":51820" : null,
        0);
    return w;
  }

  public void setPeer(String publicKeyB64, String allowedIps, String endpoint, int keepalive)
      throws IOException {
    List<String> cmd =
        new ArrayList<>(
            List.of("wg", "set", iface, "peer", publicKeyB64, "allowed-ips", allowedIps));
    if (endpoint != null) {
      cmd.add("endpoint");
      cmd.add(endpoint);
    }
    if (keepalive > 0) {
      cmd.add("persistent-keepalive");
      cmd.add(Integer.toString(keepalive));
    }
    lab.in(ns, cmd.toArray(String[]::new));
  }

  public String show() throws IOException {
    return lab.in(ns, "wg", "show", iface, "dump");
  }

  public void stop() {
    lab.stop(process);
  }
}
