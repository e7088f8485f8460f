package dev.tessera.compiler.matrix;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tessera.testsupport.Tools;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Headless Chromium driven over the DevTools protocol (a WebSocket, JDK client): open a page, run
 * script in it, wait for what the page reports, take a screenshot. Tests use it to act on a page as
 * a reader would (type a filter, click) and to read timings the page measured itself.
 */
final class HeadlessChromium implements AutoCloseable {
  private static final Pattern LISTENING = Pattern.compile("DevTools listening on (ws://\\S+)");
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Process process;
  private final Path profile;
  private final WebSocket socket;
  private final AtomicInteger ids = new AtomicInteger();
  private final Map<Integer, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
  private final List<String> log = java.util.Collections.synchronizedList(new ArrayList<>());

  /**
   * Starts {@code chromium} (on the tool list; tests declare {@code @RequiresTools("chromium")})
   * with a fresh profile under {@code workDir} and a viewport of {@code width} x {@code height}.
   */
  HeadlessChromium(Path workDir, int width, int height) throws IOException, InterruptedException {
    profile = Files.createTempDirectory(workDir, "chromium-profile");
    process =
        Tools.process(
                "chromium",
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--user-data-dir=" + profile,
                "--remote-debugging-port=0",
                "--window-size=" + width + "," + height,
                "about:blank")
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    CompletableFuture<String> endpoint = new CompletableFuture<>();
    Thread stderr =
        new Thread(
            () -> {
              try (BufferedReader r =
                  new BufferedReader(
                      new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                  log.add(line);
                  Matcher m = LISTENING.matcher(line);
                  if (m.find()) {
                    endpoint.complete(m.group(1));
                  }
                }
              } catch (IOException e) {
                endpoint.completeExceptionally(e);
              }
              endpoint.completeExceptionally(new IOException("chromium exited: " + log));
            },
            "chromium-stderr");
    stderr.setDaemon(true);
    stderr.start();
    String browser;
    try {
      browser = endpoint.get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      close();
      throw new IOException("chromium gave no DevTools endpoint in 60 s: " + log, e);
    }
    URI b = URI.create(browser);
    HttpClient http = HttpClient.newHttpClient();
    HttpResponse<String> list =
        http.send(
            HttpRequest.newBuilder(
                    URI.create("http://" + b.getHost() + ":" + b.getPort() + "/json/list"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    String page = null;
    for (JsonNode t : JSON.readTree(list.body())) {
      if (t.path("type").asText().equals("page")) {
        page = t.path("webSocketDebuggerUrl").asText();
        break;
      }
    }
    if (page == null) {
      close();
      throw new IOException("no page target in " + list.body());
    }
    try {
      socket =
          http.newWebSocketBuilder()
              .buildAsync(URI.create(page), new Listener())
              .get(30, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      close();
      throw new IOException("cannot connect to chromium's page at " + page, e);
    }
    call("Page.enable", Map.of());
    call(
        "Emulation.setDeviceMetricsOverride",
        Map.of("width", width, "height", height, "deviceScaleFactor", 1, "mobile", false));
  }

  private final class Listener implements WebSocket.Listener {
    private final StringBuilder text = new StringBuilder();

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
      text.append(data);
      if (last) {
        try {
          JsonNode msg = JSON.readTree(text.toString());
          CompletableFuture<JsonNode> f =
              msg.has("id") ? pending.remove(msg.get("id").asInt()) : null;
          if (f != null) {
            f.complete(msg);
          }
        } catch (IOException e) {
          log.add("unreadable DevTools message: " + e);
        }
        text.setLength(0);
      }
      ws.request(1);
      return null;
    }
  }

  /** Calls a DevTools method; its result, or an AssertionError naming the protocol's error. */
  JsonNode call(String method, Map<String, ?> params) {
    int id = ids.incrementAndGet();
    ObjectNode msg = JSON.createObjectNode().put("id", id).put("method", method);
    msg.set("params", JSON.valueToTree(params));
    CompletableFuture<JsonNode> f = new CompletableFuture<>();
    pending.put(id, f);
    socket.sendText(msg.toString(), true).join();
    JsonNode reply;
    try {
      reply = f.get(120, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError(method + ": no answer from chromium in 120 s", e);
    }
    if (reply.has("error")) {
      throw new AssertionError(method + ": " + reply.get("error"));
    }
    return reply.path("result");
  }

  /** Navigates and returns at once; wait for what the page reports with {@link #await}. */
  void open(URI url) {
    call("Page.navigate", Map.of("url", url.toString()));
  }

  /** Evaluates a script expression in the page (promises awaited); its value, as JSON. */
  JsonNode eval(String expression) {
    JsonNode r =
        call(
            "Runtime.evaluate",
            Map.of("expression", expression, "returnByValue", true, "awaitPromise", true));
    if (r.has("exceptionDetails")) {
      throw new AssertionError("script failed: " + expression + ": " + r.get("exceptionDetails"));
    }
    return r.path("result").path("value");
  }

  /**
   * Polls {@code expression} every 50 ms until it yields a non-empty string (an exception, as while
   * the page is still loading, counts as not yet); that string.
   */
  String await(String expression, Duration timeout) throws InterruptedException {
    long end = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < end) {
      JsonNode v =
          eval("(() => { try { return " + expression + "; } catch (e) { return ''; } })()");
      if (!v.isMissingNode() && !v.isNull() && !v.asText().isEmpty()) {
        return v.asText();
      }
      Thread.sleep(50);
    }
    throw new AssertionError("the page did not report " + expression + " within " + timeout);
  }

  /** A PNG of the viewport. */
  byte[] screenshot() {
    return Base64.getDecoder()
        .decode(call("Page.captureScreenshot", Map.of("format", "png")).path("data").asText());
  }

  @Override
  public void close() {
    if (socket != null) {
      socket.abort();
    }
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
    try {
      process.waitFor(30, TimeUnit.SECONDS);
      try (Stream<Path> s = Files.walk(profile)) {
        s.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      }
    } catch (IOException | InterruptedException e) {
      // a leftover temporary profile is harmless
    }
  }
}
