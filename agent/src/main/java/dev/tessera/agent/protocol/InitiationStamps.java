package dev.tessera.agent.protocol;

import dev.tessera.agent.crypto.WgKey;
import java.util.Optional;

/**
 * Durable record of the greatest handshake-initiation timestamp (TAI64N) accepted from each peer,
 * so that an initiation captured before a restart is still refused as a replay after it (WireGuard
 * keeps this only in memory; its answer to restarts is key rotation).
 */
public interface InitiationStamps {
  /**
   * The recorded mark of {@code peer}, if any: at or above every initiation timestamp accepted from
   * it before; initiations up to it are refused as replays.
   */
  Optional<byte[]> greatest(WgKey peer);

  /**
   * Makes sure the durable mark of {@code peer} is at or above {@code tai64n} before returning
   * true; false if it could not (the initiation is then refused).
   */
  boolean record(WgKey peer, byte[] tai64n);

  /** Keeps nothing: the behaviour of stock WireGuard (in-memory replay protection only). */
  InitiationStamps NONE =
      new InitiationStamps() {
        @Override
        public Optional<byte[]> greatest(WgKey peer) {
          return Optional.empty();
        }

        @Override
        public boolean record(WgKey peer, byte[] tai64n) {
          return true;
        }
      };
}
