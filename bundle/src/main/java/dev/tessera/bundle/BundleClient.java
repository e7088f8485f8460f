package dev.tessera.bundle;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The agent's side of filter distribution: long-polls the policy server for this node's bundle,
 * verifies it, hands it over, keeps it on disk, and acknowledges it.
 *
 * <p>Order of operations for a new bundle: verify (signature, node, strictly newer than both the
 * bundle in force and the durable high-water mark, hash, filter, and a current {@link Freshness}
 * statement) → write the high-water mark (atomic, fsynced) → apply (the agent swaps its enforcer
 * snapshot) → persist the bundle (atomic, fsynced, 0600) → acknowledge. A bundle that fails any
 * check changes nothing. Every "unchanged" answer must carry a current freshness statement for this
 * node and the version held, or it is refused as {@code STALE}; {@link #freshness()} is the newest
 * statement accepted, from which the agent tells how stale its policy is.
 *
 * <p>The high-water mark ({@code STATEFILE.mark}: the highest version ever applied and when the
 * server last vouched for the policy) is what makes a rollback impossible after the bundle file is
 * lost or replaced: a bundle below the mark is refused, on disk and from the wire. If the mark
 * itself is lost, only a bundle whose freshness is current at the time is accepted (a replayed old
 * bundle's statements have expired). At start, a persisted bundle is verified the same way and
 * applied before the server is asked, so a restarted agent enforces its last good filter even while
 * the server is down. Until some bundle has been applied the agent must drop everything; {@link
 * #hasBundle()} tells it.
 *
 * <p>Several servers ({@link Config#servers}): the servers of one control plane, which sign with
 * the same key and give a node the same versions. A poll goes to the server that answered last (the
 * first at start); when it cannot be reached or fails (connection refused or reset, no answer in
 * time, an HTTP error), the next one is asked at once, and the one that answers is kept for the
 * following polls. An answer that is refused ({@link BundleException}: a bad signature, a version
 * below the one held, a stale freshness statement, a malformed answer) counts as a failure too: the
 * next server is asked in the same poll, so neither a lagging server nor anyone on the path to one
 * keeps the node from a newer policy that another server offers. A poll fails only when every
 * server failed; if any of them answered with something refused, it fails with a {@link
 * BundleException}. Nothing else depends on which server answered: every bundle is verified against
 * the one key and must be newer than the version held and the mark, so switching servers can never
 * roll the node back.
 *
 * <p>An answer taken to a poll that advertised routes also says whether the server refused them
 * ({@link PollReport#ADVERTISE_REFUSED_HEADER}; {@link #advertiseRefused}). That header is outside
 * the signed bundle: it is shown to the operator and changes nothing that is verified or applied.
 */
public final class BundleClient implements AutoCloseable {
  /**
   * Receives each verified bundle, in version order. Throwing refuses it (it is not persisted or
   * acked).
   */
  @FunctionalInterface
  public interface Listener {
    void apply(BundleVerifier.Verified bundle) throws Exception;
  }

  /**
   * Settings; {@code servers} are the addresses of one control plane (servers sharing one signing
   * key and one database), tried in order; {@code stateFile} holds the last good bundle; {@code
   * serverCertificate}, when not null, is a PEM file of the only certificates trusted for an https
   * server (one, or one per server, each trusted for all; {@link TlsIdentity}); {@code report},
   * when not null, is asked before every poll for what to report with it ({@link PollReport}; null
   * from it: report nothing this time); {@code switchLog}, when not null, is told when the client
   * leaves a server that had answered for the next one, because it failed or its answer was refused
   * ({@code "URL: why; trying NEXT"}).
   */
  public record Config(
      List<URI> servers,
      String node,
      byte[] wireguardPrivateKey,
      byte[] serverPublicKey,
      Path stateFile,
      int waitSeconds,
      Path serverCertificate,
      java.util.function.Supplier<PollReport> report,
      java.util.function.Consumer<String> switchLog) {
    public Config {
      servers = List.copyOf(servers);
      if (servers.isEmpty()) {
        throw new IllegalArgumentException("no policy server");
      }
    }

    /** One server, without a report. */
    public Config(
        URI server,
        String node,
        byte[] wireguardPrivateKey,
        byte[] serverPublicKey,
        Path stateFile,
        int waitSeconds,
        Path serverCertificate) {
      this(
          List.of(server),
          node,
          wireguardPrivateKey,
          serverPublicKey,
          stateFile,
          waitSeconds,
          serverCertificate,
          null,
          null);
    }

    /** These settings, reporting what {@code report} gives before each poll. */
    public Config withReport(java.util.function.Supplier<PollReport> report) {
      return new Config(
          servers,
          node,
          wireguardPrivateKey,
          serverPublicKey,
          stateFile,
          waitSeconds,
          serverCertificate,
          report,
          switchLog);
    }

    /**
     * These settings with {@code servers} instead, tried in that order, telling {@code switchLog}
     * (may be null) when the client leaves one that had answered.
     */
    public Config withServers(List<URI> servers, java.util.function.Consumer<String> switchLog) {
      return new Config(
          servers,
          node,
          wireguardPrivateKey,
          serverPublicKey,
          stateFile,
          waitSeconds,
          serverCertificate,
          report,
          switchLog);
    }

    /** One server, without a pinned certificate. */
    public Config(
        URI server,
        String node,
        byte[] wireguardPrivateKey,
        byte[] serverPublicKey,
        Path stateFile,
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

  /** Index in {@link Config#servers} of the server polled next: the last one that answered. */
  private volatile int current;

  /**
   * Whether the server at {@link #current} answered the last poll (or none was made yet): only
   * leaving such a server is logged, so a round of servers that are all down is logged once, by the
   * caller, not once per server and round.
   */
  private boolean answered = true;

  /** The durable high-water mark as last read or written; guarded by this. */
  private Mark mark = Mark.NONE;

  private volatile Freshness freshness;
  private final AtomicLong refused = new AtomicLong();
  private volatile String lastError;
  private volatile String advertiseRefused;
  private volatile boolean closed;
  private Thread thread;

  public BundleClient(Config config, Listener listener) {
    this.config = config;
    this.listener = listener;
    this.verifier = new BundleVerifier(config.serverPublicKey(), config.node());
    this.signer =
        new NodeAuth.Signer(config.node(), config.wireguardPrivateKey(), config.serverPublicKey());
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
  public synchronized long loadPersisted() {
    Path file = config.stateFile();
    if (file == null) {
      return 0;
    }
    try {
      mark = Mark.read(markFile());
    } catch (IOException e) {
      lastError = "cannot read " + markFile() + ": " + e.getMessage();
      mark = Mark.NONE;
    }
    if (!Files.exists(file)) {
      return 0;
    }
    try {
      byte[] bytes = readBounded(file);
      // A bundle at the mark is the one in force before the restart; below it is a rollback.
      BundleVerifier.Verified v = verifier.verify(bytes, Math.max(0, mark.version() - 1));
      if (mark.version() == 0) {
        Freshness own = Freshness.of(v.bundle());
        if (!own.currentAt(System.currentTimeMillis())) {
          throw new BundleException(
              BundleException.Reason.STALE,
              "no high-water mark at "
                  + markFile()
                  + ", and the persisted bundle v"
                  + v.bundle().version()
                  + " is not vouched for as current;"
                  + " waiting for the server");
        }
        recordFreshness(own);
      } else if (mark.freshIssuedAtMillis() > 0) {
        freshness =
            new Freshness(
                v.bundle().node(),
                v.bundle().version(),
                mark.freshIssuedAtMillis(),
                mark.freshIssuedAtMillis());
      }
      apply(v);
    } catch (IOException e) {
      lastError = "cannot read " + file + ": " + e.getMessage();
    } catch (BundleException e) {
      refused.incrementAndGet();
      lastError = "persisted bundle refused: " + e.reason() + ": " + e.getMessage();
    }
    return held.get();
  }

  private Path markFile() {
    Path f = config.stateFile();
    return f.resolveSibling(f.getFileName() + ".mark");
  }

  /** The durable high-water mark: versions below it are refused even if the bundle file is lost. */
  public synchronized long highWaterMark() {
    return mark.version();
  }

  /** The newest freshness statement accepted (from the wire, or the mark's at start). */
  public Optional<Freshness> freshness() {
    return Optional.ofNullable(freshness);
  }

  private static byte[] readBounded(Path file) throws IOException, BundleException {
    try {
      return BoundedFiles.read(file, BundleCodec.MAX_BUNDLE_BYTES);
    } catch (BoundedFiles.TooLargeException e) {
      throw new BundleException(
          BundleException.Reason.TOO_LARGE, file + " is larger than any bundle");
    }
  }

  /** Starts the background long-poll loop. */
  public void start() {
    thread = Thread.ofPlatform().name("tessera-bundle-client").daemon().start(this::run);
  }

  /**
   * One long-poll round trip; returns true when a new bundle was applied. For tests and the loop.
   */
  public boolean pollOnce() throws IOException, InterruptedException, BundleException {
    List<URI> servers = config.servers();
    if (servers.size() == 1) {
      try {
        return pollOnce(servers.getFirst());
      } catch (BundleException e) {
        refused.incrementAndGet();
        throw e;
      }
    }
    StringBuilder failures = new StringBuilder();
    IOException first = null;
    BundleException firstRefusal = null;
    for (int tried = 0; tried < servers.size(); tried++) {
      int at = current;
      URI server = servers.get(at);
      String why;
      try {
        boolean changed = pollOnce(server);
        answered = true;
        return changed;
      } catch (BundleException e) {
        // An answer that is refused (a lagging server, or someone on the path) is no answer: the
        // next server may well have a good one, and whatever it sends is checked the same way.
        refused.incrementAndGet();
        why = server + ": refused " + e.reason() + ": " + e.getMessage();
        if (firstRefusal == null) {
          firstRefusal = e;
        }
      } catch (IOException e) {
        why = server + ": " + describe(e);
        if (first == null) {
          first = e;
        }
      }
      failures.append(failures.isEmpty() ? "" : "; ").append(why);
      int next = (at + 1) % servers.size();
      if (answered && config.switchLog() != null) {
        // Before the switch, so whoever sees the new server in the status finds the reason logged.
        config.switchLog().accept(why + "; trying " + servers.get(next));
      }
      answered = false;
      current = next;
    }
    if (firstRefusal != null) {
      throw new BundleException(
          firstRefusal.reason(), "no policy server gave an acceptable answer (" + failures + ")");
    }
    throw new IOException("no policy server answered (" + failures + ")", first);
  }

  /** An I/O failure in a few words (connection failures often come without a message). */
  static String describe(IOException e) {
    return switch (e) {
      case java.net.ConnectException c -> "connection refused";
      case java.net.http.HttpTimeoutException t -> "no answer in time";
      default -> e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    };
  }

  /** The server the next poll goes to: the one that answered last. */
  public URI currentServer() {
    return config.servers().get(current);
  }

  private boolean pollOnce(URI server) throws IOException, InterruptedException, BundleException {
    PollReport report = report();
    String path =
        "/v1/bundle?wait=" + config.waitSeconds() + (report == null ? "" : report.query());
    NodeAuth.Headers h = signer.sign("GET", path, new byte[0], System.currentTimeMillis());
    HttpRequest.Builder req =
        HttpRequest.newBuilder(server.resolve(path))
            .timeout(Duration.ofSeconds(config.waitSeconds() + 15L))
            .GET();
    h.asMap().forEach(req::header);
    long version = held.get();
    if (version > 0) {
      req.header("If-None-Match", "\"" + version + "\"");
    }
    HttpResponse<byte[]> resp =
        http.send(req.build(), BoundedBody.atMost(BundleCodec.MAX_BUNDLE_BYTES));
    if (resp.body() == null) {
      throw new BundleException(
          BundleException.Reason.TOO_LARGE,
          "server answer is larger than " + BundleCodec.MAX_BUNDLE_BYTES + " bytes; not read");
    }
    String header = resp.headers().firstValue(Freshness.HEADER).orElse(null);
    return switch (resp.statusCode()) {
      case 200 -> {
        offer(resp.body(), header, server);
        advertiseAnswered(report, resp);
        yield true;
      }
      case 304 -> {
        unchanged(header);
        advertiseAnswered(report, resp);
        yield false;
      }
      default ->
          throw new IOException(
              "server answered "
                  + resp.statusCode()
                  + ": "
                  + new String(
                          resp.body(), 0, Math.min(resp.body().length, 512), StandardCharsets.UTF_8)
                      .strip());
    };
  }

  /**
   * The report for this poll; null without one. A report that cannot be made (the supplier threw)
   * is skipped: the poll for the bundle matters more.
   */
  private PollReport report() {
    if (config.report() == null) {
      return null;
    }
    try {
      return config.report().get();
    } catch (RuntimeException e) {
      lastError = "cannot make the poll report: " + e;
      return null;
    }
  }

  /**
   * Notes what the server said of the routes {@code report} advertised, from an answer that was
   * taken: why it refused them ({@link PollReport#ADVERTISE_REFUSED_HEADER}), or nothing (it took
   * them). A poll that stated no routes leaves what was noted. The header is not signed: it is only
   * shown, never acted on.
   */
  private void advertiseAnswered(PollReport report, HttpResponse<?> resp) {
    if (report != null && report.advertisedRoutes().isPresent()) {
      advertiseRefused =
          resp.headers()
              .firstValue(PollReport.ADVERTISE_REFUSED_HEADER)
              .map(BundleClient::printable)
              .orElse(null);
    }
  }

  /** At most 300 printable ASCII characters of {@code s}, anything else as '?'. */
  static String printable(String s) {
    StringBuilder sb = new StringBuilder();
    s.strip().chars().limit(300).forEach(c -> sb.append(c >= 0x20 && c < 0x7f ? (char) c : '?'));
    return sb.toString();
  }

  /**
   * Why the server refused the routes this node advertises, as the last answer taken to a poll that
   * advertised routes said; empty when it took them (or no such answer came yet). Unsigned, for
   * showing only.
   */
  public Optional<String> advertiseRefused() {
    return Optional.ofNullable(advertiseRefused);
  }

  /** "Unchanged": believed only with a current statement for this node and the version held. */
  private synchronized void unchanged(String header) throws BundleException, IOException {
    Freshness f = Freshness.verifyHeader(header, config.serverPublicKey());
    long version = held.get();
    if (!f.node().equals(config.node()) || f.version() != version) {
      throw new BundleException(
          BundleException.Reason.STALE,
          "the server vouches for "
              + f.node()
              + " v"
              + f.version()
              + ", but this agent holds v"
              + version
              + " of "
              + config.node());
    }
    requireCurrent(f);
    recordFreshness(f);
    // The mark carries the last vouched time across restarts; write it at most once a minute.
    if (f.issuedAtMillis() - mark.freshIssuedAtMillis() >= 60_000) {
      writeMark(new Mark(Math.max(mark.version(), version), f.issuedAtMillis()));
    }
  }

  private synchronized void offer(byte[] bytes, String header, URI server)
      throws BundleException, IOException {
    BundleVerifier.Verified v = verifier.verify(bytes, Math.max(held.get(), mark.version()));
    NodeBundle b = v.bundle();
    Freshness f =
        header == null ? Freshness.of(b) : Freshness.verifyHeader(header, config.serverPublicKey());
    if (!f.node().equals(b.node()) || f.version() != b.version()) {
      throw new BundleException(
          BundleException.Reason.STALE,
          "the freshness statement is for "
              + f.node()
              + " v"
              + f.version()
              + ", not for the bundle "
              + b.node()
              + " v"
              + b.version());
    }
    requireCurrent(f);
    // Durable before the bundle takes effect: after a crash the mark is never below what ran.
    writeMark(new Mark(b.version(), f.issuedAtMillis()));
    apply(v);
    recordFreshness(f);
    persist(bytes);
    ack(b, server);
  }

  private void apply(BundleVerifier.Verified v) throws BundleException {
    try {
      listener.apply(v);
    } catch (Exception e) {
      throw new BundleException(
          BundleException.Reason.BAD_FILTER, "the agent refused the filter: " + e.getMessage());
    }
    held.set(v.bundle().version());
  }

  private static void requireCurrent(Freshness f) throws BundleException {
    long now = System.currentTimeMillis();
    if (!f.currentAt(now)) {
      throw new BundleException(
          BundleException.Reason.STALE,
          "freshness statement for v"
              + f.version()
              + " is not current (issued "
              + java.time.Instant.ofEpochMilli(f.issuedAtMillis())
              + ", expires "
              + java.time.Instant.ofEpochMilli(f.expiresAtMillis())
              + ", now "
              + java.time.Instant.ofEpochMilli(now)
              + ")");
    }
  }

  private void recordFreshness(Freshness f) {
    Freshness old = freshness;
    if (old == null || f.issuedAtMillis() >= old.issuedAtMillis() || f.version() != old.version()) {
      freshness = f;
    }
  }

  private void writeMark(Mark m) throws IOException {
    if (config.stateFile() == null) {
      mark = m;
      return;
    }
    PrivateFiles.replace(markFile(), m.encode());
    mark = m;
  }

  private void persist(byte[] bytes) throws IOException {
    Path file = config.stateFile();
    if (file == null) {
      return;
    }
    PrivateFiles.replace(file, bytes);
  }

  /**
   * The high-water mark file: two decimal fields on one line, {@code VERSION FRESH_ISSUED_AT_MS}.
   * Written only by this agent into its 0700 state directory; a file that does not parse counts as
   * no mark (the strict rule for a lost mark then applies).
   */
  record Mark(long version, long freshIssuedAtMillis) {
    static final Mark NONE = new Mark(0, 0);

    byte[] encode() {
      return ("tessera-mark " + version + " " + freshIssuedAtMillis + "\n")
          .getBytes(StandardCharsets.US_ASCII);
    }

    static Mark decode(byte[] bytes) {
      if (bytes.length > 128) {
        return NONE;
      }
      String[] f = new String(bytes, StandardCharsets.US_ASCII).strip().split(" ");
      try {
        if (f.length == 3 && f[0].equals("tessera-mark")) {
          long v = Long.parseLong(f[1]);
          long t = Long.parseLong(f[2]);
          return v >= 0 && t >= 0 ? new Mark(v, t) : NONE;
        }
      } catch (NumberFormatException e) {
        // not a mark
      }
      return NONE;
    }

    static Mark read(Path file) throws IOException {
      if (!Files.exists(file)) {
        return NONE;
      }
      try {
        return decode(BoundedFiles.read(file, 128));
      } catch (BoundedFiles.TooLargeException e) {
        return NONE;
      }
    }
  }

  /** Acknowledges {@code bundle} to the server that sent it. */
  private void ack(NodeBundle bundle, URI server) {
    byte[] body =
        ("{\"version\":" + bundle.version() + ",\"hash\":\"" + bundle.contentHash() + "\"}")
            .getBytes(StandardCharsets.UTF_8);
    NodeAuth.Headers h = signer.sign("POST", "/v1/ack", body, System.currentTimeMillis());
    HttpRequest.Builder req =
        HttpRequest.newBuilder(server.resolve("/v1/ack"))
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
        lastError = "bundle refused: " + e.reason() + ": " + e.getMessage();
        sleep(backoffMillis);
        backoffMillis = Math.min(backoffMillis * 2, 30_000);
      } catch (IOException e) {
        lastError = "policy server unreachable: " + e.getMessage();
        sleep(backoffMillis);
        backoffMillis = Math.min(backoffMillis * 2, 30_000);
      } catch (InterruptedException e) {
        return;
      } catch (RuntimeException | Error e) {
        // A bug must not end the loop silently: the agent would stay on an old filter forever.
        lastError = "internal error: " + e;
        sleep(backoffMillis);
        backoffMillis = Math.min(backoffMillis * 2, 30_000);
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
