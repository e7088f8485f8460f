package dev.tessera.policy.ast;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class IpPrefixTest {
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
    assertThat(IpPrefix.parse(in)).hasValueSatisfying(p -> assertThat(p.toString()).isEqualTo(out));
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
    assertThat(IpPrefix.parse(in)).as(in).isEmpty();
  }

  @Test
  void masksAndContains() {
    IpPrefix p = IpPrefix.parse("10.1.2.3/8").orElseThrow();
    assertThat(p.hasHostBits()).isTrue();
    assertThat(p.masked().toString()).isEqualTo("10.0.0.0/8");
    assertThat(p.contains(IpPrefix.parse("10.200.0.0/16").orElseThrow())).isTrue();
    assertThat(p.contains(IpPrefix.parse("11.0.0.0/16").orElseThrow())).isFalse();
    assertThat(p.contains(IpPrefix.parse("0.0.0.0/0").orElseThrow())).isFalse();
    IpPrefix v6 = IpPrefix.parse("fd7a:115c:a1e0::/48").orElseThrow();
    assertThat(v6.contains(IpPrefix.parse("fd7a:115c:a1e0:ab12::1").orElseThrow())).isTrue();
    assertThat(v6.contains(IpPrefix.parse("fd7a:115c:a1e1::1").orElseThrow())).isFalse();
    assertThat(IpPrefix.parse("fd7a:115c:a1e0::1/70").orElseThrow().masked().toString())
        .isEqualTo("fd7a:115c:a1e0::/70");
  }
}
