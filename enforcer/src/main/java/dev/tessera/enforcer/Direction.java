package dev.tessera.enforcer;

/** Which way a packet goes through the tunnel, seen from this node. */
public enum Direction {
  /** Decrypted, from a peer, towards this node's TUN (filtered). */
  INBOUND,
  /** From this node's TUN, into the tunnel (not filtered; records connection state). */
  OUTBOUND
}
