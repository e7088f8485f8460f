package dev.tessera.net;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.testsupport.Seed;
import dev.tessera.testsupport.Seeded;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Differential test against {@link InetAddress#ofLiteral}, the JDK's lookup-free parser, on random
 * addresses and on random mutations of their text.
 *
 * <p>Where the two parsers may disagree is listed, not guessed: the JDK also takes IPv4 octets with
 * leading zeros (as decimal), BSD short forms ({@code 1.2.3}), IPv6 groups of more than four digits
 * when they are leading zeros, zone ids and brackets, and returns an IPv4-mapped address as an
 * {@link Inet4Address}. Everything this parser accepts the JDK accepts as the same bytes, and every
 * text the JDK accepts but this parser refuses is refused for one of those reasons.
 */
@Seeded
class InetAddressDifferentialTest {
  private static final String ALPHABET = "0123456789abcdefABCDEF:.%/[] g";
  private static final Set<String> KNOWN_STRICTER =
      Set.of(
          "has a leading zero",
          "needs four octets", // BSD short forms: 1.2.3 and 1.2.300 (1.2.1.44)
          "more than three digits",
          "is over 255",
          "more than four hex digits",
          "zone ids are not accepted",
          "unexpected '['",
          "does not fit in the last 32 bits");

  @Test
  void formatsWhatTheJdkReadsBackAndReadsWhatTheJdkFormats(Seed seed) throws Exception {
    Random r = seed.random();
    for (int i = 0; i < 5_000; i++) {
      byte[] raw = randomBytes(r);
      InetAddress jdk =
          raw.length == 16
              ? Inet6Address.getByAddress(null, raw, -1)
              : InetAddress.getByAddress(raw);
      IpAddress ours = IpAddress.ofBytes(raw);
      // the JDK's uncompressed text parses to the same address ...
      assertThat(IpAddress.parse(jdk.getHostAddress()).toBytes()).isEqualTo(raw);
      // ... and both of our forms read back through the JDK give the same bytes
      assertThat(bytes(InetAddress.ofLiteral(ours.toString()), raw.length)).isEqualTo(raw);
      assertThat(bytes(InetAddress.ofLiteral(ours.toMixedString()), raw.length)).isEqualTo(raw);
      // RFC 5952 text, against a reference written the other way round
      assertThat(ours.toString()).isEqualTo(rfc5952(raw));
    }
  }

  @Test
  void agreesWithTheJdkOnMutatedText(Seed seed) {
    Random r = seed.random();
    int accepted = 0;
    int stricter = 0;
    for (int i = 0; i < 20_000; i++) {
      String text = mutate(r, IpAddress.ofBytes(randomBytes(r)), r.nextInt(3));
      IpAddress ours = IpAddress.tryParse(text);
      InetAddress jdk = jdkOrNull(text);
      if (ours != null) {
        accepted++;
        assertThat(jdk).as("the JDK refuses %s, which we accept", text).isNotNull();
        assertThat(ours.toBytes()).as(text).isEqualTo(bytes(jdk, ours.ipv6() ? 16 : 4));
      } else if (jdk != null) {
        stricter++;
        String why = reason(text);
        assertThat(KNOWN_STRICTER.stream().anyMatch(why::contains))
            .as("we refuse %s (%s), which the JDK reads as %s", text, why, jdk)
            .isTrue();
      }
    }
    // the mutations must exercise both sides, or the test asserts little
    assertThat(accepted).isGreaterThan(2_000);
    assertThat(stricter).isGreaterThan(100);
  }

  /**
   * RFC 5952 section 4 by search: the longest run of two or more zero groups, tried from length 8
   * down, the first position on a tie, compressed; lower-case hex without leading zeros.
   */
  private static String rfc5952(byte[] raw) throws Exception {
    if (raw.length == 4) {
      return InetAddress.getByAddress(raw).getHostAddress();
    }
    String[] g = new String[8];
    for (int i = 0; i < 8; i++) {
      g[i] = Integer.toHexString(((raw[2 * i] & 0xff) << 8) | (raw[2 * i + 1] & 0xff));
    }
    for (int len = 8; len >= 2; len--) {
      for (int at = 0; at + len <= 8; at++) {
        boolean zeros = true;
        for (int k = at; k < at + len; k++) {
          zeros &= g[k].equals("0");
        }
        if (zeros) {
          return String.join(":", java.util.Arrays.copyOfRange(g, 0, at))
              + "::"
              + String.join(":", java.util.Arrays.copyOfRange(g, at + len, 8));
        }
      }
    }
    return String.join(":", g);
  }

  private static byte[] randomBytes(Random r) {
    byte[] raw = new byte[r.nextInt(3) == 0 ? 4 : 16];
    r.nextBytes(raw);
    for (int k = 0; k < raw.length; k++) {
      if (r.nextInt(3) == 0) {
        raw[k] = 0; // runs of zero groups
      }
    }
    if (raw.length == 16 && r.nextInt(8) == 0) { // IPv4-mapped
      java.util.Arrays.fill(raw, 0, 10, (byte) 0);
      raw[10] = (byte) 0xff;
      raw[11] = (byte) 0xff;
    }
    return raw;
  }

  private static String mutate(Random r, IpAddress a, int edits) {
    StringBuilder s = new StringBuilder(r.nextBoolean() ? a.toString() : a.toMixedString());
    if (r.nextInt(4) == 0) {
      s = new StringBuilder(s.toString().toUpperCase());
    }
    for (int e = 0; e < edits; e++) {
      int at = r.nextInt(s.length() + 1);
      char c = ALPHABET.charAt(r.nextInt(ALPHABET.length()));
      switch (r.nextInt(3)) {
        case 0 -> s.insert(at, c);
        case 1 -> {
          if (at < s.length()) {
            s.deleteCharAt(at);
          }
        }
        default -> {
          if (at < s.length()) {
            s.setCharAt(at, c);
          }
        }
      }
    }
    return s.toString();
  }

  private static InetAddress jdkOrNull(String text) {
    try {
      return InetAddress.ofLiteral(text);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /** The JDK's bytes, with an IPv4-mapped address it returned as IPv4 widened back to 16. */
  private static byte[] bytes(InetAddress a, int length) {
    byte[] b = a.getAddress();
    if (b.length == 4 && length == 16) {
      byte[] mapped = new byte[16];
      mapped[10] = (byte) 0xff;
      mapped[11] = (byte) 0xff;
      System.arraycopy(b, 0, mapped, 12, 4);
      return mapped;
    }
    return b;
  }

  private static String reason(String text) {
    try {
      IpAddress.parse(text);
      return "accepted";
    } catch (IllegalArgumentException e) {
      return e.getMessage();
    }
  }
}
