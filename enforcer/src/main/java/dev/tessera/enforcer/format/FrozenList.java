package dev.tessera.enforcer.format;

import java.util.AbstractList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.RandomAccess;

/**
 * An immutable list that is either an array its creator handed over (no copy is made, so the
 * creator must not keep or modify it) or a splice of another FrozenList: runs of that list's
 * elements with a few elements added between them, sharing its array rather than copying it
 * ({@link #splice}). {@link CompiledFilter} keeps such a list as it is (it copies every other
 * list), which lets the compiler build a node's peer list, often thousands of entries, once, and
 * derive the next version of it (a peer joined or left) without copying it. A splice of a splice
 * reads the original array directly, so lookups stay one binary search over at most {@value
 * #MAX_RUNS} runs; beyond that the list is copied into a plain array. Equality and hash code
 * follow {@link List}.
 *
 * @param <E> element type (no nulls)
 */
public final class FrozenList<E> extends AbstractList<E> implements RandomAccess {
    /** A splice with more runs than this is copied into a plain array. */
    static final int MAX_RUNS = 64;

    // Plain form: the elements (runStart == null). Spliced form: the shared array the runs read.
    private final Object[] elements;
    // Spliced form: run k covers indexes [runStart[k], runStart[k + 1]) of this list and reads
    // elements[runFrom[k] ...] when runFrom[k] >= 0, or is the one element extra[-1 - runFrom[k]].
    private final int[] runStart;
    private final int[] runFrom;
    private final Object[] extra;
    private final int size;

    private FrozenList(Object[] elements) {
        this.elements = elements;
        this.runStart = null;
        this.runFrom = null;
        this.extra = null;
        this.size = elements.length;
    }

    private FrozenList(Object[] elements, int[] runStart, int[] runFrom, Object[] extra, int size) {
        this.elements = elements;
        this.runStart = runStart;
        this.runFrom = runFrom;
        this.extra = extra;
        this.size = size;
    }

    /**
     * A list of {@code elements}, which the caller gives up: it must hold no null and must not be
     * written or handed to anything else afterwards.
     */
    public static <E> FrozenList<E> adopt(Object[] elements) {
        return new FrozenList<>(Objects.requireNonNull(elements, "elements"));
    }

    /** A builder of a list made of runs of {@code base} and added elements, in the order given. */
    public static <E> Splice<E> splice(FrozenList<E> base) {
        return new Splice<>(Objects.requireNonNull(base, "base"));
    }

    @Override
    @SuppressWarnings("unchecked")
    public E get(int index) {
        Objects.checkIndex(index, size);
        if (runStart == null) {
            return (E) elements[index];
        }
        int k = run(index);
        int from = runFrom[k];
        return (E) (from >= 0 ? elements[from + index - runStart[k]] : extra[-1 - from]);
    }

    /** The run holding {@code index} (spliced form). */
    private int run(int index) {
        int lo = 0;
        int hi = runStart.length - 2; // the last entry is the size, not a run
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (runStart[mid] <= index) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
    }

    @Override
    public int size() {
        return size;
    }

    /** Walks the array (or the runs in order) directly: no index check or run search per element. */
    @Override
    public Iterator<E> iterator() {
        return new Iterator<>() {
            private int i;
            private int k; // current run (spliced form)

            @Override
            public boolean hasNext() {
                return i < size;
            }

            @Override
            @SuppressWarnings("unchecked")
            public E next() {
                if (i >= size) {
                    throw new NoSuchElementException();
                }
                if (runStart == null) {
                    return (E) elements[i++];
                }
                while (runStart[k + 1] <= i) {
                    k++;
                }
                int f = runFrom[k];
                E e = (E) (f >= 0 ? elements[f + i - runStart[k]] : extra[-1 - f]);
                i++;
                return e;
            }
        };
    }

    /** Copies {@code length} elements from {@code from} into {@code dst} at {@code at} (as {@link System#arraycopy}). */
    public void copyTo(int from, Object[] dst, int at, int length) {
        Objects.checkFromIndexSize(from, length, size);
        if (runStart == null) {
            System.arraycopy(elements, from, dst, at, length);
            return;
        }
        int end = from + length;
        for (int k = length == 0 ? runStart.length : run(from); k < runStart.length - 1 && runStart[k] < end; k++) {
            int lo = Math.max(from, runStart[k]);
            int hi = Math.min(end, runStart[k + 1]);
            if (runFrom[k] >= 0) {
                System.arraycopy(elements, runFrom[k] + lo - runStart[k], dst, at + lo - from, hi - lo);
            } else {
                dst[at + lo - from] = extra[-1 - runFrom[k]];
            }
        }
    }

    @Override
    public Object[] toArray() {
        if (runStart == null) {
            return elements.clone();
        }
        Object[] out = new Object[size];
        copyTo(0, out, 0, size);
        return out;
    }

    @Override
    public boolean equals(Object o) {
        if (o == this) {
            return true;
        }
        if (o instanceof FrozenList<?> other) {
            if (size != other.size) {
                return false;
            }
            if (runStart == null && other.runStart == null) {
                return Arrays.equals(elements, other.elements); // identity first, element by element
            }
            for (int i = 0; i < size; i++) {
                if (!Objects.equals(get(i), other.get(i))) {
                    return false;
                }
            }
            return true;
        }
        return super.equals(o);
    }

    @Override
    public int hashCode() {
        return super.hashCode();
    }

    /**
     * Builds a list from runs of a base list ({@link #keep}) and single elements ({@link #add}),
     * appended in order. Only the run boundaries are stored; the elements stay in the base's array.
     *
     * @param <E> element type
     */
    public static final class Splice<E> {
        private final FrozenList<E> base;
        private int[] start = new int[8];
        private int[] from = new int[8];
        private int runs;
        private int size;
        private Object[] extra = new Object[4];
        private int extras;

        private Splice(FrozenList<E> base) {
            this.base = base;
        }

        /** Appends the base's elements [lo, hi). */
        public Splice<E> keep(int lo, int hi) {
            Objects.checkFromToIndex(lo, hi, base.size);
            if (lo == hi) {
                return this;
            }
            if (base.runStart == null) {
                appendRange(lo, hi - lo);
                return this;
            }
            // A splice of a splice: map the range onto the base's own runs (its array, its extras).
            for (int k = base.run(lo); k < base.runStart.length - 1 && base.runStart[k] < hi; k++) {
                int a = Math.max(lo, base.runStart[k]);
                int b = Math.min(hi, base.runStart[k + 1]);
                int f = base.runFrom[k];
                if (f >= 0) {
                    appendRange(f + a - base.runStart[k], b - a);
                } else {
                    append(base.extra[-1 - f]);
                }
            }
            return this;
        }

        /** Appends one element (not null). */
        public Splice<E> add(E element) {
            append(Objects.requireNonNull(element, "element"));
            return this;
        }

        private void append(Object element) {
            if (extras == extra.length) {
                extra = Arrays.copyOf(extra, extras * 2);
            }
            extra[extras] = element;
            appendRun(-1 - extras, 1);
            extras++;
        }

        private void appendRange(int offset, int length) {
            if (runs > 0 && from[runs - 1] >= 0 && from[runs - 1] + size - start[runs - 1] == offset) {
                size += length; // continues the previous run
                return;
            }
            appendRun(offset, length);
        }

        private void appendRun(int f, int length) {
            if (runs == start.length) {
                start = Arrays.copyOf(start, runs * 2);
                from = Arrays.copyOf(from, runs * 2);
            }
            start[runs] = size;
            from[runs] = f;
            runs++;
            size += length;
        }

        /** The list: spliced when it has at most {@value FrozenList#MAX_RUNS} runs, else copied into a plain array. */
        public FrozenList<E> build() {
            int[] runStart = Arrays.copyOf(start, runs + 1);
            runStart[runs] = size;
            FrozenList<E> spliced = new FrozenList<>(base.elements, runStart, Arrays.copyOf(from, runs),
                    Arrays.copyOf(extra, extras), size);
            if (runs == 0) {
                return new FrozenList<>(new Object[0]);
            }
            if (runs == 1 && from[0] == 0 && size == base.elements.length) {
                return new FrozenList<>(base.elements); // the whole shared array, in order
            }
            return runs <= MAX_RUNS ? spliced : new FrozenList<>(spliced.toArray());
        }
    }
}
