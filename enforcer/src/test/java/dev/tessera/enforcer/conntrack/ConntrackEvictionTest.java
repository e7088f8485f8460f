package dev.tessera.enforcer.conntrack;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.enforcer.conntrack.ConntrackTable.Eviction;
import java.util.EnumMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Each way {@link ConntrackTable#insert} makes room (or refuses to) is counted under its own kind.
 * Every key here has the same hash, so all compete for the same two windows of one stripe.
 */
class ConntrackEvictionTest {
  static final int HASH = 0x1234_5600; // its two windows do not overlap
  static final long NOW = 1_000;

  final ConntrackTable table = new ConntrackTable(64, 3, new FlowHash());
  final int stripe = table.stripe(HASH);

  int insert(int peer, int port, boolean remote) {
    long meta = ConntrackTable.meta(peer, false, 17, 53, port);
    table.lock(stripe);
    try {
      int s = table.insert(stripe, HASH, meta, 0, 1, 0, 2, NOW, remote);
      if (s >= 0) {
        table.setState(s, remote ? ConntrackTable.ORIGIN_REMOTE : ConntrackTable.ORIGIN_LOCAL);
      }
      return s;
    } finally {
      table.unlock(stripe);
    }
  }

  void reply(int slot) {
    table.lock(stripe);
    try {
      table.setState(slot, table.state(slot) | ConntrackTable.SEEN_REPLY);
    } finally {
      table.unlock(stripe);
    }
  }

  Map<Eviction, Long> counts() {
    Map<Eviction, Long> m = new EnumMap<>(Eviction.class);
    for (Eviction k : Eviction.values()) {
      m.put(k, table.evictions(k));
    }
    return m;
  }

  void replyAll() {
    for (int s = 0; s < table.capacity(); s++) {
      if (table.state(s) != 0) {
        reply(s);
      }
    }
  }

  @Test
  void eachKindIsCountedWhereItHappens() {
    // peer 1 takes its quota of 3 from free slots: nothing evicted
    for (int i = 0; i < 3; i++) {
      assertThat(insert(1, 2000 + i, true)).isNotNegative();
    }
    assertThat(counts().values()).allMatch(n -> n == 0);

    // at its quota, a new flow of peer 1 recycles one of its own unreplied flows
    assertThat(insert(1, 2003, true)).isNotNegative();
    assertThat(counts()).containsEntry(Eviction.OWN_AT_QUOTA, 1L);
    assertThat(table.evictions(Eviction.EARLY_DROP)).isZero();

    // its flows answered, it has nothing of its own to give up: refused
    replyAll();
    assertThat(insert(1, 2004, true)).isEqualTo(ConntrackTable.QUOTA);
    assertThat(counts()).containsEntry(Eviction.REFUSED_QUOTA, 1L);

    // flows this node opens fill the rest of both windows (13 free slots)
    for (int i = 0; i < 13; i++) {
      assertThat(insert(0, 1000 + i, false)).isNotNegative();
    }
    assertThat(table.evictions(Eviction.EARLY_DROP)).isZero();

    // peer 2's new flow pushes out an unreplied one (Linux early drop)
    assertThat(insert(2, 3000, true)).isNotNegative();
    assertThat(counts()).containsEntry(Eviction.EARLY_DROP, 1L);

    // everything answered: nothing may be evicted, the new flow is refused
    replyAll();
    assertThat(insert(2, 3001, true)).isEqualTo(ConntrackTable.FULL);
    assertThat(counts())
        .containsEntry(Eviction.REFUSED_FULL, 1L)
        .containsEntry(Eviction.REFUSED_QUOTA, 1L)
        .containsEntry(Eviction.OWN_AT_QUOTA, 1L)
        .containsEntry(Eviction.EARLY_DROP, 1L);
  }
}
