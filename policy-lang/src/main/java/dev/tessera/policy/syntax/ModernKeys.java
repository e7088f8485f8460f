package dev.tessera.policy.syntax;

import java.util.List;
import java.util.Locale;

/**
 * The documented spelling of a key of the policy's own objects, for {@code fmt --modernize}: the
 * case Tailscale's documentation uses ({@code "ACLs"} becomes {@code "acls"}) and the current names
 * of the legacy ACL keys ({@code users}, {@code ports} become {@code src}, {@code dst}). Keys of
 * user-named maps (groups, hosts, ...), opaque values and unknown keys are left as written.
 */
public final class ModernKeys {
  private ModernKeys() {}

  /**
   * @param objectPath the keys from the root to the object holding {@code key} (array levels left
   *     out: {@code ["acls"]} for an ACL rule), in the file's spelling
   * @return the modern spelling, or {@code key} itself
   */
  public static String of(List<String> objectPath, String key) {
    Shapes.Shape shape = Shapes.POLICY;
    for (String step : objectPath) {
      Shapes.Field f = shape.byLower(step);
      if (f == null) {
        String legacy = shape.legacy().get(step.toLowerCase(Locale.ROOT));
        f = legacy == null ? null : shape.byLower(legacy);
      }
      if (f == null || f.shape() == null) {
        return key;
      }
      shape = f.shape();
    }
    Shapes.Field f = shape.byLower(key);
    if (f != null) {
      return f.key();
    }
    String legacy = shape.legacy().get(key.toLowerCase(Locale.ROOT));
    return legacy == null ? key : legacy;
  }
}
