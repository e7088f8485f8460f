package dev.tessera.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.bundle.BundleVerifier;
import dev.tessera.bundle.SigningKey;
import dev.tessera.enforcer.format.CompiledFilter;
import dev.tessera.net.IpPrefix;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Publishing: what is re-signed and woken, when waiters complete, and version order. */
class BundleStoreTest {
  @TempDir Path dir;
  final SigningKey key = SigningKey.fromSeed(new byte[32]);

  static String name(int i) {
    return "n%03d".formatted(i);
  }

  /** Node i's filter; {@code variant} changes its content (its own address). */
  static CompiledFilter filter(int i, int variant) {
    return CompiledFilter.of(
        name(i),
        List.of(IpPrefix.parse("10." + variant + "." + (i / 250) + "." + (i % 250) + "/32")),
        List.of(),
        List.of(),
        List.of());
  }

  static SortedMap<String, CompiledFilter> filters(int n, int[] variants) {
    SortedMap<String, CompiledFilter> m = new TreeMap<>();
    for (int i = 0; i < n; i++) {
      m.put(name(i), filter(i, variants[i]));
    }
    return m;
  }

  BundleVerifier.Verified verify(BundleStore.Entry e, String node, long held) throws Exception {
    return new BundleVerifier(key.publicKey(), node).verify(e.signed(), held);
  }

  @ParameterizedTest(name = "parallel={0}")
  @ValueSource(booleans = {false, true})
  void unchangedNodesAreNeitherResignedNorWoken(boolean parallel) throws Exception {
    int n = 50;
    BundleStore store = new BundleStore(key, dir, parallel);
    int[] variants = new int[n];
    assertThat(store.publish(filters(n, variants), "r1", 1)).hasSize(n);
    assertThat(store.signatureCount()).isEqualTo(n);
    Map<String, BundleStore.Entry> before = new TreeMap<>();
    for (int i = 0; i < n; i++) {
      before.put(name(i), store.get(name(i)));
    }
    Map<String, BundleStore.Entry> woken = new ConcurrentHashMap<>();
    for (int i = 0; i < n; i++) {
      String node = name(i);
      store.await(node, 1, e -> woken.put(node, e));
    }
    // Change every third node.
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < n; i += 3) {
      variants[i] = 1;
      expected.add(name(i));
    }
    List<String> changed = store.publish(filters(n, variants), "r2", 2);

    assertThat(changed).containsExactlyElementsOf(expected);
    assertThat(store.signatureCount()).isEqualTo(n + expected.size());
    assertThat(woken.keySet()).containsExactlyInAnyOrderElementsOf(expected);
    for (int i = 0; i < n; i++) {
      String node = name(i);
      BundleStore.Entry now = store.get(node);
      if (expected.contains(node)) {
        assertThat(now.version()).isEqualTo(2);
        assertThat(now.revision()).isEqualTo("r2");
        assertThat(woken.get(node)).isSameAs(now);
        assertThat(verify(now, node, 1).filter()).isEqualTo(filter(i, 1));
        assertThat(store.waiting(node)).isZero();
      } else {
        // Same object: same bytes, same signature, same version and revision; waiter still waiting.
        assertThat(now).isSameAs(before.get(node));
        assertThat(store.waiting(node)).isEqualTo(1);
      }
    }
    // Recompiling the same content signs nothing and wakes nobody.
    long signed = store.signatureCount();
    assertThat(store.publish(filters(n, variants), "r3", 3)).isEmpty();
    assertThat(store.signatureCount()).isEqualTo(signed);
    assertThat(woken).hasSize(expected.size());
  }

  @Test
  void aWaiterCompletesAsSoonAsItsOwnBundleIsPublished() throws Exception {
    // Sequential signing in node order makes "before the others are signed" exact.
    int n = 100;
    BundleStore store = new BundleStore(key, dir, false);
    int[] variants = new int[n];
    store.publish(filters(n, variants), "r1", 1);
    AtomicBoolean publishReturned = new AtomicBoolean();
    Map<String, Integer> newerWhenWoken = new ConcurrentHashMap<>();
    Map<String, Long> versionWhenWoken = new ConcurrentHashMap<>();
    for (int i = 0; i < n; i++) {
      String node = name(i);
      store.await(
          node,
          1,
          e -> {
            assertThat(publishReturned).isFalse();
            int newer = 0;
            for (int j = 0; j < n; j++) {
              newer += store.get(name(j)).version() == 2 ? 1 : 0;
            }
            newerWhenWoken.put(node, newer);
            versionWhenWoken.put(node, store.get(node).version());
          });
    }
    java.util.Arrays.fill(variants, 1);
    store.publish(filters(n, variants), "r2", 2);
    publishReturned.set(true);

    assertThat(newerWhenWoken).hasSize(n);
    for (int i = 0; i < n; i++) {
      // Node i was woken right after its own bundle, with nodes after it not yet signed.
      assertThat(newerWhenWoken.get(name(i))).as(name(i)).isEqualTo(i + 1);
      assertThat(versionWhenWoken.get(name(i))).isEqualTo(2);
    }
  }

  @ParameterizedTest(name = "parallel={0}")
  @ValueSource(booleans = {false, true})
  void nothingIsServedWhenTheVersionsCannotBePersisted(boolean parallel) throws Exception {
    int n = 30;
    BundleStore store = new BundleStore(key, dir, parallel);
    store.publish(filters(n, new int[n]), "r1", 1);
    List<String> woken = new CopyOnWriteArrayList<>();
    for (int i = 0; i < n; i++) {
      String node = name(i);
      store.await(node, 1, e -> woken.add(node));
    }
    java.nio.file.Files.createDirectory(
        dir.resolve("versions.json.tmp")); // the atomic write now fails
    int[] changed = new int[n];
    java.util.Arrays.fill(changed, 1);
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> store.publish(filters(n, changed), "r2", 2))
        .isInstanceOf(java.io.IOException.class);
    assertThat(woken).isEmpty();
    for (int i = 0; i < n; i++) {
      assertThat(store.get(name(i)).version()).isEqualTo(1);
      assertThat(store.get(name(i)).revision()).isEqualTo("r1");
    }
    java.nio.file.Files.delete(dir.resolve("versions.json.tmp"));
    // Next attempt, one node fewer: versions go to 2 (1 was never exceeded on disk) and the
    // node that left is no longer served.
    SortedMap<String, CompiledFilter> fewer = filters(n, changed);
    fewer.remove(name(0));
    assertThat(store.publish(fewer, "r3", 3)).hasSize(n - 1);
    assertThat(store.get(name(0))).isNull();
    assertThat(woken).hasSize(n - 1);
    for (int i = 1; i < n; i++) {
      assertThat(store.get(name(i)).version()).isEqualTo(2);
    }
  }

  @Test
  void aWaiterRegisteredAfterThePublishIsAnsweredAtOnceAndOnlyOnce() throws Exception {
    BundleStore store = new BundleStore(key, dir);
    store.publish(filters(3, new int[3]), "r1", 1);
    List<Long> got = new CopyOnWriteArrayList<>();
    store.await(name(1), 0, e -> got.add(e.version()));
    assertThat(got).containsExactly(1L);
    store.publish(filters(3, new int[] {1, 1, 1}), "r2", 2);
    assertThat(got).containsExactly(1L);
    Runnable cancel = store.await(name(1), 2, e -> got.add(e.version()));
    cancel.run();
    store.publish(filters(3, new int[] {2, 2, 2}), "r3", 3);
    assertThat(got).containsExactly(1L);
  }

  @Test
  void versionsAreMonotonicUnderConcurrentCompilesAndLongPolls() throws Exception {
    long seed = new Random().nextLong();
    Random random = new Random(seed);
    int n = 40;
    int writers = 4;
    int rounds = 15;
    BundleStore store = new BundleStore(key, dir);
    store.publish(filters(n, new int[n]), "r0", 0);

    // Long-polling "agents": each re-waits with the version it received, like an agent does,
    // and records every version it was handed.
    Map<String, List<Long>> seen = new ConcurrentHashMap<>();
    AtomicInteger violations = new AtomicInteger();
    for (int i = 0; i < n; i++) {
      String node = name(i);
      seen.put(node, new CopyOnWriteArrayList<>(List.of(1L)));
      poll(store, node, 1, seen.get(node), violations);
    }
    int[][] plans = new int[writers][];
    for (int w = 0; w < writers; w++) {
      plans[w] = new int[rounds];
      for (int r = 0; r < rounds; r++) {
        plans[w][r] = random.nextInt(3) + 1; // content variant 1..3 for every node in that round
      }
    }
    CountDownLatch go = new CountDownLatch(1);
    List<Thread> threads = new ArrayList<>();
    List<Throwable> errors = new CopyOnWriteArrayList<>();
    for (int w = 0; w < writers; w++) {
      int id = w;
      Thread t =
          new Thread(
              () -> {
                try {
                  go.await();
                  for (int r = 0; r < rounds; r++) {
                    int[] variants = new int[n];
                    java.util.Arrays.fill(variants, plans[id][r]);
                    store.publish(filters(n, variants), "w" + id + "-" + r, r);
                  }
                } catch (Throwable e) {
                  errors.add(e);
                }
              });
      t.start();
      threads.add(t);
    }
    go.countDown();
    for (Thread t : threads) {
      t.join();
    }
    assertThat(errors).as("seed %d", seed).isEmpty();
    assertThat(violations.get()).as("seed %d: versions handed out of order", seed).isZero();
    for (int i = 0; i < n; i++) {
      String node = name(i);
      BundleStore.Entry last = store.get(node);
      List<Long> versions = seen.get(node);
      assertThat(versions).as("seed %d", seed).isSorted().doesNotHaveDuplicates();
      assertThat(versions.getLast())
          .as("seed %d: the last version reached the poller", seed)
          .isEqualTo(last.version());
      // The final bundle verifies and carries the content that was published last.
      assertThat(verify(last, node, 0).bundle().version()).isEqualTo(last.version());
    }
    // A restarted store continues from the persisted versions: same content keeps the version,
    // new content goes above it.
    BundleStore restarted = new BundleStore(key, dir);
    int[] same = new int[n];
    for (int i = 0; i < n; i++) {
      same[i] = variantOf(store.get(name(i)), i);
    }
    restarted.publish(filters(n, same), "again", 1);
    int[] other = new int[n];
    java.util.Arrays.fill(other, 7);
    for (int i = 0; i < n; i++) {
      assertThat(restarted.get(name(i)).version()).isEqualTo(store.get(name(i)).version());
    }
    restarted.publish(filters(n, other), "newer", 2);
    for (int i = 0; i < n; i++) {
      assertThat(restarted.get(name(i)).version()).isEqualTo(store.get(name(i)).version() + 1);
    }
  }

  private int variantOf(BundleStore.Entry e, int i) throws Exception {
    for (int v = 0; v <= 3; v++) {
      if (verify(e, name(i), 0).filter().equals(filter(i, v))) {
        return v;
      }
    }
    throw new AssertionError("unknown content for " + name(i));
  }

  private static void poll(
      BundleStore store, String node, long held, List<Long> seen, AtomicInteger violations) {
    store.await(
        node,
        held,
        e -> {
          if (e.version() <= held) {
            violations.incrementAndGet();
          }
          seen.add(e.version());
          poll(store, node, e.version(), seen, violations);
        });
  }
}
