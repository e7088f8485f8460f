package dev.tessera.policytests;

/** Display names of protocol numbers in reports. */
final class ProtoNames {
  private ProtoNames() {}

  static String name(int p) {
    return switch (p) {
      case 1 -> "icmp";
      case 6 -> "tcp";
      case 17 -> "udp";
      case 58 -> "ipv6-icmp";
      case 132 -> "sctp";
      default -> Integer.toString(p);
    };
  }
}
