package dev.tessera.server.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tessera.bundle.BundleException;
import dev.tessera.bundle.NodeAuth;
import dev.tessera.bundle.SigningKey;
import dev.tessera.registry.Enrollment;
import dev.tessera.registry.Node;
import dev.tessera.registry.PolicyChecks;
import dev.tessera.registry.Registry;
import dev.tessera.registry.RegistryException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * {@code POST /v1/enroll}: an agent joins the tailnet with an auth key.
 *
 * <pre>
 * request   X-Tessera-{Node,Time,Nonce,Auth} with Node = the agent's WireGuard public key (base64)
 *           {"authKey": "tskey-...", "publicKey": "...", "hostname": "web-1",
 *            "advertiseRoutes": ["10.1.0.0/16"], "exitNode": false,
 *            "listenPort": 51820, "endpoints": ["192.0.2.7:51820"], "posture": {"node:os": "linux"}}
 * 200       {"name", "user", "tags", "ipv4", "ipv6", "keyExpiry", "advertisedRoutes", "approvedRoutes"}
 * 4xx/503   {"error": CODE, "message": "..."}
 * </pre>
 *
 * <p><b>Proof of possession.</b> The request is authenticated with {@link NodeAuth} as the node
 * whose key is the public key being registered: an HMAC keyed by the X25519 secret of that key's
 * private half and the server key, over method, path, time, nonce and the body. So only the holder
 * of the private key can register a public key (no one can enroll another machine's key), the auth
 * key travels only inside an authenticated body, and a captured request cannot be replayed (the
 * nonce window) or altered. The server learns the public key, the hostname, the routes and posture
 * the agent reports, and the source address it sees, which with {@code listenPort} becomes an
 * endpoint; it never sees the private key.
 */
public final class EnrollmentService {
  /** Bound on one agent's replay window (enrollment is rare). */
  private static final int MAX_NONCES_PER_KEY = 16;

  private final Registry registry;
  private final Supplier<PolicyChecks> checks;
  private final NodeAuth.Authenticator auth;
  private final ObjectMapper json = new ObjectMapper();

  /**
   * @param checks the current policy's checks (the policy in force when the request arrives)
   */
  public EnrollmentService(Registry registry, SigningKey serverKey, Supplier<PolicyChecks> checks) {
    this.registry = registry;
    this.checks = checks;
    this.auth = new NodeAuth.Authenticator(serverKey, EnrollmentService::keyOf, MAX_NONCES_PER_KEY);
  }

  /** An HTTP answer: status and JSON body. */
  public record Response(int status, byte[] body) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** An answer whose body is {@code body}, written by Jackson. */
    public static Response json(int status, JsonNode body) {
      try {
        return new Response(status, JSON.writeValueAsBytes(body));
      } catch (IOException e) {
        throw new IllegalStateException(e); // writing a tree to bytes does not fail
      }
    }

    /** An error answer: {@code {"error": CODE, "message": MESSAGE}}. */
    public static Response error(int status, String code, String message) {
      ObjectNode o = JSON.createObjectNode();
      o.put("error", code);
      o.put("message", message);
      return json(status, o);
    }

    public String text() {
      return new String(body, StandardCharsets.UTF_8);
    }
  }

  /**
   * Handles one enrollment.
   *
   * @param observedAddress the source address of the connection as the server sees it (no port)
   */
  public Response enroll(
      String method,
      String path,
      byte[] body,
      Map<String, String> headers,
      String observedAddress,
      long nowMillis) {
    String signer;
    try {
      signer = auth.authenticate(method, path, body, headers, nowMillis);
    } catch (BundleException e) {
      return error(
          401,
          "bad-auth",
          "enrollment must be signed with the WireGuard key being registered: " + e.getMessage());
    }
    JsonNode req;
    try {
      req = json.readTree(body);
    } catch (IOException e) {
      return error(400, "bad-request", "the body is not JSON");
    }
    if (req == null || !req.isObject()) {
      return error(400, "bad-request", "the body is not a JSON object");
    }
    String publicKey = req.path("publicKey").asText("");
    if (!publicKey.equals(signer)) {
      return error(
          401, "bad-auth", "the request is signed with another key than the one it registers");
    }
    try {
      Enrollment e =
          new Enrollment(
              req.path("authKey").asText(""),
              publicKey,
              req.path("hostname").asText(""),
              strings(req.path("advertiseRoutes")),
              req.path("exitNode").asBoolean(false));
      Node n = registry.enroll(e, checks.get());
      List<String> endpoints = new ArrayList<>(strings(req.path("endpoints")));
      int port = req.path("listenPort").asInt(0);
      if (port > 0 && port < 65536 && observedAddress != null) {
        endpoints.add(
            (observedAddress.contains(":") ? "[" + observedAddress + "]" : observedAddress)
                + ":"
                + port);
      }
      Map<String, String> posture = new LinkedHashMap<>();
      req.path("posture").properties().forEach(p -> posture.put(p.getKey(), p.getValue().asText()));
      if (!endpoints.isEmpty() || !posture.isEmpty()) {
        n = registry.report(publicKey, endpoints, posture);
      }
      return Response.json(200, identity(n));
    } catch (RegistryException e) {
      return error(status(e.code()), e.code().wire(), e.getMessage());
    }
  }

  /** The node's identity as the agent keeps it. */
  ObjectNode identity(Node n) {
    ObjectNode o = json.createObjectNode();
    o.put("name", n.name());
    n.user().ifPresent(u -> o.put("user", u));
    o.set("tags", json.valueToTree(n.tags()));
    o.put("ipv4", n.ipv4());
    o.put("ipv6", n.ipv6());
    o.put("keyExpiry", n.keyExpiry().map(Object::toString).orElse("never"));
    o.set("advertisedRoutes", json.valueToTree(n.advertisedRoutes()));
    o.set("approvedRoutes", json.valueToTree(n.approvedRoutes()));
    return o;
  }

  public static int status(RegistryException.Code code) {
    return switch (code) {
      case MALFORMED_AUTH_KEY,
          MALFORMED_TAG,
          MALFORMED_HOSTNAME,
          MALFORMED_USER,
          MALFORMED_PUBLIC_KEY,
          MALFORMED_ROUTE,
          ROUTE_NOT_ADVERTISED,
          BAD_REQUEST ->
          400;
      case UNKNOWN_AUTH_KEY, AUTH_KEY_EXPIRED, AUTH_KEY_REVOKED, AUTH_KEY_USED -> 401;
      case TAG_NOT_OWNED -> 403;
      case UNKNOWN_NODE -> 404;
      case DUPLICATE_PUBLIC_KEY, NAME_TAKEN -> 409;
      case ADDRESSES_EXHAUSTED, POLICY_UNAVAILABLE, DATABASE -> 503;
    };
  }

  private static Response error(int status, String code, String message) {
    return Response.error(status, code, message);
  }

  private static List<String> strings(JsonNode n) {
    List<String> out = new ArrayList<>();
    if (n.isArray()) {
      n.forEach(x -> out.add(x.asText()));
    }
    return out;
  }

  /** During enrollment the node header is the public key itself. */
  private static byte[] keyOf(String header) {
    try {
      byte[] k = Base64.getDecoder().decode(header);
      return k.length == 32 ? k : null;
    } catch (IllegalArgumentException e) {
      return null;
    }
  }
}
