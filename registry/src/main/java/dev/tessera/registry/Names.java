package dev.tessera.registry;

import dev.tessera.net.IpPrefix;
import dev.tessera.registry.RegistryException.Code;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Checks of everything that enters the registry from outside: hostnames, tags, users, keys, routes.
 */
final class Names {
  private static final Pattern HOSTNAME = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
  private static final Pattern TAG = Pattern.compile("tag:[A-Za-z0-9][A-Za-z0-9_-]{0,62}");

  private Names() {}

  /**
   * A node name: one DNS label (letters, digits, hyphens, at most 63, not starting or ending with a
   * hyphen), case folded to lowercase, since it is the node's name in the policy and in DNS.
   */
  static String hostname(String raw) throws RegistryException {
    String h = raw == null ? "" : raw.toLowerCase(Locale.ROOT);
    if (!HOSTNAME.matcher(h).matches()) {
      throw new RegistryException(
          Code.MALFORMED_HOSTNAME,
          "hostname '"
              + printable(raw)
              + "' is not a DNS label: use 1-63 letters, digits and hyphens, not starting or ending with a hyphen");
    }
    return h;
  }

  static List<String> tags(List<String> raw) throws RegistryException {
    LinkedHashSet<String> out = new LinkedHashSet<>();
    for (String t : raw) {
      if (t == null || !TAG.matcher(t).matches()) {
        throw new RegistryException(
            Code.MALFORMED_TAG,
            "'"
                + printable(t)
                + "' is not a tag: tags look like tag:NAME (letters, digits, '-' and '_')");
      }
      out.add(t);
    }
    return List.copyOf(new java.util.TreeSet<>(out));
  }

  static String user(String raw) throws RegistryException {
    if (raw == null
        || raw.isBlank()
        || raw.length() > 256
        || raw.chars().anyMatch(c -> c <= ' ' || c == 0x7f)
        || raw.startsWith("tag:")
        || raw.startsWith("group:")
        || raw.startsWith("autogroup:")) {
      throw new RegistryException(
          Code.MALFORMED_USER,
          "'"
              + printable(raw)
              + "' is not a user name: use the name the policy uses, e.g. alice@example.com");
    }
    return raw;
  }

  /** A WireGuard public key: standard base64 of 32 bytes, not all zero. Returns it canonical. */
  static String publicKey(String raw) throws RegistryException {
    byte[] k;
    try {
      k = raw == null ? new byte[0] : Base64.getDecoder().decode(raw.strip());
    } catch (IllegalArgumentException e) {
      k = new byte[0];
    }
    if (k.length != 32) {
      throw new RegistryException(
          Code.MALFORMED_PUBLIC_KEY,
          "public key is not a WireGuard key (base64 of 32 bytes, as `wg pubkey` prints)");
    }
    boolean zero = true;
    for (byte b : k) {
      zero &= b == 0;
    }
    if (zero) {
      throw new RegistryException(Code.MALFORMED_PUBLIC_KEY, "public key is all zeros");
    }
    return Base64.getEncoder().encodeToString(k);
  }

  /** Routes in canonical text, de-duplicated and sorted (IPv4 first). */
  static List<String> routes(List<String> raw) throws RegistryException {
    List<IpPrefix> out = new ArrayList<>();
    for (String r : raw) {
      IpPrefix p = r == null || r.indexOf('/') < 0 ? null : IpPrefix.tryParse(r.strip());
      if (p == null) {
        throw new RegistryException(
            Code.MALFORMED_ROUTE,
            "'"
                + printable(r)
                + "' is not a route: write a prefix with its host bits zero, e.g. 10.1.0.0/16 or fd00:1::/64");
      }
      if (!out.contains(p)) {
        out.add(p);
      }
    }
    out.sort(null); // IPv4 first, then by address, then shorter first
    return out.stream().map(IpPrefix::toString).toList();
  }

  /** Text safe to echo in a message: control characters shown as '?', at most 80 characters. */
  static String printable(String s) {
    if (s == null) {
      return "";
    }
    StringBuilder sb = new StringBuilder();
    s.codePoints().limit(80).forEach(c -> sb.appendCodePoint(Character.isISOControl(c) ? '?' : c));
    return s.length() > 80 ? sb + "..." : sb.toString();
  }
}
