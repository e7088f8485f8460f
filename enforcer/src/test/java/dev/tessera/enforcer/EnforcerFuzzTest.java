package dev.tessera.enforcer;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.tessera.enforcer.format.CompiledFilter;
import dev.tessera.enforcer.format.FilterCodec;
import dev.tessera.enforcer.format.FilterFormatException;
import dev.tessera.enforcer.format.FilterJson;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Jazzer fuzz targets. Under plain {@code mvn test} they run in regression mode over the seed
 * inputs in {@code src/test/resources/dev/tessera/enforcer/EnforcerFuzzTestInputs/<method>/} (plus
 * an empty input). To fuzz with coverage: {@code bin/fuzz --seconds N EnforcerFuzzTest#packets} (or
 * {@code #filterCodec}, {@code #filterJson}).
 *
 * <p>Properties: no exception escapes; a verdict is always returned; inbound is deterministic for
 * the same state; a packet the parser accepts through one buffer kind gets the same verdict through
 * another.
 */
class EnforcerFuzzTest {
  private static final Enforcer ENFORCER = Enforcer.create(TestFilters.node());
  private static final Enforcer.Worker W = ENFORCER.newWorker();
  private static final Enforcer.Worker W2 = ENFORCER.newWorker();

  @FuzzTest(maxDuration = "30s")
  void packets(FuzzedDataProvider data) {
    boolean outboundFirst = data.consumeBoolean();
    byte[] packet = data.consumeRemainingAsBytes();
    if (outboundFirst) {
      assertThat(W.outbound(packet, 0, packet.length)).isNotNull();
    }
    Verdict a = W.inbound(packet, 0, packet.length);
    assertThat(a).isNotNull();
    // A second worker, a different buffer kind, the same shared state: the same verdict
    // (the first call may have created the flow, so compare the second against a third).
    Verdict b = W.inbound(ByteBuffer.wrap(packet));
    Verdict c = W2.inbound(ByteBuffer.wrap(packet).asReadOnlyBuffer());
    assertThat(c).isEqualTo(b);
  }

  @FuzzTest(maxDuration = "30s")
  void filterCodec(byte[] input) {
    try {
      CompiledFilter f = FilterCodec.decode(input);
      // anything accepted is canonical and survives both codecs
      assertThat(FilterCodec.encode(f)).isEqualTo(input);
      assertThat(FilterJson.read(FilterJson.write(f))).isEqualTo(f);
      Matcher.of(f);
    } catch (FilterFormatException expected) {
      assertThat(expected.getMessage()).isNotBlank();
    }
  }

  @FuzzTest(maxDuration = "30s")
  void filterJson(byte[] input) {
    try {
      CompiledFilter f = FilterJson.read(new String(input, StandardCharsets.UTF_8));
      assertThat(FilterCodec.decode(FilterCodec.encode(f))).isEqualTo(f.canonical());
    } catch (FilterFormatException expected) {
      assertThat(expected.getMessage()).isNotBlank();
    }
  }

  private static final Path SEEDS =
      Path.of("src/test/resources/dev/tessera/enforcer/EnforcerFuzzTestInputs");

  /** Hand-built seeds (refresh with -Dfuzz.seeds.update=true); checks they are in place. */
  @Test
  void seedCorpus() throws IOException, FilterFormatException {
    Map<String, byte[]> packets = new LinkedHashMap<>();
    packets.put(
        "tcp-syn-v4", Packets.tcp("100.64.0.2", TestFilters.NODE4, 40000, 443, Packets.SYN));
    packets.put("udp-v6", Packets.udp("fd7a::3", TestFilters.NODE6, 9, 53));
    packets.put("ping-v6", Packets.ping("fd7a::6", TestFilters.NODE6, 9));
    packets.put("sctp-v4", Packets.sctp("100.64.0.4", TestFilters.NODE4, 1, 5000));
    packets.put(
        "icmp-error-v4",
        Packets.unreachable(
            "100.64.1.9",
            TestFilters.NODE4,
            Packets.udp(TestFilters.NODE4, "100.64.1.9", 41000, 53),
            28));
    packets.put(
        "icmp6-error",
        Packets.unreachable(
            "fd7a::9",
            TestFilters.NODE6,
            Packets.tcp(TestFilters.NODE6, "fd7a::9", 1, 2, Packets.SYN),
            60));
    packets.put(
        "frag-first-v4",
        Packets.ip4(
            "100.64.0.2",
            TestFilters.NODE4,
            6,
            0,
            true,
            77,
            Packets.concat(Packets.tcpHeader(40000, 443, Packets.SYN), new byte[4])));
    packets.put(
        "frag-v6",
        Packets.ip6(
            "fd7a::2",
            TestFilters.NODE6,
            44,
            Packets.fragHeader(6, 0, true, 5),
            Packets.concat(Packets.tcpHeader(40000, 443, Packets.SYN), new byte[4])));
    packets.put(
        "ext-chain-v6",
        Packets.ip6(
            "fd7a::2",
            TestFilters.NODE6,
            60,
            Packets.concat(Packets.ext8(43), Packets.ext8(6)),
            Packets.tcpHeader(1, 443, Packets.SYN)));
    if (Boolean.getBoolean("fuzz.seeds.update")) {
      Files.createDirectories(SEEDS.resolve("packets"));
      Files.createDirectories(SEEDS.resolve("filterCodec"));
      for (Map.Entry<String, byte[]> e : packets.entrySet()) {
        // FuzzedDataProvider takes primitives from the end: the last byte is consumeBoolean()
        byte[] seed = Arrays.copyOf(e.getValue(), e.getValue().length + 1);
        seed[seed.length - 1] = 1;
        Files.write(SEEDS.resolve("packets").resolve(e.getKey()), seed);
      }
      Files.write(
          SEEDS.resolve("filterCodec").resolve("node"), FilterCodec.encode(TestFilters.node()));
    }
    for (String name : packets.keySet()) {
      assertThat(SEEDS.resolve("packets").resolve(name)).exists();
    }
    assertThat(FilterCodec.decode(Files.readAllBytes(SEEDS.resolve("filterCodec").resolve("node"))))
        .isEqualTo(TestFilters.node().canonical());
  }
}
