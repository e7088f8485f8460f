package dev.tessera.agent.cookie;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Per-source token bucket for handshake messages while under load (wireguard-go {@code
 * ratelimiter}: 20 per second with a burst of 5). Memory is bounded: at most {@code maxEntries}
 * sources are tracked, least-recently-used evicted first, so a spoofed-source flood cannot grow the
 * table. A source that was evicted simply starts with a full bucket again, which errs toward
 * serving it; MAC2 cookies (which require a round trip) are the primary defence.
 */
public final class RateLimiter {
  private final long nanosPerToken;
  private final long maxTokens;
  private final Map<Key, long[]> buckets;

  private record Key(long hi, long lo) {}

  public RateLimiter(int perSecond, int burst, int maxEntries) {
    this.nanosPerToken = 1_000_000_000L / perSecond;
    this.maxTokens = nanosPerToken * burst;
    this.buckets =
        new LinkedHashMap<>(256, 0.75f, true) {
          @Override
          protected boolean removeEldestEntry(Map.Entry<Key, long[]> eldest) {
            return size() > maxEntries;
          }
        };
  }

  /** Whether a handshake from {@code address} (4 or 16 bytes) is allowed at {@code now}. */
  public synchronized boolean allow(byte[] address, long now) {
    long hi = 0;
    long lo = 0;
    for (int i = 0; i < address.length; i++) {
      if (i < 8) {
        hi = hi << 8 | (address[i] & 0xff);
      } else {
        lo = lo << 8 | (address[i] & 0xff);
      }
    }
    if (address.length == 4) {
      lo = -1; // keep IPv4 keys disjoint from IPv6 ones
    }
    long[] b = buckets.get(new Key(hi, lo));
    if (b == null) {
      buckets.put(new Key(hi, lo), new long[] {maxTokens - nanosPerToken, now});
      return true;
    }
    long tokens = Math.min(maxTokens, b[0] + (now - b[1]));
    b[1] = now;
    if (tokens >= nanosPerToken) {
      b[0] = tokens - nanosPerToken;
      return true;
    }
    b[0] = tokens;
    return false;
  }
}
