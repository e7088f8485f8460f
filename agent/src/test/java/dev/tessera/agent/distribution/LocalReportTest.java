package dev.tessera.agent.distribution;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class LocalReportTest {
  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
    "Linux, linux",
    "Mac OS X, macos",
    "Windows 11, windows",
    "FreeBSD, freebsd",
    "SunOS, sunos"
  })
  void namesTheOsAsTailscaleDoes(String java, String tailscale) {
    assertThat(LocalReport.os(java)).isEqualTo(tailscale);
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
    "192.0.2.7, true",
    "2001:db8::7, true",
    "127.0.0.1, false",
    "::1, false",
    "fe80::1, false",
    "169.254.1.1, false",
    "224.0.0.1, false",
    "0.0.0.0, false"
  })
  void onlyAddressesAPeerCouldSendToAreEndpoints(String address, boolean endpoint) {
    assertThat(LocalReport.endpoint(InetAddress.ofLiteral(address))).isEqualTo(endpoint);
  }

  @org.junit.jupiter.api.Test
  void reportsTheListenPortWithEveryAddressAndThePosture() {
    var r =
        new LocalReport(java.util.Optional.empty(), "tessera-test0", () -> 41641, a -> false).get();
    assertThat(r.listenPort()).isEqualTo(41641);
    assertThat(r.endpoints()).allSatisfy(e -> assertThat(e.getPort()).isEqualTo(41641));
    assertThat(r.endpoints())
        .allSatisfy(e -> assertThat(LocalReport.endpoint(e.getAddress())).isTrue());
    assertThat(r.posture()).containsEntry("node:os", "linux").containsKey("node:tsVersion");
    assertThat(r.posture().get("node:tsVersion")).isNotEqualTo("unknown").doesNotContain("${");
    var inTailnet =
        new LocalReport(java.util.Optional.empty(), "tessera-test0", () -> 41641, a -> true).get();
    assertThat(inTailnet.endpoints()).isEmpty();
    assertThat(r.advertisedRoutes()).isEmpty();
    assertThat(r.query()).doesNotContain("advertise");
  }

  @org.junit.jupiter.api.Test
  void anEnrolledNodeReportsEveryRouteItAdvertisesAndAnEmptyListWhenItAdvertisesNone() {
    var routes =
        java.util.List.of(
            dev.tessera.net.IpPrefix.parse("::/0"),
            dev.tessera.net.IpPrefix.parse("10.1.0.0/16"),
            dev.tessera.net.IpPrefix.parse("0.0.0.0/0"));
    var r =
        new LocalReport(java.util.Optional.of(routes), "tessera-test0", () -> 41641, a -> false)
            .get();
    assertThat(r.query()).endsWith("&advertise=0.0.0.0%2F0%2C10.1.0.0%2F16%2C%3A%3A%2F0");
    var none =
        new LocalReport(
                java.util.Optional.of(java.util.List.of()), "tessera-test0", () -> 0, a -> false)
            .get();
    assertThat(none.query()).endsWith("&advertise=");
  }
}
