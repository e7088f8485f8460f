package dev.tessera.bench.server;

import dev.tessera.bundle.BundleException;
import dev.tessera.bundle.BundleVerifier;
import dev.tessera.bundle.NodeAuth;
import dev.tessera.bundle.SigningKey;
import dev.tessera.enforcer.Matcher;
import dev.tessera.net.IpAddress;
import java.io.IOException;
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
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Propagation under load: N simulated agents long-poll one policy server on loopback; the policy
 * changes; how long until every agent holds the new bundle, and how much heap the server uses.
 *
 * <p>The server runs as a child JVM ({@code policyc serve}, capped at -Xmx2g, so "heap <= 2 GiB" is
 * enforced, not just observed) and the agents run in this JVM, each with its own WireGuard key, its
 * own keep-alive connection and authenticated requests: by default on a light Netty client ({@link
 * NettyAgents}), with {@code -Dtessera.loadClient=jdk} on one shared JDK HttpClient (the first
 * measurement; its CPU use on the shared cores showed up in the figures). The CPU time the server
 * and this client use from the change to the last arrival is printed, so what the measuring client
 * costs is visible. Propagation is measured from the moment the policy file is rewritten to the
 * moment each agent's response arrives, so it includes the server's poll interval, the compile of
 * all N filters, signing, and delivery. Every received bundle is then verified (signature, node,
 * version, and that the new port is what its filter allows).
 *
 * <p>Run: {@code benchmarks/server/propagation.sh [AGENTS]} (default 10000).
 *
 * <p>Under attack: {@code -Dtessera.flood=garbage=2,forged=2,unknown=1,abusive=2,idle=2000} runs
 * {@link Flood} from the end of the initial fetch to the end of the measurement (threads per kind;
 * {@code idle} is a number of silent connections). The abusive threads are validly signed nodes of
 * their own ({@code abuser-K}, not among the measured agents). The flood's outcomes per kind and
 * the server's limit counters are printed after the propagation figures ({@code
 * benchmarks/server/dos.sh}).
 */
public final class PropagationLoad {
  public static void main(String[] args) throws Exception {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
    Map<String, Integer> flood = parseFlood(System.getProperty("tessera.flood", ""));
    int abuserCount = Math.max(1, flood.getOrDefault("abusive", 0));
    Path dir = Files.createTempDirectory("tessera-load");
    SecureRandom random = new SecureRandom();
    byte[][] abuserKeys = new byte[abuserCount][32];
    byte[][] keys = new byte[n][32];
    // One operator laptop that the rule admits to every fleet node, and N fleet nodes, one per
    // simulated agent: each fleet filter holds one rule and one peer, so a change touches all N
    // bundles without the N-squared peer lists of an all-to-all policy.
    StringBuilder inv =
        new StringBuilder(
            "users:\n  - {login: ops@acme.com, role: admin}\nnodes:\n"
                + "  - {name: laptop-ops, user: ops@acme.com, ips: ["
                + LAPTOP
                + "]}\n");
    for (int i = 0; i < n; i++) {
      random.nextBytes(keys[i]);
      inv.append("  - {name: node-")
          .append(i)
          .append(", tags: [tag:fleet], ips: [")
          .append(ip(i))
          .append("], key: \"")
          .append(NodeAuth.wireguardPublicKey(keys[i]))
          .append("\"}\n");
    }
    for (int i = 0; i < abuserCount; i++) {
      random.nextBytes(abuserKeys[i]);
      inv.append("  - {name: abuser-")
          .append(i)
          .append(", tags: [tag:fleet], ips: [")
          .append(ip(n + i))
          .append("], key: \"")
          .append(NodeAuth.wireguardPublicKey(abuserKeys[i]))
          .append("\"}\n");
    }
    Files.writeString(dir.resolve("inventory.yaml"), inv);
    Files.writeString(dir.resolve("policy.hujson"), policy(443));
    SigningKey key = SigningKey.generate();
    key.write(dir.resolve("signing.key"));

    int port;
    try (var probe = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = probe.getLocalPort(); // a free port (a random one once collided with a busy port)
    }
    List<String> command =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx2g",
                "--enable-native-access=ALL-UNNAMED"));
    // e.g. -Dtessera.serverJvmArgs="-XX:StartFlightRecording=filename=/tmp/server.jfr" to profile
    // the server.
    String extra = System.getProperty("tessera.serverJvmArgs", "").strip();
    if (!extra.isEmpty()) {
      command.addAll(List.of(extra.split("\\s+")));
    }
    command.addAll(
        List.of(
            "-cp",
            System.getProperty("java.class.path"),
            "dev.tessera.cli.PolicyC",
            "serve",
            "--policy",
            dir.resolve("policy.hujson").toString(),
            "--inventory",
            dir.resolve("inventory.yaml").toString(),
            "--key",
            dir.resolve("signing.key").toString(),
            "--listen",
            "127.0.0.1:" + port,
            "--state",
            dir.resolve("state").toString(),
            "--poll-ms",
            "100",
            "--plain-http",
            "--admin-token-file",
            dir.resolve("admin.token").toString(),
            // The simulated agents sit idle between the initial fetch of all N and their long-poll.
            "--idle-seconds",
            "120",
            // Every simulated agent (and the flood) connects from 127.0.0.1.
            "--max-connections-per-source",
            "1000000"));
    Files.writeString(dir.resolve("admin.token"), ADMIN_TOKEN + "\n");
    Process server =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("server.log").toFile())
            .start();
    System.out.println("server log: " + dir.resolve("server.log"));
    URI base = URI.create("http://127.0.0.1:" + port);
    // The agents' client: "netty" (default; one keep-alive connection per agent on 2 event loops)
    // or "jdk" (one shared java.net.http.HttpClient, as first measured). See NettyAgents.
    String clientKind = System.getProperty("tessera.loadClient", "netty");
    var executor =
        Executors.newFixedThreadPool(
            4,
            r -> {
              Thread t = new Thread(r, "load-http");
              t.setDaemon(true);
              return t;
            });
    NettyAgents netty = null;
    try (HttpClient http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(20))
            .executor(executor)
            .build()) {
      waitHealthy(http, base, server);
      System.out.printf(
          "server up with %d nodes (%s)%n",
          n, status(http, base, "lastCompileMillis") + " ms first compile");

      NodeAuth.Signer[] signers = new NodeAuth.Signer[n];
      for (int i = 0; i < n; i++) {
        signers[i] = new NodeAuth.Signer("node-" + i, keys[i], key.publicKey());
      }
      Sender sender;
      if (clientKind.equals("jdk")) {
        sender =
            (id, held, wait) ->
                send(http, base, signers[id], held, wait)
                    .thenApply(
                        r -> new NettyAgents.Response(r.statusCode(), r.body(), System.nanoTime()));
      } else {
        netty =
            new NettyAgents(
                new java.net.InetSocketAddress("127.0.0.1", port),
                n,
                Integer.getInteger("tessera.loadClientThreads", 2));
        netty.connectAll(256);
        NettyAgents agents = netty;
        sender = (id, held, wait) -> agents.send(id, signers[id], held, wait);
      }
      System.out.printf(
          "client: %s%n",
          clientKind.equals("jdk")
              ? "JDK HttpClient (1 client, 4 executor threads)"
              : "Netty, "
                  + n
                  + " keep-alive connections, "
                  + Integer.getInteger("tessera.loadClientThreads", 2)
                  + " event loops");
      // Phase 1: every agent fetches its current bundle (version 1).
      long[] held = new long[n];
      Semaphore inFlight = new Semaphore(256);
      CountDownLatch fetched = new CountDownLatch(n);
      AtomicInteger failures = new AtomicInteger();
      for (int i = 0; i < n; i++) {
        int id = i;
        inFlight.acquire();
        sender
            .send(id, 0, 0)
            .whenComplete(
                (r, e) -> {
                  inFlight.release();
                  if (e == null && r.status() == 200) {
                    try {
                      held[id] =
                          dev.tessera.bundle.BundleCodec.verifyAndDecode(r.body(), key.publicKey())
                              .version();
                    } catch (BundleException x) {
                      failures.incrementAndGet();
                    }
                  } else {
                    failures.incrementAndGet();
                  }
                  fetched.countDown();
                });
      }
      fetched.await(120, TimeUnit.SECONDS);
      System.out.printf("initial fetch: %d ok, %d failed%n", n - failures.get(), failures.get());
      Flood attack = null;
      if (!flood.isEmpty()) {
        attack = new Flood(new java.net.InetSocketAddress("127.0.0.1", port));
        List<String> real = new ArrayList<>();
        for (int i = 0; i < n; i++) {
          real.add("node-" + i);
        }
        List<NodeAuth.Signer> abusers = new ArrayList<>();
        for (int i = 0; i < abuserCount; i++) {
          abusers.add(new NodeAuth.Signer("abuser-" + i, abuserKeys[i], key.publicKey()));
        }
        for (var e : flood.entrySet()) {
          if (e.getKey().equals("idle")) {
            attack.idle(e.getValue());
          } else {
            attack.start(e.getKey(), e.getValue(), real, abusers);
          }
        }
        System.out.println("flood running: " + flood);
      }

      // Phase 2: every agent long-polls, holding version 1.
      long[] arrivedNanos = new long[n];
      byte[][] bodies = new byte[n][];
      CountDownLatch updated = new CountDownLatch(n);
      AtomicInteger pollFailures = new AtomicInteger();
      for (int i = 0; i < n; i++) {
        int id = i;
        inFlight.acquire();
        inFlight.release(); // only pace the sending; long-polls are not in flight for long
        sender
            .send(id, held[id], 90)
            .whenComplete(
                (r, e) -> {
                  if (e == null && r.status() == 200) {
                    arrivedNanos[id] = r.arrivedNanos();
                    bodies[id] = r.body();
                  } else {
                    pollFailures.incrementAndGet();
                  }
                  updated.countDown();
                });
      }
      Thread.sleep(Math.max(3000, n / 2)); // let every long-poll reach the server
      System.out.println("load average before the change: " + loadAverage());
      long heapBefore = Long.parseLong(status(http, base, "heapUsedBytes"));
      if (attack != null) {
        attack.resetCounts(); // rates over the measured window only
      }

      // Phase 3: change the policy; every node's filter changes.
      long clientCpu0 = cpuMillis(ProcessHandle.current().pid());
      long serverCpu0 = cpuMillis(server.pid());
      long changed = System.nanoTime();
      Files.writeString(dir.resolve("policy.hujson"), policy(8443));
      boolean all = updated.await(60, TimeUnit.SECONDS);
      long clientCpu = cpuMillis(ProcessHandle.current().pid()) - clientCpu0;
      long serverCpu = cpuMillis(server.pid()) - serverCpu0;
      long window = (System.nanoTime() - changed) / 1_000_000;
      long heapAfter = Long.parseLong(status(http, base, "heapUsedBytes"));

      long[] millis =
          Arrays.stream(arrivedNanos)
              .filter(t -> t > 0)
              .map(t -> (t - changed) / 1_000_000)
              .sorted()
              .toArray();
      int bad = 0;
      for (int i = 0; i < n; i++) {
        if (bodies[i] == null) {
          continue;
        }
        try {
          var v = new BundleVerifier(key.publicKey(), "node-" + i).verify(bodies[i], 1);
          Matcher m = Matcher.of(v.filter());
          if (v.bundle().version() != held[i] + 1
              || !m.allows(IpAddress.parse(LAPTOP), IpAddress.parse(ip(i)), 6, 8443)
              || m.allows(IpAddress.parse(LAPTOP), IpAddress.parse(ip(i)), 6, 443)) {
            bad++;
          }
        } catch (BundleException e) {
          bad++;
        }
      }
      System.out.printf(
          "agents %d, updated %d (all=%s), poll failures %d, bundles failing verification %d%n",
          n, millis.length, all, pollFailures.get(), bad);
      if (millis.length > 0) {
        System.out.printf(
            "propagation ms: p50 %d, p90 %d, p99 %d, max %d (includes 100 ms poll, compile, sign, deliver)%n",
            pct(millis, 50), pct(millis, 90), pct(millis, 99), millis[millis.length - 1]);
      }
      System.out.printf(
          "server heap used: %.0f MiB with %d long-polls waiting, %.0f MiB after the change (-Xmx2g)%n",
          heapBefore / 1048576.0, n, heapAfter / 1048576.0);
      System.out.printf(
          "server compile of the change: %s ms (from /v1/status)%n",
          status(http, base, "lastCompileMillis"));
      System.out.printf(
          "CPU used from the change until the last arrival (%d ms): server %d ms, load client %d ms%n",
          window, serverCpu, clientCpu);
      System.out.println("load average after: " + loadAverage());
      if (attack != null) {
        System.out.println(
            "flood outcomes during the measured window (kind, HTTP status or closed):");
        System.out.print(attack.report());
        attack.close();
        String body =
            http.send(
                    HttpRequest.newBuilder(base.resolve("/v1/status"))
                        .header("Authorization", "Bearer " + ADMIN_TOKEN)
                        .build(),
                    HttpResponse.BodyHandlers.ofString())
                .body();
        var st = new com.fasterxml.jackson.databind.ObjectMapper().readTree(body);
        System.out.println(
            "server limits: "
                + st.path("limits")
                + ", audit: written "
                + st.path("audit").path("written")
                + ", coalesced "
                + st.path("audit").path("coalesced")
                + ", dropped "
                + st.path("audit").path("dropped"));
      }
      for (String line : Files.readAllLines(dir.resolve("server.log"))) {
        if (line.contains(" CompileLoop: compiled ")) {
          System.out.println("  server: " + line);
        }
      }
    } finally {
      if (netty != null) {
        netty.close();
      }
      executor.shutdownNow();
      server.destroy();
      server.waitFor(10, TimeUnit.SECONDS);
    }
    // Reached only when the run completed; a failed run keeps its directory (and server log).
    if (!Boolean.getBoolean("tessera.keepLoadDir")) {
      try (var files = Files.walk(dir)) {
        for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      }
    }
  }

  /** {@code kind=threads,...} as in {@code -Dtessera.flood}. */
  static Map<String, Integer> parseFlood(String spec) {
    Map<String, Integer> m = new java.util.LinkedHashMap<>();
    for (String part : spec.split(",")) {
      if (part.isBlank()) {
        continue;
      }
      String[] kv = part.strip().split("=");
      m.put(kv[0], kv.length > 1 ? Integer.parseInt(kv[1]) : 1);
    }
    return m;
  }

  /** Sends agent {@code id}'s GET /v1/bundle holding version {@code held}. */
  @FunctionalInterface
  interface Sender {
    java.util.concurrent.CompletableFuture<NettyAgents.Response> send(int id, long held, int wait);
  }

  /** User + system CPU time of a process, from /proc (Linux; -1 elsewhere). */
  static long cpuMillis(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      // fields 14 and 15 of proc(5) (utime, stime) are at 11 and 12 after "pid (comm) "
      return (Long.parseLong(f[11]) + Long.parseLong(f[12]))
          * 1000
          / 100; // USER_HZ is 100 on Linux
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).strip();
    } catch (IOException e) {
      return "(unknown)";
    }
  }

  static final String LAPTOP = "100.100.0.1";

  static String ip(int i) {
    return "100.64." + (i / 250) + "." + (i % 250 + 1);
  }

  static String policy(int port) {
    return """
        {
          "tagOwners": {"tag:fleet": ["ops@acme.com"]},
          "acls": [{"action": "accept", "src": ["ops@acme.com"], "dst": ["tag:fleet:%d"], "proto": "tcp"}],
        }
        """
        .formatted(port);
  }

  static long pct(long[] sorted, int p) {
    return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)];
  }

  static java.util.concurrent.CompletableFuture<HttpResponse<byte[]>> send(
      HttpClient http, URI base, NodeAuth.Signer signer, long held, int wait) {
    String path = "/v1/bundle?wait=" + wait;
    HttpRequest.Builder req =
        HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(wait + 30L));
    signer.sign("GET", path, new byte[0], System.currentTimeMillis()).asMap().forEach(req::header);
    if (held > 0) {
      req.header("If-None-Match", "\"" + held + "\"");
    }
    return http.sendAsync(req.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  static void waitHealthy(HttpClient http, URI base, Process server) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (System.nanoTime() < deadline) {
      if (!server.isAlive()) {
        throw new IOException("server exited: see its log");
      }
      try {
        if (http.send(
                    HttpRequest.newBuilder(base.resolve("/v1/health")).build(),
                    HttpResponse.BodyHandlers.discarding())
                .statusCode()
            == 200) {
          return;
        }
      } catch (IOException e) {
        // not listening yet
      }
      Thread.sleep(200);
    }
    throw new IOException("server did not become healthy in 120 s");
  }

  /**
   * The admin token the benchmark's server is started with (the file is written before it starts).
   */
  static final String ADMIN_TOKEN = "benchmark-admin-token-0123456789";

  static String status(HttpClient http, URI base, String field) throws Exception {
    String body =
        http.send(
                HttpRequest.newBuilder(base.resolve("/v1/status"))
                    .header("Authorization", "Bearer " + ADMIN_TOKEN)
                    .build(),
                HttpResponse.BodyHandlers.ofString())
            .body();
    var node = new com.fasterxml.jackson.databind.ObjectMapper().readTree(body);
    return node.path(field).asText();
  }

  private PropagationLoad() {}
}
