package dev.tessera.policy.syntax;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.policy.ast.PostureCondition;
import dev.tessera.policy.ast.Selector;
import dev.tessera.policy.ast.SourceSpan;
import dev.tessera.policy.diag.Diagnostics;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Value parsers: each form parses to the right type, and {@code text()} prints it back. */
class ValuesTest {
  private static final SourceSpan S = SourceSpan.NONE;

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "*                    | Wildcard   | *",
        "alice@acme.com       | User       | alice@acme.com",
        "bob@                 | User       | bob@",
        "user:*@acme.com      | UserDomain | user:*@acme.com",
        "group:eng            | Group      | group:eng",
        "tag:web              | Tag        | tag:web",
        "autogroup:member     | Auto       | autogroup:member",
        "autogroup:danger-all | Auto       | autogroup:danger-all",
        "prod-db              | Host       | prod-db",
        "ipset:office         | IpSet      | ipset:office",
        "10.0.0.1             | Ip         | 10.0.0.1",
        "10.0.0.1/32          | Ip         | 10.0.0.1",
        "10.0.0.0/8           | Ip         | 10.0.0.0/8",
        "fd7a:115c:a1e0::1    | Ip         | fd7a:115c:a1e0::1",
        "10.0.0.1-10.0.0.9    | Range      | 10.0.0.1-10.0.0.9",
        "fd00::1-fd00::9      | Range      | fd00::1-fd00::9",
      })
  void selectorsParseAndPrint(String text, String kind, String printed) {
    Diagnostics d = new Diagnostics();
    Selector s = Values.selector(text, S, d).orElseThrow(() -> new AssertionError(d.sorted()));
    assertThat(s.getClass().getSimpleName()).isEqualTo(kind);
    assertThat(s.text()).isEqualTo(printed);
    assertThat(Values.selector(s.text(), S, new Diagnostics())).contains(s);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "tag:web:80,443          | tag:web:80,443",
        "*:*                     | *:*",
        "autogroup:self:*        | autogroup:self:*",
        "fd7a::1:22              | [fd7a::1]:22",
        "[fd7a::1]:22-25         | [fd7a::1]:22-25",
        "fd7a::/16:443           | fd7a::/16:443",
        "10.0.0.0/8:1-65535      | 10.0.0.0/8:1-65535",
        "db:5432                 | db:5432",
      })
  void aclDestinationsParseAndPrint(String text, String printed) {
    Diagnostics d = new Diagnostics();
    var dst = Values.aclDestination(text, S, d).orElseThrow(() -> new AssertionError(d.sorted()));
    assertThat(dst.text()).isEqualTo(printed);
    assertThat(Values.aclDestination(dst.text(), S, new Diagnostics())).contains(dst);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "*         | *",
        "443       | 443",
        "80-90     | 80-90",
        "tcp:443   | tcp:443",
        "TCP:443   | tcp:443",
        "icmp:*    | icmp:*",
        "6:22,80   | 6:22,80",
      })
  void grantIpParseAndPrint(String text, String printed) {
    Diagnostics d = new Diagnostics();
    var ip = Values.grantIp(text, S, d).orElseThrow(() -> new AssertionError(d.sorted()));
    assertThat(ip.text()).isEqualTo(printed);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "node:os == 'macos'                    | node:os == 'macos'",
        "node:os==\"macos\"                    | node:os == 'macos'",
        "node:os IN ['macos','windows']        | node:os IN ['macos', 'windows']",
        "node:os NOT IN ['ios']                | node:os NOT IN ['ios']",
        "custom:x IS SET                       | custom:x IS SET",
        "custom:x NOT SET                      | custom:x NOT SET",
        "node:tsVersion >= '1.60'              | node:tsVersion >= '1.60'",
        "custom:score < 10                     | custom:score < 10",
        "custom:ok != false                    | custom:ok != false",
        "custom:q == 'it\\'s'                  | custom:q == 'it\\'s'",
      })
  void postureConditionsParseAndPrint(String text, String printed) {
    Diagnostics d = new Diagnostics();
    PostureCondition c =
        Values.postureCondition(text, S, d).orElseThrow(() -> new AssertionError(d.sorted()));
    assertThat(c.text()).isEqualTo(printed);
    assertThat(Values.postureCondition(c.text(), S, new Diagnostics())).contains(c);
  }
}
