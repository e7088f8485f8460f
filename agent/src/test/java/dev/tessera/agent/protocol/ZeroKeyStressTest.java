package dev.tessera.agent.protocol;

import static dev.tessera.agent.protocol.TestNet.ipv4;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.agent.crypto.ChaChaPoly;
import dev.tessera.agent.crypto.WgKey;
import dev.tessera.agent.timers.WgConstants;
import dev.tessera.net.IpPrefix;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;

/**
 * Keys are destroyed (zeroed) while other threads seal with them: on rotation (a keypair two
 * handshakes old), on forced expiry and when the zero-key-material timer wipes every session. The
 * threat: a datagram sealed with a key whose bytes were already (partly) overwritten leaves under
 * an all-zero key that anyone can decrypt.
 *
 * <p>Several threads send through device A while another forces rekeys and jumps the clock past the
 * key-wiping deadline. Every transport datagram that reaches the wire is then decrypted offline: it
 * must authenticate under the session key of the keypair it names, and never under the all-zero
 * key.
 */
class ZeroKeyStressTest {
  private static final int SENDERS = 3;
  private static final int TARGET_DATAGRAMS = 60_000;
  private static final long MAX_RUN_NANOS = 20_000_000_000L;

  @Test
  void noDatagramLeavesUnderADestroyedKey() throws Exception {
    AtomicLong clock = new AtomicLong(1_000_000_000_000L);
    long wallBase = Instant.parse("2026-11-26T12:00:00Z").toEpochMilli() * 1_000_000L;
    DeviceOptions options =
        DeviceOptions.defaults()
            .withClocks(clock::get, () -> Instant.ofEpochSecond(0, wallBase + clock.get()));
    WgKey ka = WgKey.generatePrivate(TestNet.seeded(71));
    WgKey kb = WgKey.generatePrivate(TestNet.seeded(72));
    InetSocketAddress addrA = new InetSocketAddress(TestNet.addr("192.0.2.1"), 1);
    InetSocketAddress addrB = new InetSocketAddress(TestNet.addr("192.0.2.2"), 2);
    WireGuardDevice a =
        WireGuardDevice.create(
            ka,
            1,
            List.of(
                new PeerConfig(
                    kb.publicKey(), null, List.of(IpPrefix.parse("10.0.0.2/32")), addrB, 0)),
            options.withRandom(TestNet.seeded(73)));
    WireGuardDevice b =
        WireGuardDevice.create(
            kb,
            2,
            List.of(
                new PeerConfig(
                    ka.publicKey(), null, List.of(IpPrefix.parse("10.0.0.1/32")), addrA, 0)),
            options.withRandom(TestNet.seeded(74)));

    // the send key of every keypair A derives, by the receiver index its datagrams carry
    Map<Integer, byte[]> sendKeys = new ConcurrentHashMap<>();
    a.keypairListenerForTest = kp -> sendKeys.put(kp.remoteIndex(), kp.sendKey().getEncoded());

    ConcurrentLinkedQueue<byte[]> wire = new ConcurrentLinkedQueue<>();
    ConcurrentLinkedQueue<byte[]> toB = new ConcurrentLinkedQueue<>();
    ConcurrentLinkedQueue<byte[]> toA = new ConcurrentLinkedQueue<>();
    LongAdder transportCount = new LongAdder();
    Output outA =
        capture(
            d -> {
              if (d[0] == 4) {
                wire.add(d);
                transportCount.increment();
              } else {
                toB.add(d);
              }
            });
    Output outB =
        capture(
            d -> {
              if (d[0] != 4) {
                toA.add(d);
              }
            });

    AtomicBoolean stop = new AtomicBoolean();
    long deadline = System.nanoTime() + MAX_RUN_NANOS;
    Thread[] threads = new Thread[SENDERS + 2];
    ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
    for (int t = 0; t < SENDERS; t++) {
      int id = t;
      threads[t] =
          new Thread(
              () -> {
                ByteBuffer packet = ByteBuffer.wrap(ipv4("10.0.0.1", "10.0.0.2", 64, id));
                while (!stop.get()) {
                  a.onTunPacket(packet, outA);
                }
              },
              "sender-" + t);
    }
    // the network: handshake messages both ways
    threads[SENDERS] =
        new Thread(
            () -> {
              while (!stop.get()) {
                byte[] m;
                while ((m = toB.poll()) != null) {
                  b.onDatagram(ByteBuffer.wrap(m), addrA, outB);
                }
                while ((m = toA.poll()) != null) {
                  a.onDatagram(ByteBuffer.wrap(m), addrB, outA);
                }
                Thread.onSpinWait();
              }
            },
            "network");
    // rekeys and expiry: forced expiry, rotation, and the zero-key-material deadline passing
    threads[SENDERS + 1] =
        new Thread(
            () -> {
              Peer peerOfA = a.peer(kb.publicKey()).orElseThrow();
              long round = 0;
              while (!stop.get()) {
                long before = transportCount.sum();
                long waitUntil = System.nanoTime() + 2_000_000L;
                while (!stop.get()
                    && transportCount.sum() - before < 20
                    && System.nanoTime() - waitUntil < 0) {
                  Thread.onSpinWait();
                }
                clock.addAndGet(WgConstants.REKEY_TIMEOUT + 1_000_000L);
                if (++round % 8 == 0) {
                  clock.addAndGet(WgConstants.REJECT_AFTER_TIME * 3);
                } else {
                  peerOfA.expireCurrentKeypairs();
                }
                a.onTimer(outA); // wipes expired sessions, retransmits a lost initiation
                if (transportCount.sum() >= TARGET_DATAGRAMS || System.nanoTime() - deadline > 0) {
                  stop.set(true);
                }
              }
            },
            "rekey");
    for (Thread t : threads) {
      t.setUncaughtExceptionHandler(
          (th, e) -> {
            failures.add(e);
            stop.set(true);
          });
      t.start();
    }
    for (Thread t : threads) {
      t.join();
    }
    assertThat(failures).isEmpty();

    byte[] zeroKey = new byte[32];
    long total = 0;
    long underZeroKey = 0;
    long notUnderSessionKey = 0;
    for (byte[] d : wire) {
      total++;
      ByteBuffer h = ByteBuffer.wrap(d).order(ByteOrder.LITTLE_ENDIAN);
      int receiver = h.getInt(4);
      long counter = h.getLong(8);
      if (ChaChaPoly.open(zeroKey, counter, d, 16, d.length - 16, null) != null) {
        underZeroKey++;
        continue;
      }
      byte[] key = sendKeys.get(receiver);
      if (key == null || ChaChaPoly.open(key, counter, d, 16, d.length - 16, null) == null) {
        notUnderSessionKey++;
      }
    }
    System.out.printf(
        "zero-key stress: %d datagrams on the wire, %d keypairs, %d sealed under the"
            + " all-zero key, %d not under their session key%n",
        total, sendKeys.size(), underZeroKey, notUnderSessionKey);
    assertThat(sendKeys.size()).as("keypairs derived (rekeys happened)").isGreaterThan(20);
    assertThat(total).as("datagrams sent").isGreaterThan(10_000);
    assertThat(underZeroKey).as("datagrams sealed under the all-zero key").isZero();
    assertThat(notUnderSessionKey).as("datagrams not sealed under their session key").isZero();
  }

  interface Sink {
    void accept(byte[] datagram);
  }

  private static Output capture(Sink sink) {
    return new Output() {
      @Override
      public void sendDatagram(ByteBuffer d, InetSocketAddress to) {
        byte[] c = new byte[d.remaining()];
        d.get(d.position(), c);
        sink.accept(c);
      }

      @Override
      public void deliverToTun(ByteBuffer p, Peer from) {}
    };
  }
}
