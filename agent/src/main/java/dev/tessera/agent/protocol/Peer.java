package dev.tessera.agent.protocol;

import static dev.tessera.agent.timers.WgConstants.*;

import dev.tessera.agent.cookie.CookieGenerator;
import dev.tessera.agent.crypto.ChaChaPoly;
import dev.tessera.agent.crypto.WgKey;
import dev.tessera.agent.noise.Handshake;
import dev.tessera.agent.noise.Keypair;
import dev.tessera.agent.noise.Messages;
import dev.tessera.agent.noise.NoiseProtocol;
import dev.tessera.agent.noise.SessionKey;
import dev.tessera.agent.noise.Tai64n;
import dev.tessera.agent.timers.Timer;
import dev.tessera.net.IpPrefix;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One configured peer: its identity, handshake, keypairs, timers and the packets waiting for a
 * session. The handle the shell receives in {@link Output#deliverToTun}.
 *
 * <p>Design (wireguard-go {@code peer.go}, {@code keypair.go}, {@code timers.go}, {@code send.go}):
 *
 * <ul>
 *   <li>{@link #lock} guards the handshake, keypair rotation, timers and the staged queue. It is
 *       held only for bookkeeping; transport encryption and decryption of data packets run outside
 *       it, on whatever thread called the device.
 *   <li>The three keypair slots are volatile so the send path reads {@code current} without the
 *       lock. Rotation: an initiator uses a new keypair at once; a responder keeps it in {@code
 *       next} until the first transport packet arrives with it (key confirmation), because until
 *       then the initiator may not have it.
 *   <li>Timer hooks are named after wireguard-go ({@code timersDataSent} ... {@code
 *       expiredRetransmitHandshake}) and are called with the lock held.
 * </ul>
 */
public final class Peer {
  private final WireGuardDevice device;
  private final WgKey publicKey;
  private final int trackingId;
  final ReentrantLock lock = new ReentrantLock();

  // guarded by lock
  final Handshake handshake;
  private final ArrayDeque<byte[]> staged = new ArrayDeque<>();
  private final Timer retransmitHandshake = new Timer();
  private final Timer sendKeepalive = new Timer();
  private final Timer newHandshake = new Timer();
  private final Timer zeroKeyMaterial = new Timer();
  private final Timer persistentKeepaliveTimer = new Timer();
  private int handshakeAttempts;
  private boolean needAnotherKeepalive;
  private boolean sentLastMinuteHandshake;
  private long lastSentHandshake;
  private boolean hasSentHandshake;

  final CookieGenerator cookieGenerator;
  private volatile Keypair previous;
  private volatile Keypair current;
  private volatile Keypair next;
  private volatile int stagedCount;
  private volatile WgKey presharedKey;
  private volatile InetSocketAddress endpoint;
  private volatile int persistentKeepalive;
  private volatile long lastHandshakeEpochNanos;
  private volatile boolean removed;
  private volatile boolean excludedByPolicy;
  private volatile Object attachment;
  private final AtomicLong rxBytes = new AtomicLong();
  private final AtomicLong txBytes = new AtomicLong();
  // Per-peer counters for metrics and show, read only by them: adders, so the data path pays one
  // uncontended add and allocates nothing.
  private final LongAdder rxDatagrams = new LongAdder();
  private final LongAdder txDatagrams = new LongAdder();
  private final LongAdder handshakes = new LongAdder();
  private final LongAdder[] drops = newAdders(DropReason.values().length);

  /**
   * Packets of this peer the shell's filter dropped, by a reason index the filter defines (below
   * {@link #FILTER_DROP_REASONS}); drops are rare next to packets, so a plain atomic add will do.
   */
  private final java.util.concurrent.atomic.AtomicLongArray filterDrops =
      new java.util.concurrent.atomic.AtomicLongArray(FILTER_DROP_REASONS);

  /** How many reason indices {@link #countFilterDrop} takes. */
  public static final int FILTER_DROP_REASONS = 64;

  Peer(WireGuardDevice device, WgKey publicKey, int trackingId) {
    this.device = device;
    this.publicKey = publicKey;
    this.trackingId = trackingId;
    byte[] pk = publicKey.bytes();
    this.handshake = new Handshake(pk);
    this.cookieGenerator = new CookieGenerator(pk);
  }

  // ------------------------------------------------------------------ public API

  /** Transport datagrams (data and keepalives) that authenticated, from this peer. */
  public long receivedDatagrams() {
    return rxDatagrams.sum();
  }

  /** Transport datagrams (data and keepalives) sent to this peer. */
  public long sentDatagrams() {
    return txDatagrams.sum();
  }

  /** Completed handshakes (as initiator or responder). */
  public long handshakes() {
    return handshakes.sum();
  }

  /**
   * Counts a drop attributed to this peer (the device calls the shell's {@link Output#dropped},
   * which calls this).
   */
  public void countDrop(DropReason reason) {
    drops[reason.ordinal()].increment();
  }

  /** Drops attributed to this peer for {@code reason}. */
  public long drops(DropReason reason) {
    return drops[reason.ordinal()].sum();
  }

  /**
   * Counts a packet of this peer the shell's filter dropped; {@code reason} is the filter's index
   * (0 to {@link #FILTER_DROP_REASONS} - 1). No allocation.
   */
  public void countFilterDrop(int reason) {
    filterDrops.getAndIncrement(reason);
  }

  /** Packets of this peer the shell's filter dropped for reason index {@code reason}. */
  public long filterDrops(int reason) {
    return filterDrops.get(reason);
  }

  private static LongAdder[] newAdders(int n) {
    LongAdder[] a = new LongAdder[n];
    for (int i = 0; i < n; i++) {
      a[i] = new LongAdder();
    }
    return a;
  }

  public WgKey publicKey() {
    return publicKey;
  }

  /**
   * This peer's connection-tracking id, 0 to {@link WireGuardDevice#MAX_PEERS} - 1: unique among
   * the device's peers, handed to the enforcer with every packet so that flows belong to the peer
   * they run through. An id is reused only after every other id was handed out since.
   */
  public int trackingId() {
    return trackingId;
  }

  /** A snapshot for UAPI {@code get}. */
  public PeerStatus status() {
    Keypair kp = current;
    long now = device.now();
    return new PeerStatus(
        publicKey,
        presharedKey,
        endpoint,
        allowedIps(),
        lastHandshakeEpochNanos,
        rxBytes.get(),
        txBytes.get(),
        persistentKeepalive,
        kp != null && kp.canSend(now));
  }

  /** Sets or clears (null) the preshared key; applies to the next handshake. */
  public void setPresharedKey(WgKey psk) {
    lock.lock();
    try {
      WgKey old = presharedKey;
      presharedKey = psk == null || psk.isZero() ? null : psk;
      handshake.setPresharedKey(presharedKey == null ? null : presharedKey.bytes());
      if (old != null && old != presharedKey) {
        old.destroy();
      }
    } finally {
      lock.unlock();
    }
  }

  public WgKey presharedKey() {
    return presharedKey;
  }

  /** Sets the endpoint (config or UAPI); roaming later replaces it with authenticated sources. */
  public void setEndpoint(InetSocketAddress endpoint) {
    this.endpoint = endpoint;
  }

  public InetSocketAddress endpoint() {
    return endpoint;
  }

  /**
   * Sets the persistent keepalive interval (0 = off). Turning it on sends a keepalive at the next
   * {@link WireGuardDevice#onTimer}, like {@code wg set ... persistent-keepalive} does.
   */
  public void setPersistentKeepalive(int seconds) {
    if (seconds < 0 || seconds > 65535) {
      throw new IllegalArgumentException("persistent keepalive must be 0..65535, got " + seconds);
    }
    lock.lock();
    try {
      int old = persistentKeepalive;
      persistentKeepalive = seconds;
      if (seconds == 0) {
        persistentKeepaliveTimer.del();
      } else if (old == 0) {
        persistentKeepaliveTimer.mod(device.now(), 0);
      }
    } finally {
      lock.unlock();
    }
  }

  public int persistentKeepalive() {
    return persistentKeepalive;
  }

  public void addAllowedIp(IpPrefix prefix) {
    device.allowedIps.insert(prefix, this);
  }

  public boolean removeAllowedIp(IpPrefix prefix) {
    return device.allowedIps.remove(prefix, this);
  }

  public void replaceAllowedIps(List<IpPrefix> prefixes) {
    device.allowedIps.replaceAll(this, List.copyOf(prefixes));
  }

  public List<IpPrefix> allowedIps() {
    return device.allowedIps.prefixesOf(this);
  }

  /**
   * Forces expiry of the current session (wireguard-go {@code ExpireCurrentKeypairs}): the current
   * and next keypairs stop sending, any handshake in progress is forgotten and the rate limit on
   * initiations is lifted, so the next outgoing packet starts a fresh handshake. Receiving on the
   * old keypairs still works until they age out, so packets in flight are not lost.
   */
  public void expireCurrentKeypairs() {
    lock.lock();
    try {
      device.releaseIndex(handshake.localIndex());
      handshake.clear();
      hasSentHandshake = false;
      Keypair c = current;
      if (c != null) {
        c.expireSending();
      }
      Keypair n = next;
      if (n != null) {
        n.expireSending();
      }
    } finally {
      lock.unlock();
    }
  }

  /** Sends a keepalive now (or starts a handshake if there is no session). */
  public void sendKeepalive(Output out) {
    lock.lock();
    try {
      if (staged.isEmpty()) {
        stage(new byte[0]);
      }
    } finally {
      lock.unlock();
    }
    sendStagedPackets(out);
  }

  /**
   * Excludes the peer from all traffic (true) or admits it again (false), for a policy bundle that
   * does not list it. Excluded: no handshake is answered or started, no data is decrypted or
   * encrypted (the device counts {@link DropReason#PEER_NOT_IN_POLICY}), queued packets are
   * dropped, sending on the current sessions stops and every timer but the key-wiping one is
   * cancelled; key material is wiped after {@code 3 * REJECT_AFTER_TIME}, as when WireGuard gives
   * up on a peer. The sessions are not wiped at once so that the peer's data still in flight is
   * recognised and counted under this reason. Admitted again: the next packet either way starts a
   * fresh handshake.
   */
  public void setExcludedByPolicy(boolean excluded) {
    lock.lock();
    try {
      if (excluded == excludedByPolicy) {
        return;
      }
      excludedByPolicy = excluded;
      device.releaseIndex(handshake.localIndex());
      handshake.clear();
      hasSentHandshake = false;
      handshakeAttempts = 0;
      staged.clear();
      stagedCount = 0;
      for (Keypair k : new Keypair[] {previous, current, next}) {
        if (k != null) {
          k.expireSending();
        }
      }
      if (excluded) {
        for (Timer t :
            new Timer[] {
              retransmitHandshake, sendKeepalive, newHandshake, persistentKeepaliveTimer
            }) {
          t.del();
        }
        zeroKeyMaterial.mod(device.now(), REJECT_AFTER_TIME * 3);
      } else if (persistentKeepalive > 0) {
        persistentKeepaliveTimer.mod(device.now(), 0);
      }
    } finally {
      lock.unlock();
    }
  }

  public boolean excludedByPolicy() {
    return excludedByPolicy;
  }

  /** Shell-private state attached to this peer (e.g. per-peer enforcer or metrics handles). */
  public Object attachment() {
    return attachment;
  }

  public void attach(Object attachment) {
    this.attachment = attachment;
  }

  /** True once the peer was removed from its device; a removed peer never sends again. */
  public boolean isRemoved() {
    return removed;
  }

  /** The current keypair, for tests and diagnostics. */
  public Keypair currentKeypair() {
    return current;
  }

  @Override
  public String toString() {
    String k = publicKey.toBase64();
    return "peer(" + k.substring(0, 4) + "…" + k.substring(40) + ")";
  }

  // ------------------------------------------------------------------ send path

  /** A TUN packet routed to this peer. */
  void sendPacket(ByteBuffer ipPacket, Output out) {
    Keypair kp = current;
    long now = device.now();
    if (stagedCount == 0 && kp != null && kp.canSend(now)) {
      long nonce = kp.nextSendNonce();
      if (Long.compareUnsigned(nonce, REJECT_AFTER_MESSAGES) < 0) {
        if (encryptAndSend(kp, nonce, ipPacket, out)) {
          return;
        }
      } else {
        kp.expireSending();
      }
    }
    byte[] copy = new byte[ipPacket.remaining()];
    ipPacket.get(ipPacket.position(), copy);
    lock.lock();
    try {
      stage(copy);
    } finally {
      lock.unlock();
    }
    sendStagedPackets(out);
  }

  /** Queues a plaintext, dropping the oldest when full (wireguard-go StagePacket). Lock held. */
  private void stage(byte[] packet) {
    if (removed || excludedByPolicy) {
      return;
    }
    if (staged.size() >= device.options().stagedQueueSize()) {
      staged.pollFirst();
      device.countDrop(DropReason.STAGED_QUEUE_FULL, this, null);
    }
    staged.addLast(packet);
    stagedCount = staged.size();
  }

  /** wireguard-go SendStagedPackets: flush the queue with the current keypair or handshake. */
  void sendStagedPackets(Output out) {
    while (true) {
      byte[] packet;
      Keypair kp;
      long nonce;
      lock.lock();
      try {
        if (staged.isEmpty() || removed) {
          return;
        }
        kp = current;
        long now = device.now();
        if (kp == null || !kp.canSend(now)) {
          sendHandshakeInitiation(false, out);
          return;
        }
        nonce = kp.nextSendNonce();
        if (Long.compareUnsigned(nonce, REJECT_AFTER_MESSAGES) >= 0) {
          kp.expireSending();
          continue;
        }
        packet = staged.pollFirst();
        stagedCount = staged.size();
      } finally {
        lock.unlock();
      }
      if (!encryptAndSend(kp, nonce, ByteBuffer.wrap(packet), out)) {
        lock.lock();
        try {
          if (!removed && !excludedByPolicy) {
            staged.addFirst(packet); // the keypair died while sealing: wait for the next session
            stagedCount = staged.size();
          }
        } finally {
          lock.unlock();
        }
      }
    }
  }

  /**
   * Seals {@code plain} with {@code kp} and sends it. Returns false, having sent nothing, when the
   * send key was destroyed before or while sealing (another thread retired the keypair): the caller
   * keeps the plaintext for the next session. {@code plain}'s position is left unchanged.
   */
  private boolean encryptAndSend(Keypair kp, long nonce, ByteBuffer plain, Output out) {
    InetSocketAddress ep = endpoint;
    if (ep == null) {
      device.countDrop(DropReason.NO_ENDPOINT, this, out);
      return true;
    }
    int len = plain.remaining();
    boolean isData = len > 0;
    int padded = len + paddingSize(len, device.mtu());
    int size = Messages.TRANSPORT_HEADER_SIZE + padded + 16;
    ByteBuffer buf = device.datagramBuffer(out, size);
    int start = buf.position();
    WireGuardDevice.putIntLE(buf, start, Messages.TYPE_TRANSPORT);
    WireGuardDevice.putIntLE(buf, start + 4, kp.remoteIndex());
    WireGuardDevice.putLongLE(buf, start + 8, nonce);
    buf.position(start + Messages.TRANSPORT_HEADER_SIZE);
    SessionKey key = kp.sendKey();
    long stamp = key.beginUse();
    if (stamp == 0) {
      buf.position(start);
      return false;
    }
    ChaChaPoly.sealPadded(key, nonce, plain, padded - len, buf);
    if (!key.endUse(stamp)) {
      // sealed under a key that was being zeroed: never let these bytes reach the wire
      buf.position(start);
      for (int i = start; i < start + size; i++) {
        buf.put(i, (byte) 0);
      }
      return false;
    }
    buf.limit(start + size).position(start);
    out.sendDatagram(buf, ep);
    txBytes.addAndGet(size);
    txDatagrams.increment();
    lock.lock();
    try {
      timersAnyAuthenticatedPacketTraversal();
      timersAnyAuthenticatedPacketSent();
      if (isData) {
        timersDataSent();
      }
      keepKeyFreshSending(out);
    } finally {
      lock.unlock();
    }
    return true;
  }

  /** wireguard-go calculatePaddingSize: pad to 16 bytes, but never beyond the MTU. */
  static int paddingSize(int packetSize, int mtu) {
    int lastUnit = packetSize;
    if (mtu == 0) {
      return ((lastUnit + PADDING_MULTIPLE - 1) & -PADDING_MULTIPLE) - lastUnit;
    }
    if (lastUnit > mtu) {
      lastUnit %= mtu;
    }
    int padded = (lastUnit + PADDING_MULTIPLE - 1) & -PADDING_MULTIPLE;
    if (padded > mtu) {
      padded = mtu;
    }
    return padded - lastUnit;
  }

  /** Sends a datagram built on the handshake path (lock may be held). */
  private void sendHandshakeDatagram(byte[] msg, Output out) {
    InetSocketAddress ep = endpoint;
    if (ep == null) {
      device.countDrop(DropReason.NO_ENDPOINT, this, out);
      return;
    }
    ByteBuffer buf = device.datagramBuffer(out, msg.length);
    int start = buf.position();
    buf.put(start, msg);
    buf.limit(start + msg.length);
    out.sendDatagram(buf, ep);
    txBytes.addAndGet(msg.length);
  }

  /** wireguard-go SendHandshakeInitiation. Lock held. */
  void sendHandshakeInitiation(boolean isRetry, Output out) {
    if (!isRetry) {
      handshakeAttempts = 0;
    }
    long now = device.now();
    if (hasSentHandshake && now - lastSentHandshake < REKEY_TIMEOUT) {
      return;
    }
    lastSentHandshake = now;
    hasSentHandshake = true;
    var identity = device.identity();
    if (identity == null || removed || excludedByPolicy) {
      return;
    }
    device.releaseIndex(handshake.localIndex());
    int index = device.allocateIndex(this, null);
    byte[] msg = new byte[Messages.INITIATION_SIZE];
    byte[] ts = Tai64n.stamp(device.options().wallClock().instant());
    if (!NoiseProtocol.createInitiation(
        identity.statics(), handshake, ts, device.options().random(), index, msg)) {
      device.releaseIndex(index);
      return;
    }
    cookieGenerator.addMacs(msg, msg.length, now);
    timersAnyAuthenticatedPacketTraversal();
    timersAnyAuthenticatedPacketSent();
    sendHandshakeDatagram(msg, out);
    timersHandshakeInitiated();
  }

  /** Responder: after consuming an initiation, answer and derive the (unconfirmed) keypair. */
  void sendHandshakeResponse(Output out) {
    long now = device.now();
    lastSentHandshake = now;
    hasSentHandshake = true;
    device.releaseIndex(handshake.localIndex());
    int index = device.allocateIndex(this, null);
    byte[] msg = new byte[Messages.RESPONSE_SIZE];
    if (!NoiseProtocol.createResponse(handshake, device.options().random(), index, msg)) {
      device.releaseIndex(index);
      handshake.clear();
      return;
    }
    cookieGenerator.addMacs(msg, msg.length, now);
    Keypair kp = NoiseProtocol.deriveKeypair(handshake, now);
    beginSymmetricSession(kp);
    timersSessionDerived();
    timersAnyAuthenticatedPacketTraversal();
    timersAnyAuthenticatedPacketSent();
    sendHandshakeDatagram(msg, out);
  }

  /** Initiator: a response was consumed; derive keys and confirm them with a keepalive. */
  void onResponseConsumed(Output out) {
    long now = device.now();
    Keypair kp = NoiseProtocol.deriveKeypair(handshake, now);
    beginSymmetricSession(kp);
    timersSessionDerived();
    timersHandshakeComplete();
  }

  /** wireguard-go BeginSymmetricSession's key rotation. Lock held. */
  private void beginSymmetricSession(Keypair kp) {
    device.bindKeypair(this, kp);
    if (kp.isInitiator()) {
      Keypair n = next;
      Keypair p = previous;
      if (n != null) {
        next = null;
        previous = n;
        retire(current);
      } else {
        previous = current;
      }
      retire(p);
      current = kp;
    } else {
      retire(next);
      next = kp;
      retire(previous);
      previous = null;
    }
  }

  private void retire(Keypair kp) {
    if (kp != null) {
      device.releaseIndex(kp.localIndex());
      kp.destroy();
    }
  }

  // ------------------------------------------------------------------ receive path

  /** Bookkeeping after a transport packet authenticated and passed the replay filter. */
  void onAuthenticatedTransport(
      Keypair kp, InetSocketAddress from, int datagramLength, boolean keepalive, Output out) {
    boolean confirmed = false;
    lock.lock();
    try {
      if (removed) {
        return;
      }
      endpoint = from;
      if (next == kp) {
        // key confirmation: the initiator used the keypair we derived as responder
        Keypair old = previous;
        previous = current;
        retire(old);
        current = kp;
        next = null;
        timersHandshakeComplete();
        confirmed = true;
      }
      keepKeyFreshReceiving(out);
      timersAnyAuthenticatedPacketTraversal();
      timersAnyAuthenticatedPacketReceived();
      if (!keepalive) {
        timersDataReceived();
      }
    } finally {
      lock.unlock();
    }
    rxBytes.addAndGet(datagramLength);
    rxDatagrams.increment();
    if (confirmed) {
      sendStagedPackets(out);
    }
  }

  void addRxBytes(int n) {
    rxBytes.addAndGet(n);
  }

  void setEndpointFromPacket(InetSocketAddress from) {
    endpoint = from;
  }

  // ------------------------------------------------------------------ timers (lock held)

  void timersDataSent() {
    if (!newHandshake.isPending()) {
      newHandshake.mod(device.now(), KEEPALIVE_TIMEOUT + REKEY_TIMEOUT);
    }
  }

  void timersDataReceived() {
    if (!sendKeepalive.isPending()) {
      sendKeepalive.mod(device.now(), KEEPALIVE_TIMEOUT);
    } else {
      needAnotherKeepalive = true;
    }
  }

  void timersAnyAuthenticatedPacketSent() {
    sendKeepalive.del();
  }

  void timersAnyAuthenticatedPacketReceived() {
    newHandshake.del();
  }

  void timersHandshakeInitiated() {
    long jitter =
        TimeUnit.MILLISECONDS.toNanos(
            device.options().random().nextInt(REKEY_TIMEOUT_JITTER_MAX_MS));
    retransmitHandshake.mod(device.now(), REKEY_TIMEOUT + jitter);
  }

  void timersHandshakeComplete() {
    retransmitHandshake.del();
    handshakeAttempts = 0;
    sentLastMinuteHandshake = false;
    lastHandshakeEpochNanos = epochNanos();
    handshakes.increment();
  }

  void timersSessionDerived() {
    zeroKeyMaterial.mod(device.now(), REJECT_AFTER_TIME * 3);
  }

  void timersAnyAuthenticatedPacketTraversal() {
    int interval = persistentKeepalive;
    if (interval > 0) {
      persistentKeepaliveTimer.mod(device.now(), TimeUnit.SECONDS.toNanos(interval));
    }
  }

  private long epochNanos() {
    var t = device.options().wallClock().instant();
    return t.getEpochSecond() * 1_000_000_000L + t.getNano();
  }

  /** wireguard-go keepKeyFreshSending. */
  private void keepKeyFreshSending(Output out) {
    Keypair kp = current;
    if (kp == null) {
      return;
    }
    long nonce = kp.peekSendNonce();
    if (Long.compareUnsigned(nonce, REKEY_AFTER_MESSAGES) > 0
        || (kp.isInitiator() && device.now() - kp.createdNanos() > REKEY_AFTER_TIME)) {
      sendHandshakeInitiation(false, out);
    }
  }

  /** wireguard-go keepKeyFreshReceiving: the initiator rekeys before its keys become unusable. */
  private void keepKeyFreshReceiving(Output out) {
    if (sentLastMinuteHandshake) {
      return;
    }
    Keypair kp = current;
    if (kp != null
        && kp.isInitiator()
        && device.now() - kp.createdNanos()
            > REJECT_AFTER_TIME - KEEPALIVE_TIMEOUT - REKEY_TIMEOUT) {
      sentLastMinuteHandshake = true;
      sendHandshakeInitiation(false, out);
    }
  }

  /** Fires due timers. Called by {@link WireGuardDevice#onTimer}. */
  void runTimers(long now, Output out) {
    lock.lock();
    try {
      if (removed) {
        return;
      }
      if (excludedByPolicy) {
        if (zeroKeyMaterial.fire(now)) {
          expiredZeroKeyMaterial();
        }
        return;
      }
      if (retransmitHandshake.fire(now)) {
        expiredRetransmitHandshake(out);
      }
      if (sendKeepalive.fire(now)) {
        expiredSendKeepalive(out);
      }
      if (newHandshake.fire(now)) {
        expiredNewHandshake(out);
      }
      if (zeroKeyMaterial.fire(now)) {
        expiredZeroKeyMaterial();
      }
      if (persistentKeepaliveTimer.fire(now)) {
        expiredPersistentKeepalive(out);
      }
    } finally {
      lock.unlock();
    }
  }

  /** Earliest pending deadline, or Long.MAX_VALUE. */
  long nextDeadline() {
    lock.lock();
    try {
      long d = Long.MAX_VALUE;
      for (Timer t :
          new Timer[] {
            retransmitHandshake,
            sendKeepalive,
            newHandshake,
            zeroKeyMaterial,
            persistentKeepaliveTimer
          }) {
        if (t.isPending() && (d == Long.MAX_VALUE || t.deadline() - d < 0)) {
          d = t.deadline();
        }
      }
      return d;
    } finally {
      lock.unlock();
    }
  }

  void expiredRetransmitHandshake(Output out) {
    if (handshakeAttempts > MAX_TIMER_HANDSHAKES) {
      // Give up: drop what waits for a session and schedule wiping of partial state.
      sendKeepalive.del();
      staged.clear();
      stagedCount = 0;
      if (!zeroKeyMaterial.isPending()) {
        zeroKeyMaterial.mod(device.now(), REJECT_AFTER_TIME * 3);
      }
    } else {
      handshakeAttempts++;
      sendHandshakeInitiation(true, out);
    }
  }

  void expiredSendKeepalive(Output out) {
    sendKeepalive(out);
    if (needAnotherKeepalive) {
      needAnotherKeepalive = false;
      sendKeepalive.mod(device.now(), KEEPALIVE_TIMEOUT);
    }
  }

  void expiredNewHandshake(Output out) {
    // We sent data but heard nothing back for KEEPALIVE_TIMEOUT + REKEY_TIMEOUT.
    sendHandshakeInitiation(false, out);
  }

  void expiredZeroKeyMaterial() {
    zeroAll();
  }

  void expiredPersistentKeepalive(Output out) {
    if (persistentKeepalive > 0) {
      sendKeepalive(out);
    }
  }

  /** wireguard-go ZeroAndFlushAll: wipe keypairs and handshake, flush the queue. Lock held. */
  private void zeroAll() {
    retire(previous);
    retire(current);
    retire(next);
    previous = null;
    current = null;
    next = null;
    device.releaseIndex(handshake.localIndex());
    handshake.clear();
    staged.clear();
    stagedCount = 0;
  }

  /** Called when the peer is removed from the device. */
  void destroy() {
    lock.lock();
    try {
      zeroAll();
      removed = true;
      handshake.destroy();
      for (Timer t :
          new Timer[] {
            retransmitHandshake,
            sendKeepalive,
            newHandshake,
            zeroKeyMaterial,
            persistentKeepaliveTimer
          }) {
        t.del();
      }
      WgKey psk = presharedKey;
      if (psk != null) {
        psk.destroy();
      }
    } finally {
      lock.unlock();
    }
  }

  /** Test hooks into the timer state. */
  int handshakeAttemptsForTest() {
    return handshakeAttempts;
  }

  Keypair nextKeypairForTest() {
    return next;
  }

  Keypair previousKeypairForTest() {
    return previous;
  }
}
