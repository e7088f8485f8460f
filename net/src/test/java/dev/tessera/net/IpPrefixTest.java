package dev.tessera.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class IpPrefixTest {

  @ParameterizedTest
  @CsvSource({
    "10.0.0.0/8, 10.255.1.2, true",
    "10.0.0.0/8, 11.0.0.0, false",
    "0.0.0.0/0, 1.2.3.4, true",
    "0.0.0.0/0, ::1, false",
    "::/0, ::1, true",
    "::/0, 1.2.3.4, false",
    "fd7a:115c:a1e0::/48, fd7a:115c:a1e0:ab12::1, true",
    "fd7a:115c:a1e0::/48, fd7a:115c:a1e1::1, false",
    "fd7a::1/128, fd7a::1, true",
    "fd7a::/127, fd7a::1, true",
    "fd7a::/127, fd7a::2, false",
    "fd7a::/64, fd7a::ffff:ffff:ffff:ffff, true",
    "fd7a::/65, fd7a::8000:0:0:0, false",
    "100.64.0.1/32, 100.64.0.1, true",
    "100.64.0.1/32, 100.64.0.2, false",
  })
  void containsAddresses(String prefix, String addr, boolean want) {
    IpPrefix p = IpPrefix.parse(prefix);
    IpAddress a = IpAddress.parse(addr);
    assertThat(p.contains(a)).isEqualTo(want);
    assertThat(p.contains(IpPrefix.host(a))).isEqualTo(want);
    assertThat(a.ipv6() ? p.containsV6(a.hi(), a.lo()) : p.containsV4(a.v4())).isEqualTo(want);
  }

  @ParameterizedTest
  @CsvSource({
    "10.0.0.0/8, 10.1.0.0/16, true",
    "10.1.0.0/16, 10.0.0.0/8, false",
    "10.0.0.0/8, 10.0.0.0/8, true",
    "0.0.0.0/0, ::/0, false",
    "fd7a::/16, fd7a:1::/32, true",
  })
  void containsPrefixes(String outer, String inner, boolean want) {
    assertThat(IpPrefix.parse(outer).contains(IpPrefix.parse(inner))).isEqualTo(want);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "10.0.0.1/8|has host bits set (did you mean 10.0.0.0/8?)",
        "fd7a::1/64|has host bits set (did you mean fd7a::/64?)",
        "10.0.0.0/33|prefix length 33 is over 32",
        "::/129|prefix length 129 is over 128",
        "10.0.0.0/08|prefix length has a leading zero",
        "10.0.0.0/|no prefix length after '/'",
        "10.0.0.0/-1|prefix length is not a number",
        "10.0.0.0/+8|prefix length is not a number",
        "10.0.0.0/8/8|prefix length is not a number",
        "10.0.0/8|IPv4 address needs four octets",
        "/8|empty",
      })
  void rejectsWithAReason(String bad, String reason) {
    assertThat(IpPrefix.tryParse(bad)).isNull();
    assertThatThrownBy(() -> IpPrefix.parse(bad))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(reason);
  }

  @Test
  void isCanonical() {
    assertThat(IpPrefix.parse("10.0.0.1/8", true)).isEqualTo(IpPrefix.parse("10.0.0.0/8"));
    assertThat(IpPrefix.parse("fd7a::1")).isEqualTo(IpPrefix.parse("fd7a::1/128"));
    assertThat(IpPrefix.parse("FD7A:0::/16").toString()).isEqualTo("fd7a::/16");
    assertThatThrownBy(() -> new IpPrefix(false, 0, 0x0A000001L, 8))
        .hasMessageContaining("has host bits set (canonical form: 10.0.0.0/8)");
    assertThat(IpPrefix.parse("0.0.0.0/0")).isEqualTo(IpPrefix.ALL_V4);
    assertThat(IpPrefix.parse("::/0")).isEqualTo(IpPrefix.ALL_V6);
  }

  @ParameterizedTest
  @CsvSource({
    "10.0.0.0/8, 10.255.255.255",
    "0.0.0.0/0, 255.255.255.255",
    "1.2.3.4/32, 1.2.3.4",
    "::/0, ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
    "fd7a::/64, fd7a::ffff:ffff:ffff:ffff",
    "fd7a::/72, fd7a::ff:ffff:ffff:ffff",
    "fd7a::/16, fd7a:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
  })
  void lastAddress(String prefix, String last) {
    assertThat(IpPrefix.parse(prefix).last()).isEqualTo(IpAddress.parse(last));
  }

  @ParameterizedTest
  @CsvSource({
    "10.1.2.3/8, 10.1.2.3/8, 10.0.0.0/8, true",
    "10.0.0.0/8, 10.0.0.0/8, 10.0.0.0/8, false",
    "10.0.0.1, 10.0.0.1/32, 10.0.0.1/32, false",
    "fd7a:115c:a1e0::1/70, fd7a:115c:a1e0::1/70, fd7a:115c:a1e0::/70, true",
    "::ffff:1.2.3.4/120, ::ffff:102:304/120, ::ffff:102:300/120, true",
  })
  void cidrKeepsHostBits(String in, String text, String masked, boolean hostBits) {
    IpCidr c = IpCidr.parse(in);
    assertThat(c.toString()).isEqualTo(text);
    assertThat(c.masked().toString()).isEqualTo(masked);
    assertThat(c.hasHostBits()).isEqualTo(hostBits);
    assertThat(IpCidr.tryParse(in)).isEqualTo(c);
  }
}
