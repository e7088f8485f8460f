package dev.tessera.enforcer.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class FrozenListTest {
    private static Peer peer(String name) {
        return new Peer(name, null, List.of(IpPrefix.parse("100.64.0.1/32")), List.of());
    }

    @Test
    void behavesAsAnImmutableListEqualToListOf() {
        Peer a = peer("a");
        Peer b = peer("b");
        FrozenList<Peer> frozen = FrozenList.adopt(new Object[] {a, b});
        assertThat(frozen).containsExactly(a, b);
        assertThat(frozen).isEqualTo(List.of(a, b)).hasSameHashCodeAs(List.of(a, b));
        assertThat(List.of(a, b)).isEqualTo(frozen);
        assertThat(frozen).isEqualTo(FrozenList.adopt(new Object[] {peer("a"), peer("b")}));
        assertThat(frozen).isNotEqualTo(FrozenList.adopt(new Object[] {b, a}));
        assertThat(frozen).isNotEqualTo(List.of(a));
        assertThatThrownBy(() -> frozen.add(a)).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> frozen.set(0, b)).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> frozen.remove(0)).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> frozen.get(2)).isInstanceOf(IndexOutOfBoundsException.class);
        Object[] copy = frozen.toArray();
        copy[0] = b;
        assertThat(frozen.get(0)).isSameAs(a);
        Object[] dst = new Object[3];
        frozen.copyTo(0, dst, 1, 2);
        assertThat(dst).containsExactly(null, a, b);
        assertThatThrownBy(() -> frozen.copyTo(1, dst, 0, 2)).isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void compiledFilterKeepsAFrozenPeerListAndCopiesOthers() {
        FrozenList<Peer> frozen = FrozenList.adopt(new Object[] {peer("a")});
        CompiledFilter f = CompiledFilter.of("n", List.of(), List.of(), frozen, List.of());
        assertThat(f.peers()).isSameAs(frozen);
        List<Peer> mutable = new ArrayList<>(List.of(peer("a")));
        CompiledFilter g = CompiledFilter.of("n", List.of(), List.of(), mutable, List.of());
        mutable.add(peer("b"));
        assertThat(g.peers()).hasSize(1);
        assertThat(f).isEqualTo(g).hasSameHashCodeAs(g);
        assertThat(FilterCodec.encode(f)).isEqualTo(FilterCodec.encode(g));
    }
}
