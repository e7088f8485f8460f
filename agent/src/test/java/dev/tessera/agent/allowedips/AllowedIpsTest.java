package dev.tessera.agent.allowedips;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.net.IpAddress;
import dev.tessera.net.IpPrefix;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AllowedIpsTest {
  private static AllowedIps<String> table() {
    AllowedIps<String> t = new AllowedIps<>();
    t.insert(IpPrefix.parse("0.0.0.0/0"), "default4");
    t.insert(IpPrefix.parse("10.0.0.0/8"), "a");
    t.insert(IpPrefix.parse("10.1.0.0/16"), "b");
    t.insert(IpPrefix.parse("10.1.2.3/32"), "c");
    t.insert(IpPrefix.parse("192.168.0.0/24"), "d");
    t.insert(IpPrefix.parse("fd00::/8"), "v6a");
    t.insert(IpPrefix.parse("fd00:1::/32"), "v6b");
    t.insert(IpPrefix.parse("fd00:1::1/128"), "v6c");
    t.insert(IpPrefix.parse("2001:db8::/64"), "v6d");
    return t;
  }

  static String lookup(AllowedIps<String> t, String addr) throws Exception {
    byte[] a = InetAddress.getByName(addr).getAddress();
    return t.lookup(ByteBuffer.wrap(a), 0, a.length == 4);
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
    "10.1.2.3, c",
    "10.1.2.4, b",
    "10.1.255.255, b",
    "10.2.0.1, a",
    "10.255.255.255, a",
    "11.0.0.1, default4",
    "192.168.0.77, d",
    "192.168.1.1, default4",
    "0.0.0.0, default4",
    "fd00:1::1, v6c",
    "fd00:1::2, v6b",
    "fd00:2::1, v6a",
    "fdff:ffff::1, v6a",
    "2001:db8::5, v6d",
    "2001:db8:0:1::5, NONE",
    "::1, NONE",
    "fe80::1, NONE"
  })
  void longestPrefixMatch(String addr, String owner) throws Exception {
    String got = lookup(table(), addr);
    assertThat(got == null ? "NONE" : got).isEqualTo(owner);
  }

  @Test
  void removalAndOwnership() throws Exception {
    AllowedIps<String> t = table();
    assertThat(t.remove(IpPrefix.parse("10.1.0.0/16"), "a")).as("not a's prefix").isFalse();
    assertThat(t.remove(IpPrefix.parse("10.1.0.0/16"), "b")).isTrue();
    assertThat(lookup(t, "10.1.2.4")).isEqualTo("a");
    assertThat(lookup(t, "10.1.2.3")).isEqualTo("c");
    t.removeAll("c");
    assertThat(lookup(t, "10.1.2.3")).isEqualTo("a");
    t.removeAll("v6c");
    assertThat(lookup(t, "fd00:1::1")).isEqualTo("v6b");
  }

  @Test
  void insertMovesPrefixBetweenOwners() throws Exception {
    AllowedIps<String> t = table();
    t.insert(IpPrefix.parse("192.168.0.0/24"), "z");
    assertThat(lookup(t, "192.168.0.1")).isEqualTo("z");
    assertThat(t.prefixesOf("d")).isEmpty();
    t.replaceAll("z", List.of(IpPrefix.parse("172.16.0.0/12")));
    assertThat(lookup(t, "192.168.0.1")).isEqualTo("default4");
    assertThat(lookup(t, "172.31.1.1")).isEqualTo("z");
    assertThat(t.prefixesOf("z")).containsExactly(IpPrefix.parse("172.16.0.0/12"));
  }

  @Test
  void prefixesAreCanonical() {
    assertThat(IpPrefix.parse("10.1.2.3/8", true)).isEqualTo(IpPrefix.parse("10.0.0.0/8"));
    assertThat(IpPrefix.parse("10.1.2.3/8", true).toString()).isEqualTo("10.0.0.0/8");
    assertThat(IpPrefix.parse("fd00::1/16", true).toString()).isEqualTo("fd00::/16");
    assertThat(IpPrefix.parse("::ffff:1.2.3.4/128").ipv6()).as("v4-mapped stays IPv6").isTrue();
  }

  /** Differential test: the trie against a linear scan over random prefixes. */
  @Test
  void matchesLinearScan() throws Exception {
    long seed = 7;
    Random rnd = new Random(seed);
    AllowedIps<Integer> t = new AllowedIps<>();
    List<IpPrefix> ps = new ArrayList<>();
    List<Integer> owners = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      boolean v4 = rnd.nextBoolean();
      byte[] a = new byte[v4 ? 4 : 16];
      rnd.nextBytes(a);
      a[0] = (byte) (rnd.nextInt(4)); // cluster so prefixes overlap
      int bits = rnd.nextInt(a.length * 8 + 1);
      IpPrefix p = IpPrefix.of(IpAddress.ofBytes(a), bits);
      int idx = ps.indexOf(p);
      if (idx >= 0) {
        ps.remove(idx);
        owners.remove(idx);
      }
      ps.add(p);
      owners.add(i);
      t.insert(p, i);
    }
    for (int q = 0; q < 5000; q++) {
      boolean v4 = rnd.nextBoolean();
      byte[] a = new byte[v4 ? 4 : 16];
      rnd.nextBytes(a);
      a[0] = (byte) (rnd.nextInt(4));
      Integer best = null;
      int bestBits = -1;
      for (int i = 0; i < ps.size(); i++) {
        IpPrefix p = ps.get(i);
        if (!p.ipv6() == v4 && p.bits() > bestBits && contains(p, a)) {
          best = owners.get(i);
          bestBits = p.bits();
        }
      }
      assertThat(t.lookup(ByteBuffer.wrap(a), 0, v4))
          .as("seed %d query %d", seed, q)
          .isEqualTo(best);
    }
  }

  private static boolean contains(IpPrefix p, byte[] a) {
    byte[] n = p.address().toBytes();
    for (int i = 0; i < p.bits(); i++) {
      int bn = (n[i / 8] >> (7 - i % 8)) & 1;
      int ba = (a[i / 8] >> (7 - i % 8)) & 1;
      if (bn != ba) {
        return false;
      }
    }
    return true;
  }
}
