package dev.tessera.policy.ast;

import java.util.List;
import java.util.stream.Collectors;

/**
 * The ports of a destination: {@code *} ({@link #ALL}), {@code 22}, {@code 80-90}, {@code
 * 22,80,443} or mixes. Ranges are kept in written order (printers reproduce them); the compiler
 * merges.
 */
public record PortSpec(List<PortRange> ranges) {
  public static final PortSpec ALL = new PortSpec(List.of(PortRange.ALL));

  public PortSpec {
    ranges = List.copyOf(ranges);
    if (ranges.isEmpty()) {
      throw new IllegalArgumentException("a port spec has at least one range");
    }
  }

  public static PortSpec of(PortRange... ranges) {
    return new PortSpec(List.of(ranges));
  }

  /** True for {@code *} (every port, including 0). */
  public boolean isAll() {
    return ranges.size() == 1 && ranges.getFirst().isAll();
  }

  /** {@code *} or the comma-separated list. */
  @Override
  public String toString() {
    return ranges.stream().map(PortRange::toString).collect(Collectors.joining(","));
  }
}
