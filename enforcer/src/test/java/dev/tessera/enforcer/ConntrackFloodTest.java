package dev.tessera.enforcer;

import static dev.tessera.enforcer.Packets.*;
import static dev.tessera.enforcer.TestFilters.NODE4;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * A peer that a rule lets open flows (UDP to port 53 from any source port here) floods the
 * connection-tracking table with new flows. Established flows of another peer, and of this node,
 * must survive it, even those idle long enough to be nearest to expiry; another peer must still be
 * able to open flows.
 */
class ConntrackFloodTest {
  private static final int FLOODER = 1;
  private static final int VICTIM = 2;
  private static final int BYSTANDER = 3;

  @Test
  void aFloodFromOnePeerNeverEvictsAnotherPeersEstablishedFlows() {
    AtomicLong now = new AtomicLong(1_000_000);
    Enforcer e =
        Enforcer.create(
            TestFilters.node(), new Enforcer.Config(4096, 64, Enforcer.Timeouts.DEFAULT, now::get));
    Enforcer.Worker w = e.newWorker();
    int victims = 300;
    for (int i = 0; i < victims; i++) {
      // admitted UDP flows of the victim peer, answered by this node: established (assured)
      byte[] in = udp("100.64.0.2", NODE4, 20000 + i, 22);
      byte[] answer = udp(NODE4, "100.64.0.2", 22, 20000 + i);
      assertThat(w.inbound(in, 0, in.length, VICTIM)).isEqualTo(Verdict.ACCEPT_RULE);
      assertThat(w.outbound(answer, 0, answer.length, VICTIM)).isEqualTo(Verdict.ACCEPT_OUTBOUND);
      // and flows this node opened through the victim peer, answered
      byte[] ours = udp(NODE4, "100.64.1.9", 30000 + i, 53);
      byte[] reply = udp("100.64.1.9", NODE4, 53, 30000 + i);
      w.outbound(ours, 0, ours.length, VICTIM);
      assertThat(w.inbound(reply, 0, reply.length, VICTIM)).isEqualTo(Verdict.ACCEPT_REPLY);
    }
    // idle for 160 s: 20 s left on the 180 s stream timeout, less than a new flood flow's 30 s
    now.addAndGet(160_000);
    long accepted = 0;
    for (int port = 1;
        port < 65536;
        port++) { // a flood of new flows, each from another source port
      byte[] f = udp("100.64.1.3", NODE4, port, 53);
      if (w.inbound(f, 0, f.length, FLOODER).accepted()) {
        accepted++;
      }
    }
    assertThat(accepted).as("the flooder got its share").isGreaterThanOrEqualTo(1024);
    for (int i = 0; i < victims; i++) {
      byte[] in = udp("100.64.0.2", NODE4, 20000 + i, 22);
      assertThat(w.inbound(in, 0, in.length, VICTIM))
          .as("victim flow %d", i)
          .isEqualTo(Verdict.ACCEPT_ESTABLISHED);
      byte[] reply = udp("100.64.1.9", NODE4, 53, 30000 + i);
      assertThat(w.inbound(reply, 0, reply.length, VICTIM))
          .as("our flow %d", i)
          .isEqualTo(Verdict.ACCEPT_REPLY);
    }
    // another peer can still open flows while the flood holds its quota
    int opened = 0;
    for (int port = 40000; port < 40100; port++) {
      byte[] b = udp("100.64.0.2", NODE4, port, 22);
      if (w.inbound(b, 0, b.length, BYSTANDER) == Verdict.ACCEPT_RULE) {
        opened++;
      }
    }
    assertThat(opened).as("bystander's new flows").isGreaterThanOrEqualTo(95);
    assertThat(
            e.counters().count(Direction.INBOUND, Verdict.DROP_PEER_FLOW_LIMIT)
                + e.counters().count(Direction.INBOUND, Verdict.DROP_CONNTRACK_FULL))
        .as("flood packets refused")
        .isPositive();
    // every refused new flow is also counted by the table, under its kind
    assertThat(e.conntrackEvictions())
        .containsEntry(
            "refused-quota", e.counters().count(Direction.INBOUND, Verdict.DROP_PEER_FLOW_LIMIT))
        .containsEntry(
            "refused-full",
            e.counters().count(Direction.INBOUND, Verdict.DROP_CONNTRACK_FULL)
                + e.counters().count(Direction.OUTBOUND, Verdict.DROP_CONNTRACK_FULL));
    assertThat(
            e.conntrackEvictions().get("early-drop") + e.conntrackEvictions().get("own-at-quota"))
        .as("the flood recycled its own unreplied flows")
        .isPositive();
  }

  @Test
  void aPeerAtItsQuotaGetsRoomBackAsItsFlowsExpire() {
    AtomicLong now = new AtomicLong(1_000_000);
    Enforcer e =
        Enforcer.create(
            TestFilters.node(),
            new Enforcer.Config(4096, 64, Enforcer.Timeouts.DEFAULT, now::get)
                .withPeerFlowQuota(100));
    Enforcer.Worker w = e.newWorker();
    int accepted = 0;
    for (int port = 1; port < 1000; port++) {
      byte[] f = udp("100.64.1.3", NODE4, port, 53);
      if (w.inbound(f, 0, f.length, FLOODER).accepted()) {
        accepted++;
      }
    }
    assertThat(accepted)
        .isGreaterThanOrEqualTo(100); // the quota, plus new flows that evict its own unreplied ones
    assertThat(e.trackedFlows()).isLessThanOrEqualTo(100);
    now.addAndGet(31_000); // all expired
    int later = 0;
    for (int port = 2000; port < 2300; port++) { // stale counts are reclaimed as it tries
      byte[] f = udp("100.64.1.3", NODE4, port, 53);
      if (w.inbound(f, 0, f.length, FLOODER).accepted()) {
        later++;
      }
    }
    assertThat(later).as("new flows once the old ones expired").isGreaterThanOrEqualTo(90);
  }
}
