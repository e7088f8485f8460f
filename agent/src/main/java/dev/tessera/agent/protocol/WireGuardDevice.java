package dev.tessera.agent.protocol;

import static dev.tessera.agent.timers.WgConstants.*;

import dev.tessera.agent.allowedips.AllowedIps;
import dev.tessera.agent.cookie.CookieChecker;
import dev.tessera.agent.cookie.RateLimiter;
import dev.tessera.agent.crypto.ChaChaPoly;
import dev.tessera.agent.crypto.WgKey;
import dev.tessera.agent.noise.Handshake;
import dev.tessera.agent.noise.Keypair;
import dev.tessera.agent.noise.Messages;
import dev.tessera.agent.noise.NoiseProtocol;
import dev.tessera.agent.noise.SessionKey;
import dev.tessera.agent.noise.StaticIdentity;
import dev.tessera.net.IpPrefix;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * A WireGuard interface's protocol state, with no I/O of its own ("sans-IO"): the shell feeds it
 * UDP datagrams ({@link #onDatagram}), packets read from the TUN device ({@link #onTunPacket}) and
 * clock ticks ({@link #onTimer}); the device answers through {@link Output}. This keeps the
 * protocol deterministic under test (injected clocks and randomness, two devices wired back-to-back
 * in memory) and leaves threading, batching and buffer pools to the shell.
 *
 * <p>Pipeline (wireguard-go {@code receive.go} / {@code send.go}, collapsed into calls):
 *
 * <pre>
 * onDatagram: type -> [1,2] size, MAC1, (under load: MAC2 or cookie reply, rate limit) -> Noise
 *                    [3]   cookie reply -> peer's cookie generator
 *                    [4]   receiver index -> keypair -> ChaCha20-Poly1305 open -> replay window
 *                          -> roam endpoint, timers -> inner source in peer's allowed IPs -> deliverToTun
 * onTunPacket: destination -> allowed-IPs trie -> peer -> allowOutbound -> current keypair ? seal -> sendDatagram
 *                                                                         : stage + handshake
 * onTimer:     per peer: retransmit handshake, send keepalive, new handshake, zero keys, persistent keepalive
 * </pre>
 *
 * <p>Thread-safety: every public method may be called from any thread, concurrently. The data path
 * is lock-free except for a short per-peer lock for timer bookkeeping; crypto runs on the caller's
 * thread with a per-thread JDK cipher. Output callbacks may run with that per-peer lock held, so
 * they must not call back into the device.
 *
 * <p>Failure policy: input from the network is untrusted. Every malformed, unauthenticated,
 * replayed or unroutable input is dropped silently and counted by {@link DropReason}; no method
 * throws because of packet contents, and per-source state (rate limiter) is bounded.
 */
public final class WireGuardDevice implements AutoCloseable {
  /** Upper bound on peers (wireguard-go MaxPeers). */
  public static final int MAX_PEERS = 1 << 16;

  private static final int SCRATCH_SIZE = MAX_MESSAGE_SIZE + 64;

  private final DeviceOptions options;
  private final Object configLock = new Object();
  private final ConcurrentHashMap<WgKey, Peer> peers = new ConcurrentHashMap<>();
  final AllowedIps<Peer> allowedIps = new AllowedIps<>();
  private final ConcurrentHashMap<Integer, IndexEntry> indexTable = new ConcurrentHashMap<>();

  /** Tracking ids of live peers (guarded by configLock); ids are handed out round robin. */
  private final java.util.BitSet trackingIds = new java.util.BitSet(MAX_PEERS);

  private int nextTrackingId;
  private volatile java.util.function.IntConsumer peerRemovedListener = id -> {};
  private final LongAdder[] drops = new LongAdder[DropReason.values().length];
  private final RateLimiter rateLimiter;
  private final AtomicLong loadWindowStart = new AtomicLong();
  private final LongAdder loadWindowCount = new LongAdder();
  private volatile long underLoadUntil;
  private volatile boolean everUnderLoad;
  private volatile Boolean underLoadOverride;
  private volatile Identity identity;
  private volatile int listenPort;
  private volatile int fwmark;
  private volatile int mtu = 1420;
  private final ThreadLocal<ByteBuffer> datagramScratch =
      ThreadLocal.withInitial(() -> ByteBuffer.allocate(SCRATCH_SIZE));
  private final ThreadLocal<ByteBuffer> tunScratch =
      ThreadLocal.withInitial(() -> ByteBuffer.allocate(SCRATCH_SIZE));

  /** Our static identity and the cookie checker keyed by our public key; replaced atomically. */
  record Identity(
      WgKey privateKey, WgKey publicKey, StaticIdentity statics, CookieChecker checker) {}

  /** What a local index points to: a peer's handshake in progress (keypair null) or a keypair. */
  record IndexEntry(Peer peer, Keypair keypair) {}

  private volatile InitiationStamps initiationStamps = InitiationStamps.NONE;

  public WireGuardDevice(DeviceOptions options) {
    this.options = options;
    for (int i = 0; i < drops.length; i++) {
      drops[i] = new LongAdder();
    }
    this.rateLimiter =
        new RateLimiter(
            options.handshakesPerSecondPerSource(), options.handshakeBurstPerSource(), 4096);
    this.loadWindowStart.set(options.nanoClock().getAsLong());
  }

  /** Convenience: a device with a private key, listen port and peers, using default options. */
  public static WireGuardDevice create(
      WgKey privateKey, int listenPort, List<PeerConfig> peers, DeviceOptions options) {
    WireGuardDevice d = new WireGuardDevice(options);
    d.setPrivateKey(privateKey);
    d.setListenPort(listenPort);
    for (PeerConfig p : peers) {
      d.upsertPeer(p);
    }
    return d;
  }

  DeviceOptions options() {
    return options;
  }

  long now() {
    return options.nanoClock().getAsLong();
  }

  Identity identity() {
    return identity;
  }

  // ================================================================== configuration

  /**
   * Sets the interface private key (null or all-zero clears it). As in wireguard-go, a peer whose
   * public key equals the new public key is removed, every peer's static-static DH is recomputed,
   * and current sessions are expired so they rekey under the new identity. Setting the same key
   * again changes nothing.
   */
  public void setPrivateKey(WgKey privateKey) {
    synchronized (configLock) {
      Identity old = identity;
      if (old != null && privateKey != null && old.privateKey().equals(privateKey)) {
        return;
      }
      Identity id = null;
      if (privateKey != null && !privateKey.isZero()) {
        StaticIdentity statics = new StaticIdentity(privateKey.bytes());
        WgKey pub = WgKey.of(statics.publicKey());
        id =
            new Identity(
                WgKey.of(privateKey.bytes()),
                pub,
                statics,
                new CookieChecker(statics.publicKey(), options.random()));
        Peer self = peers.get(pub);
        if (self != null) {
          removePeer(pub);
        }
      }
      identity = id;
      for (Peer p : peers.values()) {
        p.lock.lock();
        try {
          p.handshake.setLocalIdentity(id == null ? null : id.statics());
          p.expireCurrentKeypairs();
        } finally {
          p.lock.unlock();
        }
      }
      if (old != null) {
        old.statics().destroy();
        old.privateKey().destroy();
      }
    }
  }

  public Optional<WgKey> privateKey() {
    Identity id = identity;
    return id == null ? Optional.empty() : Optional.of(id.privateKey());
  }

  public Optional<WgKey> publicKey() {
    Identity id = identity;
    return id == null ? Optional.empty() : Optional.of(id.publicKey());
  }

  /** Stored for UAPI {@code get}; the shell owns the socket. */
  public void setListenPort(int port) {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("listen port must be 0..65535, got " + port);
    }
    listenPort = port;
  }

  public int listenPort() {
    return listenPort;
  }

  public void setFwmark(int mark) {
    fwmark = mark;
  }

  public int fwmark() {
    return fwmark;
  }

  /** Interface MTU; transport padding never pads a packet beyond it (0 = pad without limit). */
  public void setMtu(int mtu) {
    if (mtu < 0 || mtu > MAX_CONTENT_SIZE) {
      throw new IllegalArgumentException("mtu out of range: " + mtu);
    }
    this.mtu = mtu;
  }

  public int mtu() {
    return mtu;
  }

  /**
   * Returns the peer with this key, creating it (no allowed IPs, no endpoint) if absent.
   *
   * @throws IllegalArgumentException if the key is the interface's own public key
   * @throws IllegalStateException if {@link #MAX_PEERS} peers exist
   */
  /**
   * Where the greatest initiation timestamp of each peer is kept across restarts. Peers added from
   * now on start from their recorded timestamp (existing ones are raised to it), and every
   * initiation is recorded durably before it is accepted.
   */
  public void setInitiationStamps(InitiationStamps stamps) {
    synchronized (configLock) {
      initiationStamps = stamps;
      for (Peer p : peers.values()) {
        seedLastTimestamp(p);
      }
    }
  }

  private void seedLastTimestamp(Peer p) {
    Optional<byte[]> recorded = initiationStamps.greatest(p.publicKey());
    if (recorded.isPresent()) {
      p.lock.lock();
      try {
        p.handshake.raiseLastTimestamp(recorded.get());
      } finally {
        p.lock.unlock();
      }
    }
  }

  public Peer addPeer(WgKey publicKey) {
    synchronized (configLock) {
      Peer existing = peers.get(publicKey);
      if (existing != null) {
        return existing;
      }
      Identity id = identity;
      if (id != null && id.publicKey().equals(publicKey)) {
        throw new IllegalArgumentException("peer public key equals the interface's own key");
      }
      if (peers.size() >= MAX_PEERS) {
        throw new IllegalStateException("too many peers (max " + MAX_PEERS + ")");
      }
      int tid = trackingIds.nextClearBit(nextTrackingId);
      if (tid >= MAX_PEERS) {
        tid = trackingIds.nextClearBit(0);
      }
      trackingIds.set(tid);
      nextTrackingId = tid + 1;
      Peer p = new Peer(this, publicKey, tid);
      p.lock.lock();
      try {
        p.handshake.setLocalIdentity(id == null ? null : id.statics());
      } finally {
        p.lock.unlock();
      }
      seedLastTimestamp(p);
      peers.put(publicKey, p);
      return p;
    }
  }

  /** Creates or updates a peer so that all its settings equal {@code cfg}. */
  public Peer upsertPeer(PeerConfig cfg) {
    synchronized (configLock) {
      Peer p = addPeer(cfg.publicKey());
      p.setPresharedKey(cfg.presharedKey());
      if (cfg.endpoint() != null) {
        p.setEndpoint(cfg.endpoint());
      }
      p.replaceAllowedIps(cfg.allowedIps());
      p.setPersistentKeepalive(cfg.persistentKeepaliveSeconds());
      return p;
    }
  }

  public Optional<Peer> peer(WgKey publicKey) {
    return Optional.ofNullable(peers.get(publicKey));
  }

  public List<Peer> peers() {
    return List.copyOf(peers.values());
  }

  /**
   * Called with a removed peer's {@link Peer#trackingId()} (under the configuration lock, before
   * the id can be handed out again): the shell forgets the peer's tracked flows.
   */
  public void onPeerRemoved(java.util.function.IntConsumer listener) {
    peerRemovedListener = listener == null ? id -> {} : listener;
  }

  /** Removes a peer: its allowed IPs, sessions and queued packets go with it. */
  public boolean removePeer(WgKey publicKey) {
    synchronized (configLock) {
      Peer p = peers.remove(publicKey);
      if (p == null) {
        return false;
      }
      allowedIps.removeAll(p);
      p.destroy();
      trackingIds.clear(p.trackingId());
      peerRemovedListener.accept(p.trackingId());
      return true;
    }
  }

  public void removeAllPeers() {
    synchronized (configLock) {
      for (WgKey k : List.copyOf(peers.keySet())) {
        removePeer(k);
      }
    }
  }

  /** Removes all peers and wipes the private key. The device stays usable (reconfigurable). */
  @Override
  public void close() {
    synchronized (configLock) {
      removeAllPeers();
      setPrivateKey(null);
    }
  }

  // ================================================================== load, stats

  /**
   * Forces the under-load state (true/false) or returns to automatic detection (null). Under load,
   * handshake messages need a valid MAC2 (else they get a cookie reply) and are rate limited per
   * source address.
   */
  public void setUnderLoadOverride(Boolean forced) {
    underLoadOverride = forced;
  }

  /** Whether the device currently demands cookies. */
  public boolean isUnderLoad() {
    Boolean o = underLoadOverride;
    if (o != null) {
      return o;
    }
    return everUnderLoad && underLoadUntil - now() > 0;
  }

  /** Counts one handshake message for load detection (wireguard-go uses its queue length). */
  private void noteHandshakeMessage(long now) {
    long start = loadWindowStart.get();
    if (now - start >= 1_000_000_000L && loadWindowStart.compareAndSet(start, now)) {
      loadWindowCount.reset();
    }
    loadWindowCount.increment();
    if (loadWindowCount.sum() > options.underLoadHandshakesPerSecond()) {
      underLoadUntil = now + UNDER_LOAD_AFTER_TIME;
      everUnderLoad = true;
    }
  }

  public long dropCount(DropReason reason) {
    return drops[reason.ordinal()].sum();
  }

  public Map<DropReason, Long> dropCounts() {
    Map<DropReason, Long> m = new EnumMap<>(DropReason.class);
    for (DropReason r : DropReason.values()) {
      m.put(r, drops[r.ordinal()].sum());
    }
    return m;
  }

  void countDrop(DropReason reason, Peer peer, Output out) {
    drops[reason.ordinal()].increment();
    if (out != null) {
      out.dropped(reason, peer);
    }
  }

  // ================================================================== index table

  int allocateIndex(Peer peer, Keypair keypair) {
    IndexEntry e = new IndexEntry(peer, keypair);
    while (true) {
      int idx = options.random().nextInt();
      if (idx != 0 && indexTable.putIfAbsent(idx, e) == null) {
        return idx;
      }
    }
  }

  /** Points the handshake's index at the keypair it produced (wireguard-go SwapIndexForKeypair). */
  void bindKeypair(Peer peer, Keypair kp) {
    java.util.function.Consumer<Keypair> l = keypairListenerForTest;
    if (l != null) {
      l.accept(kp);
    }
    indexTable.put(kp.localIndex(), new IndexEntry(peer, kp));
  }

  private volatile AllowedIps<WgKey> nodeAddresses;

  /**
   * The tunnel addresses of the mesh's nodes and the key of each (from the signed policy bundle),
   * or null for none. A node's address is then accepted as an inner source only from that node's
   * own key, and sent only to it, even when another peer's AllowedIPs (an exit node's {@code
   * 0.0.0.0/0}, an overlapping subnet route) cover it: otherwise such a peer could speak with the
   * address of a node that has no {@code [Peer]} here and be judged by that node's rules. A node
   * whose key is unknown gets an owner no peer has, so its address is accepted from nobody.
   */
  public void setNodeAddresses(java.util.Map<IpPrefix, WgKey> owners) {
    if (owners == null) {
      nodeAddresses = null;
      return;
    }
    AllowedIps<WgKey> t = new AllowedIps<>();
    owners.forEach(t::insert);
    nodeAddresses = t;
  }

  /** Test hook: sees every keypair as it is derived (the wire-decrypting stress tests). */
  volatile java.util.function.Consumer<Keypair> keypairListenerForTest;

  void releaseIndex(int index) {
    if (index != 0) {
      indexTable.remove(index);
    }
  }

  /** Number of live indices (tests: bounded memory). */
  int indexCount() {
    return indexTable.size();
  }

  // ================================================================== data path: UDP in

  /**
   * Processes one received UDP payload (position..limit; not modified). Never throws because of the
   * datagram's contents.
   */
  public void onDatagram(ByteBuffer datagram, InetSocketAddress from, Output out) {
    int type = Messages.type(datagram);
    switch (type) {
      case Messages.TYPE_TRANSPORT -> onTransport(datagram, from, out);
      case Messages.TYPE_INITIATION, Messages.TYPE_RESPONSE, Messages.TYPE_COOKIE_REPLY ->
          onHandshakeMessage(type, datagram, from, out);
      default -> countDrop(DropReason.MALFORMED, null, out);
    }
  }

  private void onTransport(ByteBuffer dg, InetSocketAddress from, Output out) {
    int len = dg.remaining();
    if (len < Messages.TRANSPORT_MIN_SIZE || len > MAX_MESSAGE_SIZE) {
      countDrop(DropReason.MALFORMED, null, out);
      return;
    }
    int pos = dg.position();
    int lim = dg.limit();
    int receiver = getIntLE(dg, pos + Messages.TRANSPORT_RECEIVER);
    IndexEntry e = indexTable.get(receiver);
    if (e == null || e.keypair() == null) {
      countDrop(DropReason.UNKNOWN_RECEIVER_INDEX, null, out);
      return;
    }
    Keypair kp = e.keypair();
    Peer peer = e.peer();
    if (peer.excludedByPolicy()) {
      countDrop(
          DropReason.PEER_NOT_IN_POLICY,
          peer,
          out); // before decryption: no work for a peer we refuse
      return;
    }
    long now = now();
    if (!kp.canReceive(now)) {
      countDrop(DropReason.KEYPAIR_EXPIRED, peer, out);
      return;
    }
    long counter = getLongLE(dg, pos + Messages.TRANSPORT_COUNTER);
    ByteBuffer plain = tunBuffer(out, len - Messages.TRANSPORT_MIN_SIZE);
    int start = plain.position();
    int n;
    dg.position(pos + Messages.TRANSPORT_HEADER_SIZE);
    SessionKey key = kp.receiveKey();
    long stamp = key.beginUse();
    if (stamp == 0) {
      countDrop(DropReason.KEYPAIR_EXPIRED, peer, out);
      return;
    }
    try {
      n = ChaChaPoly.openTransport(key, counter, dg, plain);
    } finally {
      dg.position(pos).limit(lim);
    }
    if (!key.endUse(stamp)) {
      // opened under a key that was being zeroed: a forger could have used the zero key
      countDrop(DropReason.KEYPAIR_EXPIRED, peer, out);
      return;
    }
    if (n < 0) {
      countDrop(DropReason.DECRYPT_FAILED, peer, out);
      return;
    }
    if (!kp.replayFilter().validate(counter, REJECT_AFTER_MESSAGES)) {
      countDrop(DropReason.REPLAYED, peer, out);
      return;
    }
    peer.onAuthenticatedTransport(kp, from, len, n == 0, out);
    if (n == 0) {
      return; // keepalive
    }
    int version = (plain.get(start) & 0xff) >>> 4;
    int total;
    Peer owner;
    if (version == 4) {
      if (n < 20) {
        countDrop(DropReason.INNER_MALFORMED, peer, out);
        return;
      }
      total = getShortBE(plain, start + 2);
      if (total > n || total < 20) {
        countDrop(DropReason.INNER_MALFORMED, peer, out);
        return;
      }
      owner = allowedIps.lookupV4(getIntBE(plain, start + 12));
    } else if (version == 6) {
      if (n < 40) {
        countDrop(DropReason.INNER_MALFORMED, peer, out);
        return;
      }
      total = getShortBE(plain, start + 4) + 40;
      if (total > n) {
        countDrop(DropReason.INNER_MALFORMED, peer, out);
        return;
      }
      owner = allowedIps.lookupV6(getLongBE(plain, start + 8), getLongBE(plain, start + 16));
    } else {
      countDrop(DropReason.INNER_MALFORMED, peer, out);
      return;
    }
    if (owner != peer) {
      countDrop(DropReason.INNER_SOURCE_NOT_ALLOWED, peer, out);
      return;
    }
    AllowedIps<WgKey> nodes = nodeAddresses;
    if (nodes != null) {
      WgKey node =
          version == 4
              ? nodes.lookupV4(getIntBE(plain, start + 12))
              : nodes.lookupV6(getLongBE(plain, start + 8), getLongBE(plain, start + 16));
      if (node != null && !node.equals(peer.publicKey())) {
        countDrop(DropReason.SPOOFED_SOURCE, peer, out);
        return;
      }
    }
    plain.limit(start + total).position(start);
    out.deliverToTun(plain, peer);
  }

  private void onHandshakeMessage(int type, ByteBuffer dg, InetSocketAddress from, Output out) {
    int len = dg.remaining();
    int expected =
        switch (type) {
          case Messages.TYPE_INITIATION -> Messages.INITIATION_SIZE;
          case Messages.TYPE_RESPONSE -> Messages.RESPONSE_SIZE;
          default -> Messages.COOKIE_REPLY_SIZE;
        };
    if (len != expected) {
      countDrop(DropReason.MALFORMED, null, out);
      return;
    }
    byte[] msg = new byte[len];
    dg.get(dg.position(), msg);
    long now = now();
    noteHandshakeMessage(now);
    if (type == Messages.TYPE_COOKIE_REPLY) {
      onCookieReply(msg, out, now);
      return;
    }
    Identity id = identity;
    if (id == null) {
      countDrop(DropReason.NO_PRIVATE_KEY, null, out);
      return;
    }
    if (!id.checker().checkMac1(msg, len)) {
      countDrop(DropReason.INVALID_MAC1, null, out);
      return;
    }
    if (isUnderLoad()) {
      byte[] source = sourceBytes(from);
      if (!id.checker().checkMac2(msg, len, source, now)) {
        int sender = Messages.getIntLE(msg, 4);
        byte[] reply = id.checker().createReply(msg, len, sender, source, now);
        ByteBuffer buf = datagramBuffer(out, reply.length);
        int start = buf.position();
        buf.put(start, reply).limit(start + reply.length);
        out.sendDatagram(buf, from);
        countDrop(DropReason.COOKIE_REQUIRED, null, out);
        return;
      }
      if (!rateLimiter.allow(from.getAddress().getAddress(), now)) {
        countDrop(DropReason.RATE_LIMITED, null, out);
        return;
      }
    }
    if (type == Messages.TYPE_INITIATION) {
      onInitiation(id, msg, from, out, now);
    } else {
      onResponse(id, msg, from, out);
    }
  }

  private void onCookieReply(byte[] msg, Output out, long now) {
    IndexEntry e = indexTable.get(Messages.getIntLE(msg, Messages.COOKIE_RECEIVER));
    if (e == null) {
      countDrop(DropReason.UNKNOWN_RECEIVER_INDEX, null, out);
      return;
    }
    if (!e.peer().cookieGenerator.consumeReply(msg, now)) {
      countDrop(DropReason.INVALID_COOKIE_REPLY, e.peer(), out);
    }
  }

  private void onInitiation(Identity id, byte[] msg, InetSocketAddress from, Output out, long now) {
    NoiseProtocol.InitiationCandidate c = NoiseProtocol.beginConsumeInitiation(id.statics(), msg);
    if (c == null) {
      countDrop(DropReason.HANDSHAKE_DECRYPT_FAILED, null, out);
      return;
    }
    Peer peer = peers.get(WgKey.of(c.peerStatic()));
    if (peer == null) {
      countDrop(DropReason.UNKNOWN_PEER, null, out);
      return;
    }
    if (peer.excludedByPolicy()) {
      countDrop(
          DropReason.PEER_NOT_IN_POLICY, peer, out); // no response: silence, as for an unknown peer
      return;
    }
    peer.lock.lock();
    try {
      if (peer.isRemoved()) {
        countDrop(DropReason.UNKNOWN_PEER, null, out);
        return;
      }
      if (peer
          .excludedByPolicy()) { // excluded while we decrypted: setExcludedByPolicy takes this lock
        countDrop(DropReason.PEER_NOT_IN_POLICY, peer, out);
        return;
      }
      if (!NoiseProtocol.verifyTimestamp(c, peer.handshake, msg)) {
        countDrop(DropReason.HANDSHAKE_DECRYPT_FAILED, null, out);
        return;
      }
      var rejection =
          NoiseProtocol.commitInitiation(
              c,
              peer.handshake,
              now,
              HANDSHAKE_INITIATION_RATE,
              ts -> initiationStamps.record(peer.publicKey(), ts));
      if (rejection != null) {
        countDrop(
            switch (rejection) {
              case REPLAY -> DropReason.HANDSHAKE_REPLAY;
              case FLOOD -> DropReason.HANDSHAKE_FLOOD;
              case NOT_RECORDED -> DropReason.HANDSHAKE_NOT_RECORDED;
            },
            peer,
            out);
        return;
      }
      peer.timersAnyAuthenticatedPacketTraversal();
      peer.timersAnyAuthenticatedPacketReceived();
      peer.setEndpointFromPacket(from);
      peer.addRxBytes(msg.length);
      peer.sendHandshakeResponse(out);
    } finally {
      peer.lock.unlock();
    }
  }

  private void onResponse(Identity id, byte[] msg, InetSocketAddress from, Output out) {
    int receiver = Messages.getIntLE(msg, Messages.RESP_RECEIVER);
    IndexEntry e = indexTable.get(receiver);
    if (e == null || e.keypair() != null) {
      countDrop(DropReason.UNKNOWN_RECEIVER_INDEX, null, out);
      return;
    }
    Peer peer = e.peer();
    if (peer.excludedByPolicy()) {
      countDrop(DropReason.PEER_NOT_IN_POLICY, peer, out);
      return;
    }
    peer.lock.lock();
    try {
      Handshake hs = peer.handshake;
      if (peer.excludedByPolicy()) {
        countDrop(DropReason.PEER_NOT_IN_POLICY, peer, out);
        return;
      }
      if (peer.isRemoved()
          || hs.localIndex() != receiver
          || hs.state() != Handshake.State.INITIATION_CREATED) {
        countDrop(DropReason.UNEXPECTED_HANDSHAKE_STATE, peer, out);
        return;
      }
      if (!NoiseProtocol.consumeResponse(id.statics(), hs, msg)) {
        countDrop(DropReason.HANDSHAKE_DECRYPT_FAILED, peer, out);
        return;
      }
      peer.setEndpointFromPacket(from);
      peer.addRxBytes(msg.length);
      peer.timersAnyAuthenticatedPacketTraversal();
      peer.timersAnyAuthenticatedPacketReceived();
      peer.onResponseConsumed(out);
    } finally {
      peer.lock.unlock();
    }
    peer.sendKeepalive(out);
  }

  /**
   * Address bytes followed by the port in little-endian order (Go's netip.AddrPort binary form).
   */
  private static byte[] sourceBytes(InetSocketAddress from) {
    byte[] a = from.getAddress().getAddress();
    byte[] s = new byte[a.length + 2];
    System.arraycopy(a, 0, s, 0, a.length);
    s[a.length] = (byte) from.getPort();
    s[a.length + 1] = (byte) (from.getPort() >>> 8);
    return s;
  }

  // ================================================================== data path: TUN in

  /**
   * Processes one IP packet read from the TUN device (position..limit; not modified): routes it by
   * destination to a peer and encrypts it, or queues it and starts a handshake.
   */
  public void onTunPacket(ByteBuffer ipPacket, Output out) {
    int len = ipPacket.remaining();
    int pos = ipPacket.position();
    if (len < 1) {
      countDrop(DropReason.TUN_MALFORMED, null, out);
      return;
    }
    if (len > MAX_CONTENT_SIZE) {
      countDrop(DropReason.TOO_LARGE, null, out);
      return;
    }
    int version = (ipPacket.get(pos) & 0xff) >>> 4;
    Peer peer;
    if (version == 4 && len >= 20) {
      peer = allowedIps.lookupV4(getIntBE(ipPacket, pos + 16));
    } else if (version == 6 && len >= 40) {
      peer = allowedIps.lookupV6(getLongBE(ipPacket, pos + 24), getLongBE(ipPacket, pos + 32));
    } else {
      countDrop(DropReason.TUN_MALFORMED, null, out);
      return;
    }
    if (peer == null) {
      countDrop(DropReason.NO_ROUTE, null, out);
      return;
    }
    if (peer.excludedByPolicy()) {
      countDrop(DropReason.PEER_NOT_IN_POLICY, peer, out);
      return;
    }
    AllowedIps<WgKey> nodes = nodeAddresses;
    if (nodes != null) {
      WgKey node =
          version == 4
              ? nodes.lookupV4(getIntBE(ipPacket, pos + 16))
              : nodes.lookupV6(getLongBE(ipPacket, pos + 24), getLongBE(ipPacket, pos + 32));
      if (node != null && !node.equals(peer.publicKey())) {
        countDrop(DropReason.MISROUTED_NODE_ADDRESS, peer, out); // via another peer's route
        return;
      }
    }
    if (!out.allowOutbound(ipPacket, peer)) {
      return; // the shell's filter counted it
    }
    peer.sendPacket(ipPacket, out);
  }

  // ================================================================== timers

  /** Fires every due timer of every peer. Call at least every ~100 ms or at the next deadline. */
  public void onTimer(Output out) {
    long now = now();
    for (Peer p : peers.values()) {
      p.runTimers(now, out);
    }
  }

  /** The earliest pending timer deadline (nanoClock time base), or Long.MAX_VALUE if none. */
  public long nextTimerDeadlineNanos() {
    long d = Long.MAX_VALUE;
    for (Peer p : peers.values()) {
      long pd = p.nextDeadline();
      if (pd != Long.MAX_VALUE && (d == Long.MAX_VALUE || pd - d < 0)) {
        d = pd;
      }
    }
    return d;
  }

  // ================================================================== buffers

  ByteBuffer datagramBuffer(Output out, int size) {
    ByteBuffer b = out.datagramBuffer(size);
    if (b == null || b.remaining() < size) {
      b = datagramScratch.get();
      b.clear();
    }
    return b;
  }

  ByteBuffer tunBuffer(Output out, int size) {
    ByteBuffer b = out.tunBuffer(size);
    if (b == null || b.remaining() < size) {
      b = tunScratch.get();
      b.clear();
    }
    return b;
  }

  // IP headers are big-endian, WireGuard headers little-endian; the shell's buffers may have either
  // byte order set, so every multi-byte read states the order it needs.

  static int getShortBE(ByteBuffer b, int index) {
    short v = b.getShort(index);
    return (b.order() == ByteOrder.BIG_ENDIAN ? v : Short.reverseBytes(v)) & 0xffff;
  }

  static int getIntBE(ByteBuffer b, int index) {
    int v = b.getInt(index);
    return b.order() == ByteOrder.BIG_ENDIAN ? v : Integer.reverseBytes(v);
  }

  static long getLongBE(ByteBuffer b, int index) {
    long v = b.getLong(index);
    return b.order() == ByteOrder.BIG_ENDIAN ? v : Long.reverseBytes(v);
  }

  static int getIntLE(ByteBuffer b, int index) {
    int v = b.getInt(index);
    return b.order() == ByteOrder.LITTLE_ENDIAN ? v : Integer.reverseBytes(v);
  }

  static long getLongLE(ByteBuffer b, int index) {
    long v = b.getLong(index);
    return b.order() == ByteOrder.LITTLE_ENDIAN ? v : Long.reverseBytes(v);
  }

  static void putIntLE(ByteBuffer b, int index, int v) {
    b.putInt(index, b.order() == ByteOrder.LITTLE_ENDIAN ? v : Integer.reverseBytes(v));
  }

  static void putLongLE(ByteBuffer b, int index, long v) {
    b.putLong(index, b.order() == ByteOrder.LITTLE_ENDIAN ? v : Long.reverseBytes(v));
  }
}
