package dev.tessera.net;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class IpProtocolTest {
  @Test
  void everyNameIsReadBackAsItsNumber() {
    IpProtocol.NAMES.forEach(
        (name, number) ->
            assertThat(IpProtocol.NAMES.get(IpProtocol.name(number))).as(name).isEqualTo(number));
  }

  @ParameterizedTest
  @CsvSource({"1, icmp", "4, ipv4", "6, tcp", "17, udp", "58, ipv6-icmp", "132, sctp", "99, 99"})
  void namesNumbersAsThePolicySyntaxDoes(int number, String name) {
    assertThat(IpProtocol.name(number)).isEqualTo(name);
  }

  @ParameterizedTest
  @CsvSource({"6, true", "17, true", "132, true", "1, false", "58, false", "47, false"})
  void onlyTcpUdpAndSctpHavePorts(int number, boolean ports) {
    assertThat(IpProtocol.hasPorts(number)).isEqualTo(ports);
  }
}
