package dev.tessera.enforcer;

import dev.tessera.enforcer.conntrack.ConntrackTable;
import dev.tessera.enforcer.packet.PacketParser;
import dev.tessera.net.IpProtocol;

/**
 * The conntrack state bits of one flow as packets move them: TCP FIN/RST folding, the timeout a
 * state earns, when an entry is fresh enough to leave unwritten, and which tracked packets are
 * decided by reading their entry alone (the same rule for the lock-free read and the worker's flow
 * cache, so both give the same verdict for the same entry).
 *
 * <p>A flow key is oriented from this node: local address and port first, remote second, whichever
 * way the packet goes. ICMP echo flows keep (identifier, who sent the requests) in the remote-port
 * slot ({@link #ECHO_ASKED_BY_LOCAL}, {@link #ECHO_ASKED_BY_REMOTE}), so that a peer's echo request
 * is never mistaken for a reply to ours with the same identifier.
 */
final class FlowStates {
  /** Packet directions, also the row of a worker's counters. */
  static final int IN = 0;

  static final int OUT = 1;

  static final int ECHO_ASKED_BY_LOCAL = 0;
  static final int ECHO_ASKED_BY_REMOTE = 1;

  /**
   * An entry is refreshed at most once per this many milliseconds, so established packets stay
   * read-only (flows may expire up to that much early; timeouts are 10 s and more).
   */
  static final long REFRESH_SLACK_MILLIS = 1000;

  private FlowStates() {}

  /**
   * The verdict of a tracked packet that changes nothing in its entry ({@code st}, admitted under
   * generation {@code gen}), or null when the packet needs the locked path. Inbound: a reply to a
   * flow this node opened, once a reply was seen; a flow a rule admitted under the current
   * generation and not revoked. Outbound: any flow this node opened; a flow a rule admitted under
   * the current generation, answered, not revoked.
   */
  static Verdict unchanged(int dir, int st, int gen, int currentGen) {
    boolean local = (st & ConntrackTable.ORIGIN_LOCAL) != 0;
    if (dir == IN) {
      if (local) {
        return (st & ConntrackTable.SEEN_REPLY) != 0 ? Verdict.ACCEPT_REPLY : null;
      }
      return gen == currentGen && (st & ConntrackTable.REVOKED) == 0
          ? Verdict.ACCEPT_ESTABLISHED
          : null;
    }
    return local
            || (gen == currentGen
                && (st & (ConntrackTable.SEEN_REPLY | ConntrackTable.REVOKED))
                    == ConntrackTable.SEEN_REPLY)
        ? Verdict.ACCEPT_OUTBOUND
        : null;
  }

  /** Folds a packet's TCP flags into the state bits (other protocols leave them as they are). */
  static int trackTcp(int st, int protocol, int tcpFlags) {
    if (protocol != IpProtocol.TCP) {
      return st;
    }
    if ((tcpFlags & PacketParser.TCP_RST) != 0) {
      st |= ConntrackTable.TCP_RST;
    }
    if ((tcpFlags & PacketParser.TCP_FIN) != 0) {
      st |= ConntrackTable.TCP_FIN;
    }
    if ((tcpFlags & (PacketParser.TCP_SYN | PacketParser.TCP_ACK)) == PacketParser.TCP_SYN) {
      st &=
          ~(ConntrackTable.TCP_FIN | ConntrackTable.TCP_RST); // a new connection on a reused tuple
    }
    return st;
  }

  /** How long an entry in state {@code st} lives after its last packet. */
  static long timeout(Enforcer.Timeouts t, int proto, int st) {
    if (proto == IpProtocol.TCP) {
      if ((st & (ConntrackTable.TCP_FIN | ConntrackTable.TCP_RST)) != 0) {
        return t.tcpClosing();
      }
      return (st & ConntrackTable.SEEN_REPLY) != 0 ? t.tcpEstablished() : t.tcpOpening();
    }
    if (proto == IpProtocol.UDP || proto == IpProtocol.SCTP) {
      return (st & ConntrackTable.SEEN_REPLY) != 0 ? t.udpStream() : t.udpUnreplied();
    }
    if (proto == IpProtocol.ICMP || proto == IpProtocol.ICMPV6) {
      return t.icmp();
    }
    return t.other();
  }

  /**
   * Whether an entry expiring at {@code expires} is recent enough that a packet now need not
   * refresh it: within {@link #REFRESH_SLACK_MILLIS} of what a refresh would set.
   */
  static boolean fresh(long expires, long now, long timeout) {
    return expires - (now + timeout) > -REFRESH_SLACK_MILLIS;
  }

  /** The instant until which an entry expiring at {@code expires} stays {@link #fresh}. */
  static long freshUntil(long expires, long timeout) {
    return expires - timeout + REFRESH_SLACK_MILLIS;
  }

  /** Whether the current matcher admits remote -> local:localPort. */
  static boolean allows(
      Matcher m,
      boolean v6,
      long remoteHi,
      long remoteLo,
      long localHi,
      long localLo,
      int proto,
      int localPort) {
    return v6
        ? m.allowsV6(remoteHi, remoteLo, localHi, localLo, proto, localPort)
        : m.allowsV4((int) remoteLo, (int) localLo, proto, localPort);
  }

  /** The drop verdict of a {@link PacketParser} result other than OK. */
  static Verdict parseFailure(int r) {
    return switch (r) {
      case PacketParser.TRUNCATED -> Verdict.DROP_TRUNCATED;
      case PacketParser.BAD_HEADER -> Verdict.DROP_BAD_HEADER;
      case PacketParser.BAD_EXTENSION -> Verdict.DROP_BAD_EXTENSION;
      case PacketParser.BAD_FRAGMENT -> Verdict.DROP_FRAGMENT;
      case PacketParser.BAD_QUOTE -> Verdict.DROP_ICMP_BAD_QUOTE;
      default -> Verdict.DROP_UNSUPPORTED;
    };
  }
}
