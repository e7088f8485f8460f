package dev.tessera.agent.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tessera.testsupport.RequiresTools;
import dev.tessera.testsupport.Tools;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class WgKeyTest {
  @Test
  void base64AndHexRoundTrip() {
    WgKey k = WgKey.generatePrivate(new SecureRandom());
    assertThat(WgKey.fromBase64(k.toBase64())).isEqualTo(k);
    assertThat(WgKey.fromHex(k.toHex())).isEqualTo(k);
    assertThat(k.toBase64()).hasSize(44);
  }

  @Test
  void rejectsWrongLengths() {
    assertThatThrownBy(() -> WgKey.fromBase64("AAAA")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> WgKey.fromHex("00")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> WgKey.of(new byte[31])).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void destroyZeroes() {
    WgKey k = WgKey.generatePrivate(new SecureRandom());
    k.destroy();
    assertThat(k.isZero()).isTrue();
  }

  /** Our public-key derivation must equal {@code wg pubkey} for keys from {@code wg genkey}. */
  @Test
  @RequiresTools("wg")
  void publicKeyMatchesWgTool() throws Exception {
    for (int i = 0; i < 5; i++) {
      String priv = run(null, "wg", "genkey");
      String pub = run(priv + "\n", "wg", "pubkey");
      assertThat(WgKey.fromBase64(priv).publicKey().toBase64()).isEqualTo(pub);
    }
    // and for a fixed unclamped key (wg pubkey clamps like we do)
    WgKey unclamped =
        WgKey.of(
            new byte[] {
              -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
              -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1
            });
    assertThat(unclamped.publicKey().toBase64())
        .isEqualTo(run(unclamped.toBase64() + "\n", "wg", "pubkey"));
  }

  private static String run(String stdin, String... cmd) throws IOException, InterruptedException {
    Process p = Tools.process(cmd).redirectErrorStream(true).start();
    if (stdin != null) {
      p.getOutputStream().write(stdin.getBytes(StandardCharsets.US_ASCII));
    }
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip();
    assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    return out;
  }
}
