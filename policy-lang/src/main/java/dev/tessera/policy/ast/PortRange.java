package dev.tessera.policy.ast;

/** An inclusive port range; validated by the readers: 0 &lt;= first &lt;= last &lt;= 65535. */
public record PortRange(int first, int last) {
  public static final PortRange ALL = new PortRange(0, 65535);

  public PortRange {
    if (first < 0 || last > 65535 || first > last) {
      throw new IllegalArgumentException("bad port range " + first + "-" + last);
    }
  }

  public static PortRange single(int port) {
    return new PortRange(port, port);
  }

  public boolean isAll() {
    return first == 0 && last == 65535;
  }

  public boolean contains(int port) {
    return port >= first && port <= last;
  }

  /** {@code *}, {@code 22} or {@code 80-90}. */
  @Override
  public String toString() {
    if (isAll()) {
      return "*";
    }
    return first == last ? Integer.toString(first) : first + "-" + last;
  }
}
