package dev.tessera.enforcer.format;

import dev.tessera.net.IpPrefix;
import java.util.List;
import java.util.Objects;

/**
 * An application capability granted by a grant's {@code app} part (tailcfg.CapGrant): sources that
 * may use {@code capability} towards {@code destinations}, with the capability's values as JSON
 * texts (each must be one valid JSON value; stored minified). Carried through for applications; the
 * packet filter does not use it.
 */
public record CapGrant(
    List<IpPrefix> sources,
    List<IpPrefix> destinations,
    String capability,
    List<String> values,
    RuleOrigin origin) {
  public CapGrant {
    sources = List.copyOf(sources);
    destinations = List.copyOf(destinations);
    Objects.requireNonNull(capability, "capability");
    if (capability.isEmpty()) {
      throw new IllegalArgumentException("empty capability name in " + origin);
    }
    values =
        values.stream().map(v -> Json.minify(v, "capability " + capability + " value")).toList();
    Objects.requireNonNull(origin, "origin");
  }
}
