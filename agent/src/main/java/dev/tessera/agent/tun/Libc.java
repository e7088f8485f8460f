package dev.tessera.agent.tun;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * The handful of libc calls the TUN device needs, bound through the foreign function & memory API
 * (JEP 454), so the agent needs no native library of its own.
 *
 * <p>Every call captures {@code errno} through {@link Linker.Option#captureCallState}: reading
 * errno after the call returns to Java would be unreliable because the JVM may run code (and
 * clobber errno) in between. Callers pass a per-thread capture segment from {@link
 * #newErrnoSegment}.
 *
 * <p>{@code ioctl} is variadic in C ({@code int ioctl(int, unsigned long, ...)}); on x86-64 the
 * calling convention for a variadic pointer argument happens to match a fixed one, but the FFM API
 * requires saying so with {@link Linker.Option#firstVariadicArg}, which also keeps this correct on
 * ABIs where it does not match.
 */
@SuppressWarnings("restricted")
final class Libc {
  static final int O_RDWR = 0x2;
  static final int O_NONBLOCK = 0x800;
  static final int O_CLOEXEC = 0x80000;
  static final int EINTR = 4;
  static final int EAGAIN = 11;
  static final int EBADF = 9;
  static final short POLLIN = 0x1;

  private static final Linker LINKER = Linker.nativeLinker();
  private static final SymbolLookup LIBC = LINKER.defaultLookup();
  static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
  private static final VarHandle ERRNO =
      CAPTURE_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));
  private static final Linker.Option CAPTURE = Linker.Option.captureCallState("errno");

  static final MethodHandle OPEN =
      bind(
          "open",
          FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT),
          CAPTURE);

  /** ioctl(int fd, unsigned long request, void *arg) with the third argument variadic. */
  static final MethodHandle IOCTL_PTR =
      bind(
          "ioctl",
          FunctionDescriptor.of(
              ValueLayout.JAVA_INT,
              ValueLayout.JAVA_INT,
              ValueLayout.JAVA_LONG,
              ValueLayout.ADDRESS),
          CAPTURE,
          Linker.Option.firstVariadicArg(2));

  /**
   * ioctl(int fd, unsigned long request, unsigned long arg): TUNSETOFFLOAD takes its flags by
   * value.
   */
  static final MethodHandle IOCTL_LONG =
      bind(
          "ioctl",
          FunctionDescriptor.of(
              ValueLayout.JAVA_INT,
              ValueLayout.JAVA_INT,
              ValueLayout.JAVA_LONG,
              ValueLayout.JAVA_LONG),
          CAPTURE,
          Linker.Option.firstVariadicArg(2));

  static final MethodHandle READ =
      bind(
          "read",
          FunctionDescriptor.of(
              ValueLayout.JAVA_LONG,
              ValueLayout.JAVA_INT,
              ValueLayout.ADDRESS,
              ValueLayout.JAVA_LONG),
          CAPTURE);
  static final MethodHandle WRITE =
      bind(
          "write",
          FunctionDescriptor.of(
              ValueLayout.JAVA_LONG,
              ValueLayout.JAVA_INT,
              ValueLayout.ADDRESS,
              ValueLayout.JAVA_LONG),
          CAPTURE);
  static final MethodHandle CLOSE =
      bind("close", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT), CAPTURE);

  /** poll(struct pollfd *fds, nfds_t nfds, int timeout_ms). */
  static final MethodHandle POLL =
      bind(
          "poll",
          FunctionDescriptor.of(
              ValueLayout.JAVA_INT,
              ValueLayout.ADDRESS,
              ValueLayout.JAVA_LONG,
              ValueLayout.JAVA_INT),
          CAPTURE);

  static final MethodHandle STRERROR =
      LINKER.downcallHandle(
          LIBC.find("strerror").orElseThrow(),
          FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_INT));

  private Libc() {}

  private static MethodHandle bind(String name, FunctionDescriptor fd, Linker.Option... options) {
    MemorySegment sym =
        LIBC.find(name).orElseThrow(() -> new UnsatisfiedLinkError("libc has no " + name));
    return LINKER.downcallHandle(sym, fd, options);
  }

  static MemorySegment newErrnoSegment(Arena arena) {
    return arena.allocate(CAPTURE_LAYOUT);
  }

  static int errno(MemorySegment capture) {
    return (int) ERRNO.get(capture, 0L);
  }

  static String strerror(int errno) {
    try {
      MemorySegment s = (MemorySegment) STRERROR.invokeExact(errno);
      return s.reinterpret(256).getString(0) + " (errno " + errno + ")";
    } catch (Throwable t) {
      return "errno " + errno;
    }
  }
}
