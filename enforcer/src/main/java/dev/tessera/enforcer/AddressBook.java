package dev.tessera.enforcer;

import dev.tessera.net.IpAddress;
import java.util.Arrays;
import java.util.List;

/**
 * A fixed list of source addresses (for example every node address of a tailnet), sorted once per
 * family so that {@link Admission#sourceClasses} can classify all of them against a destination's
 * rule table in one merged pass instead of one search each.
 */
public final class AddressBook {
  private final List<IpAddress> addresses;

  /** Per family, indices into {@link #addresses} in ascending (unsigned) address order. */
  final int[] order4;

  final int[] order6;

  /** The addresses in those orders (IPv4 zero-extended in lo, hi = 0). */
  final long[] hi4;

  final long[] lo4;
  final long[] hi6;
  final long[] lo6;

  private AddressBook(List<IpAddress> addresses) {
    this.addresses = List.copyOf(addresses);
    int n4 = 0;
    for (IpAddress a : this.addresses) {
      n4 += a.ipv6() ? 0 : 1;
    }
    Integer[] o4 = new Integer[n4];
    Integer[] o6 = new Integer[this.addresses.size() - n4];
    int k4 = 0;
    int k6 = 0;
    for (int i = 0; i < this.addresses.size(); i++) {
      if (this.addresses.get(i).ipv6()) {
        o6[k6++] = i;
      } else {
        o4[k4++] = i;
      }
    }
    // IpAddress orders unsigned within a family
    Arrays.sort(o4, (a, b) -> this.addresses.get(a).compareTo(this.addresses.get(b)));
    Arrays.sort(o6, (a, b) -> this.addresses.get(a).compareTo(this.addresses.get(b)));
    order4 = Arrays.stream(o4).mapToInt(Integer::intValue).toArray();
    order6 = Arrays.stream(o6).mapToInt(Integer::intValue).toArray();
    hi4 = new long[n4];
    lo4 = new long[n4];
    for (int k = 0; k < n4; k++) {
      lo4[k] = this.addresses.get(order4[k]).lo();
    }
    hi6 = new long[o6.length];
    lo6 = new long[o6.length];
    for (int k = 0; k < o6.length; k++) {
      IpAddress a = this.addresses.get(order6[k]);
      hi6[k] = a.hi();
      lo6[k] = a.lo();
    }
  }

  public static AddressBook of(List<IpAddress> addresses) {
    return new AddressBook(addresses);
  }

  public int size() {
    return addresses.size();
  }

  public IpAddress get(int i) {
    return addresses.get(i);
  }

  public List<IpAddress> addresses() {
    return addresses;
  }
}
