package dev.tessera.agent.config;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Config prefixes: what parses, and the text wg prints back (Go netip's form). */
class CidrTest {
  @ParameterizedTest
  @CsvSource({
    "10.0.0.1/24, 10.0.0.1/24",
    "10.0.0.1, 10.0.0.1/32",
    "0.0.0.0/0, 0.0.0.0/0",
    "FD00::1/64, fd00::1/64",
    "fd00:0:0:0:0:0:0:1, fd00::1/128",
    "2001:db8:0:1:0:0:0:1/128, 2001:db8:0:1::1/128",
    "2001:db8:0:1:1:1:1:1, 2001:db8:0:1:1:1:1:1/128",
    "::/0, ::/0",
    "::ffff:1.2.3.4, ::ffff:1.2.3.4/128",
    "::1.2.3.4/96, ::102:304/96",
  })
  void parsesAndPrintsLikeWg(String in, String text) {
    assertThat(Cidr.parseOrNull(in)).hasToString(text);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "10.0.0",
        "10.0.0.256",
        "010.0.0.1",
        "10.0.0.1/33",
        "10.0.0.1/",
        "10.0.0.1/-1",
        "fd00::1/129",
        "fd00::1%eth0",
        "example.com",
        "localhost",
        "1:2:3:4:5:6:7:8:9",
        "fd00:::1"
      })
  void rejectsWhatIsNotANumericPrefix(String in) {
    assertThat(Cidr.parseOrNull(in)).isNull();
  }

  @ParameterizedTest
  @CsvSource({
    "10.1.2.3/8, 10.0.0.0/8",
    "fd00::1:2/112, fd00::1:0/112",
    "fd00::1:2/96, fd00::/96",
    "10.1.2.3/32, 10.1.2.3/32"
  })
  void maskedClearsHostBits(String in, String masked) {
    assertThat(Cidr.parseOrNull(in).masked()).hasToString(masked);
  }
}
