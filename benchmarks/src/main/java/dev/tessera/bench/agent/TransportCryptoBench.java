package dev.tessera.bench.agent;

import dev.tessera.agent.crypto.ChaChaPoly;
import dev.tessera.agent.crypto.WgKey;
import dev.tessera.agent.protocol.DeviceOptions;
import dev.tessera.agent.protocol.Output;
import dev.tessera.agent.protocol.Peer;
import dev.tessera.agent.protocol.PeerConfig;
import dev.tessera.agent.protocol.WireGuardDevice;
import dev.tessera.net.IpPrefix;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.crypto.SecretKey;
import org.bouncycastle.crypto.modes.ChaCha20Poly1305;
import org.bouncycastle.crypto.params.AEADParameters;
import org.bouncycastle.crypto.params.KeyParameter;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * WireGuard transport encryption/decryption of 1420-byte packets (a full 1420-MTU tunnel packet).
 *
 * <ul>
 *   <li>{@code jdkSeal}/{@code jdkOpen}: the data-path primitive (JDK ChaCha20-Poly1305 with
 *       WireGuard's nonce and padding) on one key;
 *   <li>{@code bcSeal}: baseline, BouncyCastle's pure-Java ChaCha20-Poly1305 on the same input;
 *   <li>{@code deviceEncrypt}: {@link WireGuardDevice#onTunPacket} end to end (routing trie,
 *       keypair, header, encryption, timer bookkeeping);
 *   <li>{@code deviceRoundTrip}: device A encrypts, device B decrypts, checks the replay window and
 *       allowed IPs and delivers — the whole per-packet protocol cost of both directions.
 * </ul>
 *
 * Throughput in GB/s = 1420 / (ns/op). Run: {@code java -jar ... TransportCryptoBench}, or see the
 * agent README for the exact command.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
@State(Scope.Thread)
public class TransportCryptoBench {
  static final int SIZE = 1420;

  @Param({"heap", "direct"})
  public String buffers;

  ByteBuffer packet;
  ByteBuffer out;
  ByteBuffer plain;
  ByteBuffer ciphertext;
  SecretKey key;
  byte[] rawKey;
  long counter;
  ChaCha20Poly1305 bc;
  byte[] bcOut;
  byte[] packetArray;

  WireGuardDevice a;
  WireGuardDevice b;
  final Capture toB = new Capture();
  final Capture atB = new Capture();

  /** Captures the datagram in a reusable buffer (one copy, like handing it to a socket). */
  static final class Capture implements Output {
    final ByteBuffer last = ByteBuffer.allocateDirect(65536);
    InetSocketAddress from;
    int delivered;

    @Override
    public void sendDatagram(ByteBuffer datagram, InetSocketAddress to) {
      last.clear();
      last.put(datagram.duplicate()).flip();
    }

    @Override
    public void deliverToTun(ByteBuffer ipPacket, Peer peer) {
      delivered += ipPacket.remaining();
    }
  }

  private ByteBuffer alloc(int n) {
    return buffers.equals("direct") ? ByteBuffer.allocateDirect(n) : ByteBuffer.allocate(n);
  }

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    SecureRandom rnd = new SecureRandom();
    packetArray = ipv4("10.0.0.1", "10.0.0.2", SIZE);
    packet = alloc(SIZE).put(packetArray).flip();
    out = alloc(SIZE + 64);
    plain = alloc(SIZE + 64);
    rawKey = new byte[32];
    rnd.nextBytes(rawKey);
    key = ChaChaPoly.key(rawKey);
    ByteBuffer ct = ByteBuffer.allocate(SIZE + 64);
    ChaChaPoly.sealPadded(key, 1, packet, 0, ct);
    ct.flip();
    ciphertext = alloc(ct.remaining()).put(ct).flip();
    bc = new ChaCha20Poly1305();
    bcOut = new byte[SIZE + 16];

    // two devices back to back, session established
    WgKey ka = WgKey.generatePrivate(rnd);
    WgKey kb = WgKey.generatePrivate(rnd);
    InetSocketAddress ea = new InetSocketAddress(InetAddress.getByName("192.0.2.1"), 1);
    InetSocketAddress eb = new InetSocketAddress(InetAddress.getByName("192.0.2.2"), 2);
    a =
        WireGuardDevice.create(
            ka,
            1,
            List.of(
                new PeerConfig(
                    kb.publicKey(), null, List.of(IpPrefix.parse("10.0.0.2/32")), eb, 0)),
            DeviceOptions.defaults());
    b =
        WireGuardDevice.create(
            kb,
            2,
            List.of(
                new PeerConfig(
                    ka.publicKey(), null, List.of(IpPrefix.parse("10.0.0.1/32")), ea, 0)),
            DeviceOptions.defaults());
    Capture toA = new Capture();
    a.onTunPacket(packet, toB); // initiation
    b.onDatagram(toB.last, ea, toA); // response
    a.onDatagram(toA.last, eb, toB); // staged data
    b.onDatagram(toB.last, ea, atB);
    if (atB.delivered != SIZE) {
      throw new IllegalStateException("handshake in benchmark setup failed: " + b.dropCounts());
    }
  }

  @Benchmark
  public int jdkSeal() {
    out.clear();
    return ChaChaPoly.sealPadded(key, counter++, packet, 4, out);
  }

  @Benchmark
  public int jdkOpen() {
    plain.clear();
    return ChaChaPoly.openTransport(key, 1, ciphertext, plain);
  }

  @Benchmark
  public int bcSeal() throws Exception {
    bc.init(true, new AEADParameters(new KeyParameter(rawKey), 128, ChaChaPoly.nonce(counter++)));
    int n = bc.processBytes(packetArray, 0, SIZE, bcOut, 0);
    return n + bc.doFinal(bcOut, n);
  }

  @Benchmark
  public int deviceEncrypt() {
    a.onTunPacket(packet, toB);
    return toB.last.remaining();
  }

  @Benchmark
  public void deviceRoundTrip(Blackhole bh) {
    a.onTunPacket(packet, toB);
    b.onDatagram(toB.last, toB.from == null ? FROM_A : toB.from, atB);
    bh.consume(atB.delivered);
  }

  static final InetSocketAddress FROM_A = new InetSocketAddress(addr("192.0.2.1"), 1);

  static InetAddress addr(String s) {
    try {
      return InetAddress.getByName(s);
    } catch (java.net.UnknownHostException e) {
      throw new IllegalStateException(e);
    }
  }

  static byte[] ipv4(String src, String dst, int total) {
    ByteBuffer b = ByteBuffer.allocate(total);
    b.put((byte) 0x45)
        .put((byte) 0)
        .putShort((short) total)
        .putInt(0)
        .put((byte) 64)
        .put((byte) 17)
        .putShort((short) 0)
        .put(addr(src).getAddress())
        .put(addr(dst).getAddress());
    while (b.hasRemaining()) {
      b.put((byte) b.position());
    }
    return b.array();
  }
}
