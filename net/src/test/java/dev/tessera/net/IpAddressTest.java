package dev.tessera.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class IpAddressTest {

  @ParameterizedTest
  @CsvSource({
    "100.64.0.1, 100.64.0.1, 100.64.0.1",
    "0.0.0.0, 0.0.0.0, 0.0.0.0",
    "255.255.255.255, 255.255.255.255, 255.255.255.255",
    "fd7a:115c:a1e0::1, fd7a:115c:a1e0::1, fd7a:115c:a1e0::1",
    "FD7A:115C:A1E0:0:0:0:0:1, fd7a:115c:a1e0::1, fd7a:115c:a1e0::1",
    "fd7a:115c:a1e0:0000:0000:0000:0000:0001, fd7a:115c:a1e0::1, fd7a:115c:a1e0::1",
    "::, ::, ::",
    "::1, ::1, ::1",
    "1::, 1::, 1::",
    "0:0:0:0:0:0:0:0, ::, ::",
    // RFC 5952 4.2.2: one zero group is not compressed
    "2001:db8:0:1:1:1:1:1, 2001:db8:0:1:1:1:1:1, 2001:db8:0:1:1:1:1:1",
    // 4.2.3: the longest run is compressed; the first one on a tie
    "2001:0:0:1:0:0:0:1, 2001:0:0:1::1, 2001:0:0:1::1",
    "2001:db8:0:0:1:0:0:1, 2001:db8::1:0:0:1, 2001:db8::1:0:0:1",
    "1:0:0:2:3:0:0:4, 1::2:3:0:0:4, 1::2:3:0:0:4",
    // section 5: mixed notation for IPv4-mapped addresses only in the mixed form
    "::ffff:1.2.3.4, ::ffff:102:304, ::ffff:1.2.3.4",
    "::ffff:102:304, ::ffff:102:304, ::ffff:1.2.3.4",
    "::1.2.3.4, ::102:304, ::102:304",
    "1:2:3:4:5:6:1.2.3.4, 1:2:3:4:5:6:102:304, 1:2:3:4:5:6:102:304",
  })
  void parsesAndFormatsCanonically(String in, String plain, String mixed) {
    IpAddress a = IpAddress.parse(in);
    assertThat(a.toString()).isEqualTo(plain);
    assertThat(a.toMixedString()).isEqualTo(mixed);
    assertThat(IpAddress.parse(plain)).isEqualTo(a);
    assertThat(IpAddress.parse(mixed)).isEqualTo(a);
    assertThat(IpAddress.ofBytes(a.toBytes())).isEqualTo(a);
    assertThat(IpAddress.of(a.toInetAddress())).isEqualTo(a);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "''|empty",
        "1.2.3|IPv4 address needs four octets, has 3",
        "1.2.3.4.5|more than four octets",
        "256.0.0.1|IPv4 octet 256 is over 255",
        "1.2.3.1000|more than three digits",
        "01.2.3.4|IPv4 octet 01 has a leading zero",
        "'1.2.3.4 '|unexpected ' ' in IPv4 address",
        "' 1.2.3.4'|unexpected ' ' in IPv4 address",
        "1.2.3.|IPv4 address ends early",
        "a.b.c.d|unexpected 'a' in IPv4 address",
        "１.2.3.4|unexpected '１' in IPv4 address",
        ":|starts with a single ':'",
        ":::|unexpected ':' in IPv6 address",
        ":1:2:3:4:5:6:7|starts with a single ':'",
        "1:2:3:4:5:6:7:|ends with a single ':'",
        "1:2:3:4:5:6:7:8:9|more than eight groups",
        "1:2:3:4:5:6:7|needs eight groups or '::', has 7",
        "1::2::3|more than one '::'",
        "12345::|more than four hex digits",
        "00000::1|more than four hex digits",
        "g::1|unexpected 'g' in IPv6 address",
        "fe80::1%eth0|zone ids are not accepted",
        "[::1]|unexpected '[' in IPv6 address",
        "1.2.3.4/32|unexpected '/' in IPv4 address",
        "::1.2.3|IPv4 address needs four octets, has 3",
        "::01.2.3.4|IPv4 octet 01 has a leading zero",
        "1:2:3:4:5:6:7:1.2.3.4|does not fit in the last 32 bits",
        "1:2:3:4:5:6:7:8::|'::' must stand for at least one zero group",
        "1:2:3:4::5:6:7:8|'::' must stand for at least one zero group",
        "1111:2222:3333:4444:5555:6666:7777:8888:999999|longer than 45 characters",
      })
  void rejectsWithAReason(String bad, String reason) {
    assertThat(IpAddress.tryParse(bad)).isNull();
    assertThatThrownBy(() -> IpAddress.parse(bad))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("not an IP address: \"" + bad + "\" (")
        .hasMessageContaining(reason);
  }

  @ParameterizedTest
  @CsvSource({
    "1.2.3.4, 1.2.3.5, -1",
    "255.255.255.255, ::, -1",
    "::, 255.255.255.255, 1",
    "8000::, 7fff::, 1",
    "::8000:0:0:0, ::7fff:0:0:0, 1",
    "::1, ::1, 0",
  })
  void ordersV4FirstThenUnsigned(String a, String b, int sign) {
    assertThat(Integer.signum(IpAddress.parse(a).compareTo(IpAddress.parse(b)))).isEqualTo(sign);
  }
}
