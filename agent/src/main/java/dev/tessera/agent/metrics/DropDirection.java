package dev.tessera.agent.metrics;

import dev.tessera.agent.protocol.DropReason;
import java.util.Locale;

/**
 * Which way a dropped packet was going, for metrics and {@code tessera-agent show}: {@code inbound}
 * (a datagram from the network), {@code outbound} (a packet read from the TUN, on its way to a
 * peer), or {@code both} for a reason that applies to either ({@link
 * DropReason#PEER_NOT_IN_POLICY}).
 */
public final class DropDirection {
  private DropDirection() {}

  public static String of(DropReason r) {
    return r.direction().name().toLowerCase(Locale.ROOT);
  }

  /**
   * The direction of a {@code wg_drop_REASON} status key's reason ({@code no_route}), or inbound if
   * unknown.
   */
  public static String ofStatusName(String reason) {
    try {
      return of(DropReason.valueOf(reason.toUpperCase(Locale.ROOT)));
    } catch (IllegalArgumentException e) {
      return "inbound";
    }
  }
}
