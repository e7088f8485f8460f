package dev.tessera.agent.enroll;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The bound on what the enrollment client reads of an answer. */
class EnrollClientTest {
  HttpServer http;
  URI base;

  /** How many bound-sized chunks the next answer has. */
  final AtomicInteger chunks = new AtomicInteger(64);

  /** Whether the next answer declares its length; else it is streamed (chunked). */
  final AtomicBoolean declared = new AtomicBoolean();

  @BeforeEach
  void start() throws IOException {
    http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
    http.createContext(
        "/v1/server-key",
        ex -> {
          int n = chunks.get();
          ex.sendResponseHeaders(
              200, declared.get() ? (long) n * EnrollClient.MAX_ANSWER_BYTES : 0);
          try (OutputStream out = ex.getResponseBody()) {
            byte[] chunk = new byte[EnrollClient.MAX_ANSWER_BYTES];
            for (int i = 0; i < n; i++) {
              out.write(chunk);
            }
          } catch (IOException e) {
            // the client hung up once it had read enough
          }
          ex.close();
        });
    http.start();
    base = URI.create("http://127.0.0.1:" + http.getAddress().getPort() + "/");
  }

  @AfterEach
  void stop() {
    http.stop(0);
  }

  @ParameterizedTest(name = "length declared: {0}")
  @ValueSource(booleans = {false, true})
  void anAnswerLongerThanTheBoundIsNotRead(boolean declaredLength) throws Exception {
    declared.set(declaredLength);
    try (EnrollClient c = new EnrollClient(base, null)) {
      assertThatThrownBy(c::fetchServerKey)
          .isInstanceOfSatisfying(
              EnrollException.class,
              e -> {
                assertThat(e.code()).isEqualTo("bad-answer");
                assertThat(e.getMessage())
                    .contains("answered more than " + EnrollClient.MAX_ANSWER_BYTES + " bytes");
              });
    }
  }

  @Test
  void anAnswerOfExactlyTheBoundIsRead() throws Exception {
    chunks.set(1);
    for (boolean d : new boolean[] {false, true}) {
      declared.set(d);
      try (EnrollClient c = new EnrollClient(base, null)) {
        assertThatThrownBy(c::fetchServerKey)
            .isInstanceOfSatisfying(
                EnrollException.class,
                e -> {
                  assertThat(e.code()).isEqualTo("bad-answer");
                  assertThat(e.getMessage()).contains("answered a server key that is not one");
                });
      }
    }
  }
}
