package dev.tessera.agent.distribution;

import dev.tessera.agent.config.AgentConfig;
import dev.tessera.bundle.SigningKey;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The validated {@code [Tessera]} keys for signed filter distribution.
 *
 * <pre>
 *   [Tessera]
 *   PolicyServer = 198.51.100.7:8411        # host:port, [v6]:port (HTTPS), or https://host:port;
 *                                            #   several, comma-separated: servers of one control
 *                                            #   plane (one key, one database), tried in order
 *   ServerKey    = base64 Ed25519 key        # printed by `policyc keygen`
 *   Node         = web-1                     # this node's name in the inventory
 *   StateDir     = /var/lib/tessera          # optional; last good bundle: STATEDIR/IFACE.bundle
 *   ServerCert   = /etc/tessera/server.crt   # optional; HTTPS trusting exactly the certificates
 *                                            #   in this PEM file (one, or one per server)
 *   MaxPolicyAge = 1h                        # optional; how long a policy the server no longer
 *                                            #   vouches for stays in force (s, m, h, d suffix)
 *   StaleMode    = fail-closed               # optional; or keep-last-good: what happens after that
 *   PlainHttp    = yes                       # optional; allows http://host:port (filters and node
 *                                            #   requests readable on the path), with a warning
 * </pre>
 *
 * <p>The policy server is spoken to over HTTPS: with {@code ServerCert} pinned to that certificate,
 * without it verified through the JDK's trust store. Plain HTTP (an {@code http://} server) is
 * refused unless {@code PlainHttp = yes} says so; the agent then warns at start. Bundles and
 * freshness statements are signed either way, so plain HTTP costs confidentiality (who may talk to
 * whom), not integrity.
 *
 * <p>Several servers in {@code PolicyServer} are the {@code policyc serve} processes of one control
 * plane: the same signing key ({@code ServerKey} verifies every one of them) and one PostgreSQL
 * database. The agent polls the one that answered last and moves to the next when it fails (see
 * {@code BundleClient}); {@code ServerCert} and {@code PlainHttp} apply to all of them: servers
 * with certificates of their own are pinned with one file that holds every one of them, each
 * trusted for every server.
 *
 * <p>Every key is checked here, before any interface exists, so a bad value stops the agent with a
 * message naming the key instead of starting it with a half-configured policy source. The server
 * must be reachable over the underlay, not through this tunnel: until a bundle is in force the
 * tunnel carries nothing (see {@code FilterGate.fromBundles}).
 *
 * @param servers base URIs, at least one, no repeats; the client resolves {@code /v1/...} against
 *     them
 * @param serverKey 32-byte Ed25519 public key
 * @param node the inventory node name; bundles for any other node are refused
 * @param stateFile where the last good bundle is kept
 * @param waitSeconds long-poll wait the agent asks for
 * @param serverCert a PEM file of the servers' self-signed certificates to pin ({@code policyc
 *     keygen --tls}; one, or one per server), or empty for plain HTTP or HTTPS verified through the
 *     JDK's trust store
 * @param maxPolicyAge how long after the server last vouched for the policy in force (a signed
 *     freshness statement) the agent keeps enforcing it; after that {@code staleMode} applies
 * @param staleMode what a policy older than {@code maxPolicyAge} comes to
 */
public record DistributionSettings(
    List<URI> servers,
    byte[] serverKey,
    String node,
    Path stateFile,
    int waitSeconds,
    Optional<Path> serverCert,
    java.time.Duration maxPolicyAge,
    StaleMode staleMode) {
  public static final Path DEFAULT_STATE_DIR = Path.of("/var/lib/tessera");

  /** Below the server's 120 s maximum and common idle timeouts of middleboxes. */
  public static final int DEFAULT_WAIT_SECONDS = 30;

  /**
   * An hour: twelve lifetimes of the server's default freshness statement (5 min), so a server
   * restart or a short outage never trips it, while a fleet cut off from revocations (a freeze
   * attack, or a server gone) stops enforcing a possibly revoked policy within the hour.
   */
  public static final java.time.Duration DEFAULT_MAX_POLICY_AGE = java.time.Duration.ofHours(1);

  /** What a policy older than {@code MaxPolicyAge} comes to. */
  public enum StaleMode {
    /** Drop all tunnel traffic both ways until the server vouches for a policy again (default). */
    FAIL_CLOSED,
    /** Keep enforcing the last good policy, reported stale (an explicit availability choice). */
    KEEP_LAST_GOOD
  }

  /** At most this many servers in {@code PolicyServer}. */
  public static final int MAX_SERVERS = 16;

  public DistributionSettings {
    servers = List.copyOf(servers);
    if (servers.isEmpty()) {
      throw new IllegalArgumentException("no policy server");
    }
    serverKey = serverKey.clone();
  }

  /** One server; default maximum age and stale mode. */
  public DistributionSettings(
      URI server,
      byte[] serverKey,
      String node,
      Path stateFile,
      int waitSeconds,
      Optional<Path> serverCert) {
    this(
        List.of(server),
        serverKey,
        node,
        stateFile,
        waitSeconds,
        serverCert,
        DEFAULT_MAX_POLICY_AGE,
        StaleMode.FAIL_CLOSED);
  }

  /** One server, without a pinned certificate. */
  public DistributionSettings(
      URI server, byte[] serverKey, String node, Path stateFile, int waitSeconds) {
    this(server, serverKey, node, stateFile, waitSeconds, Optional.empty());
  }

  @Override
  public byte[] serverKey() {
    return serverKey.clone();
  }

  /** A [Tessera] setting that cannot be used, with the key it concerns. */
  public static final class InvalidSettings extends Exception {
    public InvalidSettings(String message) {
      super(message, null, false, false);
    }
  }

  /**
   * True when the section mentions distribution at all (any of PolicyServer, ServerKey, Node,
   * StateDir). A partial set is then an error from {@link #from}, not silently ignored.
   */
  public static boolean requested(AgentConfig.Tessera t) {
    return t.policyServer().isPresent()
        || t.serverKey().isPresent()
        || t.node().isPresent()
        || t.stateDir().isPresent()
        || t.plainHttp().isPresent();
  }

  /**
   * Validates the section. {@code filterOverride} is {@code --filter}; a filter file and a policy
   * server are mutually exclusive, because silently preferring either would enforce something the
   * operator did not expect.
   */
  public static DistributionSettings from(
      AgentConfig.Tessera t, String iface, Optional<Path> filterOverride) throws InvalidSettings {
    if (t.policyServer().isEmpty()) {
      throw new InvalidSettings(
          "[Tessera] ServerKey, Node, StateDir and PlainHttp need PolicyServer (they configure signed filter distribution)");
    }
    if (t.filterFile().isPresent() || filterOverride.isPresent()) {
      throw new InvalidSettings(
          "[Tessera] PolicyServer and a filter file (FilterFile or --filter) are mutually"
              + " exclusive; configure one source of policy");
    }
    boolean plainAllowed = false;
    if (t.plainHttp().isPresent()) {
      plainAllowed =
          switch (t.plainHttp().get().strip().toLowerCase(Locale.ROOT)) {
            case "yes", "true" -> true;
            case "no", "false" -> false;
            default ->
                throw new InvalidSettings(
                    "[Tessera] PlainHttp must be yes or no, got '" + t.plainHttp().get() + "'");
          };
      if (plainAllowed && t.serverCert().isPresent()) {
        throw new InvalidSettings(
            "[Tessera] PlainHttp = yes and ServerCert contradict each other; a pinned certificate"
                + " means HTTPS");
      }
    }
    List<URI> servers =
        parseServers(t.policyServer().get(), t.serverCert().isPresent(), plainAllowed);
    byte[] key;
    try {
      key =
          SigningKey.parsePublicKey(
              t.serverKey()
                  .orElseThrow(
                      () ->
                          new InvalidSettings(
                              "[Tessera] PolicyServer needs ServerKey (the base64 key `policyc keygen` printed)")));
    } catch (IllegalArgumentException e) {
      throw new InvalidSettings("[Tessera] ServerKey: " + e.getMessage());
    }
    String node =
        t.node()
            .orElseThrow(
                () ->
                    new InvalidSettings(
                        "[Tessera] PolicyServer needs Node (this node's name in the inventory)"));
    if (node.chars().anyMatch(c -> c < 0x21 || c == 0x7f)) {
      throw new InvalidSettings(
          "[Tessera] Node must not contain spaces or control characters: '" + node + "'");
    }
    Path dir = t.stateDir().orElse(DEFAULT_STATE_DIR);
    if (t.serverCert().isPresent() && !java.nio.file.Files.isReadable(t.serverCert().get())) {
      throw new InvalidSettings("[Tessera] ServerCert: cannot read " + t.serverCert().get());
    }
    java.time.Duration maxAge = DEFAULT_MAX_POLICY_AGE;
    if (t.maxPolicyAge().isPresent()) {
      maxAge = parseDuration(t.maxPolicyAge().get());
    }
    StaleMode mode = StaleMode.FAIL_CLOSED;
    if (t.staleMode().isPresent()) {
      mode =
          switch (t.staleMode().get().strip().toLowerCase(Locale.ROOT)) {
            case "fail-closed" -> StaleMode.FAIL_CLOSED;
            case "keep-last-good" -> StaleMode.KEEP_LAST_GOOD;
            default ->
                throw new InvalidSettings(
                    "[Tessera] StaleMode must be fail-closed or keep-last-good, got '"
                        + t.staleMode().get()
                        + "'");
          };
    }
    return new DistributionSettings(
        servers,
        key,
        node,
        dir.resolve(iface + ".bundle"),
        DEFAULT_WAIT_SECONDS,
        t.serverCert(),
        maxAge,
        mode);
  }

  /** {@code 90s}, {@code 30m}, {@code 1h}, {@code 2d}; at least a minute, at most 30 days. */
  static java.time.Duration parseDuration(String value) throws InvalidSettings {
    String v = value.strip().toLowerCase(Locale.ROOT);
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d{1,7})([smhd])").matcher(v);
    if (!m.matches()) {
      throw new InvalidSettings(
          "[Tessera] MaxPolicyAge must be a number with s, m, h or d (e.g. 1h), got '"
              + value
              + "'");
    }
    long n = Long.parseLong(m.group(1));
    java.time.Duration d =
        switch (m.group(2)) {
          case "s" -> java.time.Duration.ofSeconds(n);
          case "m" -> java.time.Duration.ofMinutes(n);
          case "h" -> java.time.Duration.ofHours(n);
          default -> java.time.Duration.ofDays(n);
        };
    if (d.compareTo(java.time.Duration.ofMinutes(1)) < 0
        || d.compareTo(java.time.Duration.ofDays(30)) > 0) {
      throw new InvalidSettings(
          "[Tessera] MaxPolicyAge must be between 1m and 30d, got '" + value + "'");
    }
    return d;
  }

  /**
   * A comma-separated list of servers, each as {@link #parseServer(String, boolean, boolean)}: at
   * least one, at most {@value #MAX_SERVERS}, none twice.
   */
  public static List<URI> parseServers(String value, boolean pinned, boolean plainAllowed)
      throws InvalidSettings {
    List<URI> out = new ArrayList<>();
    for (String one : value.split(",", -1)) {
      if (one.isBlank()) {
        throw new InvalidSettings(
            "[Tessera] PolicyServer has an empty entry in '"
                + value
                + "' (servers are separated by single commas)");
      }
      URI u = parseServer(one, pinned, plainAllowed);
      if (out.contains(u)) {
        throw new InvalidSettings("[Tessera] PolicyServer names " + u + " twice");
      }
      out.add(u);
    }
    if (out.size() > MAX_SERVERS) {
      throw new InvalidSettings(
          "[Tessera] PolicyServer names " + out.size() + " servers; at most " + MAX_SERVERS);
    }
    return List.copyOf(out);
  }

  /** {@code host:port}, {@code [v6]:port} or {@code https://host:port[/]}: HTTPS. */
  static URI parseServer(String value) throws InvalidSettings {
    return parseServer(value, false, false);
  }

  /**
   * For {@code tessera-agent up --server URL}: an {@code http://} URL given there is the operator's
   * explicit choice (the config written for it says {@code PlainHttp = yes}, and the agent warns at
   * start); a bare host:port means HTTPS.
   */
  public static URI parseServer(String value, boolean pinned) throws InvalidSettings {
    return parseServer(value, pinned, true);
  }

  /**
   * As above. A bare host:port means HTTPS; {@code http://host:port} is accepted only with {@code
   * plainAllowed} (PlainHttp = yes), and never with a pinned certificate.
   */
  static URI parseServer(String value, boolean pinned, boolean plainAllowed)
      throws InvalidSettings {
    String v = value.strip();
    String lower = v.toLowerCase(Locale.ROOT);
    if (pinned && lower.startsWith("http://")) {
      throw new InvalidSettings(
          "[Tessera] ServerCert needs an https PolicyServer, got '" + value + "'");
    }
    if (lower.startsWith("http://") && !plainAllowed) {
      throw new InvalidSettings(
          "[Tessera] PolicyServer '"
              + value
              + "' is plain HTTP: every filter and request would be readable on the path. Use"
              + " https (ServerCert = the certificate `policyc keygen --tls` wrote, or a server"
              + " certificate the system trusts), or set PlainHttp = yes to accept plain HTTP");
    }
    String text = lower.startsWith("http://") || lower.startsWith("https://") ? v : "https://" + v;
    URI uri;
    try {
      uri = new URI(text);
    } catch (URISyntaxException e) {
      throw new InvalidSettings(
          "[Tessera] PolicyServer is not host:port or an http(s) URL: '" + value + "'");
    }
    if (uri.getHost() == null || uri.getPort() < 1 || uri.getPort() > 65535) {
      throw new InvalidSettings(
          "[Tessera] PolicyServer needs a host and a port (host:port), got '" + value + "'");
    }
    if ((uri.getRawPath() != null && !uri.getRawPath().isEmpty() && !uri.getRawPath().equals("/"))
        || uri.getRawQuery() != null
        || uri.getRawFragment() != null
        || uri.getRawUserInfo() != null) {
      throw new InvalidSettings(
          "[Tessera] PolicyServer must be just scheme://host:port (the API lives at /v1/), got '"
              + value
              + "'");
    }
    return URI.create(
        uri.getScheme().toLowerCase(Locale.ROOT) + "://" + uri.getRawAuthority() + "/");
  }
}
