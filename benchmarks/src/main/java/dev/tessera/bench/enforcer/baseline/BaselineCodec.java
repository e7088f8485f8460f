package dev.tessera.bench.enforcer.baseline;

import dev.tessera.enforcer.format.CapGrant;
import dev.tessera.enforcer.format.CompiledFilter;
import dev.tessera.enforcer.format.DstPorts;
import dev.tessera.enforcer.format.FilterRule;
import dev.tessera.enforcer.format.IpPrefix;
import dev.tessera.enforcer.format.Peer;
import dev.tessera.enforcer.format.RuleOrigin;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.TreeSet;
import java.util.zip.CRC32C;

/**
 * Frozen copy of the enforcer's FilterCodec.encode / CompiledFilter.canonical() as committed
 * before the encode speed fix (always re-sorts every list; writes byte by byte into a
 * ByteArrayOutputStream, then copies twice). Only for BuildBench's before/after ratio, which
 * also checks that both produce identical bytes.
 */
public final class BaselineCodec {
    private BaselineCodec() {}

    static final byte[] MAGIC = {'T', 'S', 'R', 'F'};
    static final int HEADER = 12;

    public static byte[] encode(CompiledFilter filter) {
        CompiledFilter f = canonical(filter);
        Out body = new Out();
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
        byte[] b = body.toByteArray();
        ByteBuffer out = ByteBuffer.allocate(HEADER + b.length + 4);
        out.put(MAGIC).putShort((short) CompiledFilter.FORMAT_VERSION).putShort((short) 0).putInt(b.length).put(b);
        CRC32C crc = new CRC32C();
        crc.update(out.array(), 0, out.position());
        out.putInt((int) crc.getValue());
        return out.array();
    }

    public static byte[] sha256(byte[] encoded) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(encoded);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is mandatory in every JDK", e);
        }
    }

    /** Lower-case hex SHA-256 of the canonical encoding: the filter's content hash. */
    public static String sha256Hex(CompiledFilter filter) {
        return HexFormat.of().formatHex(sha256(encode(filter)));
    }

    static CompiledFilter canonical(CompiledFilter f) {
        List<FilterRule> rs = new ArrayList<>();
        for (FilterRule r : f.rules()) {
            rs.add(new FilterRule(sortedPrefixes(r.sources()), List.copyOf(new TreeSet<>(r.protocols())),
                    List.copyOf(new TreeSet<>(r.destinations())), r.origin()));
        }
        rs.sort(RULE_ORDER);
        List<Peer> ps = new ArrayList<>();
        for (Peer p : f.peers()) {
            ps.add(new Peer(p.name(), p.publicKey(), sortedPrefixes(p.addresses()), sortedPrefixes(p.routes())));
        }
        ps.sort(Comparator.comparing(Peer::name).thenComparing(p -> p.publicKey() == null ? "" : p.publicKey()));
        List<CapGrant> cs = new ArrayList<>();
        for (CapGrant c : f.capGrants()) {
            cs.add(new CapGrant(sortedPrefixes(c.sources()), sortedPrefixes(c.destinations()), c.capability(),
                    c.values(), c.origin()));
        }
        cs.sort(CAP_ORDER);
        return new CompiledFilter(f.formatVersion(), f.node(), sortedPrefixes(f.nodeAddresses()), rs, ps, cs);
    }

    private static List<IpPrefix> sortedPrefixes(List<IpPrefix> ps) {
        return List.copyOf(new TreeSet<>(ps));
    }

    private static <T extends Comparable<T>> int compareLists(List<T> a, List<T> b) {
        int n = Math.min(a.size(), b.size());
        for (int i = 0; i < n; i++) {
            int c = a.get(i).compareTo(b.get(i));
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(a.size(), b.size());
    }

    private static final Comparator<FilterRule> RULE_ORDER = Comparator.comparing(FilterRule::origin)
            .thenComparing(FilterRule::sources, BaselineCodec::compareLists)
            .thenComparing(FilterRule::protocols, BaselineCodec::compareLists)
            .thenComparing(FilterRule::destinations, BaselineCodec::compareLists);

    private static final Comparator<CapGrant> CAP_ORDER = Comparator.comparing(CapGrant::origin)
            .thenComparing(CapGrant::capability)
            .thenComparing(CapGrant::sources, BaselineCodec::compareLists)
            .thenComparing(CapGrant::destinations, BaselineCodec::compareLists)
            .thenComparing(CapGrant::values, BaselineCodec::compareLists);
    private static final class Out {
        private final ByteArrayOutputStream b = new ByteArrayOutputStream();

        void u8(int v) {
            b.write(v);
        }

        void u16(int v) {
            b.write(v >>> 8);
            b.write(v);
        }

        void varint(int v) {
            while ((v & ~0x7F) != 0) {
                b.write((v & 0x7F) | 0x80);
                v >>>= 7;
            }
            b.write(v);
        }

        void string(String s) {
            byte[] u = s.getBytes(StandardCharsets.UTF_8);
            varint(u.length);
            b.write(u, 0, u.length);
        }

        void prefix(IpPrefix p) {
            u8(p.ipv6() ? 6 : 4);
            u8(p.bits());
            if (p.ipv6()) {
                for (int i = 56; i >= 0; i -= 8) {
                    b.write((int) (p.hi() >>> i));
                }
                for (int i = 56; i >= 0; i -= 8) {
                    b.write((int) (p.lo() >>> i));
                }
            } else {
                for (int i = 24; i >= 0; i -= 8) {
                    b.write((int) (p.lo() >>> i));
                }
            }
        }

        void prefixes(List<IpPrefix> ps) {
            varint(ps.size());
            for (IpPrefix p : ps) {
                prefix(p);
            }
        }

        void origin(RuleOrigin o) {
            string(o.file());
            varint(o.line());
            varint(o.col());
            string(o.kind());
            varint(o.index());
        }

        byte[] toByteArray() {
            return b.toByteArray();
        }
    }

}
