package dev.tessera.policy.diag;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SuggestTest {
  private static final List<String> KEYS =
      List.of("acls", "grants", "groups", "tagOwners", "hosts", "group:eng", "group:ops");

  @ParameterizedTest
  @CsvSource(
      nullValues = "NONE",
      value = {
        "acl, acls",
        "ACL, acls",
        "grant, grants",
        "tagowner, tagOwners",
        "group:engg, group:eng",
        "group:op, group:ops",
        "xyz, NONE",
        "completelydifferent, NONE",
      })
  void suggestsTheClosest(String input, String expected) {
    assertThat(Suggest.closest(input, KEYS).orElse(null)).isEqualTo(expected);
  }
}
