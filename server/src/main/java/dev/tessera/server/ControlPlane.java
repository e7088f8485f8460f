package dev.tessera.server;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.tessera.bundle.NodeAuth;
import dev.tessera.bundle.SigningKey;
import dev.tessera.registry.Registry;
import dev.tessera.registry.RegistryException;
import dev.tessera.server.control.EnrollmentService;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The registry side of {@code policyc serve}: enrollments ({@code POST /v1/enroll}), what agents
 * report on every poll, the idle-ephemeral sweep, and whether the database can be read.
 *
 * <p>Every database call runs on one thread of its own, never on a network event loop, behind a
 * bounded queue: beyond {@value #MAX_PENDING} waiting calls an enrollment is refused with 503 and a
 * report is dropped (the next poll reports again). A database that cannot be read makes the server
 * "degraded" in status: bundles keep being served from the last good compilation (the compile loop
 * keeps it when {@link RegistrySource} throws), enrollments are refused with 503 {@code database},
 * and the state clears at the first successful read.
 */
public final class ControlPlane implements AutoCloseable {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ControlPlane.class);
  static final int MAX_PENDING = 4_096;

  /** An unchanged report is written at most this often (it refreshes the node's last-seen time). */
  static final long REPORT_REFRESH_MILLIS = 60_000;

  /** Bounds on what one poll may report. */
  static final int MAX_REPORTED_ENDPOINTS = 16;

  static final int MAX_REPORTED_FACTS = 32;

  /** Bound on one node's replay window for logouts (a node logs out once). */
  private static final int MAX_LOGOUT_NONCES = 16;

  /** How the registry is used: its database, and how long an ephemeral node may stay unseen. */
  public record Settings(Registry registry, Duration ephemeralIdle, long healthCheckMillis) {
    public Settings {
      if (ephemeralIdle.isNegative() || ephemeralIdle.isZero() || healthCheckMillis < 10) {
        throw new IllegalArgumentException(
            "ephemeral idle time and health-check period must be positive");
      }
    }
  }

  /** Bound on the routes one poll may advertise. */
  static final int MAX_ADVERTISED_ROUTES = 256;

  private record Reported(
      List<String> endpoints,
      Map<String, String> posture,
      Optional<List<String>> advertised,
      long atMillis) {}

  private final Settings settings;
  private final EnrollmentService enrollment;
  private final Function<String, byte[]> nodeKey;
  private final java.util.function.Supplier<dev.tessera.registry.PolicyChecks> checks;
  private final NodeAuth.Authenticator logoutAuth;
  private final String serverPublicKey;
  private final ServerStatus status;
  private final ScheduledExecutorService worker;
  private final AtomicInteger pending = new AtomicInteger();
  private final Map<String, Reported> reported = new ConcurrentHashMap<>();
  private long lastSweepMillis;

  ControlPlane(Settings settings, SigningKey serverKey, CompileLoop loop, ServerStatus status) {
    this.settings = settings;
    this.enrollment = new EnrollmentService(settings.registry(), serverKey, loop::checks);
    this.nodeKey = loop::nodeKey;
    this.checks = loop::checks;
    this.logoutAuth = new NodeAuth.Authenticator(serverKey, this::logoutKey, MAX_LOGOUT_NONCES);
    this.serverPublicKey = serverKey.publicKeyBase64();
    this.status = status;
    this.worker =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "tessera-registry");
              t.setDaemon(true);
              return t;
            });
  }

  void start() {
    PolicyServer.scheduleGuarded(worker, this::housekeeping, settings.healthCheckMillis(), status);
  }

  /**
   * Checks the database can be read; deletes idle ephemeral nodes at most once per idle period / 4.
   */
  void housekeeping() {
    try {
      settings.registry().revision();
      long now = System.currentTimeMillis();
      long every = Math.max(1_000, settings.ephemeralIdle().toMillis() / 4);
      if (now - lastSweepMillis >= every) {
        lastSweepMillis = now;
        var gone = settings.registry().deleteIdleEphemeral(settings.ephemeralIdle());
        if (!gone.isEmpty()) {
          LOG.info(
              "deleted {} idle ephemeral node(s): {}",
              gone.size(),
              gone.stream().map(n -> n.name()).toList());
        }
      }
      status.degraded(null);
    } catch (RegistryException e) {
      databaseFailed(e);
    }
  }

  private void databaseFailed(RegistryException e) {
    if (e.code() == RegistryException.Code.DATABASE) {
      if (status.degradedReason() == null) {
        LOG.error(
            "the registry database cannot be used ({}); serving the last good bundles, refusing enrollments",
            e.getMessage());
      }
      status.degraded("registry database: " + e.getMessage());
    }
  }

  /** Enrolls on the registry thread and hands the answer to {@code done} (on that thread). */
  void enroll(
      String method,
      String uri,
      byte[] body,
      Map<String, String> headers,
      String observedAddress,
      Consumer<EnrollmentService.Response> done) {
    onRegistryThread(
        done,
        () -> {
          if (status.degradedReason() != null) {
            housekeeping(); // a recovered database ends the refusals at once
          }
          String reason = status.degradedReason();
          EnrollmentService.Response r =
              reason != null
                  ? error(
                      503,
                      "database",
                      "enrollment is refused while the registry cannot be used (" + reason + ")")
                  : enrollment.enroll(
                      method, uri, body, headers, observedAddress, System.currentTimeMillis());
          if (r.status() == 503 && r.text().contains("\"database\"")) {
            status.degraded("registry database: enrollment failed");
          }
          return r;
        });
  }

  /**
   * Runs {@code task} on the registry thread and hands its answer to {@code done} (on that thread);
   * beyond {@value #MAX_PENDING} waiting calls, or while shutting down, answers 503 at once.
   */
  private void onRegistryThread(
      Consumer<EnrollmentService.Response> done,
      java.util.function.Supplier<EnrollmentService.Response> task) {
    if (pending.incrementAndGet() > MAX_PENDING) {
      pending.decrementAndGet();
      done.accept(
          error(503, "busy", "the server has too many registry requests waiting; retry later"));
      return;
    }
    try {
      worker.execute(
          () -> {
            try {
              done.accept(task.get());
            } finally {
              pending.decrementAndGet();
            }
          });
    } catch (java.util.concurrent.RejectedExecutionException e) {
      pending.decrementAndGet();
      done.accept(error(503, "busy", "the server is shutting down"));
    }
  }

  /**
   * The server's public signing key (base64), as {@code GET /v1/server-key} answers it: an agent
   * that was not given the key trusts the first answer and pins it (see docs/control-plane.md).
   */
  String serverPublicKey() {
    return serverPublicKey;
  }

  /**
   * {@code POST /v1/logout}: authenticates the node and deletes it from the registry, both on the
   * registry thread, and hands the answer to {@code done} (on that thread). The node's key is the
   * compiled inventory's, or for a node enrolled since the last compilation the registry's (an
   * expired node is not accepted either way), so a node can log out right after it enrolled. Every
   * authentication failure is the same 401. The node leaves every bundle at the next compilation,
   * which the registry's new revision triggers.
   */
  void logout(
      String method,
      String uri,
      byte[] body,
      Map<String, String> headers,
      Consumer<EnrollmentService.Response> done) {
    onRegistryThread(
        done,
        () -> {
          String node;
          try {
            node = logoutAuth.authenticate(method, uri, body, headers, System.currentTimeMillis());
          } catch (dev.tessera.bundle.BundleException e) {
            return error(401, "unauthorized", "unauthorized");
          }
          String publicKey = Base64.getEncoder().encodeToString(logoutKey(node));
          try {
            var gone = settings.registry().deleteByKey("node:" + node, publicKey);
            LOG.info("node {} logged out and was deleted", gone.name());
            return EnrollmentService.Response.json(
                200, JsonNodeFactory.instance.objectNode().put("deleted", gone.name()));
          } catch (RegistryException e) {
            databaseFailed(e);
            return error(EnrollmentService.status(e.code()), e.code().wire(), e.getMessage());
          }
        });
  }

  /**
   * The key a node logs out with: the compiled inventory's, else the registry's for a node not
   * compiled yet whose key has not expired; null for no such node (or no database).
   */
  private byte[] logoutKey(String node) {
    byte[] compiled = nodeKey.apply(node);
    if (compiled != null) {
      return compiled;
    }
    try {
      return settings
          .registry()
          .node(node)
          .filter(n -> !n.isExpired(java.time.Instant.now()))
          .map(n -> decodeKey(n.publicKey()))
          .orElse(null);
    } catch (RegistryException e) {
      databaseFailed(e);
      return null;
    }
  }

  private static byte[] decodeKey(String base64) {
    try {
      byte[] k = Base64.getDecoder().decode(base64);
      return k.length == 32 ? k : null;
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /**
   * Records what an authenticated node reported with its poll ({@code endpoint=HOST:PORT} repeated,
   * {@code port=N} for the observed source address, {@code posture=KEY=VALUE} repeated, {@code
   * advertise=P,P,...} for every route it advertises now), off the request's thread; an unchanged
   * report is written at most once per {@link #REPORT_REFRESH_MILLIS}. A poll with none of these
   * parameters reports nothing and changes nothing; one without {@code advertise} keeps the
   * advertised routes. Changed routes are approved again under the current policy's {@code
   * autoApprovers} ({@link dev.tessera.registry.Registry#advertise}). An {@code advertise} that
   * names something other than a route, or more than {@value #MAX_ADVERTISED_ROUTES} routes, is
   * refused with a warning and remembered like any report, so repeating it writes nothing and logs
   * nothing; the routes advertised before stay, and the bundle is served.
   *
   * @return why this poll's {@code advertise} is refused, as printable ASCII for the answer's
   *     {@link dev.tessera.bundle.PollReport#ADVERTISE_REFUSED_HEADER} (every poll that repeats a
   *     refused list gets it, not only the first); null when the poll advertises routes that are
   *     taken or states nothing about routes
   */
  String report(String node, Map<String, List<String>> query, String observedAddress) {
    byte[] key = nodeKey.apply(node);
    if (key == null
        || !(query.containsKey("endpoint")
            || query.containsKey("port")
            || query.containsKey("posture")
            || query.containsKey("advertise"))) {
      return null; // a poll that reports nothing (an agent without reports) keeps what was recorded
    }
    List<String> endpoints = new ArrayList<>();
    for (String e : query.getOrDefault("endpoint", List.of())) {
      if (endpoints.size() < MAX_REPORTED_ENDPOINTS) {
        endpoints.add(e);
      }
    }
    int port = parsePort(query.getOrDefault("port", List.of()));
    if (port > 0 && observedAddress != null && endpoints.size() < MAX_REPORTED_ENDPOINTS) {
      endpoints.add(
          (observedAddress.contains(":") ? "[" + observedAddress + "]" : observedAddress)
              + ":"
              + port);
    }
    Map<String, String> posture = new TreeMap<>();
    for (String f : query.getOrDefault("posture", List.of())) {
      int eq = f.indexOf('=');
      if (eq > 0 && posture.size() < MAX_REPORTED_FACTS) {
        posture.put(f.substring(0, eq), f.substring(eq + 1));
      }
    }
    Optional<List<String>> advertised = advertised(query.get("advertise"));
    String refused = advertised.flatMap(ControlPlane::refusal).orElse(null);
    boolean reportsAddresses =
        query.containsKey("endpoint") || query.containsKey("port") || query.containsKey("posture");
    long now = System.currentTimeMillis();
    Reported last = reported.get(node);
    if (last != null
        && last.endpoints().equals(endpoints)
        && last.posture().equals(posture)
        && last.advertised().equals(advertised)
        && now - last.atMillis() < REPORT_REFRESH_MILLIS) {
      return refused;
    }
    if (pending.incrementAndGet() > MAX_PENDING) {
      pending.decrementAndGet();
      return refused;
    }
    if (refused != null) {
      // Logged once per changed report (an unchanged one is not looked at again, above); the
      // routes advertised before are kept, and the node is still served its bundle.
      LOG.warn(
          "node {}: advertise= refused: {}; the routes it advertised before are kept",
          node,
          refused);
    }
    String publicKey = Base64.getEncoder().encodeToString(key);
    try {
      worker.execute(
          () -> {
            try {
              if (reportsAddresses) {
                settings.registry().report(publicKey, endpoints, posture);
              }
              if (advertised.isPresent() && refused == null) {
                settings.registry().advertise(publicKey, advertised.get(), checks.get());
              }
              reported.put(
                  node, new Reported(List.copyOf(endpoints), Map.copyOf(posture), advertised, now));
            } catch (RegistryException e) {
              databaseFailed(
                  e); // malformed reports are dropped; the node is still served its bundle
              if (e.code() == RegistryException.Code.POLICY_UNAVAILABLE) {
                // Not remembered: the node's next poll tries its routes again.
                LOG.warn("node {}: advertised routes not taken yet: {}", node, e.getMessage());
              } else if (e.code() != RegistryException.Code.DATABASE) {
                LOG.debug("report from {} refused: {}", node, e.getMessage());
              }
            } finally {
              pending.decrementAndGet();
            }
          });
    } catch (java.util.concurrent.RejectedExecutionException e) {
      pending.decrementAndGet();
    }
    return refused;
  }

  /**
   * {@code advertise=P,P,...} (the first one counts; empty: no routes), all of them (the server's
   * 32 KiB request line bounds how many); empty when the poll does not say. Routes are canonical
   * and each is there once, sorted as the registry keeps them ({@code fd00::/64}, {@code
   * FD00:0::/64} and {@code fd00:0:0::/64} are one route), so repeats do not count toward {@value
   * #MAX_ADVERTISED_ROUTES}; a list with a value that is not a route is kept as it came, for {@link
   * #refusal} to name that value.
   */
  static Optional<List<String>> advertised(List<String> values) {
    if (values == null || values.isEmpty()) {
      return Optional.empty();
    }
    List<String> routes = new ArrayList<>();
    java.util.TreeSet<dev.tessera.net.IpPrefix> prefixes = new java.util.TreeSet<>();
    boolean allRoutes = true;
    for (String r : values.get(0).split(",")) {
      if (!r.isBlank()) {
        String route = r.strip();
        routes.add(route);
        dev.tessera.net.IpPrefix p =
            route.indexOf('/') < 0 ? null : dev.tessera.net.IpPrefix.tryParse(route);
        if (p == null) {
          allRoutes = false;
        } else {
          prefixes.add(p);
        }
      }
    }
    if (!allRoutes) {
      return Optional.of(List.copyOf(routes));
    }
    return Optional.of(prefixes.stream().map(dev.tessera.net.IpPrefix::toString).toList());
  }

  /**
   * Why {@code routes} cannot be taken: more than {@value #MAX_ADVERTISED_ROUTES} of them (none is
   * kept: taking some would silently drop the others), or the first that is not a prefix in the
   * registry's sense; as printable ASCII (anything else as '?', a value at most 80 characters), fit
   * for the log and for an HTTP header. Empty when they can be taken.
   */
  static Optional<String> refusal(List<String> routes) {
    if (routes.size() > MAX_ADVERTISED_ROUTES) {
      return Optional.of(
          routes.size() + " routes advertised; at most " + MAX_ADVERTISED_ROUTES + " are taken");
    }
    for (String r : routes) {
      if (r.indexOf('/') < 0 || dev.tessera.net.IpPrefix.tryParse(r) == null) {
        StringBuilder sb = new StringBuilder();
        r.chars().limit(80).forEach(c -> sb.append(c >= 0x20 && c < 0x7f ? (char) c : '?'));
        return Optional.of(
            "'"
                + (r.length() > 80 ? sb + "..." : sb)
                + "' is not a route (a prefix with its host bits zero, e.g. 10.1.0.0/16)");
      }
    }
    return Optional.empty();
  }

  private static int parsePort(List<String> values) {
    if (values.isEmpty()) {
      return 0;
    }
    try {
      int p = Integer.parseInt(values.get(0));
      return p > 0 && p < 65_536 ? p : 0;
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  private static EnrollmentService.Response error(int status, String code, String message) {
    return EnrollmentService.Response.error(status, code, message);
  }

  @Override
  public void close() {
    worker.shutdownNow();
    try {
      worker.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
