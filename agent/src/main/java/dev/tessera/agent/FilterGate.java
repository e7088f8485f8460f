package dev.tessera.agent;

import dev.tessera.agent.protocol.Peer;
import dev.tessera.enforcer.Counters;
import dev.tessera.enforcer.Enforcer;
import dev.tessera.enforcer.Verdict;
import dev.tessera.enforcer.format.CompiledFilter;
import dev.tessera.enforcer.format.FilterCodec;
import dev.tessera.enforcer.format.FilterFormatException;
import dev.tessera.enforcer.format.FilterJson;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

/**
 * The agent's filter state: which compiled filter (if any) decides inbound packets.
 *
 * <p>Three modes, chosen so that a misconfiguration can never silently open the tunnel:
 *
 * <ul>
 *   <li>{@link Mode#ALLOW_ALL}: no filter configured at all. The agent is plain WireGuard and says
 *       so loudly at startup. This mode is fixed for the life of the process.
 *   <li>{@link Mode#ENFORCE}: a filter file is configured and loaded; every decrypted inbound
 *       packet goes through {@link Enforcer.Worker#inbound}, every TUN packet through {@link
 *       Enforcer.Worker#outbound} (which records connection-tracking state).
 *   <li>{@link Mode#FAIL_CLOSED}: a filter file is configured but could not be read or decoded at
 *       startup. Every inbound packet is dropped (counted as "filter-unavailable") until a reload
 *       succeeds. A failed <em>reload</em> keeps the previous good filter in force (the enforcer's
 *       own rule), and is reported. With a policy server ({@link #fromBundles}) the gate starts
 *       here, dropping outbound packets as well, until the first verified bundle.
 * </ul>
 *
 * Reloads (SIGHUP, or the file's modification time/size/content changing) go through {@link
 * Enforcer#update(CompiledFilter)}, which keeps conntrack state and re-checks admitted flows
 * against the new rules, so a flow the new filter no longer allows is cut at its next packet.
 *
 * <p>The file may be the binary codec form (magic "TSRF") or the JSON view; both are validated
 * all-or-nothing by the enforcer's codecs.
 */
public final class FilterGate {
  /** See the class comment. */
  public enum Mode {
    ALLOW_ALL,
    ENFORCE,
    FAIL_CLOSED
  }

  /** The largest filter file read: as large as the largest policy bundle. */
  static final int MAX_FILTER_BYTES = dev.tessera.bundle.BundleCodec.MAX_BUNDLE_BYTES;

  private final Path file;
  private final Enforcer enforcer;
  private final Consumer<String> log;
  private volatile Mode mode;
  private volatile String lastError = "";
  private volatile String sha256 = "";

  /** Wall-clock time the filter in force was put in force (0: none is). */
  private volatile long appliedAtMillis;

  private final LongAdder failClosedDrops = new LongAdder();
  private final LongAdder reloads = new LongAdder();
  private final LongAdder failedReloads = new LongAdder();
  private byte[] lastBytes;

  /** Set for a policy-server gate: while failing closed, outbound packets are dropped too. */
  private boolean dropOutboundWhileClosed;

  private final LongAdder failClosedOutboundDrops = new LongAdder();

  /** Told of each filter a file gate puts in force ({@link #onFileFilter}); guarded by this. */
  private Consumer<CompiledFilter> fileFilterListener = f -> {};

  /** Where bundles come from (policy distribution): appends its own status lines. */
  private volatile Consumer<StringBuilder> sourceStatus;

  /**
   * The first dropped packet of each 5-tuple, rate limited (null in ALLOW_ALL mode: nothing is
   * dropped).
   */
  private final DropLog dropLog;

  /** The opt-in flow log, or null. */
  private volatile FlowLog flowLog;

  private FilterGate(Path file, Enforcer enforcer, Mode mode, Consumer<String> log) {
    this.file = file;
    this.enforcer = enforcer;
    this.mode = mode;
    this.log = log;
    this.dropLog = enforcer == null ? null : DropLog.standard(enforcer::filter);
  }

  /** No filter configured: allow everything (plain WireGuard). */
  public static FilterGate allowAll(Consumer<String> log) {
    log.accept(
        "WARNING: no filter configured ([Tessera] FilterFile or --filter): the agent ALLOWS ALL traffic"
            + " from peers (plain WireGuard mode)");
    return new FilterGate(null, null, Mode.ALLOW_ALL, log);
  }

  /**
   * Loads {@code file}; on failure the gate starts {@link Mode#FAIL_CLOSED} and keeps trying on
   * each {@link #reload}.
   */
  public static FilterGate fromFile(Path file, String node, Consumer<String> log) {
    byte[] bytes = null;
    CompiledFilter f = null;
    String error = null;
    try {
      bytes = dev.tessera.bundle.BoundedFiles.read(file, MAX_FILTER_BYTES);
      f = decode(bytes);
    } catch (IOException e) {
      error = "cannot read filter " + file + ": " + ioReason(e);
    } catch (FilterFormatException | RuntimeException e) {
      error = "invalid filter " + file + ": " + e.getMessage();
    }
    if (f == null) {
      FilterGate g =
          new FilterGate(
              file, Enforcer.create(CompiledFilter.denyAll(node)), Mode.FAIL_CLOSED, log);
      g.lastError = error;
      log.accept(
          "ERROR: "
              + error
              + "; FAILING CLOSED: every inbound packet is dropped until the filter loads");
      return g;
    }
    FilterGate g = new FilterGate(file, Enforcer.create(f), Mode.ENFORCE, log);
    g.lastBytes = bytes;
    g.sha256 = FilterCodec.sha256Hex(f);
    g.appliedAtMillis = System.currentTimeMillis();
    log.accept(
        "enforcing filter "
            + file
            + " (node "
            + f.node()
            + ", "
            + f.rules().size()
            + " rules, sha256 "
            + g.sha256.substring(0, 12)
            + ")");
    return g;
  }

  /**
   * Filters come from a policy server ({@code dev.tessera.agent.distribution}): the gate starts
   * {@link Mode#FAIL_CLOSED} and stays so until the first verified bundle is {@link #apply
   * applied}. While failing closed it drops every inbound packet AND every outbound packet from the
   * TUN: a node that holds no policy neither accepts nor originates tunnel traffic (replies could
   * not come back anyway). WireGuard handshakes and keepalives are not IP packets from the TUN and
   * still run.
   */
  public static FilterGate fromBundles(String node, Consumer<String> log) {
    FilterGate g =
        new FilterGate(null, Enforcer.create(CompiledFilter.denyAll(node)), Mode.FAIL_CLOSED, log);
    g.dropOutboundWhileClosed = true;
    g.lastError = "no policy bundle received yet";
    return g;
  }

  /**
   * Puts a verified filter in force atomically (policy distribution). Conntrack state is kept and
   * admitted flows are re-checked against the new rules by {@link Enforcer#update}.
   *
   * @param sha256 the filter's content hash, for status
   * @param origin what it came from, for the log (e.g. "policy bundle v3")
   */
  public synchronized void apply(CompiledFilter f, String sha256, String origin) {
    if (enforcer == null) {
      throw new IllegalStateException("no enforcer in " + mode + " mode");
    }
    enforcer.update(f);
    this.sha256 = sha256;
    lastError = "";
    reloads.increment();
    appliedAtMillis = System.currentTimeMillis();
    Mode before = mode;
    mode = Mode.ENFORCE;
    log.accept(
        "enforcing "
            + origin
            + " (node "
            + f.node()
            + ", "
            + f.rules().size()
            + " rules, sha256 "
            + sha256.substring(0, Math.min(12, sha256.length()))
            + ")"
            + (before == Mode.FAIL_CLOSED ? "; no longer failing closed" : ""));
  }

  /**
   * Stops enforcing the filter in force and drops everything, both ways, as before the first bundle
   * (a policy too stale to trust: its revocations may never have arrived). {@link #apply} lifts it.
   */
  public synchronized void failClosed(String why) {
    if (enforcer == null) {
      throw new IllegalStateException("no enforcer in " + mode + " mode");
    }
    dropOutboundWhileClosed = true;
    lastError = why;
    if (mode != Mode.FAIL_CLOSED) {
      mode = Mode.FAIL_CLOSED;
      log.accept("FAILING CLOSED: " + why);
    }
  }

  /** Adds status lines from the filter source (policy distribution) to {@link #appendStatus}. */
  public void attachSourceStatus(Consumer<StringBuilder> status) {
    this.sourceStatus = status;
  }

  static String ioReason(IOException e) {
    return switch (e) {
      case java.nio.file.NoSuchFileException x -> "no such file";
      case java.nio.file.AccessDeniedException x -> "permission denied";
      default -> String.valueOf(e.getMessage());
    };
  }

  static CompiledFilter decode(byte[] bytes) throws FilterFormatException {
    int i = 0;
    while (i < bytes.length && Character.isWhitespace(bytes[i])) {
      i++;
    }
    if (i < bytes.length && bytes[i] == '{') {
      return FilterJson.read(new String(bytes, StandardCharsets.UTF_8));
    }
    return FilterCodec.decode(bytes);
  }

  /**
   * Re-reads the filter file. Returns true if a new filter is now in force. With {@code force}
   * false, an unchanged file (same bytes) is not re-applied.
   */
  /**
   * For a gate that reads a filter file: calls {@code listener} now with the filter in force, if
   * one is, and with every filter a reload puts in force, just before it takes effect. The agent
   * hands the filter's node addresses to the WireGuard core with it.
   */
  public synchronized void onFileFilter(Consumer<CompiledFilter> listener) {
    fileFilterListener = listener;
    if (file != null && mode == Mode.ENFORCE) {
      listener.accept(enforcer.filter());
    }
  }

  public synchronized boolean reload(boolean force) {
    if (file == null) {
      return false;
    }
    byte[] bytes;
    CompiledFilter f;
    try {
      bytes = dev.tessera.bundle.BoundedFiles.read(file, MAX_FILTER_BYTES);
      if (!force && lastBytes != null && Arrays.equals(bytes, lastBytes)) {
        return false;
      }
      f = decode(bytes);
    } catch (IOException | FilterFormatException | RuntimeException e) {
      String why =
          e instanceof IOException io
              ? "cannot read " + file + ": " + ioReason(io)
              : "invalid filter " + file + ": " + e.getMessage();
      if (!force && lastError.equals(why)) {
        return false; // same failure as last time: do not flood the log
      }
      failedReloads.increment();
      lastError = why;
      log.accept(
          "filter reload failed: "
              + why
              + (mode == Mode.ENFORCE
                  ? "; the previous filter stays in force"
                  : "; still failing closed"));
      return false;
    }
    fileFilterListener.accept(f);
    enforcer.update(f);
    lastBytes = bytes;
    lastError = "";
    sha256 = FilterCodec.sha256Hex(f);
    reloads.increment();
    appliedAtMillis = System.currentTimeMillis();
    Mode before = mode;
    mode = Mode.ENFORCE;
    log.accept(
        "filter reloaded from "
            + file
            + " ("
            + f.rules().size()
            + " rules, sha256 "
            + sha256.substring(0, 12)
            + ")"
            + (before == Mode.FAIL_CLOSED ? "; no longer failing closed" : ""));
    return true;
  }

  public Mode mode() {
    return mode;
  }

  public Path file() {
    return file;
  }

  /**
   * Forgets the tracked flows of a removed peer, so that a peer given its id later starts with
   * none.
   */
  public void forgetPeer(int peer) {
    if (enforcer != null) {
      enforcer.forgetPeer(peer);
    }
  }

  /** A per-thread enforcer worker, or null in ALLOW_ALL mode. */
  public Enforcer.Worker newWorker() {
    return enforcer == null ? null : enforcer.newWorker();
  }

  /**
   * The inbound decision for a decrypted packet (position..limit). {@code worker} is the calling
   * thread's worker from {@link #newWorker}. Allocation-free.
   */
  public boolean allowInbound(Enforcer.Worker worker, ByteBuffer packet) {
    return inbound(worker, packet, 0, null);
  }

  /**
   * As {@link #allowInbound(Enforcer.Worker, ByteBuffer)}, for a packet sent by peer {@code peer}
   * (its tracking id).
   */
  public boolean allowInbound(Enforcer.Worker worker, ByteBuffer packet, int peer) {
    return inbound(worker, packet, peer, null);
  }

  /**
   * As {@link #allowInbound(Enforcer.Worker, ByteBuffer)}, for a packet sent by {@code from}: a
   * drop is also counted on the peer ({@link Peer#countFilterDrop}, see {@link #DROP_LABELS}) and
   * the drop log names its public key.
   */
  boolean allowInbound(Enforcer.Worker worker, ByteBuffer packet, Peer from) {
    return inbound(worker, packet, from.trackingId(), from);
  }

  private boolean inbound(Enforcer.Worker worker, ByteBuffer packet, int id, Peer peer) {
    switch (mode) {
      case ALLOW_ALL -> {
        return true;
      }
      case FAIL_CLOSED -> {
        failClosedDrops.increment();
        dropped(true, FAIL_CLOSED_INDEX, "filter-unavailable", packet, peer);
        return false;
      }
      case ENFORCE -> {
        Verdict v = worker.inbound(packet, id);
        if (v.accepted()) {
          FlowLog flows = flowLog;
          if (flows != null && v == Verdict.ACCEPT_RULE) {
            flows.record(true, true, v.ordinal(), packet, key(peer));
          }
          return true;
        }
        dropped(true, v.ordinal(), v.code(), packet, peer);
        return false;
      }
    }
    return false;
  }

  /** Per-peer count and drop log line of a dropped packet. */
  private void dropped(boolean inbound, int index, String reason, ByteBuffer packet, Peer peer) {
    if (peer != null) {
      peer.countFilterDrop((inbound ? 0 : OUTBOUND_INDEX) + index);
    }
    if (dropLog != null) {
      dropLog.dropped(inbound, reason, packet, key(peer));
    }
    FlowLog flows = flowLog;
    if (flows != null) {
      flows.record(
          inbound,
          false,
          index == FAIL_CLOSED_INDEX ? FlowLog.FILTER_UNAVAILABLE : index,
          packet,
          key(peer));
    }
  }

  private static dev.tessera.agent.crypto.WgKey key(Peer peer) {
    return peer == null ? null : peer.publicKey();
  }

  /**
   * Starts the flow log ({@link FlowLog}) to {@code file}: from now on new flows, accepted and
   * denied, are written there. Returns it (the caller closes it), or null with a warning when
   * nothing is filtered (no filter configured).
   *
   * @throws IllegalArgumentException if the file cannot be written
   */
  public FlowLog startFlowLog(Path file) {
    if (enforcer == null) {
      log.accept("WARNING: no filter configured: the flow log " + file + " is not written");
      return null;
    }
    FlowLog f = FlowLog.toFile(file, FlowLog.MAX_FILE_BYTES, FlowLog.MAX_FILES, enforcer::matcher);
    flowLog = f;
    log.accept(
        "flow log to "
            + file
            + " (JSON lines; rolled at "
            + FlowLog.MAX_FILE_BYTES / (1024 * 1024)
            + " MiB, "
            + FlowLog.MAX_FILES
            + " old files kept)");
    return f;
  }

  /** Records an outbound packet (conntrack); returns whether it may be sent. */
  public boolean allowOutbound(Enforcer.Worker worker, ByteBuffer packet) {
    return outbound(worker, packet, 0, null);
  }

  /**
   * As {@link #allowOutbound(Enforcer.Worker, ByteBuffer)}, for a packet routed to peer {@code
   * peer} (its tracking id).
   */
  public boolean allowOutbound(Enforcer.Worker worker, ByteBuffer packet, int peer) {
    return outbound(worker, packet, peer, null);
  }

  /**
   * As {@link #allowOutbound(Enforcer.Worker, ByteBuffer)}, for a packet routed to {@code to}: a
   * drop is also counted on the peer and the drop log names its public key.
   */
  boolean allowOutbound(Enforcer.Worker worker, ByteBuffer packet, Peer to) {
    return outbound(worker, packet, to.trackingId(), to);
  }

  private boolean outbound(Enforcer.Worker worker, ByteBuffer packet, int id, Peer peer) {
    if (worker == null) {
      return true;
    }
    if (dropOutboundWhileClosed && mode == Mode.FAIL_CLOSED) {
      failClosedOutboundDrops.increment();
      dropped(false, FAIL_CLOSED_INDEX, "filter-unavailable", packet, peer);
      return false;
    }
    // Outbound is not filtered by policy, but the enforcer may reject a malformed packet.
    Verdict v = worker.outbound(packet, id);
    if (v.accepted()) {
      FlowLog flows = flowLog;
      if (flows != null) {
        flows.record(false, true, v.ordinal(), packet, key(peer));
      }
      return true;
    }
    dropped(false, v.ordinal(), v.code(), packet, peer);
    return false;
  }

  /** Index of an outbound drop reason: inbound ones are below it. */
  private static final int OUTBOUND_INDEX = Peer.FILTER_DROP_REASONS / 2;

  /** Index of "filter-unavailable" (a fail-closed drop), past every verdict. */
  private static final int FAIL_CLOSED_INDEX = OUTBOUND_INDEX - 1;

  /**
   * A reason index of {@link Peer#countFilterDrop} as the filter counts it: the direction and the
   * verdict's reason code (or "filter-unavailable").
   */
  public record DropLabel(int index, String direction, String reason) {}

  /** Every reason index a drop may be counted under, for metrics. */
  public static final List<DropLabel> DROP_LABELS = dropLabels();

  private static List<DropLabel> dropLabels() {
    if (Verdict.values().length >= FAIL_CLOSED_INDEX) {
      throw new IllegalStateException("more verdicts than per-peer drop counters");
    }
    List<DropLabel> labels = new ArrayList<>();
    for (boolean inbound : new boolean[] {true, false}) {
      int base = inbound ? 0 : OUTBOUND_INDEX;
      String direction = inbound ? "inbound" : "outbound";
      for (Verdict v : Verdict.values()) {
        if (v.dropped()) {
          labels.add(new DropLabel(base + v.ordinal(), direction, v.code()));
        }
      }
      labels.add(new DropLabel(base + FAIL_CLOSED_INDEX, direction, "filter-unavailable"));
    }
    return List.copyOf(labels);
  }

  /** key=value status lines for {@code tessera=1} and {@code tessera-agent show}. */
  public void appendStatus(StringBuilder sb) {
    sb.append("filter_mode=").append(mode.name().toLowerCase(java.util.Locale.ROOT)).append('\n');
    if (file != null) {
      sb.append("filter_file=").append(file).append('\n');
    }
    if (!sha256.isEmpty()) {
      sb.append("filter_sha256=").append(sha256).append('\n');
    }
    if (!lastError.isEmpty()) {
      sb.append("filter_error=").append(lastError.replace('\n', ' ')).append('\n');
    }
    sb.append("filter_reloads=").append(reloads.sum()).append('\n');
    sb.append("filter_failed_reloads=").append(failedReloads.sum()).append('\n');
    sb.append("drop_inbound_filter-unavailable=").append(failClosedDrops.sum()).append('\n');
    if (dropOutboundWhileClosed) {
      sb.append("drop_outbound_filter-unavailable=")
          .append(failClosedOutboundDrops.sum())
          .append('\n');
    }
    FlowLog flows = flowLog;
    if (flows != null) {
      sb.append("flow_log_lines=").append(flows.written()).append('\n');
      sb.append("flow_log_lost=").append(flows.lost()).append('\n');
    }
    Consumer<StringBuilder> source = sourceStatus;
    if (source != null) {
      source.accept(sb);
    }
    if (appliedAtMillis > 0 && enforcer != null) {
      sb.append("filter_generation=").append(enforcer.generation()).append('\n');
      sb.append("filter_applied_at_ms=").append(appliedAtMillis).append('\n');
      sb.append("conntrack_flows=").append(enforcer.trackedFlows()).append('\n');
      enforcer
          .conntrackEvictions()
          .forEach(
              (kind, n) ->
                  sb.append("conntrack_eviction_").append(kind).append('=').append(n).append('\n'));
    }
    if (enforcer != null) {
      Counters c = enforcer.counters();
      for (Verdict v : Verdict.values()) {
        long in = c.count(dev.tessera.enforcer.Direction.INBOUND, v);
        long out = c.count(dev.tessera.enforcer.Direction.OUTBOUND, v);
        String kind = v.accepted() ? "accept" : "drop";
        sb.append(kind).append("_inbound_").append(v.code()).append('=').append(in).append('\n');
        if (out != 0) {
          sb.append(kind)
              .append("_outbound_")
              .append(v.code())
              .append('=')
              .append(out)
              .append('\n');
        }
      }
    }
  }
}
