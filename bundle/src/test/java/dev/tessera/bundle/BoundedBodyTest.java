package dev.tessera.bundle;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.util.Arrays;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Bodies read up to a limit from a real HTTP server, fixed-length and chunked. */
class BoundedBodyTest {

  static final int MAX = 1 << 16;

  HttpServer http;
  ExecutorService pool;
  HttpClient client;

  @BeforeEach
  void start() throws IOException {
    http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    // GET /LENGTH/chunked|fixed answers LENGTH bytes, each byte its offset mod 251.
    http.createContext(
        "/",
        ex -> {
          String[] path = ex.getRequestURI().getPath().split("/");
          int length = Integer.parseInt(path[1]);
          boolean chunked = path[2].equals("chunked");
          ex.sendResponseHeaders(200, chunked ? 0 : length == 0 ? -1 : length);
          try (OutputStream out = ex.getResponseBody()) {
            byte[] piece = new byte[8192];
            for (int sent = 0; sent < length; sent += piece.length) {
              int n = Math.min(piece.length, length - sent);
              for (int i = 0; i < n; i++) {
                piece[i] = (byte) ((sent + i) % 251);
              }
              out.write(piece, 0, n);
            }
          } catch (IOException e) {
            // the client stopped reading an over-long body
          }
          ex.close();
        });
    pool = Executors.newCachedThreadPool();
    http.setExecutor(pool);
    http.start();
    client = HttpClient.newHttpClient();
  }

  @AfterEach
  void stop() {
    client.close();
    http.stop(0);
    pool.shutdownNow();
  }

  byte[] get(int length, String mode) throws Exception {
    URI uri =
        URI.create("http://127.0.0.1:" + http.getAddress().getPort() + "/" + length + "/" + mode);
    return client.send(HttpRequest.newBuilder(uri).build(), BoundedBody.atMost(MAX)).body();
  }

  static byte[] expected(int length) {
    byte[] b = new byte[length];
    for (int i = 0; i < length; i++) {
      b[i] = (byte) (i % 251);
    }
    return b;
  }

  @ParameterizedTest(name = "{0} bytes, {1}: read whole = {2}")
  @CsvSource({
    "0,       fixed,   true",
    "0,       chunked, true",
    "1,       fixed,   true",
    "20000,   chunked, true",
    "65536,   fixed,   true",
    "65536,   chunked, true",
    "65537,   fixed,   false",
    "65537,   chunked, false",
    "1048576, fixed,   false",
    "1048576, chunked, false",
  })
  void aBodyUpToTheLimitIsReadWholeAndALongerOneNotAtAll(int length, String mode, boolean whole)
      throws Exception {
    byte[] body = get(length, mode);
    if (whole) {
      assertThat(body).isEqualTo(expected(length));
    } else {
      assertThat(body).isNull();
    }
  }

  @Test
  void anOverLongChunkedBodyIsNeverAnIoError() throws Exception {
    // The body is cancelled while the server is still writing: the cancel closes the connection,
    // and that close must not overtake the answer "too long".
    int[] outcomes = new int[2];
    for (int i = 0; i < 200; i++) {
      outcomes[get(4 * MAX, "chunked") == null ? 0 : 1]++;
    }
    assertThat(outcomes).as("[null bodies, bodies]").isEqualTo(new int[] {200, 0});
    assertThat(get(MAX, "chunked")).as("the client still reads after the cancels").hasSize(MAX);
    assertThat(Arrays.equals(get(MAX, "chunked"), expected(MAX))).isTrue();
  }
}
