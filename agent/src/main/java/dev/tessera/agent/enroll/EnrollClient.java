package dev.tessera.agent.enroll;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tessera.agent.crypto.WgKey;
import dev.tessera.bundle.BoundedBody;
import dev.tessera.bundle.NodeAuth;
import dev.tessera.bundle.SigningKey;
import dev.tessera.bundle.TlsIdentity;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The agent's side of the control plane's node API: {@code GET /v1/server-key}, {@code POST
 * /v1/enroll}, {@code POST /v1/logout}.
 *
 * <p>Enrollment and logout are signed with {@link NodeAuth}: an HMAC keyed by the X25519 secret of
 * the node's private key and the server's key, so they need the server's key first (given, or
 * fetched once and pinned by the caller). For enrollment the node name in the signature is the
 * public key being registered, which proves the node holds its private half; the private key itself
 * never leaves this process. Every failure becomes an {@link EnrollException} whose message says
 * what to do; nothing here throws anything else at a user.
 */
final class EnrollClient implements AutoCloseable {
  /** Answers are small JSON; anything longer is not read. */
  static final int MAX_ANSWER_BYTES = 64 * 1024;

  private static final ObjectMapper JSON = new ObjectMapper();

  private final URI server;
  private final HttpClient http;

  /** What the node asks for when it enrolls. */
  public record Request(
      String authKey,
      String hostname,
      List<String> advertiseRoutes,
      boolean exitNode,
      int listenPort,
      List<String> endpoints,
      Map<String, String> posture) {
    public Request {
      advertiseRoutes = List.copyOf(advertiseRoutes);
      endpoints = List.copyOf(endpoints);
      posture = Map.copyOf(posture);
    }
  }

  /**
   * @param server base URI ({@code http(s)://host:port/})
   * @param serverCert a PEM file of the only certificates trusted for HTTPS (one, or one per
   *     server), or null for the JDK's trust store
   */
  public EnrollClient(URI server, Path serverCert) throws EnrollException {
    this.server = server;
    HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5));
    if (serverCert != null) {
      try {
        b.sslContext(TlsIdentity.trusting(serverCert));
      } catch (IOException e) {
        throw new EnrollException(
            EnrollException.Kind.USAGE,
            "server-cert",
            "cannot use the server certificate " + serverCert + ": " + e.getMessage());
      }
    }
    this.http = b.build();
  }

  /**
   * The server's public signing key, as it says itself ({@code GET /v1/server-key}). Only as
   * trustworthy as the path to the server: the caller pins it (trust on first use).
   */
  public byte[] fetchServerKey() throws EnrollException {
    HttpResponse<byte[]> r =
        send(
            HttpRequest.newBuilder(server.resolve("/v1/server-key"))
                .timeout(Duration.ofSeconds(10))
                .GET());
    if (r.statusCode() == 404) {
      throw new EnrollException(
          EnrollException.Kind.REFUSED,
          "no-registry",
          server
              + " publishes no server key: it is not a Tessera server with a registry"
              + " (policyc serve without --inventory)");
    }
    requireOk(r);
    String text = new String(r.body(), StandardCharsets.US_ASCII).strip();
    try {
      return SigningKey.parsePublicKey(text);
    } catch (IllegalArgumentException e) {
      throw new EnrollException(
          EnrollException.Kind.UNREACHABLE,
          "bad-answer",
          server + " answered a server key that is not one: " + e.getMessage());
    }
  }

  /**
   * Registers {@code privateKey}'s public key with an auth key; returns what the server assigned.
   */
  public Enrolled enroll(WgKey privateKey, byte[] serverKey, Request req) throws EnrollException {
    String publicKey = privateKey.publicKey().toBase64();
    ObjectNode o = JSON.createObjectNode();
    o.put("authKey", req.authKey());
    o.put("publicKey", publicKey);
    o.put("hostname", req.hostname());
    o.set("advertiseRoutes", JSON.valueToTree(req.advertiseRoutes()));
    o.put("exitNode", req.exitNode());
    o.put("listenPort", req.listenPort());
    o.set("endpoints", JSON.valueToTree(req.endpoints()));
    o.set("posture", JSON.valueToTree(req.posture()));
    byte[] body = bytes(o);
    HttpResponse<byte[]> r = send(signedPost("/v1/enroll", publicKey, privateKey, serverKey, body));
    requireOk(r);
    JsonNode a = answer(r);
    List<String> tags = new ArrayList<>();
    a.path("tags").forEach(t -> tags.add(t.asText()));
    String name = a.path("name").asText("");
    String ipv4 = a.path("ipv4").asText("");
    String ipv6 = a.path("ipv6").asText("");
    if (name.isEmpty() || ipv4.isEmpty() || ipv6.isEmpty()) {
      throw new EnrollException(
          EnrollException.Kind.UNREACHABLE,
          "bad-answer",
          server + " accepted the enrollment but its answer lacks the name or the addresses");
    }
    List<String> approved = new ArrayList<>();
    a.path("approvedRoutes").forEach(t -> approved.add(t.asText()));
    return new Enrolled(
        name,
        a.hasNonNull("user") ? Optional.of(a.get("user").asText()) : Optional.empty(),
        tags,
        ipv4,
        ipv6,
        a.path("keyExpiry").asText("never"),
        approved);
  }

  /** The server's answer to an enrollment. */
  public record Enrolled(
      String name,
      Optional<String> user,
      List<String> tags,
      String ipv4,
      String ipv6,
      String keyExpiry,
      List<String> approvedRoutes) {
    public Enrolled {
      tags = List.copyOf(tags);
      approvedRoutes = List.copyOf(approvedRoutes);
    }
  }

  /** Deletes the node {@code name} (signed with its key) from the server's registry. */
  public void logout(String name, WgKey privateKey, byte[] serverKey) throws EnrollException {
    HttpResponse<byte[]> r =
        send(signedPost("/v1/logout", name, privateKey, serverKey, new byte[0]));
    if (r.statusCode() == 401) {
      throw new EnrollException(
          EnrollException.Kind.REFUSED,
          "unauthorized",
          server
              + " does not accept node "
              + name
              + " with this key (deleted already, or expired); nothing was changed there");
    }
    requireOk(r);
  }

  private HttpRequest.Builder signedPost(
      String path, String node, WgKey privateKey, byte[] serverKey, byte[] body)
      throws EnrollException {
    NodeAuth.Headers h;
    byte[] priv = privateKey.bytes();
    try {
      h = new NodeAuth.Signer(node, priv, serverKey).sign("POST", path, body, now());
    } catch (IllegalArgumentException e) {
      throw new EnrollException(
          EnrollException.Kind.USAGE,
          "server-key",
          "the server key cannot be used: " + e.getMessage());
    } finally {
      java.util.Arrays.fill(priv, (byte) 0);
    }
    HttpRequest.Builder b =
        HttpRequest.newBuilder(server.resolve(path))
            .timeout(Duration.ofSeconds(20))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    h.asMap().forEach(b::header);
    return b;
  }

  private static long now() {
    return System.currentTimeMillis();
  }

  private HttpResponse<byte[]> send(HttpRequest.Builder req) throws EnrollException {
    try {
      HttpResponse<byte[]> r = http.send(req.build(), BoundedBody.atMost(MAX_ANSWER_BYTES));
      if (r.body() == null) {
        throw new EnrollException(
            EnrollException.Kind.UNREACHABLE,
            "bad-answer",
            server + " answered more than " + MAX_ANSWER_BYTES + " bytes; not read");
      }
      return r;
    } catch (javax.net.ssl.SSLException e) {
      throw new EnrollException(
          EnrollException.Kind.USAGE,
          "tls",
          "TLS with "
              + server
              + " failed ("
              + e.getMessage()
              + "); for a server with its own certificate give it with --server-cert FILE");
    } catch (IOException e) {
      String why =
          switch (e) {
            case java.net.ConnectException c -> "connection refused";
            case java.net.http.HttpTimeoutException t -> "no answer in time";
            default -> e.getMessage() == null ? "connection failed" : e.getMessage();
          };
      throw new EnrollException(
          EnrollException.Kind.UNREACHABLE, "unreachable", "cannot reach " + server + ": " + why);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new EnrollException(EnrollException.Kind.UNREACHABLE, "interrupted", "interrupted");
    }
  }

  /** A refusal (4xx) or failure (5xx) with the server's code and message. */
  private void requireOk(HttpResponse<byte[]> r) throws EnrollException {
    int s = r.statusCode();
    if (s >= 200 && s < 300) {
      return;
    }
    String code = "http-" + s;
    String message =
        new String(r.body(), 0, Math.min(r.body().length, 512), StandardCharsets.UTF_8).strip();
    try {
      JsonNode j = JSON.readTree(r.body());
      if (j != null && j.hasNonNull("error")) {
        code = j.get("error").asText();
        message = j.path("message").asText(message);
      }
    } catch (IOException e) {
      // not JSON: the text itself is the message
    }
    EnrollException.Kind kind =
        s >= 400 && s < 500 && s != 429
            ? EnrollException.Kind.REFUSED
            : EnrollException.Kind.UNREACHABLE;
    throw new EnrollException(kind, code, server + " refused (" + s + " " + code + "): " + message);
  }

  private JsonNode answer(HttpResponse<byte[]> r) throws EnrollException {
    try {
      JsonNode j = JSON.readTree(r.body());
      if (j != null && j.isObject()) {
        return j;
      }
    } catch (IOException e) {
      // below
    }
    throw new EnrollException(
        EnrollException.Kind.UNREACHABLE, "bad-answer", server + " answered something not JSON");
  }

  private static byte[] bytes(ObjectNode o) {
    try {
      return JSON.writeValueAsBytes(o);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e); // a tree of strings always serializes
    }
  }

  @Override
  public void close() {
    http.close();
  }
}
