package dev.tessera.agent.protocol;

import dev.tessera.agent.crypto.WgKey;
import dev.tessera.net.IpPrefix;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An in-memory network of {@link WireGuardDevice}s with one fake clock: datagrams a device sends
 * are queued and delivered by {@link #pump()}, so tests are deterministic and never sleep.
 */
final class TestNet {
  /** Fake monotonic and wall clock; starts at an arbitrary nonzero time. */
  long nanos = 1_000_000_000_000L;

  final long wallBase = Instant.parse("2026-11-26T12:00:00Z").toEpochMilli() * 1_000_000L;
  final Map<InetSocketAddress, Node> byAddress = new LinkedHashMap<>();
  final ArrayDeque<Sent> inFlight = new ArrayDeque<>();

  /** When false, datagrams are captured in {@link #inFlight} but pump() does nothing. */
  boolean deliver = true;

  record Sent(Node from, InetSocketAddress fromAddr, InetSocketAddress to, byte[] bytes) {}

  final class Node implements Output {
    final String name;
    final WireGuardDevice dev;
    final WgKey privateKey;
    final WgKey publicKey;
    InetSocketAddress addr;
    final List<byte[]> delivered = new ArrayList<>();
    final List<Peer> deliveredFrom = new ArrayList<>();
    final List<Sent> sent = new ArrayList<>();
    final Map<DropReason, Integer> dropEvents = new EnumMap<>(DropReason.class);

    Node(String name, InetSocketAddress addr, long seed) {
      this.name = name;
      this.addr = addr;
      SecureRandom rnd = seeded(seed);
      // the wall clock follows the fake monotonic clock, so TAI64N timestamps increase with it
      this.dev =
          new WireGuardDevice(
              DeviceOptions.defaults()
                  .withClocks(() -> nanos, () -> Instant.ofEpochSecond(0, wallBase + nanos))
                  .withRandom(seeded(seed + 1000)));
      this.privateKey = WgKey.generatePrivate(rnd);
      this.publicKey = privateKey.publicKey();
      dev.setPrivateKey(privateKey);
      dev.setListenPort(addr.getPort());
    }

    @Override
    public void sendDatagram(ByteBuffer datagram, InetSocketAddress to) {
      byte[] b = new byte[datagram.remaining()];
      datagram.get(datagram.position(), b);
      Sent s = new Sent(this, addr, to, b);
      sent.add(s);
      inFlight.add(s);
    }

    @Override
    public void deliverToTun(ByteBuffer ipPacket, Peer from) {
      byte[] b = new byte[ipPacket.remaining()];
      ipPacket.get(ipPacket.position(), b);
      delivered.add(b);
      deliveredFrom.add(from);
    }

    @Override
    public void dropped(DropReason reason, Peer peer) {
      dropEvents.merge(reason, 1, Integer::sum);
    }

    Peer peer(Node other) {
      return dev.peer(other.publicKey).orElseThrow();
    }

    void tun(byte[] ipPacket) {
      dev.onTunPacket(ByteBuffer.wrap(ipPacket), this);
    }

    void timer() {
      dev.onTimer(this);
    }

    long transportSent() {
      return sent.stream().filter(s -> s.bytes()[0] == 4).count();
    }

    long sentOfType(int type) {
      return sent.stream().filter(s -> s.bytes()[0] == type).count();
    }

    @Override
    public String toString() {
      return name;
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

  Node node(String name, String ip, int port, long seed) {
    Node n = new Node(name, new InetSocketAddress(addr(ip), port), seed);
    byAddress.put(n.addr, n);
    return n;
  }

  /** Moves a node to a new UDP address (roaming). */
  void move(Node n, InetSocketAddress to) {
    byAddress.remove(n.addr);
    n.addr = to;
    byAddress.put(to, n);
  }

  static InetAddress addr(String ip) {
    try {
      return InetAddress.getByName(ip);
    } catch (java.net.UnknownHostException e) {
      throw new IllegalArgumentException(e);
    }
  }

  /** Makes {@code a} and {@code b} peers: each routes {@code bTunnelIp}/{@code aTunnelIp}. */
  void connect(Node a, String aTunnelPrefix, Node b, String bTunnelPrefix, WgKey psk) {
    a.dev.upsertPeer(
        new PeerConfig(b.publicKey, psk, List.of(IpPrefix.parse(bTunnelPrefix)), b.addr, 0));
    b.dev.upsertPeer(
        new PeerConfig(a.publicKey, psk, List.of(IpPrefix.parse(aTunnelPrefix)), a.addr, 0));
  }

  /** Delivers queued datagrams (and any they cause) until none are left. */
  int pump() {
    int n = 0;
    while (deliver && !inFlight.isEmpty()) {
      Sent s = inFlight.poll();
      Node dst = byAddress.get(s.to());
      if (dst != null) {
        dst.dev.onDatagram(ByteBuffer.wrap(s.bytes()), s.fromAddr(), dst);
      }
      if (++n > 100_000) {
        throw new AssertionError("datagram storm");
      }
    }
    return n;
  }

  void advanceMillis(long ms) {
    nanos += ms * 1_000_000L;
  }

  void advanceSeconds(double s) {
    nanos += (long) (s * 1e9);
  }

  /** Advances time in small steps, firing every node's timers and pumping at each step. */
  void runFor(double seconds, double stepSeconds) {
    long end = nanos + (long) (seconds * 1e9);
    while (nanos - end < 0) {
      advanceSeconds(stepSeconds);
      for (Node n : List.copyOf(byAddress.values())) {
        n.timer();
      }
      pump();
    }
  }

  // ------------------------------------------------------------------ packets

  /** A minimal IPv4/UDP-ish packet (protocol 17) with {@code payloadLen} bytes of payload. */
  static byte[] ipv4(String src, String dst, int payloadLen, int marker) {
    int total = 20 + 8 + payloadLen;
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
    b.putShort((short) 1234)
        .putShort((short) 5678)
        .putShort((short) (8 + payloadLen))
        .putShort((short) 0);
    for (int i = 0; i < payloadLen; i++) {
      b.put((byte) (marker + i));
    }
    return b.array();
  }

  static byte[] ipv6(String src, String dst, int payloadLen, int marker) {
    ByteBuffer b = ByteBuffer.allocate(40 + payloadLen);
    b.putInt(0x60000000)
        .putShort((short) payloadLen)
        .put((byte) 17)
        .put((byte) 64)
        .put(addr(src).getAddress())
        .put(addr(dst).getAddress());
    for (int i = 0; i < payloadLen; i++) {
      b.put((byte) (marker + i));
    }
    return b.array();
  }
}
