package dev.tessera.enforcer.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tessera.testsupport.Seed;
import dev.tessera.testsupport.Seeded;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

@Seeded
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
        var it = frozen.iterator();
        it.next();
        assertThatThrownBy(it::remove).isInstanceOf(UnsupportedOperationException.class);
        it.next();
        assertThatThrownBy(it::next).isInstanceOf(java.util.NoSuchElementException.class);
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

    /**
     * Splices of splices (as the compiler patches a peer list update after update) against an
     * ArrayList model: random drops and insertions over chains of 120 steps, so lists pass from
     * spliced to copied (more than MAX_RUNS runs) and back.
     */
    @Test
    void splicesAgreeWithAListModel(Seed given) {
        long seed = given.value();
        Random rnd = new Random(seed);
        for (int round = 0; round < 60; round++) {
            int n = rnd.nextInt(300);
            List<String> model = new ArrayList<>();
            Object[] array = new Object[n];
            for (int i = 0; i < n; i++) {
                array[i] = "e" + round + "-" + i;
                model.add((String) array[i]);
            }
            FrozenList<String> list = FrozenList.adopt(array);
            for (int step = 0; step < 120; step++) {
                FrozenList.Splice<String> splice = FrozenList.splice(list);
                List<String> next = new ArrayList<>();
                int at = 0;
                int edits = rnd.nextInt(4);
                for (int e = 0; e < edits; e++) {
                    int to = at + rnd.nextInt(Math.max(1, model.size() - at + 1));
                    to = Math.min(to, model.size());
                    splice.keep(at, to);
                    next.addAll(model.subList(at, to));
                    at = to;
                    if (rnd.nextBoolean() && at < model.size()) {
                        at++; // drop one
                    }
                    if (rnd.nextBoolean()) {
                        String added = "a" + step + "-" + e;
                        splice.add(added);
                        next.add(added);
                    }
                }
                splice.keep(at, model.size());
                next.addAll(model.subList(at, model.size()));
                list = splice.build();
                model = next;
                String what = "seed " + seed + " round " + round + " step " + step;
                assertThat(list).as(what).hasSize(model.size()).containsExactlyElementsOf(model);
                assertThat(list).as(what).isEqualTo(model).hasSameHashCodeAs(model);
                assertThat(model).as(what).isEqualTo(list);
                assertThat(list).as(what).isEqualTo(FrozenList.adopt(model.toArray()));
                assertThat(FrozenList.adopt(model.toArray())).as(what).isEqualTo(list);
                assertThat(list.toArray()).as(what).containsExactly(model.toArray());
                List<String> iterated = new ArrayList<>();
                list.iterator().forEachRemaining(iterated::add);
                assertThat(iterated).as(what).isEqualTo(model);
                if (!model.isEmpty()) {
                    int from = rnd.nextInt(model.size());
                    int len = rnd.nextInt(model.size() - from + 1);
                    Object[] dst = new Object[len + 2];
                    list.copyTo(from, dst, 1, len);
                    for (int i = 0; i < len; i++) {
                        assertThat(dst[1 + i]).as(what).isEqualTo(model.get(from + i));
                    }
                    assertThat(dst[0]).isNull();
                    assertThat(dst[len + 1]).isNull();
                    int probe = rnd.nextInt(model.size());
                    assertThat(list.get(probe)).as(what).isEqualTo(model.get(probe));
                }
                FrozenList<String> built = list;
                assertThatThrownBy(() -> built.get(-1)).isInstanceOf(IndexOutOfBoundsException.class);
                assertThatThrownBy(() -> built.get(built.size())).isInstanceOf(IndexOutOfBoundsException.class);
            }
        }
    }
}
