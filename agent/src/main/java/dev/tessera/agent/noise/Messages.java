package dev.tessera.agent.noise;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Wire layout of WireGuard's four message types (paper section 5.4, wireguard-go {@code
 * noise-protocol.go}). All integers are little-endian. The first four bytes are the type as a
 * little-endian u32, so the three "reserved" bytes must be zero for a message to be recognised.
 *
 * <pre>
 * 1 initiation  (148): type | sender u32 | ephemeral 32 | static 32+16 | timestamp 12+16 | mac1 16 | mac2 16
 * 2 response     (92): type | sender u32 | receiver u32 | ephemeral 32 | empty 0+16 | mac1 16 | mac2 16
 * 3 cookie reply (64): type | receiver u32 | nonce 24 | cookie 16+16
 * 4 transport  (32+n): type | receiver u32 | counter u64 | packet n+16   (n a multiple of 16, 0 = keepalive)
 * </pre>
 */
public final class Messages {
  private Messages() {}

  public static final int TYPE_INITIATION = 1;
  public static final int TYPE_RESPONSE = 2;
  public static final int TYPE_COOKIE_REPLY = 3;
  public static final int TYPE_TRANSPORT = 4;

  public static final int INITIATION_SIZE = 148;
  public static final int RESPONSE_SIZE = 92;
  public static final int COOKIE_REPLY_SIZE = 64;
  public static final int TRANSPORT_HEADER_SIZE = 16;

  /** Header plus an empty payload's tag: a keepalive. */
  public static final int TRANSPORT_MIN_SIZE = 32;

  // initiation
  public static final int INIT_SENDER = 4;
  public static final int INIT_EPHEMERAL = 8;
  public static final int INIT_STATIC = 40;
  public static final int INIT_TIMESTAMP = 88;
  public static final int INIT_MAC1 = 116;
  public static final int INIT_MAC2 = 132;
  // response
  public static final int RESP_SENDER = 4;
  public static final int RESP_RECEIVER = 8;
  public static final int RESP_EPHEMERAL = 12;
  public static final int RESP_EMPTY = 44;
  public static final int RESP_MAC1 = 60;
  public static final int RESP_MAC2 = 76;
  // cookie reply
  public static final int COOKIE_RECEIVER = 4;
  public static final int COOKIE_NONCE = 8;
  public static final int COOKIE_ENCRYPTED = 32;
  // transport
  public static final int TRANSPORT_RECEIVER = 4;
  public static final int TRANSPORT_COUNTER = 8;

  /** The message type, or -1 if the datagram is too short or has nonzero reserved bytes. */
  public static int type(ByteBuffer b) {
    int p = b.position();
    if (b.remaining() < 4) {
      return -1;
    }
    int t = b.order() == ByteOrder.LITTLE_ENDIAN ? b.getInt(p) : Integer.reverseBytes(b.getInt(p));
    return t >= TYPE_INITIATION && t <= TYPE_TRANSPORT ? t : -1;
  }

  public static int getIntLE(byte[] b, int off) {
    return (b[off] & 0xff)
        | (b[off + 1] & 0xff) << 8
        | (b[off + 2] & 0xff) << 16
        | (b[off + 3] & 0xff) << 24;
  }

  public static void putIntLE(byte[] b, int off, int v) {
    b[off] = (byte) v;
    b[off + 1] = (byte) (v >>> 8);
    b[off + 2] = (byte) (v >>> 16);
    b[off + 3] = (byte) (v >>> 24);
  }
}
