package dev.tessera.testsupport;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The only way tests start external programs. Every program must be on the tool list ({@link
 * ToolList}, {@code .ci/tools}); a program that is not listed fails the test with a message naming
 * it, whether or not it happens to be installed, so that no test can depend on a program CI does
 * not provision. Wrappers are looked through: {@code ip netns exec NS PROGRAM} and {@code env
 * NAME=VALUE PROGRAM} check both programs. The test JVM's own {@code java} is always allowed.
 */
public final class Tools {
  private static volatile ToolList list;
  private static final List<Path> EXTRA_DIRS = List.of(Path.of("/usr/sbin"), Path.of("/sbin"));

  private Tools() {}

  public static ToolList list() {
    ToolList l = list;
    if (l == null) {
      l = ToolList.load(ProjectRoot.get().resolve(ToolList.FILE));
      list = l;
    }
    return l;
  }

  /** The entry for {@code program}; fails the test if it is not on the tool list. */
  public static ToolList.Entry listed(String program) {
    return list()
        .find(program)
        .orElseThrow(
            () ->
                new AssertionError(
                    "'"
                        + program
                        + "' is not on the project's tool list "
                        + ToolList.FILE
                        + ": add it there with its Debian package so that .ci/run provisions it"));
  }

  /** Where {@code program} is installed (PATH, then /usr/sbin and /sbin), if it is. */
  public static Optional<Path> installed(String program) {
    List<Path> dirs = new ArrayList<>();
    String path = System.getenv("PATH");
    if (path != null) {
      for (String d : path.split(File.pathSeparator)) {
        if (!d.isEmpty()) {
          dirs.add(Path.of(d));
        }
      }
    }
    dirs.addAll(EXTRA_DIRS);
    for (Path d : dirs) {
      Path p = d.resolve(program);
      if (Files.isExecutable(p) && !Files.isDirectory(p)) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }

  /** Whether {@code program} is listed (else the test fails) and installed. */
  public static boolean available(String program) {
    listed(program);
    return installed(program).isPresent();
  }

  /**
   * The reason {@code programs} cannot run here ("needs nc (Debian package netcat-openbsd)"), or
   * empty when all are installed. Fails the test if one is not on the list.
   */
  public static Optional<String> missing(String... programs) {
    Set<String> absent = new LinkedHashSet<>();
    for (String p : programs) {
      ToolList.Entry e = listed(p);
      if (installed(p).isEmpty()) {
        absent.add(p + " (Debian package " + e.debianPackage() + ")");
      }
    }
    return absent.isEmpty()
        ? Optional.empty()
        : Optional.of("needs " + String.join(", ", absent) + "; .ci/run installs the tool list");
  }

  /**
   * Checks that every program {@code argv} starts is on the tool list and returns {@code argv}. Use
   * it (or {@link #process}) wherever a test builds a command line.
   */
  public static String[] checked(String... argv) {
    if (argv.length == 0) {
      throw new IllegalArgumentException("empty command");
    }
    int i = 0;
    while (i < argv.length) {
      checkProgram(argv[i]);
      String p = name(argv[i]);
      if (p.equals("ip")
          && argv.length > i + 4
          && argv[i + 1].equals("netns")
          && argv[i + 2].equals("exec")) {
        i += 4; // ip netns exec NS PROGRAM ...
      } else if (p.equals("env")) {
        i++;
        while (i < argv.length && argv[i].contains("=")) {
          i++; // env NAME=VALUE ... PROGRAM ...
        }
      } else {
        break;
      }
    }
    return argv;
  }

  public static List<String> checked(List<String> argv) {
    checked(argv.toArray(String[]::new));
    return argv;
  }

  public static ProcessBuilder process(String... argv) {
    return new ProcessBuilder(checked(argv));
  }

  public static ProcessBuilder process(List<String> argv) {
    return new ProcessBuilder(checked(argv));
  }

  private static void checkProgram(String program) {
    if (isThisJava(program)) {
      return;
    }
    listed(name(program));
  }

  private static boolean isThisJava(String program) {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    return program.equals(java.toString());
  }

  private static String name(String program) {
    int slash = program.lastIndexOf('/');
    return slash < 0 ? program : program.substring(slash + 1);
  }
}
