package dev.tessera.agent;

import dev.tessera.agent.protocol.Output;
import dev.tessera.agent.protocol.Peer;
import dev.tessera.agent.transport.UdpTransport;
import dev.tessera.agent.tun.TsoSplitter;
import dev.tessera.agent.tun.TunDevice;
import dev.tessera.enforcer.Enforcer;
import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The protocol core's {@link Output} for one shell thread (a UDP event loop, a TUN reader or the
 * timer thread). Owns that thread's scratch buffers, enforcer worker and TUN I/O handle, so the
 * data path shares nothing between threads.
 *
 * <p>Inbound ({@link #deliverToTun}): the core decrypts into this thread's direct scratch buffer
 * (handed out by {@link #tunBuffer}); the packet passes {@link FilterGate#allowInbound} and is
 * written to the TUN straight from that buffer, with no copy.
 *
 * <p>Outbound ({@link #sendDatagram}): in <em>batching</em> mode (TUN reader threads) the core
 * encrypts straight into a pooled 64 KiB direct {@link ByteBuf} ({@link #datagramBuffer});
 * consecutive equal-size datagrams to one endpoint form a run that {@link #flush} sends as one UDP
 * GSO packet (or one sendmmsg batch). Without batching (UDP event loops, timers) each datagram is
 * copied into its own pooled buffer and flushed at the end of the read batch.
 *
 * <p>ByteBuf ownership: the batch buffer belongs to this object until {@link #flush}, which hands a
 * retained slice per run to {@link UdpTransport.Sender#writeSegmented} (Netty releases those) and
 * then releases its own reference. A per-datagram buffer passes to Netty in {@link
 * UdpTransport.Sender#write}. {@link #close} releases an unflushed batch.
 */
final class ShellOutput implements Output, AutoCloseable {
  private static final int BATCH_BYTES = 65_000; // below the 64 KiB IP length limit of a GSO packet

  /**
   * Segments per GSO send: at most 64 (kernel UDP_MAX_SEGMENTS on older kernels); see README on
   * bursts.
   */
  private static final int MAX_SEGMENTS =
      Math.max(1, Math.min(64, Integer.getInteger("tessera.agent.gsoSegments", 64)));

  private static final int SCRATCH = 65_536;

  private final DataPath path;
  private final boolean batching;
  private final int tunQueue;
  private final Enforcer.Worker worker;
  private final ByteBuffer tunScratch = ByteBuffer.allocateDirect(SCRATCH);
  private final int headroom;
  private TunDevice.Io tunIo; // created lazily on the owning thread (confined arena)
  private UdpTransport.Sender sender;

  // batching state (see class comment)
  private ByteBuf batch;
  private ByteBuffer view;
  private int viewBase; // view.position() when handed out, corresponds to batch.writerIndex()
  private final List<Run> runs = new ArrayList<>();
  private Run open;
  private int pendingSingles;

  private static final class Run {
    InetSocketAddress to;
    int start;
    int segSize;
    int segments;
    int bytes;
    boolean closed; // a short segment ended it: GSO allows only the last segment to be shorter
  }

  ShellOutput(DataPath path, UdpTransport.Sender sender, int tunQueue, boolean batching) {
    this.path = path;
    this.sender = sender;
    this.tunQueue = tunQueue;
    this.batching = batching;
    this.worker = path.filter().newWorker();
    this.headroom = path.tun().hasVnetHeader() ? TsoSplitter.VNET_HDR_LEN : 0;
  }

  void sender(UdpTransport.Sender s) {
    this.sender = s;
  }

  Enforcer.Worker worker() {
    return worker;
  }

  // ----------------------------------------------------------------------------- inbound

  @Override
  public ByteBuffer tunBuffer(int minCapacity) {
    // Leave room for the virtio-net header in front, so the packet is written without a copy.
    return minCapacity <= SCRATCH - TsoSplitter.VNET_HDR_LEN
        ? tunScratch.clear().position(headroom)
        : null;
  }

  @Override
  public void deliverToTun(ByteBuffer ipPacket, Peer from) {
    if (!path.filter().allowInbound(worker, ipPacket, from)) {
      return; // counted by the enforcer (or by the gate when failing closed)
    }
    ByteBuffer direct = ipPacket;
    if (ipPacket != tunScratch || ipPacket.position() < headroom) {
      // Not decrypted in place into our buffer (the core may use its own): copy once.
      int p = ipPacket.position();
      direct = tunScratch.clear().position(headroom);
      direct.put(ipPacket).flip().position(headroom);
      ipPacket.position(p);
    }
    if (headroom > 0) {
      int at = direct.position() - headroom;
      TsoSplitter.writeInjectHeader(direct, at);
      direct = direct.duplicate().position(at);
    }
    try {
      if (tunIo == null) {
        tunIo = path.tun().io(tunQueue);
      }
      if (!tunIo.write(MemorySegment.ofBuffer(direct), direct.remaining())) {
        path.stats().tunWriteDropped.increment();
      }
    } catch (IOException e) {
      path.stats().tunWriteDropped.increment();
      path.rateLimitedLog("TUN write failed: " + e.getMessage());
    }
  }

  /** Per-peer drop counters (metrics, show): one uncontended add, no allocation. */
  @Override
  public void dropped(dev.tessera.agent.protocol.DropReason reason, Peer peer) {
    if (peer != null) {
      peer.countDrop(reason);
    }
  }

  // ----------------------------------------------------------------------------- outbound

  @Override
  public boolean allowOutbound(ByteBuffer ipPacket, Peer to) {
    FilterGate filter = path.filter();
    if (filter.allowOutbound(worker, ipPacket, to)) {
      return true;
    }
    if (filter.mode() != FilterGate.Mode.FAIL_CLOSED) { // fail-closed drops are counted by the gate
      path.stats().outboundRejected.increment();
    }
    return false;
  }

  @Override
  public ByteBuffer datagramBuffer(int minCapacity) {
    if (!batching || minCapacity > BATCH_BYTES) {
      return null;
    }
    if (batch != null && batch.writableBytes() < minCapacity) {
      flush();
    }
    if (batch == null) {
      batch = sender.alloc().directBuffer(BATCH_BYTES, BATCH_BYTES);
    }
    view = batch.internalNioBuffer(batch.writerIndex(), batch.writableBytes());
    viewBase = view.position();
    return view;
  }

  @Override
  public void sendDatagram(ByteBuffer datagram, InetSocketAddress to) {
    int len = datagram.remaining();
    if (!batching) {
      ByteBuf b = sender.alloc().directBuffer(len);
      int p = datagram.position();
      b.writeBytes(datagram);
      datagram.position(p);
      sender.write(b, to); // ownership passes to Netty
      pendingSingles++;
      return;
    }
    int offsetInView = datagram == view ? datagram.position() - viewBase : -1;
    view = null;
    if (offsetInView != 0) {
      // Not written in place at our write index (the core's own buffer, e.g. a handshake
      // message): copy it into the batch.
      if (batch == null || batch.writableBytes() < len) {
        flush();
        batch = sender.alloc().directBuffer(Math.max(BATCH_BYTES, len));
      }
      int p = datagram.position();
      batch.setBytes(batch.writerIndex(), datagram);
      datagram.position(p);
    }
    int start = batch.writerIndex();
    batch.writerIndex(start + len);
    Run r = open;
    if (r != null
        && !r.closed
        && r.to.equals(to)
        && len <= r.segSize
        && r.segments < MAX_SEGMENTS
        && r.start + r.bytes == start) {
      r.segments++;
      r.bytes += len;
      r.closed = len < r.segSize;
    } else {
      r = new Run();
      r.to = to;
      r.start = start;
      r.segSize = len;
      r.segments = 1;
      r.bytes = len;
      runs.add(r);
      open = r;
    }
    if (r.segments >= MAX_SEGMENTS) {
      r.closed = true;
    }
  }

  /** Sends everything written since the last flush. */
  void flush() {
    if (batch != null) {
      for (int i = 0; i < runs.size(); i++) {
        Run r = runs.get(i);
        sender.writeSegmented(batch.retainedSlice(r.start, r.bytes), r.segSize, r.to);
      }
      boolean any = !runs.isEmpty();
      runs.clear();
      open = null;
      view = null;
      batch.release();
      batch = null;
      if (any) {
        sender.flush();
      }
    }
    if (pendingSingles > 0) {
      pendingSingles = 0;
      sender.flush();
    }
  }

  @Override
  public void close() {
    if (batch != null) {
      batch.release();
      batch = null;
    }
    if (tunIo != null) {
      tunIo.close();
      tunIo = null;
    }
  }
}
