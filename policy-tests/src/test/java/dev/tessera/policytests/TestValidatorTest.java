package dev.tessera.policytests;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.net.IpCidr;
import dev.tessera.policy.ast.SourceSpan;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Tailscale's test-validity rules (tailscale-policy-semantics.md section 8), one row per rule. The
 * expectations follow headscale's policytest_results captures of Tailscale SaaS where a capture
 * exists (named in the last column).
 */
class TestValidatorTest {

  static final TestValidator V =
      new TestValidator(
          new TestValidator.Names(
              Map.of(
                  "webserver", IpCidr.parse("100.64.0.16"),
                  "internal", IpCidr.parse("10.0.0.0/8"),
                  "v6box", IpCidr.parse("fd7a:115c:a1e0::10")),
              Set.of("developers", "empty"),
              Set.of("server", "client")));

  static TestSpec spec(String src, String proto, String accept) {
    SourceSpan s = SourceSpan.point("t.hujson", 1, 1, 0);
    return new TestSpec(
        s,
        src == null ? Optional.empty() : Optional.of(new TestSpec.Text(src, s)),
        proto == null ? Optional.empty() : Optional.of(new TestSpec.Text(proto, s)),
        accept == null ? List.of() : List.of(new TestSpec.Text(accept, s)),
        List.of(),
        accept != null,
        false);
  }

  @ParameterizedTest(name = "{0} / {1} / {2} -> {3}")
  @CsvSource(
      delimiter = '|',
      nullValues = "NULL",
      textBlock =
          """
          # src                 | proto | dst                        | valid | error contains                  | capture
          thor@example.org      | NULL  | webserver:80               | true  | ''                              | port-shape-single
          thor@example.org      | NULL  | webserver:80,443,8080      | false | not a list                      | port-shape-list
          thor@example.org      | NULL  | webserver:8000-8100        | false | not a range                     | port-shape-range
          thor@example.org      | NULL  | webserver:*                | false | not "*"                         | port-shape-wildcard
          thor@example.org      | icmp  | webserver:*                | false | not "*"                         | proto-icmp
          thor@example.org      | icmp  | webserver:80               | true  | ''                              | ''
          thor@example.org      | icmp  | webserver:0                | true  | ''                              | (wild: icmp to tag:x:0 passes)
          thor@example.org      | tcp   | webserver:0                | false | out of range                    | ''
          thor@example.org      | 1     | webserver:80               | true  | ''                              | (number of icmp)
          thor@example.org      | ipv6-icmp | webserver:80           | true  | ''                              | ''
          thor@example.org      | gre   | webserver:80               | false | only tcp, udp, sctp and icmp    | ''
          thor@example.org      | 6     | webserver:443              | true  | ''                              | proto-numeric
          thor@example.org      | tcp   | webserver:80               | true  | ''                              | proto-tcp
          thor@example.org      | udp   | webserver:53               | true  | ''                              | proto-udp
          thor@example.org      | sctp  | webserver:53               | true  | ''                              | ''
          thor@example.org      | bogus | webserver:53               | false | unknown protocol                | ''
          thor@example.org      | NULL  | 10.0.0.0/8:22              | false | network (CIDR)                  | accept-fail-user-src-cidr-dst
          tag:client            | NULL  | 100.64.0.16/32:22          | false | network (CIDR)                  | allpass-grants-only-tag-src-prefix32-dst
          tag:client            | NULL  | internal:22                | false | not one host                    | allpass-grants-only-tag-src-host-alias-cidr-dst
          tag:client            | NULL  | 100.64.0.16:22             | true  | ''                              | allpass-grants-only-tag-src-ip-literal-dst
          tag:client            | NULL  | [fd7a:115c:a1e0::10]:22    | true  | ''                              | allpass-grants-only-tag-src-ipv6-literal-dst
          tag:client            | NULL  | fd7a:115c:a1e0::10:22      | true  | ''                              | (last colon splits)
          tag:client            | NULL  | v6box:22                   | true  | ''                              | ''
          tag:client            | NULL  | autogroup:internet:443     | false | autogroup:internet              | dst-unknown-autogroup-internet-non-exit
          tag:client            | NULL  | autogroup:self:22          | false | needs a user or group source    | dst-unknown-autogroup-self-with-tag-src
          thor@example.org      | NULL  | autogroup:self:22          | true  | ''                              | deny-fail-autogroup-self-dst
          thor@example.org      | NULL  | 10.0.0.0/33:443            | false | not a valid address             | dst-unknown-cidr-shape
          group:developers      | NULL  | group:nonexistent:22       | false | not defined                     | dst-unknown-group
          thor@example.org      | NULL  | phantomhost:80             | false | not defined in hosts            | dst-unknown-host
          thor@example.org      | NULL  | tag:phantom:22             | false | not defined in tagOwners        | dst-unknown-tag
          thor@example.org      | NULL  | webserver:notaport         | false | not a number                    | malformed-test-bad-port-syntax
          thor@example.org      | NULL  | webserver:-1               | false | not a number                    | malformed-test-port-negative
          thor@example.org      | NULL  | webserver:99999            | false | out of range                    | malformed-test-port-out-of-range
          thor@example.org      | NULL  | webserver:0                | false | out of range                    | ''
          thor@example.org      | NULL  | webserver                  | false | expected host:port              | ''
          thor@example.org      | NULL  | *:*                        | false | not "*"                         | accept-fail-autogroup-member-src-wildcard-dst
          thor@example.org      | NULL  | *:22                       | false | not one host                    | ''
          ''                    | NULL  | webserver:80               | false | source is empty                 | malformed-test-empty-string-src
          NULL                  | NULL  | tag:server:22              | false | missing "src"                   | malformed-test-missing-src
          thor@example.org      | NULL  | NULL                       | false | needs "accept" or "deny"        | malformed-test-missing-accept-and-deny
          autogroup:bogus       | NULL  | tag:server:22              | false | unknown autogroup               | src-unknown-autogroup
          group:phantom         | NULL  | tag:server:22              | false | not defined                     | src-unknown-group
          phantomhost           | NULL  | tag:server:22              | false | not defined in hosts            | src-unknown-host
          tag:phantom           | NULL  | webserver:80               | false | not defined in tagOwners        | src-unknown-tag
          autogroup:self        | NULL  | webserver:80               | false | not valid as a source           | ''
          autogroup:danger-all  | NULL  | webserver:80               | false | not one source                  | ''
          *                     | NULL  | webserver:80               | false | not one source                  | ''
          10.0.0.0/8            | NULL  | webserver:80               | false | network (CIDR)                  | ''
          internal              | NULL  | webserver:80               | false | not one host                    | ''
          autogroup:member      | NULL  | tag:server:443             | true  | ''                              | ''
          autogroup:tagged      | NULL  | tag:server:443             | true  | ''                              | accept-fail-autogroup-tagged-src-tag-dst
          autogroup:admin       | NULL  | tag:server:443             | true  | ''                              | ''
          100.64.0.19           | NULL  | webserver:80               | true  | ''                              | accept-fail-ip-literal-src-host-dst
          thor@example.org      | NULL  | odin@example.com:22        | true  | ''                              | dst-unknown-user (user dst: see README)
          thor@example.org      | NULL  | group:developers:22        | true  | ''                              | ''
          thor@example.org      | NULL  | autogroup:danger-all:22    | false | not valid as a destination      | ''
          thor@example.org      | NULL  | ipset:x:22                 | false | not one host                    | ''
          """)
  void validity(String src, String proto, String dst, boolean valid, String error, String capture) {
    TestValidator.Validated v = V.validate(0, spec(src, proto, dst));
    if (valid) {
      assertThat(v.invalid()).as(capture).isEmpty();
      assertThat(v.assertions()).hasSize(1);
      assertThat(v.assertions().getFirst().dstText()).isEqualTo(dst);
    } else {
      assertThat(v.assertions()).as(capture).isEmpty();
      assertThat(v.invalid()).hasSize(1);
      assertThat(v.invalid().getFirst().reason()).as(capture).contains(error);
    }
  }

  @org.junit.jupiter.api.Test
  void duplicateEntriesAreFine() {
    TestSpec s = spec("thor@example.org", null, "webserver:80");
    TestSpec twice =
        new TestSpec(
            s.span(),
            s.src(),
            s.proto(),
            List.of(s.accept().getFirst(), s.accept().getFirst()),
            List.of(),
            true,
            false);
    assertThat(V.validate(0, twice).assertions()).hasSize(2);
  }

  @org.junit.jupiter.api.Test
  void eachDestinationIsJudgedAlone() {
    SourceSpan s = SourceSpan.point("t.hujson", 3, 5, 0);
    TestSpec t =
        new TestSpec(
            s,
            Optional.of(new TestSpec.Text("thor@example.org", s)),
            Optional.empty(),
            List.of(new TestSpec.Text("webserver:80", s), new TestSpec.Text("webserver:*", s)),
            List.of(new TestSpec.Text("tag:server:22", s)),
            true,
            true);
    TestValidator.Validated v = V.validate(4, t);
    assertThat(v.assertions())
        .extracting(Assertion::dstText)
        .containsExactly("webserver:80", "tag:server:22");
    assertThat(v.assertions())
        .extracting(Assertion::expect)
        .containsExactly(Assertion.Expect.ALLOW, Assertion.Expect.DENY);
    assertThat(v.invalid())
        .extracting(TestValidator.Invalid::subject)
        .containsExactly("webserver:*");
    assertThat(v.invalid().getFirst().testIndex()).isEqualTo(4);
  }
}
