package dev.tessera.agent.noise;

import java.time.Instant;
import java.util.Arrays;

/**
 * TAI64N timestamps for handshake initiations (paper section 5.1): 8 bytes big-endian seconds with
 * the TAI64 label offset 2^62 + 10, then 4 bytes big-endian nanoseconds. As in wireguard-go, the
 * low 24 bits of the nanoseconds are cleared ("whitened", about 16 ms resolution) so that the
 * timestamp does not serve as a precise clock oracle for someone who can trigger initiations.
 * Responders accept an initiation only if its timestamp is strictly greater than the last one
 * accepted from that peer (lexicographic byte comparison).
 */
public final class Tai64n {
  public static final int LENGTH = 12;
  private static final long BASE = 0x400000000000000aL;
  private static final int WHITENER_MASK = 0x1000000 - 1;

  private Tai64n() {}

  public static byte[] stamp(Instant t) {
    byte[] out = new byte[LENGTH];
    long secs = BASE + t.getEpochSecond();
    int nano = t.getNano() & ~WHITENER_MASK;
    for (int i = 0; i < 8; i++) {
      out[i] = (byte) (secs >>> (56 - 8 * i));
    }
    for (int i = 0; i < 4; i++) {
      out[8 + i] = (byte) (nano >>> (24 - 8 * i));
    }
    return out;
  }

  /** {@code t} plus {@code seconds} whole seconds (the nanoseconds are kept). */
  public static byte[] plusSeconds(byte[] t, long seconds) {
    long secs = 0;
    for (int i = 0; i < 8; i++) {
      secs = (secs << 8) | (t[i] & 0xff);
    }
    secs += seconds;
    byte[] out = t.clone();
    for (int i = 0; i < 8; i++) {
      out[i] = (byte) (secs >>> (56 - 8 * i));
    }
    return out;
  }

  /** True if {@code a} is strictly after {@code b}. */
  public static boolean after(byte[] a, byte[] b) {
    return Arrays.compareUnsigned(a, b) > 0;
  }
}
