package dev.tessera.agent;

import java.util.concurrent.atomic.LongAdder;

/** Shell-level counters (the core and the enforcer keep their own). Contention-free adders. */
final class AgentStats {
  /** Decrypted packets the TUN did not take (queue full, interface down). */
  final LongAdder tunWriteDropped = new LongAdder();

  /** TUN packets the enforcer refused on the way out (malformed). */
  final LongAdder outboundRejected = new LongAdder();

  /** Packets read from the TUN. */
  final LongAdder tunPacketsRead = new LongAdder();

  /** UDP datagrams received. */
  final LongAdder datagramsReceived = new LongAdder();

  /** Restarts of the agent's loops (TUN readers, timers, filter watcher) after a throw. */
  final LongAdder loopRestarts = new LongAdder();
}
