package dev.tessera.bench.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tessera.bundle.BundleCodec;
import dev.tessera.bundle.NodeAuth;
import dev.tessera.bundle.SigningKey;
import dev.tessera.registry.AuthKeySpec;
import dev.tessera.registry.Registry;
import dev.tessera.testsupport.PostgresCluster;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The control plane under load: N simulated nodes enroll ({@code POST /v1/enroll}, signed with
 * their own keys) through one or two {@code policyc serve} processes on SQLite or PostgreSQL, then
 * long-poll (agent i on server i mod S). Measured: enrollments per second (failed ones counted by
 * status and error code, or by exception); the time from a change to the last affected agent
 * holding the new bundle, for a policy edit (every fleet node affected), a node join and a node
 * delete (each affects the operator laptop, whose filter names every fleet node; repeated, p50/p99
 * over the repeats); each server's heap.
 *
 * <p>Run: {@code benchmarks/control/control.sh [NODES] [sqlite|postgresql] [SERVERS]}; {@code
 * DB_QUERY=K=V&...} adds connection settings to the PostgreSQL URL.
 */
public final class ControlLoad {
  static final ObjectMapper JSON = new ObjectMapper();
  static final String TOKEN = "t".repeat(32);
  static final int REPEATS = 10;

  record Server(Process process, URI base, InetSocketAddress address, Path log) {}

  public static void main(String[] args) throws Exception {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
    String kind = args.length > 1 ? args[1] : "sqlite";
    int serverCount = args.length > 2 ? Integer.parseInt(args[2]) : 1;
    Path dir = Files.createTempDirectory("tessera-control-load");
    PostgresCluster pg = kind.equals("postgresql") ? PostgresCluster.start() : null;
    // DB_QUERY adds connection settings to the PostgreSQL URL (e.g. "reWriteBatchedInserts=true").
    String query = System.getenv().getOrDefault("DB_QUERY", "");
    String db =
        pg != null
            ? pg.url() + (query.isEmpty() ? "" : "&" + query)
            : dir.resolve("registry.db").toString();
    SigningKey key = SigningKey.generate();
    Files.writeString(dir.resolve("policy.hujson"), policy(443));
    List<Server> servers = new ArrayList<>();
    NettyAgents[] agents = new NettyAgents[serverCount];
    try (Registry registry = Registry.open(db)) {
      String fleetKey =
          registry
              .createAuthKey(
                  "bench",
                  new AuthKeySpec(
                      "ops@acme.com", List.of("tag:fleet"), true, false, Optional.empty(), false),
                  (u, t) -> true)
              .secret();
      String laptopKey =
          registry
              .createAuthKey(
                  "bench",
                  new AuthKeySpec("ops@acme.com", List.of(), true, false, Optional.empty(), false),
                  (u, t) -> true)
              .secret();
      for (int s = 0; s < serverCount; s++) {
        servers.add(serve(dir, "s" + s, key, db));
      }
      System.out.printf(
          "%d nodes, %s, %d server(s); load average %s%n", n, kind, serverCount, loadAverage());

      // Enrollment: 32 in flight, round-robin over the servers.
      SecureRandom random = new SecureRandom();
      byte[][] keys = new byte[n + 1 + REPEATS][32];
      for (byte[] k : keys) {
        random.nextBytes(k);
      }
      HttpClient http =
          HttpClient.newBuilder()
              .version(HttpClient.Version.HTTP_1_1)
              .connectTimeout(Duration.ofSeconds(20))
              .build();
      Semaphore inFlight = new Semaphore(32);
      CountDownLatch done = new CountDownLatch(n);
      AtomicInteger failed = new AtomicInteger();
      // Why enrollments failed: "STATUS ERROR-CODE: message" (or the exception), with counts.
      java.util.concurrent.ConcurrentHashMap<String, AtomicInteger> failures =
          new java.util.concurrent.ConcurrentHashMap<>();
      boolean[] enrolled = new boolean[n + 1];
      long t0 = System.nanoTime();
      for (int i = 0; i < n; i++) {
        inFlight.acquire();
        int id = i;
        enroll(http, servers.get(i % serverCount), key, keys[i], fleetKey, "node-" + i)
            .whenComplete(
                (r, e) -> {
                  inFlight.release();
                  if (e != null || r.statusCode() != 200) {
                    failed.incrementAndGet();
                    failures
                        .computeIfAbsent(failureReason(r, e), k -> new AtomicInteger())
                        .incrementAndGet();
                  } else {
                    enrolled[id] = true;
                  }
                  done.countDown();
                });
      }
      done.await(30, TimeUnit.MINUTES);
      double seconds = (System.nanoTime() - t0) / 1e9;
      System.out.printf(
          "enrollment: %d in %.1f s = %.0f/s, %d failed; load average %s%n",
          n, seconds, n / seconds, failed.get(), loadAverage());
      failures.entrySet().stream()
          .sorted((x, y) -> y.getValue().get() - x.getValue().get())
          .forEach(f -> System.out.printf("  failed %5d x %s%n", f.getValue().get(), f.getKey()));
      int laptop = n;
      if (enroll(http, servers.get(0), key, keys[laptop], laptopKey, "laptop").get().statusCode()
          != 200) {
        throw new IllegalStateException("the laptop did not enroll");
      }
      enrolled[laptop] = true;
      int live = n - failed.get(); // agents that enrolled (the failed ones are left out below)

      // Every agent fetches its bundle (retrying until its server serves one).
      NodeAuth.Signer[] signers = new NodeAuth.Signer[n + 1];
      for (int i = 0; i < n; i++) {
        signers[i] = new NodeAuth.Signer("node-" + i, keys[i], key.publicKey());
      }
      signers[laptop] = new NodeAuth.Signer("laptop", keys[laptop], key.publicKey());
      for (int s = 0; s < serverCount; s++) {
        agents[s] = new NettyAgents(servers.get(s).address(), n + 1, 2);
        int server = s;
        agents[s].connect(256, id -> id % serverCount == server);
      }
      // Every server has compiled (or installed) every node before the agents ask.
      for (Server s : servers) {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
        while (status(http, s).path("nodes").asInt() < live + 1) {
          if (System.nanoTime() > deadline) {
            throw new IllegalStateException(
                s.base() + " does not serve every node:\n" + Files.readString(s.log()));
          }
          Thread.sleep(200);
        }
      }
      long[] held = new long[n + 1];
      long fetchDeadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
      for (int round = 0; ; round++) {
        CountDownLatch fetched = new CountDownLatch(n + 1);
        for (int i = 0; i <= n; i++) {
          int id = i;
          if (held[id] > 0 || !enrolled[id]) {
            fetched.countDown();
            continue;
          }
          inFlight.acquire();
          agents[id % serverCount]
              .send(id, signers[id], 0, 0)
              .whenComplete(
                  (r, e) -> {
                    inFlight.release();
                    if (e == null && r.status() == 200) {
                      held[id] = version(r.body(), key);
                    }
                    fetched.countDown();
                  });
        }
        fetched.await(2, TimeUnit.MINUTES);
        long missing = 0;
        for (int i = 0; i <= n; i++) {
          missing += enrolled[i] && held[i] == 0 ? 1 : 0;
        }
        if (missing == 0) {
          break;
        }
        if (System.nanoTime() > fetchDeadline) {
          throw new IllegalStateException(missing + " agents have no bundle after 5 minutes");
        }
        Thread.sleep(500);
      }

      // Policy edit: every fleet node's filter changes. Each answer is kept and verified after the
      // measurement: a real agent verifies its own bundle on its own CPU, while here 10,000
      // verifications in the client's two event-loop threads would delay the answers behind them.
      long[] arrived = new long[n];
      byte[][] bodies = new byte[n][];
      CountDownLatch updated = new CountDownLatch(live);
      for (int i = 0; i < n; i++) {
        int id = i;
        if (!enrolled[id]) {
          continue;
        }
        agents[id % serverCount]
            .send(id, signers[id], held[id], 120)
            .whenComplete(
                (r, e) -> {
                  if (e == null && r.status() == 200) {
                    arrived[id] = r.arrivedNanos();
                    bodies[id] = r.body();
                  }
                  updated.countDown();
                });
      }
      Thread.sleep(Math.max(3000, n / 2));
      long changed = System.nanoTime();
      Files.writeString(dir.resolve("policy.hujson"), policy(8443));
      boolean all = updated.await(120, TimeUnit.SECONDS);
      int stale = 0;
      for (int i = 0; i < n; i++) {
        if (bodies[i] != null) {
          long v = version(bodies[i], key);
          stale += v > held[i] ? 0 : 1;
          held[i] = v;
        }
      }
      if (stale > 0) {
        throw new IllegalStateException(
            stale + " agents were answered with a version not above theirs");
      }
      long[] ms =
          Arrays.stream(arrived)
              .filter(t -> t > 0)
              .map(t -> (t - changed) / 1_000_000)
              .sorted()
              .toArray();
      System.out.printf(
          "policy edit -> every fleet agent: %d/%d updated (all=%s), p50 %d ms, p99 %d ms, max %d ms;"
              + " load average %s%n",
          ms.length,
          live,
          all,
          pct(ms, 50),
          pct(ms, 99),
          ms.length == 0 ? -1 : ms[ms.length - 1],
          loadAverage());

      // Joins and deletes: the laptop's filter names every fleet node.
      long[] joins = new long[REPEATS];
      long[] deletes = new long[REPEATS];
      for (int r = 0; r < REPEATS; r++) {
        int id = n + 1 + r;
        Server via = servers.get(r % serverCount);
        joins[r] =
            laptopSees(
                agents[laptop % serverCount],
                signers[laptop],
                held,
                laptop,
                key,
                () -> enroll(http, via, key, keys[id], fleetKey, "join-" + id).get());
        deletes[r] =
            laptopSees(
                agents[laptop % serverCount],
                signers[laptop],
                held,
                laptop,
                key,
                () -> registry.delete("bench", "join-" + id));
      }
      Arrays.sort(joins);
      Arrays.sort(deletes);
      System.out.printf(
          "node join -> laptop: p50 %d ms, p99 %d ms; node delete -> laptop: p50 %d ms, p99 %d ms"
              + " (%d each); load average %s%n",
          pct(joins, 50),
          pct(joins, 99),
          pct(deletes, 50),
          pct(deletes, 99),
          REPEATS,
          loadAverage());
      for (Server s : servers) {
        var st = status(http, s);
        System.out.printf(
            "server %s: heap used %.0f MiB (committed %.0f MiB, -Xmx2g), cluster %s%n",
            s.base(),
            st.path("heapUsedBytes").asLong() / 1048576.0,
            st.path("heapCommittedBytes").asLong() / 1048576.0,
            st.path("cluster").asText("-"));
      }
    } finally {
      for (NettyAgents a : agents) {
        if (a != null) {
          a.close();
        }
      }
      for (Server s : servers) {
        s.process().destroy();
        s.process().waitFor(10, TimeUnit.SECONDS);
      }
      if (pg != null) {
        pg.close();
      }
    }
  }

  static com.fasterxml.jackson.databind.JsonNode status(HttpClient http, Server s)
      throws Exception {
    return JSON.readTree(
        http.send(
                HttpRequest.newBuilder(s.base().resolve("/v1/status"))
                    .header("Authorization", "Bearer " + TOKEN)
                    .build(),
                HttpResponse.BodyHandlers.ofString())
            .body());
  }

  interface Change {
    void run() throws Exception;
  }

  /** Milliseconds from {@code change} to the laptop holding a newer bundle. */
  static long laptopSees(
      NettyAgents agents,
      NodeAuth.Signer signer,
      long[] held,
      int laptop,
      SigningKey key,
      Change change)
      throws Exception {
    CompletableFuture<NettyAgents.Response> poll = agents.send(laptop, signer, held[laptop], 60);
    Thread.sleep(200); // the long-poll reaches the server
    long t = System.nanoTime();
    change.run();
    NettyAgents.Response r = poll.get(90, TimeUnit.SECONDS);
    if (r.status() != 200) {
      throw new IllegalStateException("the laptop got " + r.status());
    }
    held[laptop] = version(r.body(), key);
    return (r.arrivedNanos() - t) / 1_000_000;
  }

  /**
   * A failed enrollment's reason, general enough to count: the status with the answer's error code
   * and message (node names and keys left out), or the exception and its cause.
   */
  static String failureReason(HttpResponse<String> r, Throwable e) {
    if (e != null) {
      Throwable c =
          e instanceof java.util.concurrent.CompletionException && e.getCause() != null
              ? e.getCause()
              : e;
      return c.getClass().getSimpleName() + ": " + c.getMessage();
    }
    String detail = r.body();
    try {
      var j = JSON.readTree(r.body());
      detail = j.path("error").asText("?") + ": " + j.path("message").asText("");
    } catch (java.io.IOException notJson) {
      // the body as it is
    }
    detail = detail.replaceAll("[A-Za-z0-9+/]{43}=", "KEY").replaceAll("node-[0-9]+", "node-N");
    return r.statusCode() + " " + detail.strip();
  }

  static long version(byte[] body, SigningKey key) {
    try {
      return BundleCodec.verifyAndDecode(body, key.publicKey()).version();
    } catch (dev.tessera.bundle.BundleException e) {
      throw new IllegalStateException(e);
    }
  }

  static CompletableFuture<HttpResponse<String>> enroll(
      HttpClient http, Server s, SigningKey key, byte[] privateKey, String authKey, String host)
      throws Exception {
    String pub = NodeAuth.wireguardPublicKey(privateKey);
    byte[] body =
        JSON.writeValueAsBytes(Map.of("authKey", authKey, "publicKey", pub, "hostname", host));
    HttpRequest.Builder b =
        HttpRequest.newBuilder(s.base().resolve("/v1/enroll"))
            .timeout(Duration.ofSeconds(60))
            .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    new NodeAuth.Signer(pub, privateKey, key.publicKey())
        .sign("POST", "/v1/enroll", body, System.currentTimeMillis())
        .asMap()
        .forEach(b::header);
    return http.sendAsync(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static Server serve(Path dir, String name, SigningKey key, String db) throws Exception {
    Path home = dir.resolve(name);
    Files.createDirectories(home);
    key.write(home.resolve("server.key"));
    Files.writeString(home.resolve("admin.token"), TOKEN + "\n");
    Path log = home.resolve("server.log");
    List<String> cmd =
        List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xmx2g",
            "--enable-native-access=ALL-UNNAMED",
            "-cp",
            System.getProperty("java.class.path"),
            "dev.tessera.cli.PolicyC",
            "serve",
            "--policy",
            dir.resolve("policy.hujson").toString(),
            "--key",
            home.resolve("server.key").toString(),
            "--state",
            home.resolve("state").toString(),
            "--db",
            db,
            "--admin-token-file",
            home.resolve("admin.token").toString(),
            "--listen",
            "127.0.0.1:0",
            "--poll-ms",
            "100",
            "--idle-seconds",
            "300",
            // Every simulated node connects from 127.0.0.1.
            "--max-connections-per-source",
            "1000000",
            "--plain-http");
    Process p =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    Pattern listening = Pattern.compile("listening on http://127\\.0\\.0\\.1:(\\d+)");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (System.nanoTime() < deadline && p.isAlive()) {
      Matcher m = listening.matcher(Files.exists(log) ? Files.readString(log) : "");
      if (m.find()) {
        int port = Integer.parseInt(m.group(1));
        return new Server(
            p,
            URI.create("http://127.0.0.1:" + port),
            new InetSocketAddress("127.0.0.1", port),
            log);
      }
      Thread.sleep(100);
    }
    throw new IllegalStateException("server did not start:\n" + Files.readString(log));
  }

  static String policy(int port) {
    return """
        {
          "tagOwners": {"tag:fleet": ["ops@acme.com"]},
          "acls": [{"action": "accept", "src": ["ops@acme.com"], "dst": ["tag:fleet:%d"]}],
        }
        """
        .formatted(port);
  }

  static long pct(long[] sorted, int p) {
    return sorted.length == 0 ? -1 : sorted[Math.min(sorted.length - 1, sorted.length * p / 100)];
  }

  static String loadAverage() {
    return PropagationLoad.loadAverage();
  }
}
