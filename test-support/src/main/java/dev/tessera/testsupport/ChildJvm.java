package dev.tessera.testsupport;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a class's {@code main} in a fresh JVM on this JVM's class path (see {@link #classPath}) and
 * returns what it printed. For measurements that must not depend on what the test JVM happened to
 * compile before (JIT state, earlier tests' profiles), such as allocation counts.
 */
public final class ChildJvm {
  /**
   * JIT settings under which compilation happens at fixed invocation counts and in the calling
   * thread: C2 only, at a fixed invocation/back-edge count, compiled synchronously ({@code
   * -Xbatch}: the thread waits for the compiler instead of running on in the interpreter). The same
   * loop then reaches the same compiled code after the same number of iterations on every run and
   * every machine.
   */
  public static final List<String> DETERMINISTIC_JIT =
      List.of(
          "-Xbatch",
          "-XX:-TieredCompilation",
          "-XX:CompileThreshold=2000",
          "-XX:+UseSerialGC",
          "-Xmx256m");

  private ChildJvm() {}

  /**
   * Runs {@code mainClass.main(args)} with {@code jvmFlags}; returns its standard output and error.
   *
   * @throws AssertionError if it exits non-zero or does not finish within five minutes (the message
   *     holds its output)
   */
  public static String run(List<String> jvmFlags, Class<?> mainClass, String... args)
      throws IOException, InterruptedException {
    Path log = Files.createTempFile("child-jvm", ".log");
    try {
      Process p = start(jvmFlags, mainClass, log, args);
      if (!p.waitFor(5, TimeUnit.MINUTES)) {
        p.destroyForcibly().waitFor();
        throw new AssertionError(
            "child JVM "
                + mainClass.getName()
                + " did not finish within five minutes:\n"
                + Files.readString(log));
      }
      String text = Files.readString(log, StandardCharsets.UTF_8);
      if (p.exitValue() != 0) {
        throw new AssertionError(
            "child JVM " + mainClass.getName() + " exited " + p.exitValue() + ":\n" + text);
      }
      return text;
    } finally {
      Files.deleteIfExists(log);
    }
  }

  /**
   * Starts {@code mainClass.main(args)} in a fresh JVM with {@code jvmFlags}, its standard output
   * and error going to {@code log}, and returns it running: for tests that talk to a server process
   * and kill it ({@link Process#destroyForcibly} is SIGKILL). The caller stops it.
   */
  public static Process start(List<String> jvmFlags, Class<?> mainClass, Path log, String... args)
      throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(jvmFlags);
    cmd.add("-cp");
    cmd.add(classPath());
    cmd.add(mainClass.getName());
    cmd.addAll(List.of(args));
    return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
  }

  /**
   * A class path holding everything this JVM loads from: its class path and its module path. Tests
   * run inside their module, on the module path, while the JVMs they start run everything from the
   * class path.
   */
  public static String classPath() {
    String modules = System.getProperty("jdk.module.path", "");
    String classes = System.getProperty("java.class.path", "");
    if (modules.isEmpty()) {
      return classes;
    }
    return classes.isEmpty() ? modules : classes + File.pathSeparator + modules;
  }

  /** The long printed after {@code key=} on a line of {@code output}. */
  public static long value(String output, String key) {
    for (String line : output.split("\n")) {
      String t = line.strip();
      if (t.startsWith(key + "=")) {
        return Long.parseLong(t.substring(key.length() + 1));
      }
    }
    throw new AssertionError("no " + key + "= line in child output:\n" + output);
  }
}
