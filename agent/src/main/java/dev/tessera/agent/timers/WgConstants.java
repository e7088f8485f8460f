package dev.tessera.agent.timers;

import java.util.concurrent.TimeUnit;

/**
 * Protocol constants. The first group is the WireGuard specification (paper section 6.1 and
 * wireguard-go {@code device/constants.go}); the second group is implementation choices.
 */
public final class WgConstants {
  private WgConstants() {}

  // --- specification ---
  /** Initiator starts a new handshake after this many messages on a keypair. */
  public static final long REKEY_AFTER_MESSAGES = 1L << 60;

  /**
   * 2^64 - 2^13 - 1 as an unsigned long: no message is sent or accepted at or past this counter.
   */
  public static final long REJECT_AFTER_MESSAGES = -(1L << 13) - 1;

  public static final long REKEY_AFTER_TIME = TimeUnit.SECONDS.toNanos(120);
  public static final long REKEY_ATTEMPT_TIME = TimeUnit.SECONDS.toNanos(90);
  public static final long REKEY_TIMEOUT = TimeUnit.SECONDS.toNanos(5);

  /** REKEY_ATTEMPT_TIME / REKEY_TIMEOUT retransmissions before giving up. */
  public static final int MAX_TIMER_HANDSHAKES = 90 / 5;

  public static final int REKEY_TIMEOUT_JITTER_MAX_MS = 334;
  public static final long REJECT_AFTER_TIME = TimeUnit.SECONDS.toNanos(180);
  public static final long KEEPALIVE_TIMEOUT = TimeUnit.SECONDS.toNanos(10);
  public static final long COOKIE_REFRESH_TIME = TimeUnit.SECONDS.toNanos(120);

  /** At most one initiation per peer is consumed per 1/50 s (flood protection). */
  public static final long HANDSHAKE_INITIATION_RATE = TimeUnit.SECONDS.toNanos(1) / 50;

  public static final int PADDING_MULTIPLE = 16;

  // --- implementation ---
  /** How long the device stays under load once load is detected (wireguard-go). */
  public static final long UNDER_LOAD_AFTER_TIME = TimeUnit.SECONDS.toNanos(1);

  /** Largest UDP payload we build or accept. */
  public static final int MAX_MESSAGE_SIZE = 65535;

  /** Largest inner packet: the UDP payload minus the 16-byte header and 16-byte tag. */
  public static final int MAX_CONTENT_SIZE = MAX_MESSAGE_SIZE - 32;
}
