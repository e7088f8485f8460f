package dev.tessera.agent.protocol;

/**
 * Why the protocol core dropped a datagram or a TUN packet. Every silent drop is counted under
 * exactly one reason ({@link WireGuardDevice#dropCount(DropReason)}); nothing is ever answered
 * except a valid handshake (with a response) or an initiation under load (with a cookie reply).
 * Each reason is counted on one path ({@link #direction}), so a drop on the other path needs a
 * reason of its own.
 */
public enum DropReason {
  /** Datagram shorter than 4 bytes, unknown message type, nonzero reserved bytes, wrong size. */
  MALFORMED(Direction.INBOUND),
  /** No interface private key is configured, so no handshake can be processed or created. */
  NO_PRIVATE_KEY(Direction.INBOUND),
  /** Handshake message whose MAC1 does not verify against our public key. */
  INVALID_MAC1(Direction.INBOUND),
  /** Under load, handshake message without a valid MAC2; a cookie reply was sent instead. */
  COOKIE_REQUIRED(Direction.INBOUND),
  /** Under load, the source address exceeded its handshake rate. */
  RATE_LIMITED(Direction.INBOUND),
  /**
   * Initiation whose encrypted static key or timestamp, or response whose empty payload, failed.
   */
  HANDSHAKE_DECRYPT_FAILED(Direction.INBOUND),
  /** Initiation from a static key that is not a configured peer. */
  UNKNOWN_PEER(Direction.INBOUND),
  /** Initiation whose TAI64N timestamp is not newer than the last one accepted from that peer. */
  HANDSHAKE_REPLAY(Direction.INBOUND),
  /** Initiation arriving sooner than 1/50 s after the previous one from the same peer. */
  HANDSHAKE_FLOOD(Direction.INBOUND),
  /**
   * Authenticated, fresh initiation whose timestamp could not be recorded durably ({@link
   * WireGuardDevice#setInitiationStamps}): accepting it would let it be replayed after a restart.
   */
  HANDSHAKE_NOT_RECORDED(Direction.INBOUND),
  /** Response, cookie reply or data for a receiver index we do not have. */
  UNKNOWN_RECEIVER_INDEX(Direction.INBOUND),
  /** Response or cookie reply that arrived when no matching initiation was outstanding. */
  UNEXPECTED_HANDSHAKE_STATE(Direction.INBOUND),
  /** Cookie reply that did not decrypt. */
  INVALID_COOKIE_REPLY(Direction.INBOUND),
  /** Transport data on a keypair older than REJECT_AFTER_TIME or past REJECT_AFTER_MESSAGES. */
  KEYPAIR_EXPIRED(Direction.INBOUND),
  /** Transport data that did not authenticate. */
  DECRYPT_FAILED(Direction.INBOUND),
  /** Transport data whose counter was already seen or is older than the replay window. */
  REPLAYED(Direction.INBOUND),
  /** Decrypted packet that is neither IPv4 nor IPv6, or whose header length is inconsistent. */
  INNER_MALFORMED(Direction.INBOUND),
  /** Decrypted packet whose source address is not in the sending peer's allowed IPs. */
  INNER_SOURCE_NOT_ALLOWED(Direction.INBOUND),
  /** TUN packet that is not IPv4/IPv6 or too short to carry a destination address. */
  TUN_MALFORMED(Direction.OUTBOUND),
  /**
   * Decrypted packet whose source address is another node's tunnel address ({@link
   * WireGuardDevice#setNodeAddresses}): a node's address is accepted only from that node's own key,
   * whatever the AllowedIPs.
   */
  SPOOFED_SOURCE(Direction.INBOUND),
  /**
   * TUN packet for a node's tunnel address whose route (AllowedIPs: an exit node's default route,
   * an overlapping subnet route) is a different peer: a node's address is reached only through that
   * node's own key.
   */
  MISROUTED_NODE_ADDRESS(Direction.OUTBOUND),
  /** TUN packet whose destination matches no peer's allowed IPs. */
  NO_ROUTE(Direction.OUTBOUND),
  /** TUN packet for a peer without a known endpoint. */
  NO_ENDPOINT(Direction.OUTBOUND),
  /** TUN packet dropped because the peer's queue of packets awaiting a handshake was full. */
  STAGED_QUEUE_FULL(Direction.OUTBOUND),
  /** TUN packet larger than the largest WireGuard message can carry. */
  TOO_LARGE(Direction.OUTBOUND),
  /**
   * Handshake, transport data or TUN packet of a peer that the policy bundle in force does not list
   * ({@link Peer#setExcludedByPolicy}); dropped before any decryption or encryption.
   */
  PEER_NOT_IN_POLICY(Direction.BOTH);

  /**
   * Which path counts a reason: {@code INBOUND} a datagram from the network (before or after
   * decryption), {@code OUTBOUND} a packet read from the TUN on its way to a peer, {@code BOTH} a
   * reason either path counts.
   */
  public enum Direction {
    INBOUND,
    OUTBOUND,
    BOTH
  }

  private final Direction direction;

  DropReason(Direction direction) {
    this.direction = direction;
  }

  /** The path that counts this reason (labels in metrics and {@code tessera-agent show}). */
  public Direction direction() {
    return direction;
  }
}
