package dev.tessera.bench.server;

import dev.tessera.bundle.BundleException;
import dev.tessera.bundle.BundleVerifier;
import dev.tessera.bundle.NodeAuth;
import dev.tessera.bundle.SigningKey;
import dev.tessera.enforcer.Matcher;
import dev.tessera.enforcer.format.IpAddress;
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
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Issue 9's load measure: N simulated agents long-poll one policy server on loopback; the policy
 * changes; how long until every agent holds the new bundle, and how much heap the server uses.
 *
 * <p>The server runs as a child JVM ({@code policyc serve}, capped at -Xmx2g, so "heap <= 2 GiB" is
 * enforced, not just observed) and the agents share one HttpClient in this JVM, each with its own
 * WireGuard key and authenticated requests. Propagation is measured from the moment the policy
 * file is rewritten to the moment each agent's response arrives, so it includes the server's poll
 * interval, the compile of all N filters, signing, and delivery. Every received bundle is then
 * verified (signature, node, version, and that the new port is what its filter allows).
 *
 * <p>Run: {@code benchmarks/server/propagation.sh [AGENTS]} (default 10000).
 */
public final class PropagationLoad {
  public static void main(String[] args) throws Exception {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
    Path dir = Files.createTempDirectory("tessera-load");
    SecureRandom random = new SecureRandom();
    byte[][] keys = new byte[n][32];
    // One operator laptop that the rule admits to every fleet node, and N fleet nodes, one per
    // simulated agent: each fleet filter holds one rule and one peer, so a change touches all N
    // bundles without the N-squared peer lists of an all-to-all policy.
    StringBuilder inv = new StringBuilder("users:\n  - {login: ops@acme.com, role: admin}\nnodes:\n"
        + "  - {name: laptop-ops, user: ops@acme.com, ips: [" + LAPTOP + "]}\n");
    for (int i = 0; i < n; i++) {
      random.nextBytes(keys[i]);
      inv.append("  - {name: node-").append(i).append(", tags: [tag:fleet], ips: [").append(ip(i))
          .append("], key: \"").append(NodeAuth.wireguardPublicKey(keys[i])).append("\"}\n");
    }
    Files.writeString(dir.resolve("inventory.yaml"), inv);
    Files.writeString(dir.resolve("policy.hujson"), policy(443));
    SigningKey key = SigningKey.generate();
    key.write(dir.resolve("signing.key"));

    int port = 20000 + random.nextInt(20000);
    Process server = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx2g", "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
        "dev.tessera.cli.PolicyC", "serve", "--policy", dir.resolve("policy.hujson").toString(),
        "--inventory", dir.resolve("inventory.yaml").toString(), "--key", dir.resolve("signing.key").toString(),
        "--listen", "127.0.0.1:" + port, "--state", dir.resolve("state").toString(), "--poll-ms", "100")
        .redirectErrorStream(true).redirectOutput(dir.resolve("server.log").toFile()).start();
    URI base = URI.create("http://127.0.0.1:" + port);
    try (HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(20)).executor(Executors.newFixedThreadPool(4)).build()) {
      waitHealthy(http, base, server);
      System.out.printf("server up with %d nodes (%s)%n", n, status(http, base, "lastCompileMillis") + " ms first compile");

      NodeAuth.Signer[] signers = new NodeAuth.Signer[n];
      for (int i = 0; i < n; i++) {
        signers[i] = new NodeAuth.Signer("node-" + i, keys[i], key.publicKey());
      }
      // Phase 1: every agent fetches its current bundle (version 1).
      long[] held = new long[n];
      Semaphore inFlight = new Semaphore(256);
      CountDownLatch fetched = new CountDownLatch(n);
      AtomicInteger failures = new AtomicInteger();
      for (int i = 0; i < n; i++) {
        int id = i;
        inFlight.acquire();
        send(http, base, signers[i], 0, 0).whenComplete((r, e) -> {
          inFlight.release();
          if (e == null && r.statusCode() == 200) {
            held[id] = 1;
          } else {
            failures.incrementAndGet();
          }
          fetched.countDown();
        });
      }
      fetched.await(120, TimeUnit.SECONDS);
      System.out.printf("initial fetch: %d ok, %d failed%n", n - failures.get(), failures.get());

      // Phase 2: every agent long-polls, holding version 1.
      long[] arrivedNanos = new long[n];
      byte[][] bodies = new byte[n][];
      CountDownLatch updated = new CountDownLatch(n);
      AtomicInteger pollFailures = new AtomicInteger();
      for (int i = 0; i < n; i++) {
        int id = i;
        inFlight.acquire();
        inFlight.release(); // only pace the sending; long-polls are not in flight for long
        send(http, base, signers[i], 1, 90).whenComplete((r, e) -> {
          if (e == null && r.statusCode() == 200) {
            arrivedNanos[id] = System.nanoTime();
            bodies[id] = r.body();
          } else {
            pollFailures.incrementAndGet();
          }
          updated.countDown();
        });
      }
      Thread.sleep(Math.max(3000, n / 2)); // let every long-poll reach the server
      long heapBefore = Long.parseLong(status(http, base, "heapUsedBytes"));

      // Phase 3: change the policy; every node's filter changes.
      long changed = System.nanoTime();
      Files.writeString(dir.resolve("policy.hujson"), policy(8443));
      boolean all = updated.await(60, TimeUnit.SECONDS);
      long heapAfter = Long.parseLong(status(http, base, "heapUsedBytes"));

      long[] millis = Arrays.stream(arrivedNanos).filter(t -> t > 0).map(t -> (t - changed) / 1_000_000).sorted().toArray();
      int bad = 0;
      for (int i = 0; i < n; i++) {
        if (bodies[i] == null) {
          continue;
        }
        try {
          var v = new BundleVerifier(key.publicKey(), "node-" + i).verify(bodies[i], 1);
          Matcher m = Matcher.of(v.filter());
          if (v.bundle().version() != 2 || !m.allows(IpAddress.parse(LAPTOP), IpAddress.parse(ip(i)), 6, 8443)
              || m.allows(IpAddress.parse(LAPTOP), IpAddress.parse(ip(i)), 6, 443)) {
            bad++;
          }
        } catch (BundleException e) {
          bad++;
        }
      }
      System.out.printf("agents %d, updated %d (all=%s), poll failures %d, bundles failing verification %d%n",
          n, millis.length, all, pollFailures.get(), bad);
      if (millis.length > 0) {
        System.out.printf("propagation ms: p50 %d, p90 %d, p99 %d, max %d (includes 100 ms poll, compile, sign, deliver)%n",
            pct(millis, 50), pct(millis, 90), pct(millis, 99), millis[millis.length - 1]);
      }
      System.out.printf("server heap used: %.0f MiB with %d long-polls waiting, %.0f MiB after the change (-Xmx2g)%n",
          heapBefore / 1048576.0, n, heapAfter / 1048576.0);
      System.out.printf("server compile of the change: %s ms (from /v1/status)%n", status(http, base, "lastCompileMillis"));
    } finally {
      server.destroy();
      server.waitFor(10, TimeUnit.SECONDS);
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
        """.formatted(port);
  }

  static long pct(long[] sorted, int p) {
    return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)];
  }

  static java.util.concurrent.CompletableFuture<HttpResponse<byte[]>> send(HttpClient http, URI base,
      NodeAuth.Signer signer, long held, int wait) {
    String path = "/v1/bundle?wait=" + wait;
    HttpRequest.Builder req = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(wait + 30L));
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
        if (http.send(HttpRequest.newBuilder(base.resolve("/v1/health")).build(), HttpResponse.BodyHandlers.discarding())
            .statusCode() == 200) {
          return;
        }
      } catch (IOException e) {
        // not listening yet
      }
      Thread.sleep(200);
    }
    throw new IOException("server did not become healthy in 120 s");
  }

  static String status(HttpClient http, URI base, String field) throws Exception {
    String body = http.send(HttpRequest.newBuilder(base.resolve("/v1/status")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    var node = new com.fasterxml.jackson.databind.ObjectMapper().readTree(body);
    return node.path(field).asText();
  }

  private PropagationLoad() {}
}
