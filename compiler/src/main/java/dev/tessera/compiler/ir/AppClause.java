package dev.tessera.compiler.ir;

import java.util.List;

/**
 * A grant's {@code app} capability towards one destination: carried through to the output as a
 * CapGrant, never a packet rule. {@code values} are JSON texts.
 */
public record AppClause(String capability, List<String> values, Destination destination) {
  public AppClause {
    values = List.copyOf(values);
  }
}
