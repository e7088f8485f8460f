package dev.tessera.enforcer.conntrack;

import java.security.SecureRandom;

/**
 * SipHash-1-3 (Aumasson and Bernstein; the variant Linux, Rust and Python use for hash tables) over
 * a flow key of five longs, keyed by 128 random bits drawn once per table. Unkeyed, a peer that
 * knows the hash can aim its flows at one bucket window and push out the flows there; with a secret
 * key it cannot predict where its flows land (Linux keys conntrack the same way, {@code
 * nf_conntrack_hash_rnd}). Primitive arithmetic only: nothing is allocated.
 */
public final class FlowHash {
  private final long k0;
  private final long k1;

  /** A hash with a fresh random key. */
  public FlowHash() {
    SecureRandom r = new SecureRandom();
    this.k0 = r.nextLong();
    this.k1 = r.nextLong();
  }

  /** A hash with a given key (tests). */
  public FlowHash(long k0, long k1) {
    this.k0 = k0;
    this.k1 = k1;
  }

  /** 32-bit keyed hash of the five words, never 0 (0 marks a free slot). */
  public int hash(long m0, long m1, long m2, long m3, long m4) {
    long v0 = k0 ^ 0x736f6d6570736575L;
    long v1 = k1 ^ 0x646f72616e646f6dL;
    long v2 = k0 ^ 0x6c7967656e657261L;
    long v3 = k1 ^ 0x7465646279746573L;
    // one compression round per word, the last word being the length (40 bytes, no tail)
    for (int i = 0; i < 6; i++) {
      long m =
          switch (i) {
            case 0 -> m0;
            case 1 -> m1;
            case 2 -> m2;
            case 3 -> m3;
            case 4 -> m4;
            default -> 40L << 56;
          };
      v3 ^= m;
      v0 += v1;
      v1 = Long.rotateLeft(v1, 13);
      v1 ^= v0;
      v0 = Long.rotateLeft(v0, 32);
      v2 += v3;
      v3 = Long.rotateLeft(v3, 16);
      v3 ^= v2;
      v0 += v3;
      v3 = Long.rotateLeft(v3, 21);
      v3 ^= v0;
      v2 += v1;
      v1 = Long.rotateLeft(v1, 17);
      v1 ^= v2;
      v2 = Long.rotateLeft(v2, 32);
      v0 ^= m;
    }
    v2 ^= 0xff;
    for (int i = 0; i < 3; i++) { // three finalization rounds
      v0 += v1;
      v1 = Long.rotateLeft(v1, 13);
      v1 ^= v0;
      v0 = Long.rotateLeft(v0, 32);
      v2 += v3;
      v3 = Long.rotateLeft(v3, 16);
      v3 ^= v2;
      v0 += v3;
      v3 = Long.rotateLeft(v3, 21);
      v3 ^= v0;
      v2 += v1;
      v1 = Long.rotateLeft(v1, 17);
      v1 ^= v2;
      v2 = Long.rotateLeft(v2, 32);
    }
    long h = v0 ^ v1 ^ v2 ^ v3;
    int x = (int) (h ^ (h >>> 32));
    return x == 0 ? 1 : x;
  }
}
