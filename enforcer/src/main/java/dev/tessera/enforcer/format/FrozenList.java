package dev.tessera.enforcer.format;

import java.util.AbstractList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.RandomAccess;

/**
 * An immutable list over an array that its creator hands over: no copy is made, so the creator
 * must not keep or modify the array. {@link CompiledFilter} keeps such a list as it is (it copies
 * every other list), which lets the compiler build a node's peer list, often thousands of entries,
 * once, and patch a new list from an old one with one array copy. Equality and hash code follow
 * {@link List}.
 *
 * @param <E> element type (no nulls)
 */
public final class FrozenList<E> extends AbstractList<E> implements RandomAccess {
    private final Object[] elements;

    private FrozenList(Object[] elements) {
        this.elements = elements;
    }

    /**
     * A list of {@code elements}, which the caller gives up: it must hold no null and must not be
     * written or handed to anything else afterwards.
     */
    public static <E> FrozenList<E> adopt(Object[] elements) {
        return new FrozenList<>(Objects.requireNonNull(elements, "elements"));
    }

    @Override
    @SuppressWarnings("unchecked")
    public E get(int index) {
        Objects.checkIndex(index, elements.length);
        return (E) elements[index];
    }

    @Override
    public int size() {
        return elements.length;
    }

    /** Copies {@code length} elements from {@code from} into {@code dst} at {@code at} (as {@link System#arraycopy}). */
    public void copyTo(int from, Object[] dst, int at, int length) {
        Objects.checkFromIndexSize(from, length, elements.length);
        System.arraycopy(elements, from, dst, at, length);
    }

    @Override
    public Object[] toArray() {
        return elements.clone();
    }

    @Override
    public boolean equals(Object o) {
        if (o == this) {
            return true;
        }
        if (o instanceof FrozenList<?> other) {
            return Arrays.equals(elements, other.elements); // identity first, element by element
        }
        return super.equals(o);
    }

    @Override
    public int hashCode() {
        return super.hashCode();
    }
}
