package dev.tessera.agent.cookie;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.agent.crypto.X25519;
import dev.tessera.agent.timers.WgConstants;
import java.security.SecureRandom;
import org.junit.jupiter.api.Test;

class CookieTest {
  final SecureRandom rnd = new SecureRandom();
  final byte[] responderPub = X25519.publicKey(X25519.generatePrivateKey(rnd));
  final CookieChecker checker = new CookieChecker(responderPub, rnd);
  final CookieGenerator generator = new CookieGenerator(responderPub);
  final byte[] source = {10, 0, 0, 1, (byte) 0xca, 0x6c};

  private byte[] message() {
    byte[] m = new byte[148];
    rnd.nextBytes(m);
    return m;
  }

  @Test
  void mac1VerifiesOnlyForTheRightResponder() {
    byte[] m = message();
    generator.addMacs(m, m.length, 0);
    assertThat(checker.checkMac1(m, m.length)).isTrue();
    CookieChecker other = new CookieChecker(X25519.publicKey(X25519.generatePrivateKey(rnd)), rnd);
    assertThat(other.checkMac1(m, m.length)).isFalse();
    m[5] ^= 1;
    assertThat(checker.checkMac1(m, m.length)).isFalse();
  }

  @Test
  void cookieRoundTripEnablesMac2ForThatSourceOnly() {
    long now = 1_000;
    byte[] m = message();
    generator.addMacs(m, m.length, now);
    assertThat(m).endsWith(new byte[16]); // no cookie yet: MAC2 is zeros
    assertThat(checker.checkMac2(m, m.length, source, now)).isFalse();
    byte[] reply = checker.createReply(m, m.length, 77, source, now);
    assertThat(reply).hasSize(64);
    assertThat(reply[0]).isEqualTo((byte) 3);
    assertThat(generator.consumeReply(reply, now)).isTrue();
    byte[] m2 = message();
    generator.addMacs(m2, m2.length, now + 1);
    assertThat(checker.checkMac1(m2, m2.length)).isTrue();
    assertThat(checker.checkMac2(m2, m2.length, source, now + 1)).isTrue();
    byte[] otherSource = source.clone();
    otherSource[3] = 2;
    assertThat(checker.checkMac2(m2, m2.length, otherSource, now + 1)).isFalse();
    // the cookie expires after two minutes on the initiator side
    byte[] m3 = message();
    generator.addMacs(m3, m3.length, now + WgConstants.COOKIE_REFRESH_TIME + 1);
    assertThat(checker.checkMac2(m3, m3.length, source, now + 2)).isFalse();
  }

  @Test
  void replyForAnotherMessageIsRejected() {
    byte[] m = message();
    generator.addMacs(m, m.length, 0);
    byte[] unrelated = message();
    byte[] reply = checker.createReply(unrelated, unrelated.length, 1, source, 0);
    assertThat(generator.consumeReply(reply, 0)).isFalse();
    assertThat(generator.hasFreshCookie(0)).isFalse();
  }

  @Test
  void replyBeforeAnyMessageIsRejected() {
    CookieGenerator fresh = new CookieGenerator(responderPub);
    byte[] m = message();
    byte[] reply = checker.createReply(m, m.length, 1, source, 0);
    assertThat(fresh.consumeReply(reply, 0)).isFalse();
  }

  @Test
  void rateLimiterAllowsBurstThenSteadyRateAndStaysBounded() {
    RateLimiter rl = new RateLimiter(20, 5, 100);
    byte[] ip = {1, 2, 3, 4};
    int allowed = 0;
    for (int i = 0; i < 50; i++) {
      if (rl.allow(ip, 0)) {
        allowed++;
      }
    }
    assertThat(allowed).isEqualTo(5);
    assertThat(rl.allow(ip, 50_000_000L)).as("one token per 50 ms").isTrue();
    assertThat(rl.allow(ip, 50_000_000L)).isFalse();
    for (int i = 0; i < 10_000; i++) {
      rl.allow(new byte[] {(byte) i, (byte) (i >> 8), 0, 1}, 0);
    }
    // the original source was evicted (bounded table) and starts with a full bucket again
    assertThat(rl.allow(ip, 50_000_000L)).isTrue();
  }
}
