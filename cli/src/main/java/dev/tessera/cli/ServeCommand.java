package dev.tessera.cli;

import dev.tessera.bundle.PrivateFiles;
import dev.tessera.bundle.SigningKey;
import dev.tessera.registry.Registry;
import dev.tessera.registry.RegistryException;
import dev.tessera.server.ControlPlane;
import dev.tessera.server.PolicyServer;
import dev.tessera.server.PolicySource;
import dev.tessera.server.RegistrySource;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code policyc serve}: compile on change and serve each agent its signed bundle. */
@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    description = {
      "Serve compiled filters to agents: each node gets only its own bundle, signed with --key.",
      "The policy (a file, or --git-ref REF with --policy naming a path in the repository --repo)",
      "and the inventory are polled; a change that does not compile is refused and the last good",
      "compilation keeps being served (see `policyc status`).",
      "HTTPS by default: the certificate and key come from --tls-cert/--tls-key, or else KEY.crt and",
      "KEY.tls-key beside --key (`policyc keygen --out KEY --tls NAME`); plain HTTP only with",
      "--plain-http. /v1/status needs the admin token (--admin-token-file, created if missing).",
      "Without --inventory the registry (--db, default STATE/registry.db) is the inventory: agents",
      "join with auth keys at POST /v1/enroll and report endpoints and posture with every poll."
    })
final class ServeCommand implements Callable<Integer> {
  /** The server's state directory unless {@code --state} says otherwise. */
  static final String DEFAULT_STATE = "/var/lib/tessera/server";

  /** The SQLite registry's file in the state directory, unless {@code --db} names a database. */
  static final String REGISTRY_FILE = "registry.db";

  @Spec CommandSpec spec;

  @Option(
      names = "--policy",
      required = true,
      paramLabel = "PATH",
      description = "Policy file, or its path inside --repo.")
  String policy;

  @Option(
      names = "--repo",
      paramLabel = "DIR",
      description = "Git repository to read the policy from (with --git-ref).")
  Path repo;

  @Option(
      names = "--git-ref",
      paramLabel = "REF",
      defaultValue = "HEAD",
      description = "Branch, tag or commit to serve (default ${DEFAULT-VALUE}).")
  String ref;

  @Option(
      names = "--inventory",
      paramLabel = "FILE",
      description =
          "Node inventory (YAML or JSON) kept by hand; without it the registry (--db) is the inventory and agents enroll with auth keys.")
  Path inventory;

  @Option(
      names = "--db",
      paramLabel = "URL",
      description =
          "Registry database: a SQLite file, or postgresql://... (default STATE/registry.db). Not with --inventory.")
  String db;

  @Option(
      names = "--ephemeral-idle-seconds",
      defaultValue = "1800",
      paramLabel = "S",
      description =
          "Ephemeral nodes not seen for this long are deleted (default ${DEFAULT-VALUE}).")
  long ephemeralIdleSeconds;

  @Option(
      names = "--listen",
      defaultValue = "127.0.0.1:8411",
      paramLabel = "HOST:PORT",
      description = "Address to listen on (default ${DEFAULT-VALUE}).")
  String listen;

  @Option(
      names = "--key",
      required = true,
      paramLabel = "FILE",
      description = "Signing key from `policyc keygen`.")
  Path key;

  @Option(
      names = "--state",
      defaultValue = DEFAULT_STATE,
      paramLabel = "DIR",
      description = "Versions and audit log (default ${DEFAULT-VALUE}).")
  Path state;

  @Option(
      names = "--plain-http",
      description =
          "Serve plain HTTP instead of HTTPS (bundles stay signed; filters travel in the clear).")
  boolean plainHttp;

  @Option(
      names = "--admin-token-file",
      paramLabel = "FILE",
      description =
          "Bearer token /v1/status requires; created (0600) with a random token if missing (default STATE/admin.token).")
  Path adminTokenFile;

  @Option(
      names = "--epoch-file",
      paramLabel = "FILE",
      description =
          "Version epoch kept beside the key, so versions survive a lost --state (default KEY.epoch).")
  Path epochFile;

  @Option(
      names = "--freshness-seconds",
      defaultValue = "300",
      paramLabel = "S",
      description = "Lifetime of each signed freshness statement (default ${DEFAULT-VALUE}).")
  long freshnessSeconds;

  @Option(
      names = "--max-connections",
      defaultValue = "50000",
      paramLabel = "N",
      description = "Open connections beyond which new ones get 429 (default ${DEFAULT-VALUE}).")
  int maxConnections;

  @Option(
      names = "--max-connections-per-source",
      defaultValue = "1000",
      paramLabel = "N",
      description =
          "Open connections one IPv4 address or IPv6 /64 may hold (every address of a /64 counts as"
              + " that one source); beyond that its new connections are closed at once. Each"
              + " long-polling node holds one: raise it above the number of nodes that reach the"
              + " server through one NAT address or from one IPv6 /64, such as a site's LAN or a"
              + " cloud subnet (default ${DEFAULT-VALUE}).")
  int maxConnectionsPerSource;

  @Option(
      names = "--metrics-listen",
      paramLabel = "ADDR:PORT",
      description = "Serve Prometheus metrics at http://ADDR:PORT/metrics (default: off).")
  String metricsListen;

  @Option(
      names = "--idle-seconds",
      defaultValue = "15",
      paramLabel = "S",
      description =
          "A connection must complete a request within this long of opening or of its last answer (default ${DEFAULT-VALUE}).")
  long idleSeconds;

  @Option(
      names = "--node-rate",
      defaultValue = "2",
      paramLabel = "PER_SECOND",
      description =
          "Requests per second each node may make, with a burst of 10 times that (default ${DEFAULT-VALUE}).")
  double nodeRate;

  @Option(
      names = "--tls-cert",
      paramLabel = "FILE",
      description = "Serve HTTPS with this certificate (from `policyc keygen --tls`).")
  Path tlsCert;

  @Option(
      names = "--tls-key",
      paramLabel = "FILE",
      description = "The certificate's private key (PEM, PKCS#8).")
  Path tlsKey;

  @Option(
      names = "--poll-ms",
      defaultValue = "200",
      paramLabel = "MS",
      description = "How often sources are checked (default ${DEFAULT-VALUE}).")
  long pollMillis;

  @Override
  public Integer call() throws Exception {
    if (maxConnections < 1) {
      throw new UserError("--max-connections must be at least 1, got " + maxConnections);
    }
    if (maxConnectionsPerSource < 1) {
      throw new UserError(
          "--max-connections-per-source must be at least 1, got " + maxConnectionsPerSource);
    }
    SigningKey signingKey;
    try {
      signingKey = SigningKey.read(key);
    } catch (IOException e) {
      throw new UserError("cannot read signing key: " + e.getMessage());
    }
    if (inventory != null && db != null) {
      throw new UserError(
          "--inventory and --db exclude each other: the inventory is either a file or the registry");
    }
    if (inventory != null && !Files.isRegularFile(inventory)) {
      throw new UserError("no inventory at " + inventory);
    }
    PolicySource source;
    if (repo != null) {
      source = PolicySource.git(repo, ref, policy);
    } else {
      if (!Files.isRegularFile(Path.of(policy))) {
        throw new UserError("no policy at " + policy);
      }
      source = PolicySource.file(Path.of(policy));
    }
    InetSocketAddress address = parseAddress(listen);
    if ((tlsCert == null) != (tlsKey == null)) {
      throw new UserError("--tls-cert and --tls-key go together");
    }
    if (tlsCert == null && !plainHttp) {
      Path crt = key.resolveSibling(key.getFileName() + ".crt");
      Path crtKey = key.resolveSibling(key.getFileName() + ".tls-key");
      if (!Files.isReadable(crt) || !Files.isReadable(crtKey)) {
        throw new UserError(
            "serve uses HTTPS: give --tls-cert and --tls-key, or create "
                + crt
                + " with `policyc keygen"
                + " --out "
                + key
                + " --tls HOSTNAME,IP`; --plain-http serves without TLS");
      }
      tlsCert = crt;
      tlsKey = crtKey;
    }
    if (tlsCert != null && plainHttp) {
      throw new UserError("--plain-http and --tls-cert exclude each other");
    }
    if (plainHttp) {
      spec.commandLine()
          .getErr()
          .println(
              "policyc serve: WARNING: --plain-http: filters and node names travel unencrypted;"
                  + " bundles and freshness stay signed, but anyone on the path can read what each node may reach");
    }
    String token;
    try {
      PrivateFiles.createDirectories(state);
      token = adminToken(adminTokenFile != null ? adminTokenFile : state.resolve("admin.token"));
    } catch (IOException e) {
      throw new UserError("cannot set up the state directory " + state + ": " + e.getMessage());
    }
    PolicyServer.Options options =
        PolicyServer.Options.DEFAULTS
            .withEpochFile(
                epochFile != null ? epochFile : key.resolveSibling(key.getFileName() + ".epoch"))
            .withAdminToken(token)
            .withFreshnessMillis(Math.max(10, freshnessSeconds) * 1000)
            .withLimits(
                maxConnections,
                PolicyServer.Options.DEFAULTS.maxLongPollsPerNode(),
                (int) Math.max(1, Math.ceil(nodeRate * 10)),
                nodeRate,
                Math.max(1, idleSeconds) * 1000)
            .withMaxConnectionsPerSource(maxConnectionsPerSource);
    Registry registry = null;
    PolicySource inventorySource;
    if (inventory != null) {
      inventorySource = PolicySource.file(inventory);
    } else {
      try {
        registry = Registry.open(db != null ? db : state.resolve(REGISTRY_FILE).toString());
      } catch (RegistryException e) {
        throw new UserError(e.getMessage());
      }
      inventorySource = new RegistrySource(registry, java.time.Clock.systemUTC());
    }
    Registry registryToClose = registry;
    PolicyServer server =
        new PolicyServer(
            new PolicyServer.Config(
                source,
                inventorySource,
                address,
                signingKey,
                state,
                Math.max(50, pollMillis),
                tlsCert,
                tlsKey,
                options),
            registry == null
                ? null
                : new ControlPlane.Settings(
                    registry,
                    java.time.Duration.ofSeconds(Math.max(1, ephemeralIdleSeconds)),
                    1_000));
    InetSocketAddress bound;
    try {
      bound = server.start();
    } catch (IOException e) {
      server.close();
      if (registryToClose != null) {
        registryToClose.close();
      }
      throw new UserError(e.getMessage());
    }
    spec.commandLine()
        .getErr()
        .printf(
            "policyc serve: listening on %s://%s:%d, revision %s, public key %s, inventory %s%n",
            tlsCert == null ? "http" : "https",
            bound.getHostString(),
            bound.getPort(),
            server.status().revision(),
            signingKey.publicKeyBase64(),
            inventorySource.describe());
    spec.commandLine().getErr().flush();
    io.prometheus.metrics.exporter.httpserver.HTTPServer metrics = null;
    if (metricsListen != null) {
      InetSocketAddress at = parseAddress(metricsListen);
      var metricsRegistry =
          new dev.tessera.server.metrics.ServerMetrics(() -> server.status().toMap(server.store()))
              .registry();
      try {
        metrics =
            io.prometheus.metrics.exporter.httpserver.HTTPServer.builder()
                .inetAddress(at.getAddress())
                .port(at.getPort())
                .registry(metricsRegistry)
                .buildAndStart();
        int port = metrics.getPort();
        spec.commandLine()
            .getErr()
            .printf("policyc serve: metrics on http://%s:%d/metrics%n", at.getHostString(), port);
      } catch (IOException e) {
        server.close();
        throw new UserError("cannot serve metrics on " + metricsListen + ": " + e.getMessage());
      }
    }
    io.prometheus.metrics.exporter.httpserver.HTTPServer metricsToClose = metrics;
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  if (metricsToClose != null) {
                    metricsToClose.close();
                  }
                  try {
                    server.close();
                  } catch (IOException ignored) {
                    // shutting down anyway
                  }
                  if (registryToClose != null) {
                    registryToClose.close();
                  }
                }));
    server.awaitClose();
    return PolicyC.OK;
  }

  /** Reads the admin token, or creates the file (0600) with 32 random bytes, base64url. */
  static String adminToken(Path file) throws IOException {
    if (!Files.exists(file)) {
      byte[] raw = new byte[32];
      new java.security.SecureRandom().nextBytes(raw);
      String t = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
      PrivateFiles.writeNew(file, (t + "\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      return t;
    }
    String t = Files.readString(file).strip();
    if (t.length() < 16) {
      throw new IOException(file + ": the admin token must be at least 16 characters");
    }
    return t;
  }

  static InetSocketAddress parseAddress(String hostPort) {
    int colon = hostPort.lastIndexOf(':');
    if (colon < 0) {
      throw new UserError("--listen wants HOST:PORT, got " + hostPort);
    }
    String host = hostPort.substring(0, colon).replace("[", "").replace("]", "");
    try {
      return new InetSocketAddress(
          host.isEmpty() ? "0.0.0.0" : host, Integer.parseInt(hostPort.substring(colon + 1)));
    } catch (IllegalArgumentException e) {
      throw new UserError("--listen wants HOST:PORT, got " + hostPort);
    }
  }
}
