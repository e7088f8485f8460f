package dev.tessera.enforcer.format;

import dev.tessera.net.IpPrefix;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The binary compiled-filter format, version 1. Always written from the {@link
 * CompiledFilter#canonical()} form, so equal filters give equal bytes and the SHA-256 of those
 * bytes ({@link #sha256Hex}) identifies a filter for the server, the agent and the audit log.
 *
 * <pre>
 * file    = magic "TSRF" | u16 version (=1) | u16 flags (=0) | u32 bodyLength | body | u32 crc32c
 *           (big-endian; crc32c over every byte before it)
 * body    = string node | prefixes nodeAddresses | count rule* | count peer* | count capGrant*
 * rule    = prefixes sources | count u8-protocol* | count (prefix u16 first u16 last)* | origin
 * peer    = string name | u8 hasKey (0|1) [string key] | prefixes addresses | prefixes routes
 * capGrant= prefixes sources | prefixes destinations | string capability | count string* | origin
 * origin  = string file | varint line | varint col | string kind | varint index
 * prefix  = u8 family (4|6) | u8 bits | 4 or 16 address bytes (host bits clear)
 * prefixes= count prefix* ; count = varint ; string = varint byteLength | UTF-8
 * varint  = unsigned LEB128, minimal, at most 5 bytes, value &lt;= 2^31-1
 * </pre>
 *
 * <p>Decoding is strict and all-or-nothing: wrong magic, unknown version, non-zero flags, bad CRC,
 * truncation, trailing bytes, over-long or non-minimal varints, invalid UTF-8, counts larger than
 * the remaining bytes could hold, non-canonical prefixes or ordering — each is a {@link
 * FilterFormatException} naming the byte offset. The decoded filter is returned only when every
 * check passed and it re-encodes to exactly the input (so a decoded filter is canonical).
 */
public final class FilterCodec {
  private FilterCodec() {}

  static final byte[] MAGIC = {'T', 'S', 'R', 'F'};
  static final int HEADER = 12;

  /** Upper bound on a filter file, to refuse absurd inputs before allocating. */
  public static final int MAX_BYTES = 256 << 20;

  /** Encodes the canonical form of {@code filter}. */
  public static byte[] encode(CompiledFilter filter) {
    Out out = write(filter);
    return Arrays.copyOf(out.buf, out.len);
  }

  /**
   * Writes header, body and CRC into one growable, unsynchronized buffer (the body length is
   * patched in afterwards), so the bytes are produced once and copied once, into the exact-size
   * result. {@code canonical()} returns the filter itself when it is already canonical (the
   * compiler's output), so no list is re-sorted in the common case.
   */
  private static Out write(CompiledFilter filter) {
    CompiledFilter f = filter.canonical();
    Out body = new Out(estimate(f));
    body.raw(MAGIC);
    body.u16(CompiledFilter.FORMAT_VERSION);
    body.u16(0);
    body.u32(0); // body length, patched below
    body.string(f.node());
    body.prefixes(f.nodeAddresses());
    body.varint(f.rules().size());
    for (FilterRule r : f.rules()) {
      body.prefixes(r.sources());
      body.varint(r.protocols().size());
      for (int p : r.protocols()) {
        body.u8(p);
      }
      body.varint(r.destinations().size());
      for (DstPorts d : r.destinations()) {
        body.prefix(d.prefix());
        body.u16(d.firstPort());
        body.u16(d.lastPort());
      }
      body.origin(r.origin());
    }
    body.varint(f.peers().size());
    for (Peer p : f.peers()) {
      body.string(p.name());
      if (p.publicKey() == null) {
        body.u8(0);
      } else {
        body.u8(1);
        body.string(p.publicKey());
      }
      body.prefixes(p.addresses());
      body.prefixes(p.routes());
    }
    body.varint(f.capGrants().size());
    for (CapGrant c : f.capGrants()) {
      body.prefixes(c.sources());
      body.prefixes(c.destinations());
      body.string(c.capability());
      body.varint(c.values().size());
      for (String v : c.values()) {
        body.string(v);
      }
      body.origin(c.origin());
    }
    body.putU32(8, body.len - HEADER);
    CRC32C crc = new CRC32C();
    crc.update(body.buf, 0, body.len);
    body.u32((int) crc.getValue());
    return body;
  }

  /** A size guess from the prefix counts (prefixes dominate), so the buffer rarely grows. */
  private static int estimate(CompiledFilter f) {
    long n = 256L + 18L * f.nodeAddresses().size();
    for (FilterRule r : f.rules()) {
      n += 64 + 18L * r.sources().size() + 22L * r.destinations().size();
    }
    for (Peer p : f.peers()) {
      n += 64 + 18L * (p.addresses().size() + p.routes().size());
    }
    n += 128L * f.capGrants().size();
    return (int) Math.min(n, 1 << 24);
  }

  /** SHA-256 over {@link #encode}'s bytes (digested straight from the encoder's buffer). */
  public static byte[] sha256(CompiledFilter filter) {
    Out out = write(filter);
    MessageDigest md = sha256Digest();
    md.update(out.buf, 0, out.len);
    return md.digest();
  }

  public static byte[] sha256(byte[] encoded) {
    return sha256Digest().digest(encoded);
  }

  private static MessageDigest sha256Digest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is mandatory in every JDK", e);
    }
  }

  /** Lower-case hex SHA-256 of the canonical encoding: the filter's content hash. */
  public static String sha256Hex(CompiledFilter filter) {
    return HexFormat.of().formatHex(sha256(filter));
  }

  /** Decodes and validates; see the class comment for what is rejected. */
  public static CompiledFilter decode(byte[] bytes) throws FilterFormatException {
    if (bytes == null) {
      throw new FilterFormatException("no data");
    }
    if (bytes.length < HEADER + 4) {
      throw new FilterFormatException(
          "truncated: "
              + bytes.length
              + " bytes is shorter than the "
              + (HEADER + 4)
              + "-byte header and trailer");
    }
    if (bytes.length > MAX_BYTES) {
      throw new FilterFormatException(
          "filter of " + bytes.length + " bytes exceeds the limit of " + MAX_BYTES);
    }
    for (int i = 0; i < 4; i++) {
      if (bytes[i] != MAGIC[i]) {
        throw new FilterFormatException("not a Tessera compiled filter (bad magic at offset 0)");
      }
    }
    ByteBuffer bb = ByteBuffer.wrap(bytes);
    int version = bb.getShort(4) & 0xFFFF;
    if (version != CompiledFilter.FORMAT_VERSION) {
      throw new FilterFormatException(
          "unsupported format version "
              + version
              + " (this build reads version "
              + CompiledFilter.FORMAT_VERSION
              + ")");
    }
    int flags = bb.getShort(6) & 0xFFFF;
    if (flags != 0) {
      throw new FilterFormatException(
          "unknown flags 0x" + Integer.toHexString(flags) + " at offset 6");
    }
    long bodyLen = bb.getInt(8) & 0xFFFF_FFFFL;
    if (bodyLen != bytes.length - HEADER - 4) {
      throw new FilterFormatException(
          "body length "
              + bodyLen
              + " at offset 8 disagrees with the file size "
              + bytes.length
              + (bodyLen > bytes.length - HEADER - 4 ? " (truncated)" : " (trailing bytes)"));
    }
    CRC32C crc = new CRC32C();
    crc.update(bytes, 0, bytes.length - 4);
    int stored = bb.getInt(bytes.length - 4);
    if ((int) crc.getValue() != stored) {
      throw new FilterFormatException(
          "checksum mismatch (corrupt filter): crc32c 0x"
              + Integer.toHexString((int) crc.getValue())
              + " != stored 0x"
              + Integer.toHexString(stored));
    }
    In in = new In(bytes, HEADER, bytes.length - 4);
    CompiledFilter f;
    try {
      String node = in.string("node");
      List<IpPrefix> addrs = in.prefixes("nodeAddresses");
      int nRules = in.count("rules", 3);
      List<FilterRule> rules = new ArrayList<>(nRules);
      for (int i = 0; i < nRules; i++) {
        List<IpPrefix> src = in.prefixes("rules[" + i + "].sources");
        int np = in.count("rules[" + i + "].protocols", 1);
        List<Integer> protos = new ArrayList<>(np);
        for (int k = 0; k < np; k++) {
          protos.add(in.u8());
        }
        int nd = in.count("rules[" + i + "].destinations", 8);
        List<DstPorts> dsts = new ArrayList<>(nd);
        for (int k = 0; k < nd; k++) {
          IpPrefix p = in.prefix("rules[" + i + "].destinations[" + k + "]");
          int at = in.pos;
          int first = in.u16();
          int last = in.u16();
          if (first > last) {
            throw new FilterFormatException(
                "port range " + first + "-" + last + " inverted at offset " + at);
          }
          dsts.add(new DstPorts(p, first, last));
        }
        rules.add(new FilterRule(src, protos, dsts, in.origin("rules[" + i + "].origin")));
      }
      int nPeers = in.count("peers", 4);
      List<Peer> peers = new ArrayList<>(nPeers);
      for (int i = 0; i < nPeers; i++) {
        String name = in.string("peers[" + i + "].name");
        int at = in.pos;
        int has = in.u8();
        if (has > 1) {
          throw new FilterFormatException("bad key-present flag " + has + " at offset " + at);
        }
        String key = has == 1 ? in.string("peers[" + i + "].publicKey") : null;
        peers.add(
            new Peer(
                name,
                key,
                in.prefixes("peers[" + i + "].addresses"),
                in.prefixes("peers[" + i + "].routes")));
      }
      int nCaps = in.count("capGrants", 5);
      List<CapGrant> caps = new ArrayList<>(nCaps);
      for (int i = 0; i < nCaps; i++) {
        List<IpPrefix> src = in.prefixes("capGrants[" + i + "].sources");
        List<IpPrefix> dst = in.prefixes("capGrants[" + i + "].destinations");
        String cap = in.string("capGrants[" + i + "].capability");
        int nv = in.count("capGrants[" + i + "].values", 1);
        List<String> vals = new ArrayList<>(nv);
        for (int k = 0; k < nv; k++) {
          vals.add(in.string("capGrants[" + i + "].values[" + k + "]"));
        }
        caps.add(new CapGrant(src, dst, cap, vals, in.origin("capGrants[" + i + "].origin")));
      }
      if (in.pos != in.end) {
        throw new FilterFormatException(
            (in.end - in.pos) + " unexpected trailing bytes at offset " + in.pos);
      }
      f = CompiledFilter.of(node, addrs, rules, peers, caps);
    } catch (IllegalArgumentException e) {
      // a record constructor refused a value (bad range, invalid JSON value, ...)
      throw new FilterFormatException(
          "invalid content near offset " + in.pos + ": " + e.getMessage(), e);
    }
    // Canonical check: a decoded filter must re-encode to the same bytes, otherwise two
    // different byte strings could name the same filter and the content hash would lie.
    byte[] again = encode(f);
    if (!Arrays.equals(again, bytes)) {
      throw new FilterFormatException(
          "filter is not in canonical form (lists must be sorted and free of duplicates)");
    }
    return f;
  }

  /**
   * Growable big-endian byte writer; single-threaded, no per-byte synchronization or bounds checks
   * beyond one ensure.
   */
  private static final class Out {
    byte[] buf;
    int len;

    Out(int capacity) {
      buf = new byte[Math.max(64, capacity)];
    }

    private void ensure(int n) {
      if (buf.length - len < n) {
        buf =
            Arrays.copyOf(
                buf,
                (int)
                    Math.min(
                        Integer.MAX_VALUE - 8, Math.max((long) buf.length * 2, (long) len + n)));
      }
    }

    void raw(byte[] b) {
      ensure(b.length);
      System.arraycopy(b, 0, buf, len, b.length);
      len += b.length;
    }

    void u8(int v) {
      ensure(1);
      buf[len++] = (byte) v;
    }

    void u16(int v) {
      ensure(2);
      buf[len++] = (byte) (v >>> 8);
      buf[len++] = (byte) v;
    }

    void u32(int v) {
      ensure(4);
      putU32(len, v);
      len += 4;
    }

    void putU32(int at, int v) {
      buf[at] = (byte) (v >>> 24);
      buf[at + 1] = (byte) (v >>> 16);
      buf[at + 2] = (byte) (v >>> 8);
      buf[at + 3] = (byte) v;
    }

    void varint(int v) {
      ensure(5);
      while ((v & ~0x7F) != 0) {
        buf[len++] = (byte) ((v & 0x7F) | 0x80);
        v >>>= 7;
      }
      buf[len++] = (byte) v;
    }

    void string(String s) {
      byte[] u = s.getBytes(StandardCharsets.UTF_8);
      varint(u.length);
      raw(u);
    }

    void prefix(IpPrefix p) {
      ensure(18);
      buf[len++] = (byte) (p.ipv6() ? 6 : 4);
      buf[len++] = (byte) p.bits();
      if (p.ipv6()) {
        long hi = p.hi();
        long lo = p.lo();
        for (int i = 56; i >= 0; i -= 8) {
          buf[len++] = (byte) (hi >>> i);
        }
        for (int i = 56; i >= 0; i -= 8) {
          buf[len++] = (byte) (lo >>> i);
        }
      } else {
        putU32(len, (int) p.lo());
        len += 4;
      }
    }

    void prefixes(List<IpPrefix> ps) {
      int n = ps.size();
      varint(n);
      for (int i = 0; i < n; i++) {
        prefix(ps.get(i));
      }
    }

    void origin(RuleOrigin o) {
      string(o.file());
      varint(o.line());
      varint(o.col());
      string(o.kind());
      varint(o.index());
    }
  }

  private static final class In {
    final byte[] b;
    int pos;
    final int end;

    In(byte[] b, int pos, int end) {
      this.b = b;
      this.pos = pos;
      this.end = end;
    }

    void need(int n, String what) throws FilterFormatException {
      if (end - pos < n) {
        throw new FilterFormatException("truncated " + what + " at offset " + pos);
      }
    }

    int u8() throws FilterFormatException {
      need(1, "byte");
      return b[pos++] & 0xFF;
    }

    int u16() throws FilterFormatException {
      need(2, "u16");
      int v = ((b[pos] & 0xFF) << 8) | (b[pos + 1] & 0xFF);
      pos += 2;
      return v;
    }

    int varint() throws FilterFormatException {
      int start = pos;
      long v = 0;
      for (int i = 0; i < 5; i++) {
        int x = u8();
        v |= (long) (x & 0x7F) << (7 * i);
        if ((x & 0x80) == 0) {
          if (i > 0 && x == 0) {
            throw new FilterFormatException("non-minimal varint at offset " + start);
          }
          if (v > Integer.MAX_VALUE) {
            throw new FilterFormatException("varint too large at offset " + start);
          }
          return (int) v;
        }
      }
      throw new FilterFormatException("varint longer than 5 bytes at offset " + start);
    }

    /** A count of elements each at least {@code minSize} bytes: bounded by what is left. */
    int count(String what, int minSize) throws FilterFormatException {
      int at = pos;
      int n = varint();
      if ((long) n * minSize > end - pos) {
        throw new FilterFormatException(
            "count "
                + n
                + " of "
                + what
                + " at offset "
                + at
                + " exceeds the remaining "
                + (end - pos)
                + " bytes");
      }
      return n;
    }

    String string(String what) throws FilterFormatException {
      int at = pos;
      int n = varint();
      if (n > end - pos) {
        throw new FilterFormatException("truncated string " + what + " at offset " + at);
      }
      CharsetDecoder dec =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT);
      try {
        CharBuffer cb = dec.decode(ByteBuffer.wrap(b, pos, n));
        pos += n;
        return cb.toString();
      } catch (CharacterCodingException e) {
        throw new FilterFormatException("invalid UTF-8 in " + what + " at offset " + at);
      }
    }

    IpPrefix prefix(String what) throws FilterFormatException {
      int at = pos;
      int fam = u8();
      int bits = u8();
      if (fam != 4 && fam != 6) {
        throw new FilterFormatException(
            "bad address family " + fam + " in " + what + " at offset " + at);
      }
      boolean v6 = fam == 6;
      need(v6 ? 16 : 4, what);
      long hi = 0;
      long lo = 0;
      if (v6) {
        for (int i = 0; i < 8; i++) {
          hi = (hi << 8) | (b[pos++] & 0xFF);
        }
        for (int i = 0; i < 8; i++) {
          lo = (lo << 8) | (b[pos++] & 0xFF);
        }
      } else {
        for (int i = 0; i < 4; i++) {
          lo = (lo << 8) | (b[pos++] & 0xFF);
        }
      }
      try {
        return new IpPrefix(v6, hi, lo, bits);
      } catch (IllegalArgumentException e) {
        throw new FilterFormatException(
            "bad prefix in " + what + " at offset " + at + ": " + e.getMessage());
      }
    }

    List<IpPrefix> prefixes(String what) throws FilterFormatException {
      int n = count(what, 6);
      List<IpPrefix> out = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        out.add(prefix(what + "[" + i + "]"));
      }
      return out;
    }

    RuleOrigin origin(String what) throws FilterFormatException {
      String file = string(what + ".file");
      int line = varint();
      int col = varint();
      String kind = string(what + ".kind");
      int index = varint();
      try {
        return new RuleOrigin(file, line, col, kind, index);
      } catch (IllegalArgumentException e) {
        throw new FilterFormatException(
            "bad " + what + " before offset " + pos + ": " + e.getMessage());
      }
    }
  }
}
