package dev.tessera.policy.print;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.policy.Policies;
import dev.tessera.policy.PolicyResult;
import dev.tessera.policy.Syntax;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code convert} keeps every value's text: a conversion to any syntax and back writes each value
 * as the author did ({@code /32}, {@code /128}, uncompressed IPv6 in a key...), not its canonical
 * form, in route keys, host values, ACL and grant destinations, grant {@code ip} entries.
 */
class ValueTextTest {
  private static final String POLICY =
      """
      {
        "hosts": {"web": "10.0.0.5/32", "v6": "fd7a:115c:a1e0::5/128"},
        "tagOwners": {"tag:r": []},
        "autoApprovers": {"routes": {"10.1.0.1/32": ["tag:r"], "fd7a::1/128": ["tag:r"]}},
        "acls": [{"action": "accept", "src": ["10.2.0.1/32"], "dst": ["10.3.0.1/32:443", "web:1-65535"]}],
        "grants": [{"src": ["*"], "dst": ["10.4.0.1/32", "fd7a:0:0::9/128"], "ip": ["TCP:443"]}],
      }
      """;

  private static final List<String> VALUES =
      List.of(
          "10.0.0.5/32",
          "fd7a:115c:a1e0::5/128",
          "10.1.0.1/32",
          "fd7a::1/128",
          "10.2.0.1/32",
          "10.3.0.1/32:443",
          "web:1-65535",
          "10.4.0.1/32",
          "fd7a:0:0::9/128");

  @ParameterizedTest
  @EnumSource(Syntax.class)
  void convertKeepsValueText(Syntax via) {
    PolicyResult read = Policies.read("p.hujson", POLICY, Syntax.HUJSON);
    assertThat(read.errors()).isEmpty();
    Conversions.Result there = Conversions.print(read, via);
    assertThat(there.ok()).as(String.valueOf(there.blocking())).isTrue();
    for (String v : VALUES) {
      assertThat(there.text()).as("%s in %s", v, via).contains(v);
    }
    PolicyResult again =
        Policies.read("p." + via.name().toLowerCase(java.util.Locale.ROOT), there.text(), via);
    Conversions.Result back = Conversions.print(again, Syntax.HUJSON);
    for (String v : VALUES) {
      assertThat(back.text()).as("%s back from %s", v, via).contains("\"" + v + "\"");
    }
  }
}
