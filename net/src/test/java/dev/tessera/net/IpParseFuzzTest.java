package dev.tessera.net;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;

/**
 * Jazzer fuzz target for the address and prefix parsers. Under plain {@code mvn test} it replays
 * the seeds in {@code src/test/resources/dev/tessera/net/IpParseFuzzTestInputs/parse/}; to fuzz
 * with coverage: {@code bin/fuzz --seconds N IpParseFuzzTest#parse}.
 *
 * <p>Properties: only IllegalArgumentException escapes, with a message; whatever parses prints as
 * text that parses back to the same value, and printing is idempotent; a canonical prefix contains
 * its own first and last address.
 */
class IpParseFuzzTest {

  @FuzzTest(maxDuration = "30s")
  void parse(byte[] input) {
    String text = new String(input, StandardCharsets.UTF_8);
    IpAddress a = IpAddress.tryParse(text);
    try {
      assertThat(IpAddress.parse(text)).isEqualTo(a);
    } catch (IllegalArgumentException e) {
      assertThat(a).isNull();
      assertThat(e.getMessage()).startsWith("not an IP address: ");
    }
    if (a != null) {
      assertThat(IpAddress.parse(a.toString())).isEqualTo(a);
      assertThat(IpAddress.parse(a.toMixedString())).isEqualTo(a);
      assertThat(IpAddress.parse(a.toString()).toString()).isEqualTo(a.toString());
      assertThat(IpAddress.ofBytes(a.toBytes())).isEqualTo(a);
    }
    IpCidr c = IpCidr.tryParse(text);
    try {
      assertThat(IpCidr.parse(text)).isEqualTo(c);
    } catch (IllegalArgumentException e) {
      assertThat(c).isNull();
      assertThat(e.getMessage()).isNotBlank();
    }
    if (c != null) {
      assertThat(IpCidr.parse(c.toString())).isEqualTo(c);
      IpPrefix p = c.masked();
      assertThat(IpPrefix.parse(p.toString())).isEqualTo(p);
      assertThat(p.contains(p.address())).isTrue();
      assertThat(p.contains(p.last())).isTrue();
      assertThat(p.contains(c.address())).isTrue();
      assertThat(IpPrefix.tryParse(text)).isEqualTo(c.hasHostBits() ? null : p);
    }
  }
}
