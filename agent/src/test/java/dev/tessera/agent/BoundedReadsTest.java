package dev.tessera.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.tessera.agent.config.ConfigParser;
import dev.tessera.agent.tun.PolicyRouting;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every file the agent reads at start or reload (its config, a local filter, the routing state of a
 * crashed run) may be replaced by something that never ends or never answers: a FIFO nobody writes
 * (the read would block for ever), {@code /dev/zero} (endless), a huge sparse file, a directory.
 * Each gives a clear error within seconds, never a hang or an OutOfMemoryError. (The policy bundle,
 * its mark and the server certificate are read the same way, by the bundle module's {@code
 * BoundedFiles}.)
 */
class BoundedReadsTest {
  static final MethodHandle MKFIFO =
      Linker.nativeLinker()
          .downcallHandle(
              Linker.nativeLinker().defaultLookup().find("mkfifo").orElseThrow(),
              FunctionDescriptor.of(
                  ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));

  @TempDir static Path dir;

  record Bad(String name, Function<Path, Path> make, String message) {
    @Override
    public String toString() {
      return name;
    }
  }

  static List<Bad> badFiles() {
    return List.of(
        new Bad("a FIFO nobody writes", BoundedReadsTest::fifo, "not a regular file"),
        new Bad("/dev/zero", d -> Path.of("/dev/zero"), "not a regular file"),
        new Bad("a symlink to /dev/zero", BoundedReadsTest::zeroLink, "not a regular file"),
        new Bad("a 100 MiB sparse file", BoundedReadsTest::huge, "larger than"),
        new Bad("a directory", d -> d, "not a regular file"));
  }

  @ParameterizedTest(name = "config: {0}")
  @MethodSource("badFiles")
  void configFile(Bad bad) {
    Path f = bad.make().apply(dir);
    ConfigParser.Result r =
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> ConfigParser.parse(f));
    assertThat(r.config()).isEmpty();
    assertThat(r.errors()).singleElement().asString().contains("cannot read config", bad.message());
  }

  @ParameterizedTest(name = "filter file: {0}")
  @MethodSource("badFiles")
  void filterFile(Bad bad) {
    Path f = bad.make().apply(dir);
    FilterGate g =
        assertTimeoutPreemptively(
            Duration.ofSeconds(10), () -> FilterGate.fromFile(f, "a", line -> {}));
    assertThat(g.mode()).isEqualTo(FilterGate.Mode.FAIL_CLOSED);
    StringBuilder sb = new StringBuilder();
    g.appendStatus(sb);
    assertThat(sb.toString()).contains("filter_error=cannot read filter", bad.message());
    assertThat(assertTimeoutPreemptively(Duration.ofSeconds(10), () -> g.reload(true))).isFalse();
  }

  @ParameterizedTest(name = "routing state: {0}")
  @MethodSource("badFiles")
  void routingStateFile(Bad bad) {
    Path f = bad.make().apply(dir);
    assertTimeoutPreemptively(
        Duration.ofSeconds(10),
        () ->
            assertThatThrownBy(
                    () ->
                        PolicyRouting.undoStale(
                            f,
                            cmd -> {
                              throw new AssertionError("ran " + cmd);
                            },
                            line -> {}))
                .isInstanceOf(IOException.class)
                .hasMessageContaining(bad.message()));
  }

  static Path fifo(Path d) {
    Path p = d.resolve("fifo-" + System.nanoTime());
    try (Arena a = Arena.ofConfined()) {
      int rc = (int) MKFIFO.invokeExact(a.allocateFrom(p.toString()), 0600);
      assertThat(rc).as("mkfifo").isZero();
    } catch (Throwable t) {
      throw new AssertionError(t);
    }
    return p;
  }

  static Path zeroLink(Path d) {
    try {
      return Files.createSymbolicLink(d.resolve("zero-" + System.nanoTime()), Path.of("/dev/zero"));
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  static Path huge(Path d) {
    Path p = d.resolve("huge-" + System.nanoTime());
    try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
      f.setLength(100L << 20); // sparse: no disk blocks
    } catch (IOException e) {
      throw new AssertionError(e);
    }
    return p;
  }
}
