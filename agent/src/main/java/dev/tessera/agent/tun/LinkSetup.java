package dev.tessera.agent.tun;

import dev.tessera.net.IpCidr;
import dev.tessera.net.IpPrefix;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * Addresses a TUN interface and installs routes with iproute2's {@code ip}, as wg-quick does.
 *
 * <p>Why a subprocess rather than rtnetlink through FFM: addressing happens once at startup, and
 * {@code ip} gives exactly wg-quick's semantics and error messages; the data path never runs it.
 *
 * <p>Routes given to {@link #configure}: one {@code ip route replace PREFIX dev IFACE} each in the
 * main table. The agent passes none and lets {@link PolicyRouting} install AllowedIPs routes, which
 * knows wg-quick's {@code Table =} and the fwmark rules a {@code /0} route needs; a {@code /0}
 * given here is refused with a log line, since in the main table it would capture the tunnel's own
 * UDP.
 */
public final class LinkSetup {
  private final Consumer<String> log;

  public LinkSetup(Consumer<String> log) {
    this.log = log;
  }

  public void configure(String iface, int mtu, List<IpCidr> addresses, List<IpPrefix> routes)
      throws IOException {
    ip("link", "set", "dev", iface, "mtu", Integer.toString(mtu));
    for (IpCidr a : addresses) {
      ip(a.isIpv6() ? "-6" : "-4", "address", "replace", a.toMixedString(), "dev", iface);
    }
    ip("link", "set", "dev", iface, "up");
    for (IpPrefix r : routes) {
      addRoute(iface, r);
    }
  }

  public void addRoute(String iface, IpPrefix m) throws IOException {
    if (m.bits() == 0) {
      log.accept(
          "not installing default route "
              + m.toMixedString()
              + " via "
              + iface
              + " in the main table (it needs PolicyRouting's fwmark rules)");
      return;
    }
    ip(m.ipv6() ? "-6" : "-4", "route", "replace", m.toMixedString(), "dev", iface);
  }

  public void removeRoute(String iface, IpPrefix m) {
    if (m.bits() == 0) {
      return;
    }
    try {
      ip(m.ipv6() ? "-6" : "-4", "route", "del", m.toMixedString(), "dev", iface);
    } catch (IOException e) {
      log.accept("could not remove route " + m.toMixedString() + ": " + e.getMessage());
    }
  }

  /** Runs {@code ip ARGS}; throws with ip's own message when it fails. */
  public static String ip(String... args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add("ip");
    cmd.addAll(List.of(args));
    return run(cmd);
  }

  /** Runs a command (no shell); throws with its own message when it fails or takes over 10 s. */
  public static String run(List<String> cmd) throws IOException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    // Read while it runs: output beyond the pipe's buffer would block it until the timeout.
    FutureTask<byte[]> output = new FutureTask<>(p.getInputStream()::readAllBytes);
    Thread.ofVirtual().name("output of " + cmd.getFirst()).start(output);
    String out;
    try {
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException(String.join(" ", cmd) + ": timed out");
      }
      out = new String(output.get(10, TimeUnit.SECONDS), StandardCharsets.UTF_8).strip();
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException(String.join(" ", cmd) + ": interrupted");
    } catch (ExecutionException | TimeoutException e) {
      throw new IOException(String.join(" ", cmd) + ": its output could not be read", e);
    }
    if (p.exitValue() != 0) {
      throw new IOException(String.join(" ", cmd) + " failed: " + out);
    }
    return out;
  }
}
