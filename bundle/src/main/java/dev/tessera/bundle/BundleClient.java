package dev.tessera.bundle;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The agent's side of filter distribution: long-polls the policy server for this node's bundle,
 * verifies it, hands it over, keeps it on disk, and acknowledges it.
 *
 * <p>Order of operations for a new bundle: verify (signature, node, strictly newer, hash, filter)
 * → apply (the agent swaps its enforcer snapshot) → persist (atomic rename) → acknowledge. A
 * bundle that fails any check changes nothing. At start, a persisted bundle is verified the same
 * way and applied before the server is asked, so a restarted agent enforces its last good filter
 * even while the server is down. Until some bundle has been applied the agent must drop
 * everything; {@link #hasBundle()} tells it.
 */
public final class BundleClient implements AutoCloseable {
  /** Receives each verified bundle, in version order. Throwing refuses it (it is not persisted or acked). */
  @FunctionalInterface
  public interface Listener {
    void apply(BundleVerifier.Verified bundle) throws Exception;
  }

  /**
   * Settings; {@code stateFile} holds the last good bundle; {@code serverCertificate}, when not
   * null, is the only certificate trusted for an https server ({@link TlsIdentity}).
   */
  public record Config(URI server, String node, byte[] wireguardPrivateKey, byte[] serverPublicKey, Path stateFile,
      int waitSeconds, Path serverCertificate) {
    /** Without a pinned certificate. */
    public Config(URI server, String node, byte[] wireguardPrivateKey, byte[] serverPublicKey, Path stateFile,
        int waitSeconds) {
      this(server, node, wireguardPrivateKey, serverPublicKey, stateFile, waitSeconds, null);
    }
  }

  private final Config config;
  private final Listener listener;
  private final BundleVerifier verifier;
  private final NodeAuth.Signer signer;
  private final HttpClient http;
  private final AtomicLong held = new AtomicLong();
  private final AtomicLong refused = new AtomicLong();
  private volatile String lastError;
  private volatile boolean closed;
  private Thread thread;

  public BundleClient(Config config, Listener listener) {
    this.config = config;
    this.listener = listener;
    this.verifier = new BundleVerifier(config.serverPublicKey(), config.node());
    this.signer = new NodeAuth.Signer(config.node(), config.wireguardPrivateKey(), config.serverPublicKey());
    HttpClient.Builder http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5));
    if (config.serverCertificate() != null) {
      try {
        http.sslContext(TlsIdentity.trusting(config.serverCertificate()));
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
    this.http = http.build();
  }

  /** Applies the persisted bundle, if a valid one exists; returns its version or 0. */
  public long loadPersisted() {
    Path file = config.stateFile();
    if (file == null || !Files.exists(file)) {
      return 0;
    }
    try {
      offer(Files.readAllBytes(file), false);
    } catch (IOException e) {
      lastError = "cannot read " + file + ": " + e.getMessage();
    } catch (BundleException e) {
      refused.incrementAndGet();
      lastError = "persisted bundle refused: " + e.reason();
    }
    return held.get();
  }

  /** Starts the background long-poll loop. */
  public void start() {
    thread = Thread.ofPlatform().name("tessera-bundle-client").daemon().start(this::run);
  }

  /** One long-poll round trip; returns true when a new bundle was applied. For tests and the loop. */
  public boolean pollOnce() throws IOException, InterruptedException, BundleException {
    String path = "/v1/bundle?wait=" + config.waitSeconds();
    NodeAuth.Headers h = signer.sign("GET", path, new byte[0], System.currentTimeMillis());
    HttpRequest.Builder req = HttpRequest.newBuilder(config.server().resolve(path))
        .timeout(Duration.ofSeconds(config.waitSeconds() + 15L))
        .GET();
    h.asMap().forEach(req::header);
    long version = held.get();
    if (version > 0) {
      req.header("If-None-Match", "\"" + version + "\"");
    }
    HttpResponse<byte[]> resp = http.send(req.build(), HttpResponse.BodyHandlers.ofByteArray());
    return switch (resp.statusCode()) {
      case 200 -> {
        offer(resp.body(), true);
        yield true;
      }
      case 304 -> false;
      default -> throw new IOException("server answered " + resp.statusCode() + ": "
          + new String(resp.body(), StandardCharsets.UTF_8).strip());
    };
  }

  private synchronized void offer(byte[] bytes, boolean fromServer) throws BundleException, IOException {
    BundleVerifier.Verified v = verifier.verify(bytes, held.get());
    try {
      listener.apply(v);
    } catch (Exception e) {
      throw new BundleException(BundleException.Reason.BAD_FILTER, "the agent refused the filter: " + e.getMessage());
    }
    held.set(v.bundle().version());
    if (fromServer) {
      persist(bytes);
      ack(v.bundle());
    }
  }

  private void persist(byte[] bytes) throws IOException {
    Path file = config.stateFile();
    if (file == null) {
      return;
    }
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.write(tmp, bytes);
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  private void ack(NodeBundle bundle) {
    byte[] body = ("{\"version\":" + bundle.version() + ",\"hash\":\"" + bundle.contentHash() + "\"}")
        .getBytes(StandardCharsets.UTF_8);
    NodeAuth.Headers h = signer.sign("POST", "/v1/ack", body, System.currentTimeMillis());
    HttpRequest.Builder req = HttpRequest.newBuilder(config.server().resolve("/v1/ack"))
        .timeout(Duration.ofSeconds(10))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    h.asMap().forEach(req::header);
    // Fire and forget: an ack that is lost only delays what `policyc status` shows.
    http.sendAsync(req.build(), HttpResponse.BodyHandlers.discarding());
  }

  private void run() {
    long backoffMillis = 500;
    while (!closed) {
      try {
        pollOnce();
        lastError = null;
        backoffMillis = 500;
      } catch (BundleException e) {
        refused.incrementAndGet();
        lastError = "bundle refused: " + e.reason() + ": " + e.getMessage();
        sleep(backoffMillis);
        backoffMillis = Math.min(backoffMillis * 2, 30_000);
      } catch (IOException e) {
        lastError = "policy server unreachable: " + e.getMessage();
        sleep(backoffMillis);
        backoffMillis = Math.min(backoffMillis * 2, 30_000);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  private void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      closed = true;
    }
  }

  public boolean hasBundle() {
    return held.get() > 0;
  }

  public long heldVersion() {
    return held.get();
  }

  public long refusedCount() {
    return refused.get();
  }

  public Optional<String> lastError() {
    return Optional.ofNullable(lastError);
  }

  @Override
  public void close() {
    closed = true;
    if (thread != null) {
      thread.interrupt();
    }
    http.close();
  }
}
