package dev.tessera.agent.config;

import dev.tessera.net.IpAddress;

/**
 * A peer endpoint as written in a config: {@code host:port} or {@code [v6]:port}. The host may be a
 * name (wg-quick resolves it once at startup); {@link #parseOrNull} does not resolve anything.
 */
public record Endpoint(String host, int port) {
  public Endpoint {
    if (host.isEmpty() || port < 1 || port > 65535) {
      throw new IllegalArgumentException("bad endpoint " + host + ":" + port);
    }
  }

  public static Endpoint parseOrNull(String text) {
    String t = text.strip();
    String host;
    String port;
    if (t.startsWith("[")) {
      int close = t.indexOf(']');
      if (close < 0 || close + 1 >= t.length() || t.charAt(close + 1) != ':') {
        return null;
      }
      host = t.substring(1, close);
      port = t.substring(close + 2);
      if (IpAddress.tryParse(host) == null || host.indexOf(':') < 0) {
        return null;
      }
    } else {
      int colon = t.lastIndexOf(':');
      if (colon <= 0 || t.indexOf(':') != colon) {
        return null; // a bare IPv6 address needs brackets
      }
      host = t.substring(0, colon);
      port = t.substring(colon + 1);
      for (int i = 0; i < host.length(); i++) {
        char c = host.charAt(i);
        if (!(Character.isLetterOrDigit(c) || c == '.' || c == '-' || c == '_')) {
          return null;
        }
      }
    }
    if (port.isEmpty() || port.length() > 5 || !port.chars().allMatch(c -> c >= '0' && c <= '9')) {
      return null;
    }
    int p = Integer.parseInt(port);
    return p >= 1 && p <= 65535 ? new Endpoint(host, p) : null;
  }

  @Override
  public String toString() {
    return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
  }
}
