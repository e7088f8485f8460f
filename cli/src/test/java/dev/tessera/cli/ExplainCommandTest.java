package dev.tessera.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** {@code policyc explain} through the real command line. */
class ExplainCommandTest {

  static TestCommandTest.Run explain(String... extra) {
    String[] base = {
      "explain",
      TestCommandTest.ex("examples/acme/policy.hujson"),
      "--inventory",
      TestCommandTest.ex("examples/acme/inventory.yaml")
    };
    String[] all = new String[base.length + extra.length];
    System.arraycopy(base, 0, all, 0, base.length);
    System.arraycopy(extra, 0, all, base.length, extra.length);
    return TestCommandTest.policyc(all);
  }

  @Test
  void deniedIsExitZeroAndNamesTheClosestRule() {
    TestCommandTest.Run r =
        explain("--src", "laptop-alice", "--dst", "api-1", "--proto", "tcp", "--port", "22");
    assertThat(r.code()).isZero();
    assertThat(r.out())
        .startsWith("DENIED laptop-alice -> api-1 tcp/22\n")
        .contains("reason: no rule matched; closest rule acls[1] at ")
        .contains("port 22 outside its range 443,8080-8090");
  }

  @Test
  void jsonIsExactlyTheDocumentedObject() {
    TestCommandTest.Run r =
        explain(
            "--src", "laptop-alice", "--dst", "web-1", "--proto", "tcp", "--port", "443", "--json");
    assertThat(r.code()).isZero();
    String policy = TestCommandTest.ex("examples/acme/policy.hujson");
    assertThat(r.out())
        .isEqualTo(
            "{\"allowed\":true,\"rules\":[{\"file\":\""
                + policy.replace("\\", "\\\\")
                + "\",\"line\":71,\"col\":3}],\"reason\":\"allowed by acls[0] at "
                + policy
                + ":71:3\"}\n");
  }

  @Test
  void badInputExitsTwo() {
    assertThat(
            explain("--src", "nobody", "--dst", "web-1", "--proto", "tcp", "--port", "443").code())
        .isEqualTo(2);
    assertThat(explain("--src", "laptop-alice", "--dst", "web-1", "--proto", "tcp").code())
        .isEqualTo(2);
    assertThat(
            explain("--src", "laptop-alice", "--dst", "web-1", "--proto", "nope", "--port", "1")
                .code())
        .isEqualTo(2);
    assertThat(explain("--dst", "web-1", "--proto", "tcp", "--port", "1").code()).isEqualTo(2);
  }

  @Test
  void unknownTargetsOfferTheClosestKnownName() {
    TestCommandTest.Run node =
        explain("--src", "laptop-alcie", "--dst", "web-1", "--proto", "tcp", "--port", "443");
    assertThat(node.code()).isEqualTo(2);
    assertThat(node.err())
        .contains("--src laptop-alcie: ")
        .contains("(did you mean laptop-alice?)");
    TestCommandTest.Run group =
        explain("--src", "group:engg", "--dst", "web-1", "--proto", "tcp", "--port", "443");
    assertThat(group.err()).contains("(did you mean group:eng?)");
    TestCommandTest.Run user =
        explain("--src", "alice@acme.co", "--dst", "web-1", "--proto", "tcp", "--port", "443");
    assertThat(user.code()).isEqualTo(2);
    assertThat(user.err())
        .contains(
            "--src alice@acme.co: no such user in the inventory (did you mean alice@acme.com?)");
    TestCommandTest.Run far =
        explain("--src", "laptop-alice", "--dst", "zzzzzzzz", "--proto", "tcp", "--port", "443");
    assertThat(far.err())
        .contains("(give a node name, user, group, tag, host or IP)")
        .doesNotContain("did you mean");
  }
}
