package dev.tessera.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ConnectionsPerSourceTest {
  static ConnectionsPerSource.Source source(String address) throws Exception {
    return ConnectionsPerSource.of(new InetSocketAddress(InetAddress.getByName(address), 1234));
  }

  @ParameterizedTest(name = "{0} and {1} are one source: {2}")
  @CsvSource({
    "192.0.2.1,            192.0.2.1,             true",
    "192.0.2.1,            192.0.2.2,             false",
    "2001:db8:1:2::1,      2001:db8:1:2:ffff::9,  true", // one /64: one host can use all of it
    "2001:db8:1:2::1,      2001:db8:1:3::1,       false",
  })
  void sourcesAreIpv4AddressesAndIpv6Slash64s(String a, String b, boolean same) throws Exception {
    assertThat(source(a).equals(source(b))).isEqualTo(same);
  }

  /** An IPv4 client of a dual-stack socket may be reported as ::ffff:a.b.c.d. */
  @Test
  void anIpv4MappedAddressIsItsIpv4Address() throws Exception {
    byte[] mapped = new byte[16];
    mapped[10] = (byte) 0xff;
    mapped[11] = (byte) 0xff;
    System.arraycopy(InetAddress.getByName("192.0.2.1").getAddress(), 0, mapped, 12, 4);
    InetAddress v6 = java.net.Inet6Address.getByAddress(null, mapped, -1);
    assertThat(v6).isInstanceOf(java.net.Inet6Address.class);
    assertThat(ConnectionsPerSource.of(v6)).isEqualTo(source("192.0.2.1"));
    assertThat(ConnectionsPerSource.of(v6)).isNotEqualTo(source("::"));
  }

  @Test
  void countsPerSourceAndForgetsClosedSources() throws Exception {
    ConnectionsPerSource c = new ConnectionsPerSource();
    var a = source("192.0.2.1");
    var b = source("2001:db8::1");
    assertThat(c.opened(a)).isEqualTo(1);
    assertThat(c.opened(a)).isEqualTo(2);
    assertThat(c.opened(b)).isEqualTo(1);
    c.closed(a);
    assertThat(c.openFrom(a)).isEqualTo(1);
    c.closed(a);
    c.closed(b);
    assertThat(c.sources()).isZero();
    assertThat(ConnectionsPerSource.of(new io.netty.channel.local.LocalAddress("x"))).isNull();
  }
}
