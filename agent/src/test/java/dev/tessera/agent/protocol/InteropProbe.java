package dev.tessera.agent.protocol;

import dev.tessera.agent.crypto.WgKey;
import dev.tessera.agent.noise.Keypair;
import dev.tessera.net.IpPrefix;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * A minimal UDP shell around {@link WireGuardDevice}, run as a child JVM inside a network namespace
 * by {@link WireGuardGoInteropTest}: it speaks to a stock wireguard-go over a real UDP socket, with
 * ICMP echo packets synthesised here instead of a TUN device. Exit code 0 = success; the last line
 * of output says what happened.
 *
 * <p>Args: ourPrivateKeyB64 peerPublicKeyB64 bindIp bindPort peerIp peerPort ourTunnelIp
 * peerTunnelIp mode, where mode is {@code initiate} (we ping the peer, force key expiry, ping again
 * over a new session) or {@code respond} (the peer pings us; we answer three echoes).
 */
public final class InteropProbe implements Output {
  private final WireGuardDevice dev;
  private final DatagramSocket socket;
  private final List<byte[]> fromTun = new ArrayList<>();

  InteropProbe(WireGuardDevice dev, DatagramSocket socket) {
    this.dev = dev;
    this.socket = socket;
  }

  @Override
  public void sendDatagram(ByteBuffer datagram, InetSocketAddress to) {
    byte[] b = new byte[datagram.remaining()];
    datagram.get(datagram.position(), b);
    try {
      socket.send(new DatagramPacket(b, b.length, to));
    } catch (java.io.IOException e) {
      System.out.println("send failed: " + e);
    }
  }

  @Override
  public void deliverToTun(ByteBuffer ipPacket, Peer from) {
    byte[] b = new byte[ipPacket.remaining()];
    ipPacket.get(ipPacket.position(), b);
    fromTun.add(b);
  }

  /** Runs the receive loop until a packet satisfying {@code want} was delivered or timeout. */
  byte[] await(java.util.function.Predicate<byte[]> want, long timeoutMs) throws Exception {
    long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
    byte[] buf = new byte[65535];
    while (System.nanoTime() < deadline) {
      for (byte[] p : fromTun) {
        if (want.test(p)) {
          fromTun.remove(p);
          return p;
        }
      }
      DatagramPacket pkt = new DatagramPacket(buf, buf.length);
      try {
        socket.receive(pkt);
        dev.onDatagram(
            ByteBuffer.wrap(buf, 0, pkt.getLength()),
            (InetSocketAddress) pkt.getSocketAddress(),
            this);
      } catch (SocketTimeoutException e) {
        // fall through to timers
      }
      dev.onTimer(this);
    }
    return null;
  }

  static byte[] icmpEcho(
      boolean request, InetAddress src, InetAddress dst, int id, int seq, byte[] data) {
    int total = 20 + 8 + data.length;
    ByteBuffer b = ByteBuffer.allocate(total);
    b.put((byte) 0x45)
        .put((byte) 0)
        .putShort((short) total)
        .putShort((short) seq)
        .putShort((short) 0x4000)
        .put((byte) 64)
        .put((byte) 1)
        .putShort((short) 0)
        .put(src.getAddress())
        .put(dst.getAddress());
    b.putShort(10, checksum(b.array(), 0, 20));
    b.put((byte) (request ? 8 : 0))
        .put((byte) 0)
        .putShort((short) 0)
        .putShort((short) id)
        .putShort((short) seq)
        .put(data);
    b.putShort(22, checksum(b.array(), 20, 8 + data.length));
    return b.array();
  }

  static short checksum(byte[] b, int off, int len) {
    long sum = 0;
    for (int i = 0; i < len; i += 2) {
      int hi = b[off + i] & 0xff;
      int lo = i + 1 < len ? b[off + i + 1] & 0xff : 0;
      sum += (hi << 8) | lo;
    }
    while ((sum >> 16) != 0) {
      sum = (sum & 0xffff) + (sum >> 16);
    }
    return (short) ~sum;
  }

  static boolean isIcmp(byte[] p, int type) {
    return p.length >= 28 && (p[0] >> 4) == 4 && p[9] == 1 && (p[20] & 0xff) == type;
  }

  public static void main(String[] args) throws Exception {
    WgKey priv = WgKey.fromBase64(args[0]);
    WgKey peerPub = WgKey.fromBase64(args[1]);
    InetSocketAddress bind =
        new InetSocketAddress(InetAddress.getByName(args[2]), Integer.parseInt(args[3]));
    InetSocketAddress peerEp =
        new InetSocketAddress(InetAddress.getByName(args[4]), Integer.parseInt(args[5]));
    InetAddress ourIp = InetAddress.getByName(args[6]);
    InetAddress peerIp = InetAddress.getByName(args[7]);
    String mode = args[8];
    WireGuardDevice dev =
        WireGuardDevice.create(
            priv,
            bind.getPort(),
            List.of(
                new PeerConfig(
                    peerPub,
                    null,
                    List.of(IpPrefix.parse(peerIp.getHostAddress() + "/32")),
                    mode.equals("initiate") ? peerEp : null,
                    0)),
            DeviceOptions.defaults());
    Peer peer = dev.peer(peerPub).orElseThrow();
    try (DatagramSocket socket = new DatagramSocket(bind)) {
      socket.setSoTimeout(100);
      InteropProbe probe = new InteropProbe(dev, socket);
      System.out.println("READY"); // bound: the peer may start
      System.out.flush();
      if (mode.equals("initiate")) {
        Keypair firstSession = null;
        for (int round = 1; round <= 2; round++) {
          byte[] data = ("tessera-interop-" + round).getBytes();
          dev.onTunPacket(
              ByteBuffer.wrap(icmpEcho(true, ourIp, peerIp, 0x7e55, round, data)), probe);
          final int seq = round;
          byte[] reply =
              probe.await(
                  p -> isIcmp(p, 0) && (((p[26] & 0xff) << 8) | (p[27] & 0xff)) == seq, 10_000);
          if (reply == null) {
            System.out.println(
                "FAIL no echo reply in round " + round + "; drops " + dev.dropCounts());
            System.exit(1);
          }
          System.out.println("echo reply round " + round + " ok");
          if (round == 2 && peer.currentKeypair() == firstSession) {
            System.out.println("FAIL round 2 did not use a new session");
            System.exit(1);
          }
          if (round == 1) {
            Keypair before = peer.currentKeypair();
            firstSession = before;
            peer.expireCurrentKeypairs();
            Thread.sleep(50); // a later TAI64N timestamp
            probe.await(p -> false, 10); // keep timers ticking
            if (before == null) {
              System.out.println("FAIL no keypair after round 1");
              System.exit(1);
            }
          }
        }
        System.out.println("OK initiate (2 sessions): " + peer.status());
      } else {
        for (int i = 0; i < 3; i++) {
          byte[] req = probe.await(p -> isIcmp(p, 8), 15_000);
          if (req == null) {
            System.out.println("FAIL no echo request; drops " + dev.dropCounts());
            System.exit(1);
          }
          int id = ((req[24] & 0xff) << 8) | (req[25] & 0xff);
          int seq = ((req[26] & 0xff) << 8) | (req[27] & 0xff);
          byte[] data = java.util.Arrays.copyOfRange(req, 28, req.length);
          dev.onTunPacket(ByteBuffer.wrap(icmpEcho(false, ourIp, peerIp, id, seq, data)), probe);
          System.out.println("answered echo seq " + seq);
        }
        probe.await(p -> false, 500);
        System.out.println("OK respond: " + peer.status());
      }
    }
    System.exit(0);
  }
}
