package dev.tessera.bundle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import dev.tessera.bundle.BundleException.Reason;
import dev.tessera.enforcer.format.FilterCodec;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent's pull client against a scripted server: freshness of every answer (freeze attack), the
 * durable high-water mark (rollback after state loss), bounded reads, file modes.
 */
class BundleClientTest {
  static final SigningKey SERVER = BundleTest.SERVER;
  static final String NODE = "web-1";
  static final long MINUTE = 60_000;

  @TempDir Path dir;
  HttpServer http;
  URI base;

  /** What the next GET /v1/bundle answers. */
  final AtomicReference<Answer> next = new AtomicReference<>();

  final List<BundleVerifier.Verified> applied = new CopyOnWriteArrayList<>();

  record Answer(int status, byte[] body, String freshness, long declaredLength) {
    static Answer bundle(byte[] body, String freshness) {
      return new Answer(200, body, freshness, body.length);
    }

    static Answer unchanged(String freshness) {
      return new Answer(304, null, freshness, -1);
    }
  }

  @BeforeEach
  void start() throws IOException {
    http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
    http.createContext(
        "/v1/bundle",
        ex -> {
          Answer a = next.get();
          if (a.freshness != null) {
            ex.getResponseHeaders().set(Freshness.HEADER, a.freshness);
          }
          if (a.status == 304) {
            ex.sendResponseHeaders(304, -1);
          } else if (a.body == null) {
            ex.sendResponseHeaders(200, 0); // chunked: stream more than any bundle may be
            try (OutputStream out = ex.getResponseBody()) {
              byte[] chunk = new byte[1 << 20];
              for (int i = 0; i < 70; i++) {
                out.write(chunk);
              }
            } catch (IOException e) {
              // the client hung up once it had read enough
            }
          } else {
            ex.sendResponseHeaders(200, a.body.length);
            ex.getResponseBody().write(a.body);
          }
          ex.close();
        });
    http.createContext(
        "/v1/ack",
        ex -> {
          ex.getRequestBody().readAllBytes();
          ex.sendResponseHeaders(204, -1);
          ex.close();
        });
    http.start();
    base = URI.create("http://127.0.0.1:" + http.getAddress().getPort() + "/");
  }

  @AfterEach
  void stop() {
    http.stop(0);
  }

  BundleClient client() {
    return new BundleClient(
        new BundleClient.Config(
            base,
            NODE,
            BundleTest.seed(50),
            SERVER.publicKey(),
            dir.resolve("state/wg0.bundle"),
            1),
        applied::add);
  }

  /** A genuine bundle signed at {@code issued}, its own freshness lasting {@code life} ms. */
  static byte[] bundle(long version, int port, long issued, long life) {
    byte[] f = FilterCodec.encode(BundleTest.filter(NODE, port));
    return BundleCodec.sign(
        new NodeBundle(
            NODE, version, "rev" + version, NodeBundle.hashOf(f), issued, issued + life, f),
        SERVER);
  }

  static String statement(long version, long issued, long life) {
    return new Freshness(NODE, version, issued, issued + life).signHeader(SERVER);
  }

  @Test
  void unchangedIsBelievedOnlyWithACurrentStatementForTheVersionHeld() throws Exception {
    long now = System.currentTimeMillis();
    try (BundleClient c = client()) {
      next.set(Answer.bundle(bundle(3, 443, now, 5 * MINUTE), null));
      assertThat(c.pollOnce()).isTrue();
      assertThat(c.heldVersion()).isEqualTo(3);

      // table: answer -> refused as STALE
      List<Answer> refused =
          List.of(
              Answer.unchanged(null), // unsigned "unchanged"
              Answer.unchanged(statement(3, now - 10 * MINUTE, 5 * MINUTE)), // expired
              Answer.unchanged(statement(2, now, 5 * MINUTE)), // about another version
              Answer.unchanged(
                  new Freshness("db-1", 3, now, now + 5 * MINUTE)
                      .signHeader(SERVER)), // another node
              Answer.unchanged(
                  new Freshness(NODE, 3, now, now + 5 * MINUTE)
                      .signHeader(BundleTest.OTHER_SERVER)),
              Answer.unchanged("not base64!"));
      for (Answer a : refused) {
        next.set(a);
        assertThatThrownBy(c::pollOnce)
            .as("%s", a.freshness)
            .isInstanceOf(BundleException.class)
            .extracting(e -> ((BundleException) e).reason())
            .isEqualTo(Reason.STALE);
      }
      next.set(Answer.unchanged(statement(3, now, 5 * MINUTE)));
      assertThat(c.pollOnce()).isFalse();
      assertThat(c.freshness())
          .hasValueSatisfying(f -> assertThat(f.expiresAtMillis()).isEqualTo(now + 5 * MINUTE));
    }
  }

  @Test
  void aReplayedOldBundleIsRefusedForItsExpiredFreshness() throws Exception {
    long now = System.currentTimeMillis();
    try (BundleClient c = client()) {
      // Signed a day ago, its own window long over, no current statement with it.
      next.set(Answer.bundle(bundle(5, 443, now - 24 * 60 * MINUTE, 5 * MINUTE), null));
      assertThatThrownBy(c::pollOnce)
          .extracting(e -> ((BundleException) e).reason())
          .isEqualTo(Reason.STALE);
      assertThat(c.hasBundle()).isFalse();
      // The same bundle vouched for now by the server is accepted.
      next.set(
          Answer.bundle(
              bundle(5, 443, now - 24 * 60 * MINUTE, 5 * MINUTE), statement(5, now, 5 * MINUTE)));
      assertThat(c.pollOnce()).isTrue();
    }
  }

  @Test
  void theHighWaterMarkRefusesOlderBundlesAfterTheBundleFileIsLost() throws Exception {
    long now = System.currentTimeMillis();
    Path file = dir.resolve("state/wg0.bundle");
    byte[] old = bundle(1, 22, now, 5 * MINUTE);
    try (BundleClient c = client()) {
      next.set(Answer.bundle(old, null));
      c.pollOnce();
      next.set(Answer.bundle(bundle(2, 443, now, 5 * MINUTE), null));
      c.pollOnce();
      assertThat(c.highWaterMark()).isEqualTo(2);
    }
    // The bundle file is lost and an older genuine bundle put in its place (or sent by an
    // attacker).
    Files.write(file, old);
    applied.clear();
    try (BundleClient c = client()) {
      assertThat(c.loadPersisted()).isZero();
      assertThat(c.lastError()).hasValueSatisfying(e -> assertThat(e).contains("ROLLBACK"));
      next.set(Answer.bundle(old, null));
      assertThatThrownBy(c::pollOnce)
          .extracting(e -> ((BundleException) e).reason())
          .isEqualTo(Reason.ROLLBACK);
      assertThat(applied).isEmpty();
      next.set(Answer.bundle(bundle(3, 8443, now, 5 * MINUTE), null));
      assertThat(c.pollOnce()).isTrue();
    }
  }

  @Test
  void withoutAMarkOnlyACurrentBundleIsAccepted() throws Exception {
    long now = System.currentTimeMillis();
    Path file = dir.resolve("state/wg0.bundle");
    Files.createDirectories(file.getParent());
    // Whole state lost; an old genuine bundle (its window over) is planted.
    Files.write(file, bundle(1, 22, now - 60 * MINUTE, 5 * MINUTE));
    try (BundleClient c = client()) {
      assertThat(c.loadPersisted()).isZero();
      assertThat(c.lastError()).hasValueSatisfying(e -> assertThat(e).contains("STALE"));
    }
    // A current one is accepted.
    Files.write(file, bundle(1, 22, now, 5 * MINUTE));
    try (BundleClient c = client()) {
      assertThat(c.loadPersisted()).isEqualTo(1);
    }
  }

  /**
   * A persisted bundle or mark that is a symlink to /dev/zero (endless) or a directory is refused
   * at once with a clear error: nothing hangs or fills memory, the agent starts failing closed.
   */
  @Test
  void persistedFilesThatNeverEndAreNotRead() throws Exception {
    Path file = dir.resolve("state/wg0.bundle");
    Files.createDirectories(file.getParent());
    Files.createSymbolicLink(file, Path.of("/dev/zero"));
    try (BundleClient c = client()) {
      long v =
          org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(
              java.time.Duration.ofSeconds(10), c::loadPersisted);
      assertThat(v).isZero();
      assertThat(c.lastError())
          .hasValueSatisfying(e -> assertThat(e).contains("cannot read", "not a regular file"));
    }
    Files.delete(file);
    Files.createDirectories(dir.resolve("state/wg0.bundle.mark"));
    Files.write(file, bundle(1, 22, System.currentTimeMillis(), 5 * MINUTE));
    try (BundleClient c = client()) {
      assertThat(
              org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(
                  java.time.Duration.ofSeconds(10), c::loadPersisted))
          .as("a current bundle, its mark unreadable")
          .isEqualTo(1);
    }
  }

  @Test
  void stateFilesAreOwnerOnly() throws Exception {
    long now = System.currentTimeMillis();
    try (BundleClient c = client()) {
      next.set(Answer.bundle(bundle(1, 443, now, 5 * MINUTE), null));
      c.pollOnce();
    }
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("state"))))
        .isEqualTo("rwx------");
    assertThat(
            PosixFilePermissions.toString(
                Files.getPosixFilePermissions(dir.resolve("state/wg0.bundle"))))
        .isEqualTo("rw-------");
    assertThat(
            PosixFilePermissions.toString(
                Files.getPosixFilePermissions(dir.resolve("state/wg0.bundle.mark"))))
        .isEqualTo("rw-------");
  }

  @Test
  void anAnswerLargerThanAnyBundleIsNotRead() throws Exception {
    try (BundleClient c = client()) {
      next.set(new Answer(200, null, null, -1));
      assertThatThrownBy(c::pollOnce)
          .isInstanceOf(BundleException.class)
          .extracting(e -> ((BundleException) e).reason())
          .isEqualTo(Reason.TOO_LARGE);
    }
  }
}
