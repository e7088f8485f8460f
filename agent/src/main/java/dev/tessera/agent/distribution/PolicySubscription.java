package dev.tessera.agent.distribution;

import dev.tessera.agent.FilterGate;
import dev.tessera.agent.Supervisor;
import dev.tessera.agent.config.AgentConfig;
import dev.tessera.bundle.BundleClient;
import dev.tessera.bundle.BundleException;
import dev.tessera.bundle.BundleVerifier;
import dev.tessera.bundle.NodeBundle;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Base64;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

/**
 * The agent's subscription to its policy server: keeps the {@link FilterGate} on the newest genuine
 * bundle for this node.
 *
 * <p>Design: {@link BundleClient} (bundle module) does the protocol — authenticated long-poll,
 * verification (signature under {@code ServerKey}, this node, strictly newer version, content hash,
 * filter validity), persistence of the last good bundle by atomic rename, and the ack. This class
 * is the agent's side of it:
 *
 * <ul>
 *   <li>{@link #loadPersisted} runs before the TUN exists, so a restarted agent enforces its last
 *       good filter from its first packet, even while the server is down. With no valid persisted
 *       bundle the gate stays FAIL_CLOSED: nothing in, nothing out.
 *   <li>{@link #start} runs the long-poll loop on its own thread. Each verified bundle goes to
 *       {@link FilterGate#apply}, which swaps the enforcer's snapshot atomically (conntrack is
 *       kept; admitted flows are re-checked, so a revoked flow is cut at its next packet).
 *   <li>A refused bundle (tampered, rolled back, for another node, invalid filter) changes nothing,
 *       is logged, and is counted by reason for {@code tessera-agent show}. The loop is our own
 *       rather than {@code BundleClient.start()} for exactly that: per-reason counts and log lines.
 *   <li>The server's word on the routes this node advertises ({@code X-Tessera-Advertise-Refused},
 *       outside the signed bundle) is only shown: one warning per distinct refusal, {@code
 *       advertise_refused} in the status while it lasts, one line when the routes are taken again.
 *       It changes nothing that is enforced.
 * </ul>
 *
 * <p>Freshness (freeze attacks): every answer of the server carries a signed statement that the
 * bundle in force is current, valid for minutes ({@code BundleClient} refuses answers without one).
 * When the newest statement has expired, status says {@code policy stale since T}; once the server
 * has not vouched for the policy for {@code MaxPolicyAge}, the {@code StaleMode} applies: by
 * default the gate fails closed (nothing passes either way) until a current statement arrives, or,
 * as an explicit choice, the last good policy stays in force. The check runs after every round trip
 * and at start (an agent that was down longer than the maximum age starts closed).
 *
 * <p>Retry policy: an unreachable server is retried with exponential backoff from 250 ms to 5 s,
 * with ±20% jitter so a fleet restarted together does not reconnect in lockstep; a refused bundle
 * backs off up to 30 s, since asking again at once would most likely get the same bytes. With
 * several servers a failed one is left for the next within the same round trip, so the backoff
 * starts only when none of them answered; leaving a server that had answered is logged ({@code
 * policy server URL: why; trying NEXT}), and {@code bundle_server} in the status names the server
 * polled.
 */
public final class PolicySubscription implements AutoCloseable {
  static final long MIN_BACKOFF_MILLIS = 250;
  static final long MAX_UNREACHABLE_BACKOFF_MILLIS = 5_000;
  static final long MAX_REFUSED_BACKOFF_MILLIS = 30_000;

  /** A long-poll that comes back empty sooner than this is treated as a misbehaving server. */
  static final long MIN_EMPTY_POLL_MILLIS = 200;

  private static final BundleException.Reason[] REASONS = BundleException.Reason.values();

  private final DistributionSettings settings;
  private final FilterGate gate;
  private final Consumer<String> log;
  private final BundleClient client;
  private final AtomicLongArray refusedByReason = new AtomicLongArray(REASONS.length);
  private final AtomicLong refusedPersisted = new AtomicLong();
  private final AtomicLong updates = new AtomicLong();

  /** The gate was closed because the policy outgrew MaxPolicyAge; guarded by this. */
  private boolean staleClosed;

  private boolean staleLogged;
  private volatile NodeBundle current;

  /** The filter of {@link #current} and who applies its peer list; guarded by {@code this}. */
  private dev.tessera.enforcer.format.CompiledFilter currentFilter;

  /** The peers of {@link #current} (with their endpoints); guarded by {@code this}. */
  private java.util.List<dev.tessera.bundle.BundlePeer> currentPeers = java.util.List.of();

  /** What the next poll reports ({@link #reportWith}); null: nothing. */
  private volatile java.util.function.Supplier<dev.tessera.bundle.PollReport> report;

  private PeerPolicy peers;
  private volatile long appliedAtMillis;
  private volatile String lastError = "";
  private volatile boolean closed;

  /** The last round trip failed (for logging the recovery once). Loop thread only. */
  private boolean failing;

  /**
   * Why the server refused the advertised routes, as last logged; empty: taken, or never refused.
   * Loop thread only.
   */
  private String advertiseRefusedLogged = "";

  private Thread thread;

  /**
   * @param wireguardPrivateKey the interface's private key: requests are authenticated with it (see
   *     {@code NodeAuth}); the caller keeps ownership and may zero it after this returns
   */
  public PolicySubscription(
      DistributionSettings settings,
      byte[] wireguardPrivateKey,
      FilterGate gate,
      Consumer<String> log) {
    this.settings = settings;
    this.gate = gate;
    this.log = log;
    this.client =
        new BundleClient(
            new BundleClient.Config(
                    settings.servers().getFirst(),
                    settings.node(),
                    wireguardPrivateKey.clone(),
                    settings.serverKey(),
                    settings.stateFile(),
                    settings.waitSeconds(),
                    settings.serverCert().orElse(null))
                .withServers(settings.servers(), line -> log.accept("policy server " + line))
                .withReport(this::report),
            this::apply);
    gate.attachSourceStatus(this::appendStatus);
  }

  /**
   * Validates the [Tessera] distribution keys, creates a fail-closed gate for the node and applies
   * the persisted last good bundle if there is one. Throws with a user-facing message when the
   * settings are unusable (the agent then does not start: no interface, nothing passes).
   */
  public static PolicySubscription open(
      AgentConfig config, String iface, Optional<Path> filterOverride, Consumer<String> log)
      throws IOException {
    DistributionSettings settings;
    try {
      settings = DistributionSettings.from(config.tessera(), iface, filterOverride);
    } catch (DistributionSettings.InvalidSettings e) {
      throw new IOException(e.getMessage());
    }
    FilterGate gate = FilterGate.fromBundles(settings.node(), log);
    byte[] privateKey = config.iface().privateKey().bytes();
    PolicySubscription s;
    try {
      s = new PolicySubscription(settings, privateKey, gate, log);
    } catch (IllegalArgumentException e) {
      // 32 bytes of base64 that are no usable Ed25519 point (non-canonical, identity, low order)
      throw new IOException("[Tessera] ServerKey cannot be used: " + e.getMessage());
    } finally {
      Arrays.fill(privateKey, (byte) 0);
    }
    log.accept(
        "policy from "
            + servers(settings)
            + " as node "
            + settings.node()
            + ", signed by server key "
            + Base64.getEncoder().encodeToString(settings.serverKey()));
    if (settings.servers().stream().anyMatch(u -> "http".equals(u.getScheme()))) {
      log.accept(
          "WARNING: the policy server is plain HTTP (PlainHttp = yes): anyone on the path can read"
              + " this node's filters and requests; bundles are still verified by their signature");
    }
    s.loadPersisted();
    return s;
  }

  public FilterGate gate() {
    return gate;
  }

  /** The policy servers this node polls (one control plane). */
  public java.util.List<java.net.URI> servers() {
    return settings.servers();
  }

  /**
   * Connects the WireGuard peers: every bundle's peer list is applied to them from now on, starting
   * with the bundle in force (the persisted one) if any.
   */
  public synchronized void attachPeers(PeerPolicy policy) {
    this.peers = policy;
    if (currentFilter != null) {
      policy.apply(currentFilter, currentPeers);
    }
  }

  /**
   * From now on every poll reports what {@code report} gives (endpoints, listen port, posture; see
   * {@link dev.tessera.bundle.PollReport}), so the server can put this node's endpoints into its
   * peers' bundles.
   */
  public void reportWith(java.util.function.Supplier<dev.tessera.bundle.PollReport> report) {
    this.report = report;
  }

  private dev.tessera.bundle.PollReport report() {
    var r = report;
    return r == null ? null : r.get();
  }

  private synchronized void apply(BundleVerifier.Verified v) {
    NodeBundle b = v.bundle();
    gate.apply(
        v.filter(),
        b.contentHash(),
        "policy bundle v" + b.version() + " (revision " + b.policyRevision() + ")");
    currentFilter = v.filter();
    currentPeers = v.peers();
    if (peers != null) {
      // After the gate: a peer is admitted only once its rules are in force.
      peers.apply(v.filter(), currentPeers);
    }
    current = b;
    appliedAtMillis = System.currentTimeMillis();
    updates.incrementAndGet();
    staleClosed = false; // gate.apply enforces again
    staleLogged = false;
    lastError = ""; // status must never show a bundle in force next to a stale error
  }

  /**
   * Applies the stale mode if the server has not vouched for the policy in force for longer than
   * MaxPolicyAge, and lifts it once it has again. Returns true while the policy is stale.
   */
  synchronized boolean checkFreshness(long nowMillis) {
    NodeBundle b = current;
    if (b == null) {
      return false;
    }
    var f = client.freshness();
    long vouchedAt = f.map(x -> x.issuedAtMillis()).orElse(0L);
    long staleSince = f.map(x -> x.expiresAtMillis()).orElse(appliedAtMillis);
    boolean stale = nowMillis >= staleSince;
    if (stale && !staleLogged) {
      log.accept(
          "policy stale since "
              + java.time.Instant.ofEpochMilli(staleSince)
              + ": the server has not vouched"
              + " for bundle v"
              + b.version()
              + " since "
              + java.time.Instant.ofEpochMilli(vouchedAt)
              + " ("
              + settings.staleMode().name().toLowerCase(Locale.ROOT).replace('_', '-')
              + " after "
              + settings.maxPolicyAge()
              + ")");
      staleLogged = true;
    } else if (!stale) {
      staleLogged = false;
    }
    boolean tooOld = nowMillis - vouchedAt > settings.maxPolicyAge().toMillis();
    if (tooOld
        && settings.staleMode() == DistributionSettings.StaleMode.FAIL_CLOSED
        && !staleClosed) {
      gate.failClosed(
          "policy stale since "
              + java.time.Instant.ofEpochMilli(staleSince)
              + ", older than MaxPolicyAge "
              + settings.maxPolicyAge()
              + ": no tunnel traffic passes until the server vouches for a policy again");
      staleClosed = true;
    } else if (!tooOld && staleClosed) {
      gate.apply(
          currentFilter, b.contentHash(), "policy bundle v" + b.version() + " (vouched for again)");
      staleClosed = false;
    }
    return stale;
  }

  /** Applies the persisted last good bundle if there is a valid one; returns its version or 0. */
  public long loadPersisted() {
    long refusedBefore = client.refusedCount();
    long version = client.loadPersisted();
    if (version > 0) {
      log.accept(
          "loaded last good policy bundle v"
              + version
              + " from "
              + settings.stateFile()
              + "; enforcing it until "
              + servers(settings)
              + " sends a newer one");
      checkFreshness(System.currentTimeMillis());
      return version;
    }
    if (client.refusedCount() > refusedBefore) {
      refusedPersisted.incrementAndGet();
    }
    String why = client.lastError().orElse("no bundle at " + settings.stateFile());
    lastError = why;
    log.accept(
        "no usable policy bundle ("
            + why
            + "); FAILING CLOSED: no tunnel traffic passes until "
            + servers(settings)
            + " sends a valid bundle for node "
            + settings.node());
    return 0;
  }

  /**
   * Starts the long-poll loop on its own thread, under the agent's {@link Supervisor}: anything the
   * loop throws, {@code Error}s included, is counted in {@code restarts} (the agent's {@code
   * loop_restarts}), logged, shown as {@code bundle_error}, and the loop runs again, so the node
   * can never be left on an old filter by a bug.
   */
  public synchronized void start(LongAdder restarts) {
    if (thread == null && !closed) {
      thread =
          Thread.ofPlatform()
              .name("tessera-policy-subscription")
              .daemon()
              .start(
                  () ->
                      Supervisor.supervise(
                          "policy subscription",
                          () -> !closed,
                          this::run,
                          restarts,
                          line -> {
                            lastError = line;
                            failing = true;
                            log.accept(line);
                          }));
    }
  }

  /** What one long-poll round trip came to; {@link #run} picks the pause from it. */
  enum Outcome {
    APPLIED,
    UNCHANGED,
    REFUSED,
    UNREACHABLE
  }

  private void run() {
    long backoff = MIN_BACKOFF_MILLIS;
    while (!closed) {
      long started = System.nanoTime();
      Outcome o;
      try {
        o = step();
        checkFreshness(System.currentTimeMillis());
      } catch (InterruptedException e) {
        return;
      }
      switch (o) {
        case APPLIED -> backoff = MIN_BACKOFF_MILLIS;
        case UNCHANGED -> {
          backoff = MIN_BACKOFF_MILLIS;
          if ((System.nanoTime() - started) / 1_000_000 < MIN_EMPTY_POLL_MILLIS) {
            pause(MIN_EMPTY_POLL_MILLIS);
          }
        }
        case REFUSED -> {
          pause(backoff);
          backoff = Math.min(backoff * 2, MAX_REFUSED_BACKOFF_MILLIS);
        }
        case UNREACHABLE -> {
          pause(jitter(backoff));
          backoff = Math.min(backoff * 2, MAX_UNREACHABLE_BACKOFF_MILLIS);
        }
      }
    }
  }

  /** One long-poll round trip with its bookkeeping (counters, log, status). */
  Outcome step() throws InterruptedException {
    java.net.URI asked = client.currentServer();
    try {
      boolean changed = client.pollOnce();
      if (failing) {
        log.accept("policy server " + client.currentServer() + " answered again");
        failing = false;
      }
      lastError = "";
      logAdvertiseAnswer();
      return changed ? Outcome.APPLIED : Outcome.UNCHANGED;
    } catch (BundleException e) {
      refusedByReason.incrementAndGet(e.reason().ordinal());
      lastError = "bundle refused (" + reasonKey(e.reason()) + "): " + e.getMessage();
      log.accept(
          "REFUSED policy bundle from "
              + client.currentServer()
              + ": "
              + reasonKey(e.reason())
              + ": "
              + e.getMessage()
              + "; the filter in force is unchanged");
      return Outcome.REFUSED;
    } catch (IOException e) {
      String detail = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
      String why =
          settings.servers().size() == 1
              ? "policy server " + asked + " request failed: " + detail
              : detail;
      if (!why.equals(lastError)) {
        log.accept(
            why
                + "; keeping the filter in force ("
                + gate.mode().name().toLowerCase(Locale.ROOT)
                + ") and retrying");
      }
      lastError = why;
      failing = true;
      return Outcome.UNREACHABLE;
    }
  }

  /**
   * Logs a refusal of the advertised routes once per distinct reason (a warning), and once that the
   * routes were taken after one. Only what the server said: it changes nothing the agent admits.
   */
  private void logAdvertiseAnswer() {
    String why = client.advertiseRefused().orElse("");
    if (why.equals(advertiseRefusedLogged)) {
      return;
    }
    if (why.isEmpty()) {
      log.accept(
          "policy server " + client.currentServer() + " took the routes this node advertises");
    } else {
      log.accept(
          "WARNING: policy server "
              + client.currentServer()
              + " refused the routes this node advertises: "
              + why
              + "; it keeps the routes it had before and serves the bundle as usual");
    }
    advertiseRefusedLogged = why;
  }

  private static long jitter(long millis) {
    return millis + ThreadLocalRandom.current().nextLong(-millis / 5, millis / 5 + 1);
  }

  private void pause(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      closed = true;
    }
  }

  /** The servers as the config lists them: {@code URL} or {@code URL, URL, ...}. */
  static String servers(DistributionSettings settings) {
    return String.join(", ", settings.servers().stream().map(Object::toString).toList());
  }

  static String reasonKey(BundleException.Reason r) {
    return r.name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  /** Version of the bundle in force, 0 when none. */
  public long version() {
    return client.heldVersion();
  }

  /** Bundles refused since start, by reason (the persisted bundle counts under "persisted"). */
  public long refused(BundleException.Reason reason) {
    return refusedByReason.get(reason.ordinal());
  }

  public long refusedTotal() {
    long n = refusedPersisted.get();
    for (int i = 0; i < REASONS.length; i++) {
      n += refusedByReason.get(i);
    }
    return n;
  }

  /** key=value lines for {@code tessera=1} / {@code tessera-agent show}. */
  public void appendStatus(StringBuilder sb) {
    PeerPolicy p;
    synchronized (this) {
      p = peers;
    }
    if (p != null) {
      p.appendStatus(sb);
    }
    sb.append("bundle_server=").append(client.currentServer()).append('\n');
    if (settings.servers().size() > 1) {
      sb.append("bundle_servers=").append(servers(settings)).append('\n');
    }
    sb.append("bundle_node=").append(settings.node()).append('\n');
    sb.append("bundle_state_file=").append(settings.stateFile()).append('\n');
    NodeBundle b = current;
    sb.append("bundle_version=").append(b == null ? 0 : b.version()).append('\n');
    if (b != null) {
      sb.append("bundle_revision=").append(b.policyRevision().replace('\n', ' ')).append('\n');
      sb.append("bundle_sha256=").append(b.contentHash()).append('\n');
      sb.append("bundle_issued_at_ms=").append(b.issuedAtMillis()).append('\n');
      sb.append("bundle_applied_at_ms=").append(appliedAtMillis).append('\n');
    }
    sb.append("bundle_updates=").append(updates.get()).append('\n');
    sb.append("bundle_high_water_mark=").append(client.highWaterMark()).append('\n');
    client
        .freshness()
        .ifPresent(
            f -> {
              sb.append("bundle_vouched_at_ms=").append(f.issuedAtMillis()).append('\n');
              sb.append("bundle_fresh_until_ms=").append(f.expiresAtMillis()).append('\n');
              if (System.currentTimeMillis() >= f.expiresAtMillis()) {
                sb.append("bundle_stale=policy stale since ")
                    .append(java.time.Instant.ofEpochMilli(f.expiresAtMillis()))
                    .append('\n');
              }
            });
    sb.append("bundle_max_policy_age_s=").append(settings.maxPolicyAge().toSeconds()).append('\n');
    sb.append("bundle_stale_mode=")
        .append(settings.staleMode().name().toLowerCase(Locale.ROOT).replace('_', '-'))
        .append('\n');
    sb.append("bundle_refused=").append(refusedTotal()).append('\n');
    for (BundleException.Reason r : REASONS) {
      long n = refusedByReason.get(r.ordinal());
      if (n != 0) {
        sb.append("bundle_refused_").append(reasonKey(r)).append('=').append(n).append('\n');
      }
    }
    if (refusedPersisted.get() != 0) {
      sb.append("bundle_refused_persisted=").append(refusedPersisted.get()).append('\n');
    }
    String err = lastError;
    if (!err.isEmpty()) {
      sb.append("bundle_error=").append(err.replace('\n', ' ')).append('\n');
    }
    client
        .advertiseRefused()
        .ifPresent(why -> sb.append("advertise_refused=").append(why).append('\n'));
  }

  @Override
  public void close() {
    Thread t;
    synchronized (this) {
      closed = true;
      t = thread;
    }
    if (t != null) {
      t.interrupt(); // a blocked long-poll send() is cancelled by the interrupt
      try {
        t.join(2_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    client.close();
  }
}
