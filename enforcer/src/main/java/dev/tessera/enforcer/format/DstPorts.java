package dev.tessera.enforcer.format;

import dev.tessera.net.IpPrefix;
import java.util.Objects;

/**
 * One destination of a rule: a prefix and an inclusive port range. For protocols without ports
 * (everything but TCP, UDP and SCTP) the range must be 0-65535 to match, except ICMP/ICMPv6, whose
 * rules ignore the range (see the enforcer README, "Semantics").
 */
public record DstPorts(IpPrefix prefix, int firstPort, int lastPort)
    implements Comparable<DstPorts> {
  public DstPorts {
    Objects.requireNonNull(prefix, "prefix");
    if (firstPort < 0 || lastPort > 65535 || firstPort > lastPort) {
      throw new IllegalArgumentException(
          "bad port range " + firstPort + "-" + lastPort + " for " + prefix);
    }
  }

  public static DstPorts allPorts(IpPrefix prefix) {
    return new DstPorts(prefix, 0, 65535);
  }

  public boolean allPorts() {
    return firstPort == 0 && lastPort == 65535;
  }

  public boolean containsPort(int port) {
    return port >= firstPort && port <= lastPort;
  }

  /** "22", "80-90" or "*" (0-65535). */
  public String portsText() {
    if (allPorts()) {
      return "*";
    }
    return firstPort == lastPort ? Integer.toString(firstPort) : firstPort + "-" + lastPort;
  }

  @Override
  public int compareTo(DstPorts o) {
    int c = prefix.compareTo(o.prefix);
    if (c == 0) {
      c = Integer.compare(firstPort, o.firstPort);
    }
    return c != 0 ? c : Integer.compare(lastPort, o.lastPort);
  }

  @Override
  public String toString() {
    return prefix + ":" + portsText();
  }
}
