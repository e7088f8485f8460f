package dev.tessera.enforcer.packet;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A reusable, re-pointable big-endian view over one packet, whichever container holds it. Offsets
 * are relative to the packet start; the parser checks every offset against {@link #length()} before
 * reading, so the accessors never see an out-of-range index (and the containers' own bounds checks
 * stay as a second line of defence). Three final subclasses; a {@code Worker} keeps one of each and
 * re-points it per packet, so nothing is allocated.
 */
public abstract sealed class PacketBytes
    permits PacketBytes.OfArray, PacketBytes.OfBuffer, PacketBytes.OfSegment {
  int length;

  public final int length() {
    return length;
  }

  public abstract int u8(int off);

  public abstract int u16(int off);

  public abstract int i32(int off);

  public abstract long i64(int off);

  /** Over a byte[] region. */
  public static final class OfArray extends PacketBytes {
    private static final VarHandle SHORT =
        MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle INT =
        MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle LONG =
        MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);
    private byte[] a = new byte[0];
    private int base;

    public OfArray set(byte[] array, int offset, int len) {
      if (offset < 0 || len < 0 || offset > array.length - len) {
        throw new IndexOutOfBoundsException(
            "packet region " + offset + "+" + len + " outside array of " + array.length);
      }
      this.a = array;
      this.base = offset;
      this.length = len;
      return this;
    }

    @Override
    public int u8(int off) {
      return a[base + off] & 0xFF;
    }

    @Override
    public int u16(int off) {
      return (short) SHORT.get(a, base + off) & 0xFFFF;
    }

    @Override
    public int i32(int off) {
      return (int) INT.get(a, base + off);
    }

    @Override
    public long i64(int off) {
      return (long) LONG.get(a, base + off);
    }
  }

  /** Over a ByteBuffer's position..limit (the buffer's own byte order is ignored). */
  public static final class OfBuffer extends PacketBytes {
    private ByteBuffer b = ByteBuffer.allocate(0);
    private int base;
    private boolean swap;

    public OfBuffer set(ByteBuffer buffer) {
      this.b = buffer;
      this.base = buffer.position();
      this.length = buffer.remaining();
      this.swap = buffer.order() != ByteOrder.BIG_ENDIAN;
      return this;
    }

    @Override
    public int u8(int off) {
      return b.get(base + off) & 0xFF;
    }

    @Override
    public int u16(int off) {
      short s = b.getShort(base + off);
      return (swap ? Short.reverseBytes(s) : s) & 0xFFFF;
    }

    @Override
    public int i32(int off) {
      int v = b.getInt(base + off);
      return swap ? Integer.reverseBytes(v) : v;
    }

    @Override
    public long i64(int off) {
      long v = b.getLong(base + off);
      return swap ? Long.reverseBytes(v) : v;
    }
  }

  /** Over a MemorySegment (the whole segment is the packet). */
  public static final class OfSegment extends PacketBytes {
    private static final ValueLayout.OfShort SHORT =
        ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt INT =
        ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfLong LONG =
        ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private MemorySegment s = MemorySegment.NULL;

    public OfSegment set(MemorySegment segment) {
      // Packets are at most 64 KiB (+ headroom); anything larger is refused by the parser
      // through the length check, but the int length must not overflow first.
      this.s = segment;
      this.length = (int) Math.min(segment.byteSize(), Integer.MAX_VALUE);
      return this;
    }

    @Override
    public int u8(int off) {
      return s.get(ValueLayout.JAVA_BYTE, off) & 0xFF;
    }

    @Override
    public int u16(int off) {
      return s.get(SHORT, off) & 0xFFFF;
    }

    @Override
    public int i32(int off) {
      return s.get(INT, off);
    }

    @Override
    public long i64(int off) {
      return s.get(LONG, off);
    }
  }
}
