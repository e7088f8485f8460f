package dev.tessera.agent.enroll;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tessera.agent.config.PrivateFiles;
import dev.tessera.agent.crypto.WgKey;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A node's state directory (0700), everything {@code tessera-agent up --server} keeps between runs:
 *
 * <pre>
 *   node.key      the WireGuard private key, base64 (0600); made here, never sent anywhere
 *   server.json   {"servers": [URL, ...], "serverKey": BASE64}: the servers of the control plane
 *                 this node belongs to and the signing key it trusts (given with --server-key, or
 *                 pinned on first use); a single "server": URL is read as a list of one
 *   server.crt    the pinned TLS certificates (PEM, one or more; each trusted for every
 *                 server), if given with --server-cert
 *   node.json     the identity the server assigned (name, addresses, port, interface) and the
 *                 route settings of `up` (advertised routes, exit node offer, accept-routes,
 *                 exit node)
 *   IFACE.bundle  the last good signed bundle, and IFACE.bundle.mark its high-water mark
 * </pre>
 *
 * Every file is written atomically, 0600 from its creation ({@link PrivateFiles}). The key is
 * written before the first enrollment, so an enrollment that failed or whose answer was lost is
 * retried with the same key.
 */
final class NodeState {
  static final String KEY_FILE = "node.key";
  static final String PIN_FILE = "server.json";
  static final String CERT_FILE = "server.crt";
  static final String IDENTITY_FILE = "node.json";

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path dir;

  /**
   * The servers of the control plane a node belongs to (in the order tried) and the key it trusts.
   */
  public record Pin(List<String> servers, String serverKey) {
    public Pin {
      servers = List.copyOf(servers);
    }
  }

  private NodeState(Path dir) {
    this.dir = dir;
  }

  public static NodeState at(Path dir) {
    return new NodeState(dir);
  }

  public Path dir() {
    return dir;
  }

  /** The private key, made (0600) on first use. */
  public WgKey loadOrCreateKey() throws IOException {
    Path f = dir.resolve(KEY_FILE);
    if (Files.exists(f)) {
      return readKey(f);
    }
    PrivateFiles.createDirectories(dir);
    WgKey k = WgKey.generatePrivate(new SecureRandom());
    PrivateFiles.writeString(f, k.toBase64() + "\n");
    return k;
  }

  /** The private key, if one was made. */
  public Optional<WgKey> key() throws IOException {
    Path f = dir.resolve(KEY_FILE);
    return Files.exists(f) ? Optional.of(readKey(f)) : Optional.empty();
  }

  private static WgKey readKey(Path f) throws IOException {
    try {
      return WgKey.fromBase64(Files.readString(f).strip());
    } catch (IllegalArgumentException e) {
      throw new IOException(f + " does not hold a WireGuard key: " + e.getMessage());
    }
  }

  public Optional<Pin> pin() throws IOException {
    Optional<JsonNode> j = read(PIN_FILE);
    if (j.isEmpty()) {
      return Optional.empty();
    }
    List<String> servers = new ArrayList<>();
    j.get().path("servers").forEach(u -> servers.add(u.asText("")));
    String single = j.get().path("server").asText("");
    if (servers.isEmpty() && !single.isEmpty()) {
      servers.add(single);
    }
    String key = j.get().path("serverKey").asText("");
    if (servers.isEmpty() || servers.contains("") || key.isEmpty()) {
      throw new IOException(dir.resolve(PIN_FILE) + " lacks servers or serverKey");
    }
    return Optional.of(new Pin(servers, key));
  }

  public void savePin(Pin pin) throws IOException {
    ObjectNode o = JSON.createObjectNode();
    o.set("servers", JSON.valueToTree(pin.servers()));
    o.put("serverKey", pin.serverKey());
    write(PIN_FILE, o);
  }

  /** The pinned certificate's path, if one was kept. */
  public Optional<Path> serverCert() {
    Path f = dir.resolve(CERT_FILE);
    return Files.exists(f) ? Optional.of(f) : Optional.empty();
  }

  /**
   * Keeps {@code certs} (at least one) as the pinned certificates, one PEM block after the other;
   * each is trusted for every server.
   */
  public Path saveServerCerts(List<java.security.cert.X509Certificate> certs) throws IOException {
    if (certs.isEmpty()) {
      throw new IllegalArgumentException("no certificate to pin");
    }
    PrivateFiles.writeString(dir.resolve(CERT_FILE), dev.tessera.bundle.TlsIdentity.pem(certs));
    return dir.resolve(CERT_FILE);
  }

  public Optional<Identity> identity() throws IOException {
    Optional<JsonNode> j = read(IDENTITY_FILE);
    if (j.isEmpty()) {
      return Optional.empty();
    }
    JsonNode o = j.get();
    List<String> tags = new ArrayList<>();
    o.path("tags").forEach(t -> tags.add(t.asText()));
    String name = o.path("name").asText("");
    String ipv4 = o.path("ipv4").asText("");
    String ipv6 = o.path("ipv6").asText("");
    String iface = o.path("interface").asText("");
    int port = o.path("listenPort").asInt(0);
    if (name.isEmpty() || ipv4.isEmpty() || ipv6.isEmpty() || iface.isEmpty() || port < 1) {
      throw new IOException(
          dir.resolve(IDENTITY_FILE) + " lacks name, addresses, listenPort or interface");
    }
    return Optional.of(
        new Identity(
            name,
            o.hasNonNull("user") ? Optional.of(o.get("user").asText()) : Optional.empty(),
            tags,
            ipv4,
            ipv6,
            port,
            iface));
  }

  /** The route settings kept with the identity; {@link UpSettings#UNSTATED} when none were. */
  public UpSettings settings() throws IOException {
    Optional<JsonNode> j = read(IDENTITY_FILE);
    if (j.isEmpty()) {
      return UpSettings.UNSTATED;
    }
    JsonNode o = j.get();
    Optional<List<String>> routes = Optional.empty();
    if (o.path("advertiseRoutes").isArray()) {
      List<String> r = new ArrayList<>();
      o.path("advertiseRoutes").forEach(t -> r.add(t.asText()));
      routes = Optional.of(r);
    }
    String exit = o.path("exitNode").asText("");
    return new UpSettings(
        routes,
        o.path("advertiseExitNode").asBoolean(false),
        o.path("acceptRoutes").asBoolean(false),
        exit.isEmpty() ? Optional.empty() : Optional.of(exit));
  }

  /** Writes the identity, keeping the route settings already kept. */
  public void saveIdentity(Identity id) throws IOException {
    save(id, settings());
  }

  /** Writes the identity and the route settings. */
  public void save(Identity id, UpSettings settings) throws IOException {
    ObjectNode o = JSON.createObjectNode();
    o.put("name", id.name());
    id.user().ifPresent(u -> o.put("user", u));
    o.set("tags", JSON.valueToTree(id.tags()));
    o.put("ipv4", id.ipv4());
    o.put("ipv6", id.ipv6());
    o.put("listenPort", id.listenPort());
    o.put("interface", id.iface());
    settings.advertiseRoutes().ifPresent(r -> o.set("advertiseRoutes", JSON.valueToTree(r)));
    o.put("advertiseExitNode", settings.advertiseExitNode());
    o.put("acceptRoutes", settings.acceptRoutes());
    settings.exitNode().ifPresent(e -> o.put("exitNode", e));
    write(IDENTITY_FILE, o);
  }

  /**
   * Forgets the node: deletes the key, pin, certificate, identity and every bundle and mark; the
   * directory itself stays (it may hold other interfaces' files). Returns the files deleted.
   */
  public List<Path> clear() throws IOException {
    List<Path> gone = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return gone;
    }
    List<Path> files;
    try (Stream<Path> s = Files.list(dir)) {
      files =
          s.filter(
                  p -> {
                    String n = p.getFileName().toString();
                    return n.equals(KEY_FILE)
                        || n.equals(PIN_FILE)
                        || n.equals(CERT_FILE)
                        || n.equals(IDENTITY_FILE)
                        || n.endsWith(".bundle")
                        || n.endsWith(".bundle.mark");
                  })
              .sorted()
              .toList();
    }
    // The identity goes first: a logout interrupted half-way leaves no identity behind a key.
    Path identity = dir.resolve(IDENTITY_FILE);
    if (Files.deleteIfExists(identity)) {
      gone.add(identity);
    }
    for (Path f : files) {
      if (Files.deleteIfExists(f)) {
        gone.add(f);
      }
    }
    return gone;
  }

  private Optional<JsonNode> read(String file) throws IOException {
    Path f = dir.resolve(file);
    if (!Files.exists(f)) {
      return Optional.empty();
    }
    if (Files.size(f) > 64 * 1024) {
      throw new IOException(f + " is too large to be a Tessera state file");
    }
    try {
      JsonNode j = JSON.readTree(Files.readAllBytes(f));
      if (j == null || !j.isObject()) {
        throw new IOException(f + " is not a JSON object");
      }
      return Optional.of(j);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IOException(f + " is not valid JSON: " + e.getOriginalMessage());
    }
  }

  private void write(String file, ObjectNode o) throws IOException {
    PrivateFiles.writeString(
        dir.resolve(file), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(o) + "\n");
  }
}
