package dev.tessera.agent.distribution;

import dev.tessera.bundle.PollReport;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.function.IntSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * What this node reports with each bundle poll: the addresses of its interfaces that are up (not
 * loopback, not link-local, not the tunnel itself and not inside the tailnet) with its WireGuard
 * listen port, and its posture facts: {@code node:os} (as Tailscale names it: {@code linux}, {@code
 * macos}, {@code windows}, {@code freebsd}), {@code node:osVersion} (the kernel release) and {@code
 * node:tsVersion} (this agent's version). Interfaces are read at every poll, so a node that moves
 * reports its new addresses with its next poll. An enrolled node also reports the routes it
 * advertises ({@code up --advertise-routes}, {@code --advertise-exit-node}).
 */
public final class LocalReport implements Supplier<PollReport> {
  private final String tunnelInterface;
  private final IntSupplier listenPort;
  private final Predicate<InetAddress> inTailnet;
  private final Map<String, String> posture;
  private final java.util.Optional<List<dev.tessera.net.IpPrefix>> advertisedRoutes;

  /**
   * @param advertisedRoutes every route this node advertises, reported with each poll so that a
   *     change made by a later {@code up} reaches the registry; empty: nothing said about routes
   * @param tunnelInterface this agent's own interface (its addresses are not endpoints)
   * @param listenPort the UDP port WireGuard listens on now
   * @param inTailnet addresses inside the tailnet (they are not endpoints either)
   */
  public LocalReport(
      java.util.Optional<List<dev.tessera.net.IpPrefix>> advertisedRoutes,
      String tunnelInterface,
      IntSupplier listenPort,
      Predicate<InetAddress> inTailnet) {
    this.advertisedRoutes = advertisedRoutes;
    this.tunnelInterface = tunnelInterface;
    this.listenPort = listenPort;
    this.inTailnet = inTailnet;
    this.posture = posture();
  }

  @Override
  public PollReport get() {
    int port = listenPort.getAsInt();
    List<InetSocketAddress> endpoints = new ArrayList<>();
    if (port > 0) {
      for (InetAddress a : addresses()) {
        endpoints.add(new InetSocketAddress(a, port));
      }
    }
    return new PollReport(port, endpoints, posture, advertisedRoutes);
  }

  /** The candidate addresses of the interfaces that are up; empty when they cannot be listed. */
  List<InetAddress> addresses() {
    List<InetAddress> out = new ArrayList<>();
    try {
      for (NetworkInterface nif : NetworkInterface.networkInterfaces().toList()) {
        if (!nif.isUp() || nif.isLoopback() || nif.getName().equals(tunnelInterface)) {
          continue;
        }
        for (InetAddress a : nif.inetAddresses().toList()) {
          if (endpoint(a) && !inTailnet.test(a)) {
            out.add(a);
          }
        }
      }
    } catch (SocketException e) {
      return List.of(); // the observed source address still makes an endpoint
    }
    return out;
  }

  /** An address a peer could send to: not loopback, link-local, multicast or unspecified. */
  static boolean endpoint(InetAddress a) {
    return !a.isLoopbackAddress()
        && !a.isLinkLocalAddress()
        && !a.isMulticastAddress()
        && !a.isAnyLocalAddress();
  }

  static Map<String, String> posture() {
    Map<String, String> facts = new TreeMap<>();
    facts.put("node:os", os(System.getProperty("os.name", "")));
    String release = System.getProperty("os.version", "");
    if (!release.isBlank()) {
      facts.put("node:osVersion", release);
    }
    facts.put("node:tsVersion", version());
    return facts;
  }

  /** Tailscale's names for operating systems ({@code node:os}). */
  static String os(String javaName) {
    String n = javaName.toLowerCase(Locale.ROOT);
    if (n.startsWith("linux")) {
      return "linux";
    } else if (n.startsWith("mac")) {
      return "macos";
    } else if (n.startsWith("windows")) {
      return "windows";
    } else if (n.startsWith("freebsd")) {
      return "freebsd";
    }
    return n.replaceAll("[^a-z0-9]", "");
  }

  /** This agent's version, as the build wrote it. */
  static String version() {
    try (InputStream in = LocalReport.class.getResourceAsStream("version.properties")) {
      if (in == null) {
        return "unknown";
      }
      Properties p = new Properties();
      p.load(in);
      String v = p.getProperty("version", "unknown");
      return v.startsWith("${") ? "unknown" : v;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
