package dev.tessera.agent;

import dev.tessera.agent.config.PrivateFiles;
import dev.tessera.agent.crypto.WgKey;
import dev.tessera.agent.noise.Tai64n;
import dev.tessera.agent.protocol.InitiationStamps;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * {@link InitiationStamps} kept on disk: one file per peer, named by the hex of its public key, in
 * a 0700 directory ({@code STATEDIR/IFACE.handshakes}); each holds a 12-byte TAI64N timestamp at or
 * above every initiation ever accepted from that peer. The file is replaced atomically (0600
 * temporary file, fsync, rename, fsync of the directory) <em>before</em> an initiation above it is
 * accepted, so no initiation the agent accepted can be accepted again after a restart or a crash.
 *
 * <p>Such a write costs milliseconds (a disk flush) on the thread that handles the handshake, so it
 * is not done for every initiation: what is written is the accepted timestamp plus {@link
 * #RESERVE_SECONDS}, and initiations up to that mark are accepted without writing. A peer (or a
 * flood of its genuine initiations, up to 50 a second) thus causes at most one write per 5 s, and
 * ordinary handshakes (one per peer and two minutes) one each. The price: for up to 5 s after the
 * last initiation accepted before a restart, the peer's new initiations are below the mark and
 * refused as replays; its next retry (every 5 s) gets through.
 */
final class InitiationStampFiles implements InitiationStamps {
  /** How far above an accepted timestamp the recorded mark is set (WireGuard's REKEY_TIMEOUT). */
  static final long RESERVE_SECONDS = 5;

  private final Path dir;

  /** The mark on disk per peer, as last written or read by this process. */
  private final java.util.concurrent.ConcurrentHashMap<WgKey, byte[]> marks =
      new java.util.concurrent.ConcurrentHashMap<>();

  private final Consumer<String> log;

  /** A write failed and has not succeeded since (the failure is logged once, not per packet). */
  private volatile boolean failing;

  InitiationStampFiles(Path dir, Consumer<String> log) {
    this.dir = dir;
    this.log = log;
  }

  Path dir() {
    return dir;
  }

  private Path file(WgKey peer) {
    return dir.resolve(HexFormat.of().formatHex(peer.bytes()));
  }

  @Override
  public Optional<byte[]> greatest(WgKey peer) {
    Path f = file(peer);
    try (InputStream in = Files.newInputStream(f)) {
      byte[] b = in.readNBytes(Tai64n.LENGTH + 1); // bounded: never more than one byte too many
      if (b.length != Tai64n.LENGTH) {
        log.accept(
            "ignoring "
                + f
                + ": not a "
                + Tai64n.LENGTH
                + "-byte handshake timestamp; the peer's last initiation before the restart is not"
                + " known");
        return Optional.empty();
      }
      marks.put(peer, b);
      return Optional.of(b.clone());
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      log.accept("cannot read " + f + ": " + e.getMessage());
      return Optional.empty();
    }
  }

  @Override
  public boolean record(WgKey peer, byte[] tai64n) {
    byte[] mark = marks.get(peer);
    if (mark != null && !Tai64n.after(tai64n, mark)) {
      return true; // already covered by the mark on disk
    }
    byte[] next = Tai64n.plusSeconds(tai64n, RESERVE_SECONDS);
    try {
      PrivateFiles.write(file(peer), next);
      marks.put(peer, next);
      if (failing) {
        failing = false;
        log.accept("handshake timestamps are recorded in " + dir + " again");
      }
      return true;
    } catch (IOException | RuntimeException e) {
      if (failing) {
        return false;
      }
      failing = true;
      log.accept(
          "cannot record a handshake timestamp in "
              + dir
              + " ("
              + e.getMessage()
              + "); refusing initiations until it can, since they could be replayed after a"
              + " restart (dropped as handshake_not_recorded)");
      return false;
    }
  }
}
