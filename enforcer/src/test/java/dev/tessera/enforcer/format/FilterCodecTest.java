package dev.tessera.enforcer.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tessera.net.IpPrefix;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

class FilterCodecTest {

  static CompiledFilter sample() {
    return CompiledFilter.of(
        "web-1",
        List.of(IpPrefix.parse("100.64.0.1/32"), IpPrefix.parse("fd7a::1/128")),
        List.of(
            new FilterRule(
                List.of(IpPrefix.parse("100.64.0.2/32")),
                List.of(6),
                List.of(new DstPorts(IpPrefix.parse("100.64.0.1/32"), 443, 443)),
                new RuleOrigin("policy.hujson", 12, 5, "acl", 0))),
        List.of(
            new Peer("laptop", "aGVsbG8=", List.of(IpPrefix.parse("100.64.0.2/32")), List.of())),
        List.of(
            new CapGrant(
                List.of(IpPrefix.parse("100.64.0.2/32")),
                List.of(IpPrefix.parse("100.64.0.1/32")),
                "example.com/cap/admin",
                List.of("{ \"x\": 1 }"),
                new RuleOrigin("policy.hujson", 20, 3, "grant", 0))));
  }

  @Test
  void roundTripsRandomFiltersToTheirCanonicalForm() throws Exception {
    long seed = System.nanoTime();
    Random r = new Random(seed);
    for (int i = 0; i < 2000; i++) {
      CompiledFilter f = RandomFilters.filter(r);
      byte[] enc = FilterCodec.encode(f);
      CompiledFilter back = FilterCodec.decode(enc);
      assertThat(back).as("seed %d", seed).isEqualTo(f.canonical());
      assertThat(FilterCodec.encode(back)).isEqualTo(enc);
      assertThat(back.canonical()).isEqualTo(back);
    }
  }

  @Test
  void encodingAndHashIgnoreListOrder() {
    CompiledFilter a = sample();
    List<IpPrefix> addrs = new ArrayList<>(a.nodeAddresses());
    Collections.reverse(addrs);
    CompiledFilter b = CompiledFilter.of(a.node(), addrs, a.rules(), a.peers(), a.capGrants());
    assertThat(FilterCodec.encode(b)).isEqualTo(FilterCodec.encode(a));
    assertThat(FilterCodec.sha256Hex(b)).isEqualTo(FilterCodec.sha256Hex(a)).hasSize(64);
    CompiledFilter c = CompiledFilter.of("web-2", addrs, a.rules(), a.peers(), a.capGrants());
    assertThat(FilterCodec.sha256Hex(c)).isNotEqualTo(FilterCodec.sha256Hex(a));
  }

  @Test
  void capabilityValuesAreStoredMinified() {
    assertThat(sample().capGrants().get(0).values()).containsExactly("{\"x\":1}");
    assertThatThrownBy(
            () ->
                new CapGrant(
                    List.of(), List.of(), "c", List.of("{bad"), RuleOrigin.synthetic("grant", 0)))
        .hasMessageContaining("not valid JSON");
  }

  @Test
  void everyTruncationIsRejected() {
    byte[] enc = FilterCodec.encode(sample());
    for (int n = 0; n < enc.length; n++) {
      byte[] cut = Arrays.copyOf(enc, n);
      assertThatThrownBy(() -> FilterCodec.decode(cut)).isInstanceOf(FilterFormatException.class);
    }
  }

  @Test
  void everySingleBitFlipIsRejected() {
    byte[] enc = FilterCodec.encode(sample());
    for (int i = 0; i < enc.length; i++) {
      for (int bit = 0; bit < 8; bit++) {
        byte[] c = enc.clone();
        c[i] ^= (byte) (1 << bit);
        assertThatThrownBy(() -> FilterCodec.decode(c))
            .as("byte %d bit %d", i, bit)
            .isInstanceOf(FilterFormatException.class);
      }
    }
  }

  /** Re-seals a modified body with a valid length and CRC, to reach the checks behind the CRC. */
  static byte[] reseal(byte[] enc, byte[] newBody) {
    ByteBuffer b = ByteBuffer.allocate(FilterCodec.HEADER + newBody.length + 4);
    b.put(enc, 0, 8).putInt(newBody.length).put(newBody);
    CRC32C crc = new CRC32C();
    crc.update(b.array(), 0, b.position());
    b.putInt((int) crc.getValue());
    return b.array();
  }

  static byte[] body(byte[] enc) {
    return Arrays.copyOfRange(enc, FilterCodec.HEADER, enc.length - 4);
  }

  @Test
  void rejectsWithReasons() {
    byte[] enc = FilterCodec.encode(sample());
    byte[] badMagic = enc.clone();
    badMagic[0] = 'X';
    assertThatThrownBy(() -> FilterCodec.decode(badMagic)).hasMessageContaining("magic");
    byte[] v2 = enc.clone();
    v2[5] = 2;
    assertThatThrownBy(() -> FilterCodec.decode(v2))
        .hasMessageContaining("unsupported format version 2");
    byte[] flags = enc.clone();
    flags[7] = 1;
    assertThatThrownBy(() -> FilterCodec.decode(flags)).hasMessageContaining("flags");
    byte[] trailing = Arrays.copyOf(enc, enc.length + 1);
    assertThatThrownBy(() -> FilterCodec.decode(trailing)).hasMessageContaining("trailing");
    assertThatThrownBy(() -> FilterCodec.decode(null)).hasMessageContaining("no data");
    assertThatThrownBy(() -> FilterCodec.decode(new byte[3])).hasMessageContaining("truncated");

    byte[] body = body(enc);
    // trailing bytes inside a correctly sealed body
    assertThatThrownBy(() -> FilterCodec.decode(reseal(enc, Arrays.copyOf(body, body.length + 2))))
        .hasMessageContaining("trailing bytes");
    // a huge count: must be refused before allocating
    byte[] huge = body.clone();
    // body starts with the node string "web-1": varint 5, then 5 bytes; then the address count
    assertThat(huge[0]).isEqualTo((byte) 5);
    byte[] hugeCount = new byte[body.length + 4];
    System.arraycopy(body, 0, hugeCount, 0, 6);
    hugeCount[6] = (byte) 0xFF;
    hugeCount[7] = (byte) 0xFF;
    hugeCount[8] = (byte) 0xFF;
    hugeCount[9] = (byte) 0xFF;
    hugeCount[10] = (byte) 0x07;
    System.arraycopy(body, 7, hugeCount, 11, body.length - 7);
    assertThatThrownBy(() -> FilterCodec.decode(reseal(enc, hugeCount)))
        .hasMessageContaining("exceeds the remaining");
    // non-minimal varint for the node name length
    byte[] nonMin = new byte[body.length + 1];
    nonMin[0] = (byte) 0x85;
    nonMin[1] = 0;
    System.arraycopy(body, 1, nonMin, 2, body.length - 1);
    assertThatThrownBy(() -> FilterCodec.decode(reseal(enc, nonMin)))
        .hasMessageContaining("non-minimal varint");
    // invalid UTF-8 in the node name
    byte[] utf = body.clone();
    utf[1] = (byte) 0xC3;
    utf[2] = (byte) 0x28;
    assertThatThrownBy(() -> FilterCodec.decode(reseal(enc, utf)))
        .hasMessageContaining("invalid UTF-8");
    // address family 5
    byte[] fam = body.clone();
    fam[7] = 5;
    assertThatThrownBy(() -> FilterCodec.decode(reseal(enc, fam)))
        .hasMessageContaining("bad address family 5");
    // host bits set in 100.64.0.1/32 -> make it /24
    byte[] host = body.clone();
    host[8] = 24;
    assertThatThrownBy(() -> FilterCodec.decode(reseal(enc, host)))
        .hasMessageContaining("host bits");
    // prefix length 40 for IPv4
    byte[] len = body.clone();
    len[8] = 40;
    assertThatThrownBy(() -> FilterCodec.decode(reseal(enc, len)))
        .hasMessageContaining("out of range");
  }

  @Test
  void rejectsNonCanonicalOrder() {
    // two node addresses in reverse order (v6 before v4), correctly sealed
    CompiledFilter f = sample();
    byte[] enc = FilterCodec.encode(f);
    byte[] body = body(enc);
    int v4 = 7; // after "web-1" (6 bytes) and the count byte
    int v6 = v4 + 6; // v4 prefix is 6 bytes, v6 is 18
    byte[] swapped = body.clone();
    System.arraycopy(body, v6, swapped, v4, 18);
    System.arraycopy(body, v4, swapped, v4 + 18, 6);
    assertThatThrownBy(() -> FilterCodec.decode(reseal(enc, swapped)))
        .hasMessageContaining("canonical");
  }

  @Test
  void randomGarbageIsRejectedNeverThrowsUnchecked() {
    long seed = System.nanoTime();
    Random r = new Random(seed);
    byte[] enc = FilterCodec.encode(sample());
    for (int i = 0; i < 5000; i++) {
      byte[] body = body(enc);
      for (int k = r.nextInt(4); k >= 0; k--) {
        body[r.nextInt(body.length)] = (byte) r.nextInt();
      }
      byte[] sealed =
          reseal(enc, r.nextInt(5) == 0 ? Arrays.copyOf(body, r.nextInt(body.length)) : body);
      try {
        FilterCodec.decode(sealed);
      } catch (FilterFormatException expected) {
        // fine: rejected with a reason
      } catch (RuntimeException e) {
        throw new AssertionError(
            "seed " + seed + ": unchecked exception for " + Arrays.toString(sealed), e);
      }
    }
  }
}
