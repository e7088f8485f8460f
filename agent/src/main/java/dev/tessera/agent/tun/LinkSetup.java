package dev.tessera.agent.tun;

import dev.tessera.agent.config.Cidr;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Addresses a TUN interface and installs routes with iproute2's {@code ip}, as wg-quick does.
 *
 * <p>Why a subprocess rather than rtnetlink through FFM: addressing happens once at startup, and
 * {@code ip} gives exactly wg-quick's semantics and error messages; the data path never runs it.
 *
 * <p>Routes: one {@code ip route replace PREFIX dev IFACE} per AllowedIPs prefix (idempotent when
 * the interface address already implies it). A {@code /0} route is not installed: wg-quick makes
 * it work with a fwmark and a separate routing table so the tunnel's own UDP packets do not loop
 * into the tunnel; the agent does not implement that yet and says so instead of breaking the host's
 * default route.
 */
public final class LinkSetup {
  private final Consumer<String> log;

  public LinkSetup(Consumer<String> log) {
    this.log = log;
  }

  public void configure(String iface, int mtu, List<Cidr> addresses, List<Cidr> routes) throws IOException {
    ip("link", "set", "dev", iface, "mtu", Integer.toString(mtu));
    for (Cidr a : addresses) {
      ip(a.isIpv4() ? "-4" : "-6", "address", "replace", a.toString(), "dev", iface);
    }
    ip("link", "set", "dev", iface, "up");
    for (Cidr r : routes) {
      addRoute(iface, r);
    }
  }

  public void addRoute(String iface, Cidr r) throws IOException {
    Cidr m = r.masked();
    if (m.bits() == 0) {
      log.accept("not installing default route " + m + " via " + iface
          + " (needs wg-quick's fwmark/table setup, not implemented); add it yourself if wanted");
      return;
    }
    ip(m.isIpv4() ? "-4" : "-6", "route", "replace", m.toString(), "dev", iface);
  }

  public void removeRoute(String iface, Cidr r) {
    Cidr m = r.masked();
    if (m.bits() == 0) {
      return;
    }
    try {
      ip(m.isIpv4() ? "-4" : "-6", "route", "del", m.toString(), "dev", iface);
    } catch (IOException e) {
      log.accept("could not remove route " + m + ": " + e.getMessage());
    }
  }

  /** Runs {@code ip ARGS}; throws with ip's own message when it fails. */
  public static String ip(String... args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add("ip");
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    try {
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException(String.join(" ", cmd) + ": timed out");
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException(String.join(" ", cmd) + ": interrupted");
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    if (p.exitValue() != 0) {
      throw new IOException(String.join(" ", cmd) + " failed: " + out);
    }
    return out;
  }
}
