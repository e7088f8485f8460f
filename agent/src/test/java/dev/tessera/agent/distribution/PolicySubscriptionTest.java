package dev.tessera.agent.distribution;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.tessera.agent.FilterGate;
import dev.tessera.bundle.BundleCodec;
import dev.tessera.bundle.BundleException.Reason;
import dev.tessera.bundle.Freshness;
import dev.tessera.bundle.NodeBundle;
import dev.tessera.bundle.SigningKey;
import dev.tessera.enforcer.Enforcer;
import dev.tessera.enforcer.format.CompiledFilter;
import dev.tessera.enforcer.format.DstPorts;
import dev.tessera.enforcer.format.FilterCodec;
import dev.tessera.enforcer.format.FilterRule;
import dev.tessera.enforcer.format.RuleOrigin;
import dev.tessera.net.IpPrefix;
import dev.tessera.net.IpProtocol;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent's side of distribution against a scripted HTTP server (JDK's built-in one): whatever
 * bytes the "server" sends, only the genuine, newest bundle for this node is enforced; refusals are
 * counted by reason; the last good bundle survives a restart; with none, the gate fails closed in
 * both directions.
 */
class PolicySubscriptionTest {
  static final String NODE = "a";
  static final String A = "10.213.0.1";
  static final String B = "10.213.0.2";

  @TempDir Path dir;
  final SigningKey key = SigningKey.fromSeed(seed(1));
  final SigningKey otherKey = SigningKey.fromSeed(seed(2));
  final byte[] wgPrivate = seed(3);
  final List<String> log = new CopyOnWriteArrayList<>();

  /** Responses for GET /v1/bundle, in order; empty queue: 304. */
  final BlockingQueue<byte[]> responses = new LinkedBlockingQueue<>();

  final List<Map<String, String>> requests = new CopyOnWriteArrayList<>();
  final List<String> acks = new CopyOnWriteArrayList<>();

  /** When set, "unchanged" answers carry no freshness statement (an on-path freeze attack). */
  volatile boolean freeze;

  volatile long freshnessMillis = 5 * 60_000;
  HttpServer http;
  URI base;
  final List<PolicySubscription> open = new ArrayList<>();

  static byte[] seed(int n) {
    byte[] s = new byte[32];
    new Random(n).nextBytes(s);
    return s;
  }

  @BeforeEach
  void startServer() throws IOException {
    http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
    http.createContext(
        "/v1/bundle",
        ex -> {
          Map<String, String> h = new LinkedHashMap<>();
          ex.getRequestHeaders()
              .forEach((k, v) -> h.put(k.toLowerCase(java.util.Locale.ROOT), v.getFirst()));
          requests.add(h);
          byte[] body = responses.poll();
          if (body == null) {
            // "Unchanged", vouched for with a signed statement for the version the agent holds (an
            // attacker on the path cannot make one; freezeWithoutStatements answers without it).
            String inm = h.getOrDefault("if-none-match", "\"0\"").replace("\"", "");
            long held = Long.parseLong(inm);
            if (!freeze && held > 0) {
              long now = System.currentTimeMillis();
              ex.getResponseHeaders()
                  .set(
                      Freshness.HEADER,
                      new Freshness(NODE, held, now, now + freshnessMillis).signHeader(key));
            }
            ex.sendResponseHeaders(304, -1);
          } else {
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
          }
          ex.close();
        });
    http.createContext(
        "/v1/ack",
        ex -> {
          acks.add(
              new String(
                  ex.getRequestBody().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
          ex.sendResponseHeaders(204, -1);
          ex.close();
        });
    http.start();
    base = URI.create("http://127.0.0.1:" + http.getAddress().getPort() + "/");
  }

  @AfterEach
  void stop() {
    open.forEach(PolicySubscription::close);
    if (http != null) {
      http.stop(0);
    }
  }

  PolicySubscription subscription(URI server, FilterGate gate) {
    DistributionSettings s =
        new DistributionSettings(server, key.publicKey(), NODE, dir.resolve("state/t0.bundle"), 1);
    PolicySubscription p = new PolicySubscription(s, wgPrivate, gate, log::add);
    open.add(p);
    return p;
  }

  static CompiledFilter filter(String node, int... tcpPorts) {
    List<DstPorts> dst =
        Arrays.stream(tcpPorts)
            .mapToObj(p -> new DstPorts(IpPrefix.parse(A + "/32"), p, p))
            .toList();
    List<FilterRule> rules =
        dst.isEmpty()
            ? List.of()
            : List.of(
                new FilterRule(
                    List.of(IpPrefix.parse("10.213.0.0/24")),
                    List.of(IpProtocol.TCP),
                    dst,
                    RuleOrigin.synthetic(RuleOrigin.ACL, 0)));
    return CompiledFilter.of(node, List.of(IpPrefix.parse(A + "/32")), rules, List.of(), List.of());
  }

  static byte[] bundle(SigningKey k, String node, long version, CompiledFilter f) {
    byte[] bytes = FilterCodec.encode(f);
    long now = System.currentTimeMillis();
    return BundleCodec.sign(
        new NodeBundle(
            node, version, "rev" + version, NodeBundle.hashOf(bytes), now, now + 5 * 60_000, bytes),
        k);
  }

  byte[] bundle(long version, int... ports) {
    return bundle(key, NODE, version, filter(NODE, ports));
  }

  /**
   * A minimal IPv4/TCP segment src:sport -> dst:dport with the given flags (0x02 SYN, 0x10 ACK).
   */
  static ByteBuffer tcp(String src, int sport, String dst, int dport, int flags) {
    ByteBuffer b = ByteBuffer.allocate(40);
    b.put((byte) 0x45)
        .put((byte) 0)
        .putShort((short) 40)
        .putInt(0)
        .put((byte) 64)
        .put((byte) 6)
        .putShort((short) 0);
    b.put(ip(src)).put(ip(dst));
    b.putShort((short) sport)
        .putShort((short) dport)
        .putInt(1)
        .putInt(flags == 0x02 ? 0 : 1)
        .put((byte) 0x50)
        .put((byte) flags)
        .putShort((short) 65535)
        .putShort((short) 0)
        .putShort((short) 0);
    return b.flip();
  }

  static byte[] ip(String dotted) {
    String[] p = dotted.split("\\.");
    return new byte[] {
      (byte) Integer.parseInt(p[0]),
      (byte) Integer.parseInt(p[1]),
      (byte) Integer.parseInt(p[2]),
      (byte) Integer.parseInt(p[3])
    };
  }

  static Map<String, String> status(FilterGate gate) {
    StringBuilder sb = new StringBuilder();
    gate.appendStatus(sb);
    Map<String, String> m = new LinkedHashMap<>();
    for (String line : sb.toString().split("\n")) {
      int eq = line.indexOf('=');
      m.put(line.substring(0, eq), line.substring(eq + 1));
    }
    return m;
  }

  @Test
  void withoutAnyBundleNothingGetsInOrOut() {
    FilterGate gate = FilterGate.fromBundles(NODE, log::add);
    PolicySubscription sub = subscription(base, gate);
    assertThat(sub.loadPersisted()).isZero();
    assertThat(gate.mode()).isEqualTo(FilterGate.Mode.FAIL_CLOSED);
    Enforcer.Worker w = gate.newWorker();
    assertThat(gate.allowInbound(w, tcp(B, 40000, A, 443, 0x02))).isFalse();
    assertThat(gate.allowOutbound(w, tcp(A, 40000, B, 443, 0x02)))
        .as("no new outbound flow either")
        .isFalse();
    assertThat(status(gate))
        .containsEntry("filter_mode", "fail_closed")
        .containsEntry("bundle_version", "0")
        .containsEntry("drop_inbound_filter-unavailable", "1")
        .containsEntry("drop_outbound_filter-unavailable", "1");
    assertThat(log).anySatisfy(l -> assertThat(l).contains("FAILING CLOSED"));
  }

  @Test
  void appliesOnlyGenuineNewerBundlesForThisNodeAndCountsTheRest() throws Exception {
    FilterGate gate = FilterGate.fromBundles(NODE, log::add);
    PolicySubscription sub = subscription(base, gate);
    sub.loadPersisted();

    responses.add(bundle(1, 443));
    assertThat(sub.step()).isEqualTo(PolicySubscription.Outcome.APPLIED);
    assertThat(gate.mode()).isEqualTo(FilterGate.Mode.ENFORCE);
    Enforcer.Worker w = gate.newWorker();
    assertThat(gate.allowInbound(w, tcp(B, 40001, A, 443, 0x02))).isTrue();
    assertThat(gate.allowInbound(w, tcp(B, 40002, A, 22, 0x02))).isFalse();
    assertThat(gate.allowOutbound(w, tcp(A, 40003, B, 80, 0x02)))
        .as("outbound flows once a filter is in force")
        .isTrue();
    // The request was authenticated as this node, and the bundle acknowledged.
    assertThat(requests.getFirst())
        .containsEntry("x-tessera-node", NODE)
        .containsKey("x-tessera-auth");
    NetWait.until("ack", () -> acks.size() == 1);
    assertThat(acks.getFirst()).contains("\"version\":1");
    assertThat(Files.exists(dir.resolve("state/t0.bundle"))).isTrue();

    byte[] v2 = bundle(2, 22);
    byte[] tampered = v2.clone();
    tampered[tampered.length - 70] ^= 1; // a filter byte: the signature no longer matches
    byte[] wrongKey = bundle(otherKey, NODE, 2, filter(NODE, 22));
    byte[] otherNode = bundle(key, "b", 2, filter("b", 22));
    byte[] filterForOtherNode = bundle(key, NODE, 2, filter("b", 22));
    byte[] garbage =
        "<html>captive portal</html>".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    Map<byte[], Reason> attacks = new LinkedHashMap<>();
    attacks.put(bundle(1, 22), Reason.ROLLBACK); // replay of the version in force, other content
    attacks.put(tampered, Reason.BAD_SIGNATURE);
    attacks.put(wrongKey, Reason.BAD_SIGNATURE);
    attacks.put(otherNode, Reason.WRONG_NODE);
    attacks.put(filterForOtherNode, Reason.WRONG_NODE);
    attacks.put(garbage, Reason.MALFORMED);
    for (Map.Entry<byte[], Reason> e : attacks.entrySet()) {
      responses.add(e.getKey());
      assertThat(sub.step()).as("%s", e.getValue()).isEqualTo(PolicySubscription.Outcome.REFUSED);
      assertThat(sub.version()).isEqualTo(1);
      assertThat(gate.allowInbound(w, tcp(B, 40010, A, 22, 0x02)))
          .as("22 still denied after %s", e.getValue())
          .isFalse();
    }
    assertThat(sub.refused(Reason.ROLLBACK)).isEqualTo(1);
    assertThat(sub.refused(Reason.BAD_SIGNATURE)).isEqualTo(2);
    assertThat(sub.refused(Reason.WRONG_NODE)).isEqualTo(2);
    assertThat(sub.refused(Reason.MALFORMED)).isEqualTo(1);
    Map<String, String> st = status(gate);
    assertThat(st)
        .containsEntry("bundle_refused", "6")
        .containsEntry("bundle_refused_bad-signature", "2")
        .containsEntry("bundle_refused_rollback", "1")
        .containsEntry("bundle_version", "1")
        .containsEntry("filter_mode", "enforce");
    assertThat(st.get("bundle_error")).contains("malformed");
    assertThat(log)
        .anySatisfy(l -> assertThat(l).contains("REFUSED policy bundle").contains("wrong-node"));

    // An empty long-poll changes nothing; the next genuine bundle applies and clears the error.
    assertThat(sub.step()).isEqualTo(PolicySubscription.Outcome.UNCHANGED);
    assertThat(requests.getLast()).containsEntry("if-none-match", "\"1\"");
    responses.add(v2);
    assertThat(sub.step()).isEqualTo(PolicySubscription.Outcome.APPLIED);
    assertThat(sub.version()).isEqualTo(2);
    assertThat(gate.allowInbound(w, tcp(B, 40011, A, 22, 0x02))).isTrue();
    assertThat(status(gate))
        .doesNotContainKey("bundle_error")
        .containsEntry("bundle_version", "2")
        .containsEntry("bundle_revision", "rev2");
  }

  @Test
  void newBundleCutsRevokedFlowsAtTheirNextPacketAndKeepsAllowedOnes() throws Exception {
    FilterGate gate = FilterGate.fromBundles(NODE, log::add);
    PolicySubscription sub = subscription(base, gate);
    responses.add(bundle(1, 443, 22));
    sub.step();
    Enforcer.Worker w = gate.newWorker();
    ByteBuffer syn443 = tcp(B, 41000, A, 443, 0x02);
    ByteBuffer syn22 = tcp(B, 41001, A, 22, 0x02);
    assertThat(gate.allowInbound(w, syn443)).isTrue();
    assertThat(gate.allowInbound(w, syn22)).isTrue();
    gate.allowOutbound(w, tcp(A, 443, B, 41000, 0x12));
    gate.allowOutbound(w, tcp(A, 22, B, 41001, 0x12));

    responses.add(bundle(2, 443));
    assertThat(sub.step()).isEqualTo(PolicySubscription.Outcome.APPLIED);
    assertThat(gate.allowInbound(w, tcp(B, 41000, A, 443, 0x10)))
        .as("established flow on a still-allowed port")
        .isTrue();
    assertThat(gate.allowInbound(w, tcp(B, 41001, A, 22, 0x10)))
        .as("flow whose port was revoked")
        .isFalse();
    assertThat(status(gate)).containsEntry("drop_inbound_revoked", "1");
  }

  @Test
  void restartWithTheServerDownEnforcesTheLastGoodBundle() throws Exception {
    FilterGate gate = FilterGate.fromBundles(NODE, log::add);
    PolicySubscription first = subscription(base, gate);
    responses.add(bundle(1, 443));
    first.step();
    responses.add(bundle(2, 8443));
    first.step();
    first.close();
    http.stop(0);
    http = null;

    URI down = URI.create("http://127.0.0.1:" + freePort() + "/");
    FilterGate restarted = FilterGate.fromBundles(NODE, log::add);
    PolicySubscription second = subscription(down, restarted);
    assertThat(second.loadPersisted()).isEqualTo(2);
    assertThat(restarted.mode()).isEqualTo(FilterGate.Mode.ENFORCE);
    Enforcer.Worker w = restarted.newWorker();
    assertThat(restarted.allowInbound(w, tcp(B, 42000, A, 8443, 0x02))).isTrue();
    assertThat(restarted.allowInbound(w, tcp(B, 42001, A, 443, 0x02))).isFalse();
    assertThat(second.step()).isEqualTo(PolicySubscription.Outcome.UNREACHABLE);
    assertThat(restarted.mode()).isEqualTo(FilterGate.Mode.ENFORCE);
    assertThat(status(restarted)).containsEntry("bundle_version", "2");
    assertThat(status(restarted).get("bundle_error")).contains("request failed");
  }

  @Test
  void corruptPersistedBundleIsRefusedAndTheGateFailsClosed() throws Exception {
    Path state = dir.resolve("state/t0.bundle");
    Files.createDirectories(state.getParent());
    byte[] good = bundle(5, 443);
    good[20] ^= 0x40;
    Files.write(state, good);
    FilterGate gate = FilterGate.fromBundles(NODE, log::add);
    PolicySubscription sub = subscription(base, gate);
    assertThat(sub.loadPersisted()).isZero();
    assertThat(gate.mode()).isEqualTo(FilterGate.Mode.FAIL_CLOSED);
    assertThat(status(gate))
        .containsEntry("bundle_refused_persisted", "1")
        .containsEntry("bundle_refused", "1");
    assertThat(status(gate).get("bundle_error")).contains("persisted bundle refused");
  }

  @Test
  void closeStopsAHangingLongPollPromptly() throws Exception {
    CountDownLatch arrived = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    http.removeContext("/v1/bundle");
    http.createContext(
        "/v1/bundle",
        ex -> {
          arrived.countDown();
          try {
            release.await(60, TimeUnit.SECONDS); // a long-poll that does not answer
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          ex.close();
        });
    FilterGate gate = FilterGate.fromBundles(NODE, log::add);
    PolicySubscription sub = subscription(base, gate);
    sub.start(new java.util.concurrent.atomic.LongAdder());
    assertThat(arrived.await(10, TimeUnit.SECONDS)).isTrue();
    // Not a timing assertion on the happy path: without cancellation close() would wait 60 s.
    long t0 = System.nanoTime();
    try {
      Assertions.assertTimeoutPreemptively(Duration.ofSeconds(15), sub::close);
    } finally {
      release.countDown();
    }
    System.out.printf(
        "close() with a hanging long-poll took %d ms%n", (System.nanoTime() - t0) / 1_000_000);
  }

  /**
   * Freeze attack: an on-path party answers "unchanged" for ever. Such answers are refused (no
   * signed statement); once the server has not vouched for the policy for MaxPolicyAge, the gate
   * fails closed, and a genuine current answer lifts it.
   */
  @Test
  void aFrozenAgentReportsStaleAndFailsClosedAfterTheMaximumAge() throws Exception {
    FilterGate gate = FilterGate.fromBundles(NODE, log::add);
    PolicySubscription sub = subscription(base, gate);
    responses.add(bundle(1, 443));
    assertThat(sub.step()).isEqualTo(PolicySubscription.Outcome.APPLIED);
    long now = System.currentTimeMillis();
    assertThat(sub.checkFreshness(now)).isFalse();

    freeze = true;
    assertThat(sub.step())
        .as("unsigned \"unchanged\"")
        .isEqualTo(PolicySubscription.Outcome.REFUSED);
    assertThat(sub.refused(Reason.STALE)).isEqualTo(1);
    // Later: the statement held has expired (stale), and later still the maximum age has passed.
    assertThat(sub.checkFreshness(now + 6 * 60_000)).isTrue();
    assertThat(gate.mode()).isEqualTo(FilterGate.Mode.ENFORCE);
    assertThat(log).anySatisfy(l -> assertThat(l).startsWith("policy stale since"));
    sub.checkFreshness(now + 61 * 60_000);
    assertThat(gate.mode()).isEqualTo(FilterGate.Mode.FAIL_CLOSED);
    Enforcer.Worker w = gate.newWorker();
    assertThat(gate.allowInbound(w, tcp(B, 43000, A, 443, 0x02))).isFalse();
    assertThat(gate.allowOutbound(w, tcp(A, 43001, B, 443, 0x02))).isFalse();
    assertThat(status(gate).get("filter_error")).contains("policy stale since");

    // The server gets through again: the policy is vouched for, the gate enforces it again.
    freeze = false;
    assertThat(sub.step()).isEqualTo(PolicySubscription.Outcome.UNCHANGED);
    assertThat(sub.checkFreshness(System.currentTimeMillis())).isFalse();
    assertThat(gate.mode()).isEqualTo(FilterGate.Mode.ENFORCE);
    assertThat(gate.allowInbound(w, tcp(B, 43002, A, 443, 0x02))).isTrue();
  }

  /**
   * A server that is gone is left for the next in the same step; the switch is logged and shown.
   */
  @Test
  void aDeadServerIsLeftForTheNextInTheSameStep() throws Exception {
    URI dead;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      dead = URI.create("http://127.0.0.1:" + s.getLocalPort() + "/");
    }
    FilterGate gate = FilterGate.fromBundles(NODE, log::add);
    PolicySubscription sub =
        new PolicySubscription(
            new DistributionSettings(
                List.of(dead, base),
                key.publicKey(),
                NODE,
                dir.resolve("state/t0.bundle"),
                1,
                java.util.Optional.empty(),
                DistributionSettings.DEFAULT_MAX_POLICY_AGE,
                DistributionSettings.StaleMode.FAIL_CLOSED),
            wgPrivate,
            gate,
            log::add);
    open.add(sub);
    responses.add(bundle(1, 443));
    assertThat(sub.step()).isEqualTo(PolicySubscription.Outcome.APPLIED);
    assertThat(sub.version()).isEqualTo(1);
    assertThat(log).contains("policy server " + dead + ": connection refused; trying " + base);
    StringBuilder st = new StringBuilder();
    sub.appendStatus(st);
    assertThat(st.toString())
        .contains("bundle_server=" + base + "\n")
        .contains("bundle_servers=" + dead + ", " + base + "\n")
        .doesNotContain("bundle_error");
    // The next step asks the server that answered: nothing to log.
    int lines = log.size();
    assertThat(sub.step()).isEqualTo(PolicySubscription.Outcome.UNCHANGED);
    assertThat(log).hasSize(lines);
  }

  /** StaleMode = keep-last-good keeps enforcing the policy, reported stale. */
  @Test
  void keepLastGoodKeepsEnforcingAStalePolicy() throws Exception {
    FilterGate gate = FilterGate.fromBundles(NODE, log::add);
    DistributionSettings s =
        new DistributionSettings(
            List.of(base),
            key.publicKey(),
            NODE,
            dir.resolve("state/t0.bundle"),
            1,
            java.util.Optional.empty(),
            Duration.ofMinutes(10),
            DistributionSettings.StaleMode.KEEP_LAST_GOOD);
    PolicySubscription sub = new PolicySubscription(s, wgPrivate, gate, log::add);
    open.add(sub);
    responses.add(bundle(1, 443));
    sub.step();
    long now = System.currentTimeMillis();
    assertThat(sub.checkFreshness(now + 24 * 3_600_000L)).isTrue();
    assertThat(gate.mode()).isEqualTo(FilterGate.Mode.ENFORCE);
    assertThat(status(gate))
        .containsEntry("bundle_stale_mode", "keep-last-good")
        .containsKey("bundle_fresh_until_ms");
  }

  /**
   * An Error on the subscription's thread does not end it: the agent's supervisor counts it (as
   * {@code loop_restarts}), logs it, and the loop runs again and applies the next bundle.
   */
  @Test
  void anErrorDoesNotEndTheSubscription() throws Exception {
    // The gate's log line for the first new filter throws an Error, as a bug deep in applying
    // might.
    java.util.concurrent.atomic.AtomicBoolean thrown =
        new java.util.concurrent.atomic.AtomicBoolean();
    FilterGate gate =
        FilterGate.fromBundles(
            NODE,
            m -> {
              if (m.startsWith("enforcing") && thrown.compareAndSet(false, true)) {
                throw new StackOverflowError("simulated");
              }
              log.add(m);
            });
    PolicySubscription sub = subscription(base, gate);
    responses.add(bundle(1, 443));
    responses.add(bundle(2, 443, 80));
    java.util.concurrent.atomic.LongAdder restarts = new java.util.concurrent.atomic.LongAdder();
    sub.start(restarts);
    NetWait.until("bundle v2 applied after the Error", () -> sub.version() == 2);
    assertThat(restarts.sum()).isEqualTo(1);
    assertThat(log)
        .anySatisfy(
            l ->
                assertThat(l)
                    .startsWith("bug: policy subscription threw java.lang.StackOverflowError")
                    .endsWith("restarting it"));
    Enforcer.Worker w = gate.newWorker();
    assertThat(gate.allowInbound(w, tcp(B, 43001, A, 80, 0x02))).isTrue();
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** Polling helper for the asynchronous ack. */
  static final class NetWait {
    static void until(String what, java.util.function.BooleanSupplier c)
        throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (!c.getAsBoolean()) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError("timed out waiting for " + what);
        }
        Thread.sleep(20);
      }
    }
  }
}
