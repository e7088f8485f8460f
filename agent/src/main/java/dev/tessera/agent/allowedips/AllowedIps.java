package dev.tessera.agent.allowedips;

import dev.tessera.net.IpPrefix;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Cryptokey routing table (paper section 2, wireguard-go {@code allowedips.go}): maps IPv4 and IPv6
 * prefixes to their owner (a peer) with longest-prefix match. Each prefix has exactly one owner;
 * inserting a prefix another owner holds moves it, as {@code wg set ... allowed-ips} does.
 *
 * <p>Design: writers (config, UAPI) are rare and serialized by a lock; they edit an ordered map and
 * then publish a freshly built immutable binary trie through a volatile field. Readers (every
 * packet, from any number of threads) do one volatile read and walk at most 32 or 128 nodes with no
 * locking and no allocation. Rebuilding costs O(total prefix bits), which is negligible next to a
 * handshake.
 *
 * @param <T> owner type (compared by identity)
 */
public final class AllowedIps<T> {
  private final Object lock = new Object();
  private final Map<IpPrefix, T> entries = new LinkedHashMap<>();
  private volatile Trie<T> v4 = new Trie<>(null);
  private volatile Trie<T> v6 = new Trie<>(null);

  /** Assigns {@code prefix} to {@code owner}, taking it from any previous owner. */
  public void insert(IpPrefix prefix, T owner) {
    Objects.requireNonNull(owner);
    synchronized (lock) {
      entries.remove(prefix); // re-insertion moves it to the end of the owner's list
      entries.put(prefix, owner);
      rebuild(!prefix.ipv6());
    }
  }

  /** Removes {@code prefix} if {@code owner} holds it; returns whether it did. */
  public boolean remove(IpPrefix prefix, T owner) {
    synchronized (lock) {
      if (entries.get(prefix) != owner) {
        return false;
      }
      entries.remove(prefix);
      rebuild(!prefix.ipv6());
      return true;
    }
  }

  /** Removes every prefix of {@code owner}. */
  public void removeAll(T owner) {
    synchronized (lock) {
      if (entries.values().removeIf(o -> o == owner)) {
        rebuild(true);
        rebuild(false);
      }
    }
  }

  /** Replaces all prefixes of {@code owner} with {@code prefixes} in one published step. */
  public void replaceAll(T owner, List<IpPrefix> prefixes) {
    synchronized (lock) {
      entries.values().removeIf(o -> o == owner);
      for (IpPrefix p : prefixes) {
        entries.remove(p);
        entries.put(p, owner);
      }
      rebuild(true);
      rebuild(false);
    }
  }

  /** The prefixes {@code owner} holds, in insertion order. */
  public List<IpPrefix> prefixesOf(T owner) {
    synchronized (lock) {
      List<IpPrefix> out = new ArrayList<>();
      entries.forEach(
          (p, o) -> {
            if (o == owner) {
              out.add(p);
            }
          });
      return List.copyOf(out);
    }
  }

  /** Longest-prefix match of an IPv4 address given as a big-endian int. */
  public T lookupV4(int address) {
    return v4.lookup(address & 0xffffffffL, 0, 32);
  }

  /** Longest-prefix match of an IPv6 address given as two big-endian longs. */
  public T lookupV6(long high, long low) {
    return v6.lookup(high, low, 128);
  }

  /**
   * Longest-prefix match of the address at {@code buf[offset..]} (4 bytes if {@code ipv4}, else
   * 16), read with absolute gets so the buffer's position is untouched.
   */
  public T lookup(ByteBuffer buf, int offset, boolean ipv4) {
    boolean be = buf.order() == java.nio.ByteOrder.BIG_ENDIAN;
    if (ipv4) {
      int v = buf.getInt(offset);
      return lookupV4(be ? v : Integer.reverseBytes(v));
    }
    long hi = buf.getLong(offset);
    long lo = buf.getLong(offset + 8);
    return be ? lookupV6(hi, lo) : lookupV6(Long.reverseBytes(hi), Long.reverseBytes(lo));
  }

  private void rebuild(boolean ipv4) {
    Node<T> root = new Node<>();
    for (Map.Entry<IpPrefix, T> e : entries.entrySet()) {
      IpPrefix p = e.getKey();
      if (p.ipv6() == ipv4) {
        continue;
      }
      byte[] a = p.address().toBytes();
      Node<T> n = root;
      for (int i = 0; i < p.bits(); i++) {
        int bit = (a[i >>> 3] >>> (7 - (i & 7))) & 1;
        if (n.child[bit] == null) {
          n.child[bit] = new Node<>();
        }
        n = n.child[bit];
      }
      n.owner = e.getValue();
    }
    if (ipv4) {
      v4 = new Trie<>(root);
    } else {
      v6 = new Trie<>(root);
    }
  }

  /** A node of the unibit trie; immutable once published. */
  private static final class Node<T> {
    @SuppressWarnings("unchecked")
    final Node<T>[] child = new Node[2];

    T owner;
  }

  private record Trie<T>(Node<T> root) {
    /**
     * Walks the address bits from the most significant; {@code high} holds the first 64 bits (for
     * IPv4 the 32 address bits sit in the low half of {@code high}).
     */
    T lookup(long high, long low, int width) {
      Node<T> n = root;
      T best = null;
      int i = 0;
      while (n != null) {
        if (n.owner != null) {
          best = n.owner;
        }
        if (i == width) {
          break;
        }
        int bit;
        if (width == 32) {
          bit = (int) (high >>> (31 - i)) & 1;
        } else if (i < 64) {
          bit = (int) (high >>> (63 - i)) & 1;
        } else {
          bit = (int) (low >>> (127 - i)) & 1;
        }
        n = n.child[bit];
        i++;
      }
      return best;
    }
  }
}
