package dev.tessera.agent.protocol;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

/**
 * What the protocol core asks the I/O shell to do. Passed into every call of {@link
 * WireGuardDevice} so a shell can use one instance per worker thread (no shared state needed).
 *
 * <p>Buffer ownership: every {@code ByteBuffer} handed to a callback is valid <b>only for the
 * duration of the callback</b>; the core reuses it afterwards. Its position..limit is the payload.
 * A shell that wants to avoid a copy implements {@link #datagramBuffer(int)} / {@link
 * #tunBuffer(int)} to return (a view of) its own buffer, e.g. {@code byteBuf.internalNioBuffer(0,
 * n)} of a pooled Netty direct buffer; the core then writes the message there and passes that same
 * buffer back to {@link #sendDatagram} / {@link #deliverToTun}, after which the shell owns it
 * again.
 */
public interface Output {
  /**
   * Send one UDP datagram. Called for transport data, keepalives, handshake messages and cookie
   * replies. Must not block for long; may be called from any thread that calls into the device.
   */
  void sendDatagram(ByteBuffer datagram, InetSocketAddress to);

  /**
   * An authenticated, decrypted IP packet from {@code from}, whose source address already passed
   * the cryptokey-routing check (it is inside {@code from}'s allowed IPs). Padding is already
   * removed (the buffer's limit is the IP total length). The shell runs the enforcer and writes it
   * to the TUN device.
   */
  void deliverToTun(ByteBuffer ipPacket, Peer from);

  /**
   * Optional: the shell's outbound filter, asked for each IP packet read from the TUN once the
   * allowed-IPs lookup routed it to {@code to} (so the filter can track the flow as that peer's),
   * before it is encrypted or queued. False drops the packet; the shell counts it. Must not keep
   * the buffer.
   */
  default boolean allowOutbound(ByteBuffer ipPacket, Peer to) {
    return true;
  }

  /**
   * Optional: a buffer with at least {@code minCapacity} bytes remaining (from its position) into
   * which the core writes the next outgoing datagram. Return null (the default) to let the core use
   * its own per-thread buffer.
   */
  default ByteBuffer datagramBuffer(int minCapacity) {
    return null;
  }

  /** Optional, like {@link #datagramBuffer(int)} but for a decrypted packet bound for the TUN. */
  default ByteBuffer tunBuffer(int minCapacity) {
    return null;
  }

  /**
   * Optional notification of each drop (the device also counts them). {@code peer} is null when the
   * input could not be attributed to an authenticated peer. Must be cheap; no I/O.
   */
  default void dropped(DropReason reason, Peer peer) {}
}
