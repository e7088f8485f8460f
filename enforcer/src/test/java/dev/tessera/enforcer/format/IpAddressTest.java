package dev.tessera.enforcer.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class IpAddressTest {

  @ParameterizedTest
  @CsvSource({
    "100.64.0.1, 100.64.0.1",
    "0.0.0.0, 0.0.0.0",
    "255.255.255.255, 255.255.255.255",
    "fd7a:115c:a1e0::1, fd7a:115c:a1e0::1",
    "FD7A:115C:A1E0:0:0:0:0:1, fd7a:115c:a1e0::1",
    "::, ::",
    "::1, ::1",
    "1::, 1::",
    "2001:db8:0:0:1:0:0:1, 2001:db8::1:0:0:1",
    "2001:db8:0:1:1:1:1:1, 2001:db8:0:1:1:1:1:1",
    "::ffff:1.2.3.4, ::ffff:102:304",
    "0:0:0:0:0:0:0:0, ::",
  })
  void parsesAndFormatsCanonically(String in, String want) {
    assertThat(IpAddress.parse(in).toString()).isEqualTo(want);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "1.2.3",
        "1.2.3.4.5",
        "256.0.0.1",
        "01.2.3.4",
        "1.2.3.4 ",
        "a.b.c.d",
        ":",
        ":::",
        "1:2:3:4:5:6:7:8:9",
        "1::2::3",
        "12345::",
        "fe80::1%eth0",
        "1:2:3:4:5:6:7:",
        ":1:2:3:4:5:6:7",
        "1.2.3.4/32",
        "::1.2.3",
        "1:2:3:4:5:6:7:1.2.3.4",
        "1:2:3:4:5:6:7:8::"
      })
  void rejects(String bad) {
    assertThat(IpAddress.tryParse(bad)).isNull();
    assertThatThrownBy(() -> IpAddress.parse(bad)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void agreesWithInetAddressOnRandomAddresses() throws Exception {
    long seed = System.nanoTime();
    Random r = new Random(seed);
    for (int i = 0; i < 5000; i++) {
      byte[] raw = new byte[16];
      r.nextBytes(raw);
      for (int k = 0; k < 16; k++) {
        if (r.nextInt(3) == 0) {
          raw[k] = 0; // zero runs
        }
      }
      String text = InetAddress.getByAddress(raw).getHostAddress();
      IpAddress a = IpAddress.parse(text);
      byte[] back = InetAddress.getByName(a.toString()).getAddress();
      assertThat(back).as("seed %d: %s", seed, text).isEqualTo(raw);
      assertThat(IpAddress.parse(a.toString())).isEqualTo(a);
    }
  }

  @ParameterizedTest
  @CsvSource({
    "10.0.0.0/8, 10.255.1.2, true",
    "10.0.0.0/8, 11.0.0.0, false",
    "0.0.0.0/0, 1.2.3.4, true",
    "0.0.0.0/0, ::1, false",
    "::/0, ::1, true",
    "fd7a:115c:a1e0::/48, fd7a:115c:a1e0:ab12::1, true",
    "fd7a:115c:a1e0::/48, fd7a:115c:a1e1::1, false",
    "fd7a::1/128, fd7a::1, true",
    "fd7a::/127, fd7a::1, true",
    "fd7a::/127, fd7a::2, false",
    "100.64.0.1/32, 100.64.0.1, true",
  })
  void prefixContains(String prefix, String addr, boolean want) {
    assertThat(IpPrefix.parse(prefix).contains(IpAddress.parse(addr))).isEqualTo(want);
  }

  @Test
  void prefixesAreCanonical() {
    assertThatThrownBy(() -> IpPrefix.parse("10.0.0.1/8"))
        .hasMessageContaining("did you mean 10.0.0.0/8");
    assertThat(IpPrefix.parse("10.0.0.1/8", true)).isEqualTo(IpPrefix.parse("10.0.0.0/8"));
    assertThat(IpPrefix.parse("fd7a::1")).isEqualTo(IpPrefix.parse("fd7a::1/128"));
    assertThatThrownBy(() -> IpPrefix.parse("10.0.0.0/33"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> IpPrefix.parse("10.0.0.0/08"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new IpPrefix(false, 0, 0x0A000001L, 8))
        .hasMessageContaining("host bits");
    assertThat(IpPrefix.parse("10.0.0.0/8").lastLo()).isEqualTo(0x0AFFFFFFL);
    assertThat(IpPrefix.parse("::/0").lastHi()).isEqualTo(-1L);
    assertThat(IpPrefix.parse("fd7a::/64").lastLo()).isEqualTo(-1L);
    assertThat(IpPrefix.parse("0.0.0.0/0").toString()).isEqualTo("0.0.0.0/0");
  }
}
