package dev.tessera.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** {@code policyc explain} through the real command line. */
class ExplainCommandTest {

  static TestCommandTest.Run explain(String... extra) {
    String[] base = {"explain", TestCommandTest.ex("examples/acme/policy.hujson"), "--inventory",
        TestCommandTest.ex("examples/acme/inventory.yaml")};
    String[] all = new String[base.length + extra.length];
    System.arraycopy(base, 0, all, 0, base.length);
    System.arraycopy(extra, 0, all, base.length, extra.length);
    return TestCommandTest.policyc(all);
  }

  @Test
  void deniedIsExitZeroAndNamesTheClosestRule() {
    TestCommandTest.Run r = explain("--src", "laptop-alice", "--dst", "api-1", "--proto", "tcp", "--port", "22");
    assertThat(r.code()).isZero();
    assertThat(r.out()).startsWith("DENIED laptop-alice -> api-1 tcp/22\n")
        .contains("reason: no rule matched; closest rule acls[1] at ")
        .contains("port 22 outside its range 443,8080-8090");
  }

  @Test
  void jsonIsExactlyTheDocumentedObject() {
    TestCommandTest.Run r = explain("--src", "laptop-alice", "--dst", "web-1", "--proto", "tcp", "--port", "443", "--json");
    assertThat(r.code()).isZero();
    String policy = TestCommandTest.ex("examples/acme/policy.hujson");
    assertThat(r.out()).isEqualTo("{\"allowed\":true,\"rules\":[{\"file\":\"" + policy.replace("\\", "\\\\")
        + "\",\"line\":54,\"col\":5}],\"reason\":\"allowed by acls[0] at " + policy + ":54:5\"}\n");
  }

  @Test
  void badInputExitsTwo() {
    assertThat(explain("--src", "nobody", "--dst", "web-1", "--proto", "tcp", "--port", "443").code()).isEqualTo(2);
    assertThat(explain("--src", "laptop-alice", "--dst", "web-1", "--proto", "tcp").code()).isEqualTo(2);
    assertThat(explain("--src", "laptop-alice", "--dst", "web-1", "--proto", "nope", "--port", "1").code()).isEqualTo(2);
    assertThat(explain("--dst", "web-1", "--proto", "tcp", "--port", "1").code()).isEqualTo(2);
  }
}
