package dev.tessera.net;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class IpCidrTest {
  @ParameterizedTest
  @CsvSource({
    "10.0.0.1, 10.0.0.1",
    "10.0.0.1/32, 10.0.0.1",
    "10.1.2.3/8, 10.1.2.3/8",
    "0.0.0.0/0, 0.0.0.0/0",
    "::/0, ::/0",
    "::, ::",
    "::1, ::1",
    "fd7a:115c:a1e0::1, fd7a:115c:a1e0::1",
    "FD7A:115C:A1E0:0:0:0:0:1, fd7a:115c:a1e0::1",
    "fd7a:115c:a1e0::/48, fd7a:115c:a1e0::/48",
    "2001:db8:0:0:1:0:0:1, 2001:db8::1:0:0:1",
    "2001:0:0:1:0:0:0:1, 2001:0:0:1::1",
    "1:2:3:4:5:6:7:8, 1:2:3:4:5:6:7:8",
    "::ffff:1.2.3.4, ::ffff:102:304",
    "1::, 1::",
  })
  void parsesAndPrintsCanonically(String in, String out) {
    assertThat(IpCidr.tryParse(in)).satisfies(p -> assertThat(p.toCompactString()).isEqualTo(out));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "", "10.0.0", "10.0.0.256", "010.0.0.1", "10.0.0.1/", "10.0.0.1/33", "10.0.0.1/08",
            "1.2.3.4.5",
        "::1::2", "1:2:3:4:5:6:7:8:9", "12345::", ":1", "1:", "fe80::1%eth0", "g::1", "1.2.3.4/-1",
        "::/129", "1:2:3:4:5:6:7:8::", "10.0.0.1 ", " 10.0.0.1"
      })
  void rejects(String in) {
    assertThat(IpCidr.tryParse(in)).as(in).isNull();
  }

  @Test
  void masksAndContains() {
    IpCidr p = IpCidr.parse("10.1.2.3/8");
    assertThat(p.hasHostBits()).isTrue();
    assertThat(p.masked().toString()).isEqualTo("10.0.0.0/8");
    assertThat(p.masked().contains(IpCidr.parse("10.200.0.0/16").masked())).isTrue();
    assertThat(p.masked().contains(IpCidr.parse("11.0.0.0/16").masked())).isFalse();
    assertThat(p.masked().contains(IpCidr.parse("0.0.0.0/0").masked())).isFalse();
    IpCidr v6 = IpCidr.parse("fd7a:115c:a1e0::/48");
    assertThat(v6.masked().contains(IpCidr.parse("fd7a:115c:a1e0:ab12::1").masked())).isTrue();
    assertThat(v6.masked().contains(IpCidr.parse("fd7a:115c:a1e1::1").masked())).isFalse();
    assertThat(IpCidr.parse("fd7a:115c:a1e0::1/70").masked().toString())
        .isEqualTo("fd7a:115c:a1e0::/70");
  }

  /** The text {@code wg} prints back for a config prefix (Go netip's form). */
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
    assertThat(IpCidr.tryParse(in).toMixedString()).isEqualTo(text);
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
    assertThat(IpCidr.tryParse(in)).isNull();
  }

  @ParameterizedTest
  @CsvSource({
    "10.1.2.3/8, 10.0.0.0/8",
    "fd00::1:2/112, fd00::1:0/112",
    "fd00::1:2/96, fd00::/96",
    "10.1.2.3/32, 10.1.2.3/32"
  })
  void maskedClearsHostBits(String in, String masked) {
    assertThat(IpCidr.tryParse(in).masked().toMixedString()).isEqualTo(masked);
  }
}
