package dev.tessera.agent.it;

import dev.tessera.agent.crypto.Blake2s;
import dev.tessera.agent.crypto.WgKey;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.concurrent.locks.LockSupport;

/**
 * A hostile sender for the flood test, run as a child JVM inside a lab namespace: {@code Flood HOST
 * PORT RESPONDER_PUBKEY_B64 SECONDS RATE garbage|init}.
 *
 * <p>{@code garbage}: random datagrams of random length and type. {@code init}: handshake
 * initiations whose MAC1 is valid (anyone who knows the responder's public key can compute it,
 * WireGuard paper section 5.4.4) but whose contents are random, so the responder must either spend
 * a Diffie-Hellman on each or, under load, answer with a cookie reply. Prints counts of what came
 * back: {@code sent=N replies=M cookies=K}.
 */
public final class Flood {
  private Flood() {}

  public static void main(String[] args) throws Exception {
    InetSocketAddress target = new InetSocketAddress(args[0], Integer.parseInt(args[1]));
    WgKey responder = WgKey.fromBase64(args[2]);
    long seconds = Long.parseLong(args[3]);
    int rate = Integer.parseInt(args[4]);
    boolean init = args[5].equals("init");
    byte[] mac1Key =
        Blake2s.hash("mac1----".getBytes(StandardCharsets.US_ASCII), responder.bytes());
    Random rnd = new Random(42);
    long sent = 0;
    long replies = 0;
    long cookies = 0;
    try (DatagramChannel ch = DatagramChannel.open()) {
      ch.connect(target);
      ch.configureBlocking(false);
      ByteBuffer rx = ByteBuffer.allocate(2048);
      byte[] msg = new byte[148];
      System.out.println("flooding");
      System.out.flush();
      long start = System.nanoTime();
      long end = start + seconds * 1_000_000_000L;
      while (System.nanoTime() < end) {
        // pace: never more than `rate` per second on average
        long due = start + sent * 1_000_000_000L / rate;
        long now = System.nanoTime();
        if (due > now) {
          LockSupport.parkNanos(Math.min(due - now, 5_000_000L));
        }
        ByteBuffer tx;
        if (init) {
          rnd.nextBytes(msg);
          msg[0] = 1;
          msg[1] = 0;
          msg[2] = 0;
          msg[3] = 0;
          Blake2s.mac(mac1Key, msg, 0, 116, msg, 116);
          java.util.Arrays.fill(msg, 132, 148, (byte) 0); // no MAC2: we never have a cookie
          tx = ByteBuffer.wrap(msg);
        } else {
          byte[] g = new byte[rnd.nextInt(200)];
          rnd.nextBytes(g);
          if (g.length > 0) {
            g[0] =
                (byte) rnd.nextInt(6); // include valid-looking types 1..4 with wrong sizes/contents
          }
          tx = ByteBuffer.wrap(g);
        }
        try {
          ch.write(tx);
        } catch (java.net.PortUnreachableException e) {
          // ICMP from an earlier datagram; keep going
        }
        sent++;
        while (true) {
          rx.clear();
          int n;
          try {
            n = ch.read(rx);
          } catch (java.net.PortUnreachableException e) {
            continue;
          }
          if (n <= 0) {
            break;
          }
          replies++;
          if (n == 64 && rx.get(0) == 3) {
            cookies++;
          }
        }
      }
    }
    System.out.println("sent=" + sent + " replies=" + replies + " cookies=" + cookies);
  }
}
