package dev.tessera.agent.replay;

/**
 * Sliding-window anti-replay filter for transport counters (RFC 6479), laid out exactly like
 * wireguard-go's {@code replay.Filter}: a ring of 64-bit blocks in which the block holding the
 * newest counter is partly "in the future", so the usable window is {@code (blocks - 1) * 64}
 * counters behind the newest (8128 with wireguard-go's 128 blocks; the Linux module uses the same
 * figure). Older WireGuard descriptions mention a 2048-bit window; the 32-block variant gives that
 * and is only a constructor argument away.
 *
 * <p>Invariant: a counter is accepted at most once, and only if it is below the limit and not more
 * than {@link #windowSize()} behind the newest accepted counter. Counters are unsigned 64-bit.
 *
 * <p>Must be called only after the packet authenticated (otherwise a forged counter could move the
 * window). Not thread-safe by itself: {@link #validate} is synchronized because several receive
 * workers may finish decrypting packets of the same keypair concurrently.
 */
public final class ReplayFilter {
  /** wireguard-go's ring size (1 << 7 blocks of 64 bits). */
  public static final int DEFAULT_BLOCKS = 128;

  private static final int BLOCK_BITS_LOG = 6;
  private static final int BLOCK_BITS = 1 << BLOCK_BITS_LOG;

  private final long[] ring;
  private final int blockMask;
  private final long windowSize;
  private long last;

  public ReplayFilter() {
    this(DEFAULT_BLOCKS);
  }

  /**
   * @param blocks ring size in 64-bit blocks, a power of two of at least 2
   */
  public ReplayFilter(int blocks) {
    if (blocks < 2 || Integer.bitCount(blocks) != 1) {
      throw new IllegalArgumentException("blocks must be a power of two >= 2, got " + blocks);
    }
    this.ring = new long[blocks];
    this.blockMask = blocks - 1;
    this.windowSize = (long) (blocks - 1) * BLOCK_BITS;
  }

  /** How far behind the newest counter a counter may still be accepted. */
  public long windowSize() {
    return windowSize;
  }

  /**
   * Accepts {@code counter} if it is new, marking it seen.
   *
   * @param limit exclusive unsigned upper bound (REJECT_AFTER_MESSAGES)
   * @return true if the counter was not seen before and is within the window
   */
  public synchronized boolean validate(long counter, long limit) {
    if (Long.compareUnsigned(counter, limit) >= 0) {
      return false;
    }
    long indexBlock = counter >>> BLOCK_BITS_LOG;
    if (Long.compareUnsigned(counter, last) > 0) {
      long current = last >>> BLOCK_BITS_LOG;
      long diff = Math.min(indexBlock - current, ring.length);
      for (long i = current + 1; i <= current + diff; i++) {
        ring[(int) (i & blockMask)] = 0;
      }
      last = counter;
    } else if (Long.compareUnsigned(last - counter, windowSize) > 0) {
      return false;
    }
    int block = (int) (indexBlock & blockMask);
    long bit = 1L << (counter & (BLOCK_BITS - 1));
    long old = ring[block];
    ring[block] = old | bit;
    return (old & bit) == 0;
  }

  /** Forgets everything (used when a keypair slot is reused in tests). */
  public synchronized void reset() {
    last = 0;
    java.util.Arrays.fill(ring, 0);
  }
}
