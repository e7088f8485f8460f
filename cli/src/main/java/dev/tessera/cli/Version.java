package dev.tessera.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code --version} of policyc and tessera-agent, and of each of their subcommands: the build's
 * version (one resource written by the Maven build, so both programs always agree), the Java
 * runtime the launcher found, and how the program was loaded: as the module {@code dev.tessera.cli}
 * (the launchers' module path, where every module's exports and opens hold) or from a class path.
 */
final class Version implements CommandLine.IVersionProvider {
  private static final String RESOURCE = "version.properties";

  private final CommandSpec spec;

  Version(CommandSpec spec) {
    this.spec = spec;
  }

  /** The project version this jar was built as, e.g. {@code 0.1.0}. */
  static String number() {
    try (InputStream in = Version.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(
            RESOURCE + " is missing from the classpath: a broken build");
      }
      Properties p = new Properties();
      p.load(in);
      String v = p.getProperty("version", "");
      if (v.isBlank() || v.startsWith("${")) {
        throw new IllegalStateException(RESOURCE + " was not filled in by the build: " + v);
      }
      return v;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public String[] getVersion() {
    return new String[] {
      spec.root().name() + " " + number(),
      "Java "
          + Runtime.version()
          + " ("
          + System.getProperty("java.vendor", "?")
          + ") at "
          + System.getProperty("java.home", "?"),
      loadedAs(Version.class.getModule())
    };
  }

  /** {@code Module dev.tessera.cli (module path)}, or {@code Class path (no modules)}. */
  static String loadedAs(Module module) {
    return module.isNamed()
        ? "Module " + module.getName() + " (module path)"
        : "Class path (no modules)";
  }
}
