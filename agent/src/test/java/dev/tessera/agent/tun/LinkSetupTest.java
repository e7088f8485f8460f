package dev.tessera.agent.tun;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tessera.testsupport.RequiresTools;
import dev.tessera.testsupport.Tools;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The subprocess runner behind every {@code ip} command of the agent. */
class LinkSetupTest {
  /** More than a pipe holds (64 KiB on Linux): 20,000 lines of 11 bytes. */
  static final String LONG_OUTPUT =
      "i=0; while [ $i -lt 20000 ]; do echo 0123456789; i=$((i+1)); done";

  @Test
  @RequiresTools("sh")
  void outputLongerThanAPipeHoldsIsReadWhileTheCommandRuns() throws Exception {
    String out = LinkSetup.run(Tools.checked(List.of("sh", "-c", LONG_OUTPUT)));
    assertThat(out.lines()).hasSize(20_000).allMatch("0123456789"::equals);
  }

  @Test
  @RequiresTools("sh")
  void aFailingCommandSaysWhatItPrinted() {
    assertThatThrownBy(
            () ->
                LinkSetup.run(Tools.checked(List.of("sh", "-c", "echo no such table >&2; exit 2"))))
        .isInstanceOf(IOException.class)
        .hasMessageEndingWith("failed: no such table");
  }
}
