package dev.tessera.compiler.emit;

/** What {@link OutputWriter} writes per node. */
public enum OutputFormat {
  /**
   * The enforcer's binary compiled-filter format ({@code FilterCodec}), one {@code NODE.tsrf} per
   * node.
   */
  TESSERA("tsrf"),
  /** Tailscale FilterRule JSON, one {@code NODE.json} per node. */
  TAILSCALE("json");

  private final String extension;

  OutputFormat(String extension) {
    this.extension = extension;
  }

  public String extension() {
    return extension;
  }
}
