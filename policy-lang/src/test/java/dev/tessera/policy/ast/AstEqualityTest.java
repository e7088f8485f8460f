package dev.tessera.policy.ast;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.net.IpCidr;
import java.util.List;
import org.junit.jupiter.api.Test;

class AstEqualityTest {
  private static final SourceSpan A = new SourceSpan("a.hujson", 1, 2, 1, 9, 1, 8);
  private static final SourceSpan B = new SourceSpan("b.yaml", 7, 3, 7, 10, 40, 47);

  @Test
  void spansNeverAffectEquality() {
    assertThat(A).isEqualTo(B).hasSameHashCodeAs(B);
    assertThat(A.sameLocation(B)).isFalse();
    assertThat(A.sameLocation(new SourceSpan("a.hujson", 1, 2, 1, 9, -1, -1))).isTrue();
    assertThat(new Selector.Group("eng", A)).isEqualTo(new Selector.Group("eng", B));
    assertThat(new Selector.Group("eng", A)).isNotEqualTo(new Selector.Group("ops", A));
  }

  @Test
  void protocolSpellingIsKeptButNumberIsTheMeaning() {
    assertThat(Protocol.parse("TCP")).contains(new Protocol(6, "tcp"));
    assertThat(Protocol.parse("6")).contains(Protocol.number(6));
    assertThat(Protocol.parse("6").orElseThrow().number())
        .isEqualTo(Protocol.parse("tcp").orElseThrow().number());
    assertThat(Protocol.parse("ip-in-ip").orElseThrow().number()).isEqualTo(4);
    assertThat(Protocol.parse("icmp").orElseThrow().supportsPorts()).isFalse();
    assertThat(Protocol.parse("sctp").orElseThrow().supportsPorts()).isTrue();
  }

  @Test
  void policyEqualityIgnoresCommentsButNotSections() {
    Policy p =
        Policy.builder()
            .acls(List.of())
            .comments(List.of(new Comment(" x", Comment.Kind.LINE, A)))
            .build();
    assertThat(p).isEqualTo(Policy.builder().acls(List.of()).build());
    assertThat(p).isNotEqualTo(Policy.empty());
    assertThat(p.toBuilder().build()).isEqualTo(p);
  }

  @Test
  void aclDestinationPrintsBracketsForIpv6() {
    IpCidr v6 = IpCidr.parse("fd7a::1");
    assertThat(
            new AclDestination(new Selector.Ip(v6, A), PortSpec.of(PortRange.single(22)), A).text())
        .isEqualTo("[fd7a::1]:22");
    assertThat(new AclDestination(new Selector.Tag("web", A), PortSpec.ALL, A).text())
        .isEqualTo("tag:web:*");
  }
}
