package dev.tessera.agent.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.agent.uapi.UapiServer;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Under umask 000 (the widest a service manager could hand the agent), the agent's state files, its
 * directories and the UAPI socket are still created 0600/0700.
 */
class PrivateFilesTest {
  private static final MethodHandle UMASK =
      Linker.nativeLinker()
          .downcallHandle(
              Linker.nativeLinker().defaultLookup().find("umask").orElseThrow(),
              FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
  private int saved;

  @BeforeEach
  void openUmask() throws Throwable {
    saved = (int) UMASK.invokeExact(0);
  }

  @AfterEach
  void restoreUmask() throws Throwable {
    int ignored = (int) UMASK.invokeExact(saved);
  }

  static String mode(Path p) throws Exception {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
  }

  @Test
  void stateFilesAndDirectoriesArePrivate(@TempDir Path tmp) throws Exception {
    Path file = tmp.resolve("run/tessera/wg0.pid");
    PrivateFiles.writeString(file, "42\n");
    assertThat(Files.readString(file)).isEqualTo("42\n");
    assertThat(mode(file)).isEqualTo("rw-------");
    assertThat(mode(tmp.resolve("run"))).isEqualTo("rwx------");
    assertThat(mode(tmp.resolve("run/tessera"))).isEqualTo("rwx------");
    PrivateFiles.writeString(file, "43\n"); // replaced, still private, no temporary left
    assertThat(mode(file)).isEqualTo("rw-------");
    try (var s = Files.list(tmp.resolve("run/tessera"))) {
      assertThat(s).containsExactly(file);
    }
  }

  @Test
  void uapiSocketIsPrivateFromItsCreation(@TempDir Path tmp) throws Exception {
    Path dir = tmp.resolve("wireguard");
    try (UapiServer server =
        UapiServer.start(
            dir,
            "wgtest0",
            new UapiServer.Handler() {
              @Override
              public dev.tessera.agent.uapi.UapiProtocol.DeviceState get() {
                throw new UnsupportedOperationException();
              }

              @Override
              public void set(dev.tessera.agent.uapi.UapiRequest request) {}

              @Override
              public String tesseraStatus() {
                return "";
              }
            },
            s -> {})) {
      assertThat(mode(server.path())).isEqualTo("rw-------");
      assertThat(mode(dir)).isEqualTo("rwx------");
      try (var s = Files.list(dir)) {
        assertThat(s).containsExactly(server.path()); // the staging directory is gone
      }
    }
  }
}
