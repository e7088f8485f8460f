package dev.tessera.agent.protocol;

/**
 * Why the protocol core dropped a datagram or a TUN packet. Every silent drop is counted under
 * exactly one reason ({@link WireGuardDevice#dropCount(DropReason)}); nothing is ever answered
 * except a valid handshake (with a response) or an initiation under load (with a cookie reply).
 */
public enum DropReason {
  /** Datagram shorter than 4 bytes, unknown message type, nonzero reserved bytes, wrong size. */
  MALFORMED,
  /** No interface private key is configured, so no handshake can be processed or created. */
  NO_PRIVATE_KEY,
  /** Handshake message whose MAC1 does not verify against our public key. */
  INVALID_MAC1,
  /** Under load, handshake message without a valid MAC2; a cookie reply was sent instead. */
  COOKIE_REQUIRED,
  /** Under load, the source address exceeded its handshake rate. */
  RATE_LIMITED,
  /**
   * Initiation whose encrypted static key or timestamp, or response whose empty payload, failed.
   */
  HANDSHAKE_DECRYPT_FAILED,
  /** Initiation from a static key that is not a configured peer. */
  UNKNOWN_PEER,
  /** Initiation whose TAI64N timestamp is not newer than the last one accepted from that peer. */
  HANDSHAKE_REPLAY,
  /** Initiation arriving sooner than 1/50 s after the previous one from the same peer. */
  HANDSHAKE_FLOOD,
  /**
   * Authenticated, fresh initiation whose timestamp could not be recorded durably ({@link
   * WireGuardDevice#setInitiationStamps}): accepting it would let it be replayed after a restart.
   */
  HANDSHAKE_NOT_RECORDED,
  /** Response, cookie reply or data for a receiver index we do not have. */
  UNKNOWN_RECEIVER_INDEX,
  /** Response or cookie reply that arrived when no matching initiation was outstanding. */
  UNEXPECTED_HANDSHAKE_STATE,
  /** Cookie reply that did not decrypt. */
  INVALID_COOKIE_REPLY,
  /** Transport data on a keypair older than REJECT_AFTER_TIME or past REJECT_AFTER_MESSAGES. */
  KEYPAIR_EXPIRED,
  /** Transport data that did not authenticate. */
  DECRYPT_FAILED,
  /** Transport data whose counter was already seen or is older than the replay window. */
  REPLAYED,
  /** Decrypted packet that is neither IPv4 nor IPv6, or whose header length is inconsistent. */
  INNER_MALFORMED,
  /** Decrypted packet whose source address is not in the sending peer's allowed IPs. */
  INNER_SOURCE_NOT_ALLOWED,
  /** TUN packet that is not IPv4/IPv6 or too short to carry a destination address. */
  TUN_MALFORMED,
  /**
   * Decrypted packet whose source address is another node's tunnel address ({@link
   * WireGuardDevice#setNodeAddresses}), or TUN packet for a node's address routed to a different
   * peer: a node's address is accepted only from that node's own key, whatever the AllowedIPs.
   */
  SPOOFED_SOURCE,
  /** TUN packet whose destination matches no peer's allowed IPs. */
  NO_ROUTE,
  /** TUN packet for a peer without a known endpoint. */
  NO_ENDPOINT,
  /** TUN packet dropped because the peer's queue of packets awaiting a handshake was full. */
  STAGED_QUEUE_FULL,
  /** TUN packet larger than the largest WireGuard message can carry. */
  TOO_LARGE,
  /**
   * Handshake, transport data or TUN packet of a peer that the policy bundle in force does not list
   * ({@link Peer#setExcludedByPolicy}); dropped before any decryption or encryption.
   */
  PEER_NOT_IN_POLICY
}
