package dev.tessera.agent.crypto;

/**
 * HChaCha20 (draft-irtf-cfrg-xchacha section 2.2): derives a 256-bit subkey from a 256-bit key and
 * a 128-bit nonce by running the 20 ChaCha rounds without the final feed-forward and taking state
 * words 0..3 and 12..15. It is the building block of XChaCha20, which the JDK does not have and
 * which WireGuard needs for cookie replies.
 */
final class HChaCha20 {
  private HChaCha20() {}

  /** Writes the 32-byte subkey for {@code key} and {@code nonce[nOff..nOff+16)} into out. */
  public static void subkey(byte[] key, byte[] nonce, int nOff, byte[] out) {
    int[] s = new int[16];
    s[0] = 0x61707865;
    s[1] = 0x3320646e;
    s[2] = 0x79622d32;
    s[3] = 0x6b206574;
    for (int i = 0; i < 8; i++) {
      s[4 + i] = le32(key, 4 * i);
    }
    for (int i = 0; i < 4; i++) {
      s[12 + i] = le32(nonce, nOff + 4 * i);
    }
    for (int round = 0; round < 10; round++) {
      quarter(s, 0, 4, 8, 12);
      quarter(s, 1, 5, 9, 13);
      quarter(s, 2, 6, 10, 14);
      quarter(s, 3, 7, 11, 15);
      quarter(s, 0, 5, 10, 15);
      quarter(s, 1, 6, 11, 12);
      quarter(s, 2, 7, 8, 13);
      quarter(s, 3, 4, 9, 14);
    }
    for (int i = 0; i < 4; i++) {
      put32(out, 4 * i, s[i]);
      put32(out, 16 + 4 * i, s[12 + i]);
    }
    java.util.Arrays.fill(s, 0);
  }

  private static void quarter(int[] s, int a, int b, int c, int d) {
    s[a] += s[b];
    s[d] = Integer.rotateLeft(s[d] ^ s[a], 16);
    s[c] += s[d];
    s[b] = Integer.rotateLeft(s[b] ^ s[c], 12);
    s[a] += s[b];
    s[d] = Integer.rotateLeft(s[d] ^ s[a], 8);
    s[c] += s[d];
    s[b] = Integer.rotateLeft(s[b] ^ s[c], 7);
  }

  private static int le32(byte[] b, int o) {
    return (b[o] & 0xff)
        | (b[o + 1] & 0xff) << 8
        | (b[o + 2] & 0xff) << 16
        | (b[o + 3] & 0xff) << 24;
  }

  private static void put32(byte[] b, int o, int v) {
    b[o] = (byte) v;
    b[o + 1] = (byte) (v >>> 8);
    b[o + 2] = (byte) (v >>> 16);
    b[o + 3] = (byte) (v >>> 24);
  }
}
