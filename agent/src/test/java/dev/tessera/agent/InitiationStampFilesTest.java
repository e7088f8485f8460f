package dev.tessera.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.agent.crypto.WgKey;
import dev.tessera.agent.noise.Messages;
import dev.tessera.agent.protocol.DeviceOptions;
import dev.tessera.agent.protocol.DropReason;
import dev.tessera.agent.protocol.InitiationStamps;
import dev.tessera.agent.protocol.Output;
import dev.tessera.agent.protocol.Peer;
import dev.tessera.agent.protocol.PeerConfig;
import dev.tessera.agent.protocol.WireGuardDevice;
import dev.tessera.net.IpPrefix;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A handshake initiation accepted before a restart is refused as a replay after it: the greatest
 * timestamp per peer is kept on disk ({@link InitiationStampFiles}) and seeds the restarted device.
 */
class InitiationStampFilesTest {
  static final InetSocketAddress A_ADDR = addr("192.0.2.1", 51820);
  static final InetSocketAddress B_ADDR = addr("192.0.2.2", 51820);

  @TempDir Path dir;
  final WgKey aKey = WgKey.generatePrivate(seeded(1));
  final WgKey bKey = WgKey.generatePrivate(seeded(2));
  final List<String> log = new ArrayList<>();

  /** The initiator's wall clock (TAI64N timestamps), moved by the test. */
  final AtomicLong aWallMillis =
      new AtomicLong(Instant.parse("2026-11-26T12:00:00Z").toEpochMilli());

  @Test
  void aReplayedInitiationIsRefusedAfterARestart() throws IOException {
    Path stamps = dir.resolve("wg0.handshakes");
    byte[] init = initiationFromA();

    Capture b1Out = new Capture();
    try (WireGuardDevice b1 = deviceB(new InitiationStampFiles(stamps, log::add))) {
      b1.onDatagram(ByteBuffer.wrap(init), A_ADDR, b1Out);
      assertThat(b1Out.sentOfType(Messages.TYPE_RESPONSE))
          .as("the genuine initiation")
          .isEqualTo(1);
    }
    Path file = stamps.resolve(java.util.HexFormat.of().formatHex(aKey.publicKey().bytes()));
    byte[] mark = Files.readAllBytes(file);
    assertThat(Files.getPosixFilePermissions(stamps))
        .isEqualTo(PosixFilePermissions.fromString("rwx------"));
    assertThat(Files.getPosixFilePermissions(file))
        .isEqualTo(PosixFilePermissions.fromString("rw-------"));

    // The agent restarts: a new device, the same state directory. The captured initiation comes
    // again.
    Capture b2Out = new Capture();
    try (WireGuardDevice b2 = deviceB(new InitiationStampFiles(stamps, log::add))) {
      b2.onDatagram(ByteBuffer.wrap(init), A_ADDR, b2Out);
      assertThat(b2Out.sentOfType(Messages.TYPE_RESPONSE)).as("the replay").isZero();
      assertThat(b2.dropCount(DropReason.HANDSHAKE_REPLAY)).isEqualTo(1);

      // The mark is 5 s above the last accepted initiation: a genuine one 1 s later is still
      // below it (the price of not writing on every handshake), one 6 s later gets through.
      aWallMillis.addAndGet(1_000);
      b2.onDatagram(ByteBuffer.wrap(initiationFromA()), A_ADDR, b2Out);
      assertThat(b2Out.sentOfType(Messages.TYPE_RESPONSE)).as("1 s later").isZero();
      assertThat(b2.dropCount(DropReason.HANDSHAKE_REPLAY)).isEqualTo(2);
      aWallMillis.addAndGet(5_000);
      b2.onDatagram(ByteBuffer.wrap(initiationFromA()), A_ADDR, b2Out);
      assertThat(b2Out.sentOfType(Messages.TYPE_RESPONSE)).as("6 s later").isEqualTo(1);
      byte[] newMark = Files.readAllBytes(file);
      assertThat(dev.tessera.agent.noise.Tai64n.after(newMark, mark)).isTrue();

      // Initiations under the new mark are accepted without writing: the mark stays.
      aWallMillis.addAndGet(1_000);
      b2.onDatagram(ByteBuffer.wrap(initiationFromA()), A_ADDR, b2Out);
      assertThat(b2Out.sentOfType(Messages.TYPE_RESPONSE)).isEqualTo(2);
      assertThat(Files.readAllBytes(file)).isEqualTo(newMark);
    }
    System.out.println("replay after restart refused; log: " + log);
  }

  /** Stock WireGuard's behaviour, for contrast: without stamps the replay is answered. */
  @Test
  void withoutStampsTheReplayIsAnsweredAfterARestart() {
    byte[] init = initiationFromA();
    try (WireGuardDevice b1 = deviceB(InitiationStamps.NONE)) {
      b1.onDatagram(ByteBuffer.wrap(init), A_ADDR, new Capture());
    }
    Capture out = new Capture();
    try (WireGuardDevice b2 = deviceB(InitiationStamps.NONE)) {
      b2.onDatagram(ByteBuffer.wrap(init), A_ADDR, out);
    }
    assertThat(out.sentOfType(Messages.TYPE_RESPONSE)).isEqualTo(1);
  }

  /** A timestamp that cannot be made durable is never accepted: the initiation is refused. */
  @Test
  void anInitiationWhoseTimestampCannotBeRecordedIsRefused() throws IOException {
    Path notADir = Files.writeString(dir.resolve("wg0.handshakes"), "a file, not a directory");
    Capture out = new Capture();
    try (WireGuardDevice b = deviceB(new InitiationStampFiles(notADir, log::add))) {
      b.onDatagram(ByteBuffer.wrap(initiationFromA()), A_ADDR, out);
      aWallMillis.addAndGet(6_000);
      b.onDatagram(ByteBuffer.wrap(initiationFromA()), A_ADDR, out);
      assertThat(out.sentOfType(Messages.TYPE_RESPONSE)).isZero();
      assertThat(b.dropCount(DropReason.HANDSHAKE_NOT_RECORDED)).isEqualTo(2);
    }
    assertThat(log).filteredOn(l -> l.startsWith("cannot record")).hasSize(1); // logged once
  }

  /** Bad files (wrong length, huge, a directory) are not trusted and cost a bounded read. */
  @Test
  void aDamagedStampIsIgnoredWithABoundedRead() throws IOException {
    Path stamps = dir.resolve("wg0.handshakes");
    Files.createDirectories(stamps);
    InitiationStampFiles files = new InitiationStampFiles(stamps, log::add);
    WgKey peer = aKey.publicKey();
    Path f = stamps.resolve(java.util.HexFormat.of().formatHex(peer.bytes()));
    record Case(String name, byte[] content) {}
    for (Case c :
        List.of(
            new Case("short", new byte[5]),
            new Case("13 bytes", new byte[13]),
            new Case("64 MiB", new byte[64 << 20]))) {
      Files.write(f, c.content());
      assertThat(files.greatest(peer)).as(c.name()).isEmpty();
    }
    assertThat(log).filteredOn(l -> l.startsWith("ignoring")).hasSize(3);
    assertThat(files.record(peer, new byte[12])).isTrue();
    assertThat(files.greatest(peer)).hasValueSatisfying(b -> assertThat(b).hasSize(12));
  }

  // ---------------------------------------------------------------------------------- helpers

  /** A fresh device A (as after its own restart) sends one initiation to B; returns its bytes. */
  byte[] initiationFromA() {
    Capture out = new Capture();
    try (WireGuardDevice a =
        WireGuardDevice.create(
            aKey,
            A_ADDR.getPort(),
            List.of(
                new PeerConfig(
                    bKey.publicKey(), null, List.of(IpPrefix.parse("10.0.0.2/32")), B_ADDR, 0)),
            DeviceOptions.defaults()
                .withClocks(System::nanoTime, () -> Instant.ofEpochMilli(aWallMillis.get())))) {
      a.onTunPacket(ByteBuffer.wrap(ipv4("10.0.0.1", "10.0.0.2")), out);
    }
    assertThat(out.sent).hasSize(1);
    assertThat(out.sent.getFirst()[0]).isEqualTo((byte) Messages.TYPE_INITIATION);
    return out.sent.getFirst();
  }

  WireGuardDevice deviceB(InitiationStamps stamps) {
    // B's monotonic clock follows A's wall clock, so initiations the test spaces out are never
    // refused as a flood (1/50 s) however fast the test runs.
    WireGuardDevice b =
        new WireGuardDevice(
            DeviceOptions.defaults()
                .withClocks(
                    () -> aWallMillis.get() * 1_000_000L, java.time.InstantSource.system()));
    b.setInitiationStamps(stamps);
    b.setPrivateKey(bKey);
    b.setListenPort(B_ADDR.getPort());
    b.upsertPeer(
        new PeerConfig(aKey.publicKey(), null, List.of(IpPrefix.parse("10.0.0.1/32")), A_ADDR, 0));
    return b;
  }

  static final class Capture implements Output {
    final List<byte[]> sent = new ArrayList<>();

    @Override
    public void sendDatagram(ByteBuffer datagram, InetSocketAddress to) {
      byte[] b = new byte[datagram.remaining()];
      datagram.get(datagram.position(), b);
      sent.add(b);
    }

    @Override
    public void deliverToTun(ByteBuffer ipPacket, Peer from) {}

    long sentOfType(int type) {
      return sent.stream().filter(s -> s[0] == type).count();
    }
  }

  static byte[] ipv4(String src, String dst) {
    byte[] p = new byte[28];
    p[0] = 0x45;
    p[3] = 28;
    p[8] = 64;
    p[9] = 17;
    System.arraycopy(addr(src, 0).getAddress().getAddress(), 0, p, 12, 4);
    System.arraycopy(addr(dst, 0).getAddress().getAddress(), 0, p, 16, 4);
    return p;
  }

  static InetSocketAddress addr(String ip, int port) {
    try {
      return new InetSocketAddress(InetAddress.getByName(ip), port);
    } catch (java.net.UnknownHostException e) {
      throw new IllegalArgumentException(e);
    }
  }

  static SecureRandom seeded(long seed) {
    try {
      SecureRandom r = SecureRandom.getInstance("SHA1PRNG");
      r.setSeed(seed);
      return r;
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
