package dev.tessera.bundle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client given two servers of one control plane: it stays with the server that answers, moves to
 * the other within the same poll when that one fails or its answer is refused, acknowledges to the
 * server that sent the bundle, and never takes a lower version from either.
 */
class BundleClientFailoverTest {
  static final long MINUTE = 60_000;

  @TempDir Path dir;
  Scripted a;
  Scripted b;
  final List<Long> applied = new CopyOnWriteArrayList<>();
  final List<String> switches = new CopyOnWriteArrayList<>();

  /** A scripted server: answers GET /v1/bundle with {@link #next}, counts polls and acks. */
  static final class Scripted {
    final HttpServer http;
    final URI base;
    final AtomicReference<Answer> next = new AtomicReference<>();
    final AtomicInteger polls = new AtomicInteger();
    final AtomicInteger acks = new AtomicInteger();

    Scripted() throws IOException {
      http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 8);
      http.createContext(
          "/v1/bundle",
          ex -> {
            polls.incrementAndGet();
            Answer r = next.get();
            if (r.freshness() != null) {
              ex.getResponseHeaders().set(Freshness.HEADER, r.freshness());
            }
            if (r.body() == null) {
              ex.sendResponseHeaders(r.status(), -1);
            } else {
              ex.sendResponseHeaders(r.status(), r.body().length);
              ex.getResponseBody().write(r.body());
            }
            ex.close();
          });
      http.createContext(
          "/v1/ack",
          ex -> {
            ex.getRequestBody().readAllBytes();
            acks.incrementAndGet();
            ex.sendResponseHeaders(204, -1);
            ex.close();
          });
      http.start();
      base = URI.create("http://127.0.0.1:" + http.getAddress().getPort() + "/");
    }
  }

  record Answer(int status, byte[] body, String freshness) {
    static Answer bundle(long version) {
      return new Answer(200, BundleClientTest.bundle(version, 443, now(), 5 * MINUTE), null);
    }

    static Answer unchanged(long version) {
      return new Answer(304, null, BundleClientTest.statement(version, now(), 5 * MINUTE));
    }

    static Answer failing() {
      return new Answer(503, "database unavailable".getBytes(StandardCharsets.UTF_8), null);
    }
  }

  static long now() {
    return System.currentTimeMillis();
  }

  @BeforeEach
  void start() throws IOException {
    a = new Scripted();
    b = new Scripted();
  }

  @AfterEach
  void stop() {
    a.http.stop(0);
    b.http.stop(0);
  }

  BundleClient client() {
    return new BundleClient(
        new BundleClient.Config(
                a.base,
                BundleClientTest.NODE,
                BundleTest.seed(50),
                BundleClientTest.SERVER.publicKey(),
                dir.resolve("state/wg0.bundle"),
                1)
            .withServers(List.of(a.base, b.base), switches::add),
        v -> applied.add(v.bundle().version()));
  }

  /** Waits for the fire-and-forget ack of the last bundle. */
  static void awaitAck(Scripted s, int count) throws InterruptedException {
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (s.acks.get() < count && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertThat(s.acks.get()).isEqualTo(count);
  }

  @Test
  void aFailedServerIsLeftForTheNextWithinOnePollAndTheOneThatAnswersIsKept() throws Exception {
    try (BundleClient c = client()) {
      a.next.set(Answer.bundle(3));
      assertThat(c.pollOnce()).isTrue();
      assertThat(c.currentServer()).isEqualTo(a.base);
      awaitAck(a, 1);

      // The first fails (an HTTP error, as a server whose database is gone): the second answers in
      // the same poll, is acknowledged, and is asked from then on.
      a.next.set(Answer.failing());
      b.next.set(Answer.bundle(4));
      assertThat(c.pollOnce()).isTrue();
      assertThat(c.currentServer()).isEqualTo(b.base);
      assertThat(switches)
          .containsExactly(
              a.base + ": server answered 503: database unavailable; trying " + b.base);
      awaitAck(b, 1);
      assertThat(a.acks.get()).isEqualTo(1);
      int asked = a.polls.get();
      b.next.set(Answer.unchanged(4));
      assertThat(c.pollOnce()).isFalse();
      assertThat(a.polls.get()).as("the server that answered is kept").isEqualTo(asked);

      // A server that is gone (connection refused): back to the first, which vouches for v4.
      b.http.stop(0);
      a.next.set(Answer.unchanged(4));
      assertThat(c.pollOnce()).isFalse();
      assertThat(c.currentServer()).isEqualTo(a.base);
      assertThat(switches).last().isEqualTo(b.base + ": connection refused; trying " + a.base);
      assertThat(applied).containsExactly(3L, 4L);
    }
  }

  @Test
  void aRefusedAnswerIsLeftForTheNextServerAndNoServerOffersALowerVersion() throws Exception {
    try (BundleClient c = client()) {
      a.next.set(Answer.bundle(7));
      assertThat(c.pollOnce()).isTrue();
      awaitAck(a, 1);
      // The first server lags (an older bundle, genuine and current): refused as a rollback, and
      // the other server's newer bundle is taken in the same poll and acknowledged to it.
      a.next.set(Answer.bundle(6));
      b.next.set(Answer.bundle(8));
      assertThat(c.pollOnce()).isTrue();
      assertThat(c.currentServer()).isEqualTo(b.base);
      assertThat(c.heldVersion()).isEqualTo(8);
      assertThat(c.refusedCount()).isEqualTo(1);
      assertThat(switches).singleElement().asString().startsWith(a.base + ": refused ROLLBACK: ");
      assertThat(switches.getFirst()).endsWith("; trying " + b.base);
      awaitAck(b, 1);

      // Every server refused (a version not above the one held, an expired statement): the poll
      // fails as refused, nothing lower is taken, and only leaving the server that answered is
      // logged.
      b.next.set(Answer.bundle(7));
      a.next.set(
          new Answer(304, null, BundleClientTest.statement(8, now() - 10 * MINUTE, 5 * MINUTE)));
      assertThatThrownBy(c::pollOnce)
          .isInstanceOfSatisfying(
              BundleException.class,
              e -> assertThat(e.reason()).isEqualTo(BundleException.Reason.ROLLBACK))
          .hasMessageContaining(b.base + ": refused ROLLBACK")
          .hasMessageContaining(a.base + ": refused STALE");
      assertThat(c.heldVersion()).isEqualTo(8);
      assertThat(c.refusedCount()).isEqualTo(3);
      assertThat(switches).hasSize(2);
      assertThat(switches.getLast()).startsWith(b.base + ": refused ROLLBACK: ");

      b.next.set(Answer.bundle(9));
      assertThat(c.pollOnce()).isTrue();
      assertThat(applied).containsExactly(7L, 8L, 9L);
    }
  }

  @Test
  void aPollFailsOnlyWhenEveryServerFailedAndSaysWhyForEach() throws Exception {
    try (BundleClient c = client()) {
      a.next.set(Answer.failing());
      b.http.stop(0);
      for (int round = 0; round < 3; round++) {
        assertThatThrownBy(c::pollOnce)
            .isInstanceOf(IOException.class)
            .hasMessageStartingWith(
                "no policy server answered (" + a.base + ": server answered 503")
            .hasMessageEndingWith("; " + b.base + ": connection refused)");
        assertThat(c.currentServer())
            .as("round robin: the next poll starts over")
            .isEqualTo(a.base);
      }
      // Only leaving a server that had answered is a switch worth a line; the rounds that follow
      // are the caller's to report.
      assertThat(switches).hasSize(1);
      a.next.set(Answer.bundle(1));
      assertThat(c.pollOnce()).isTrue();
      assertThat(applied).containsExactly(1L);
    }
  }
}
