package dev.nnc.runtime;

/**
 * The data of one step: for every feed of a model (its {@link CompiledModel#feeds()}, inputs then
 * targets, in declaration order) an array and the element offset where the batch starts, plus the
 * number of rows. Arrays may be {@code float[]}, {@code double[]} or {@code int[]}; the model
 * converts while it copies them into its own buffers, so one data set feeds f32 and f64 models alike.
 * A Batch is reused from step to step: nothing is allocated per step.
 */
public final class Batch {
    private final Object[] arrays;
    private final int[] offsets;
    private int size;

    public Batch(int feedCount) {
        arrays = new Object[feedCount];
        offsets = new int[feedCount];
    }

    /** Sets feed {@code slot} to {@code array}, starting at element {@code offset}. */
    public Batch set(int slot, Object array, int offset) {
        if (!(array instanceof float[] || array instanceof double[] || array instanceof int[])) {
            throw new IllegalArgumentException("feed " + slot + ": expected float[], double[] or int[], got "
                    + (array == null ? "null" : array.getClass().getSimpleName()));
        }
        arrays[slot] = array;
        offsets[slot] = offset;
        return this;
    }

    public Batch set(int slot, Object array) {
        return set(slot, array, 0);
    }

    public Batch size(int rows) {
        if (rows < 0) throw new IllegalArgumentException("batch size must be >= 0, got " + rows);
        this.size = rows;
        return this;
    }

    public int size() {
        return size;
    }

    public int feedCount() {
        return arrays.length;
    }

    public Object array(int slot) {
        Object a = arrays[slot];
        if (a == null) throw new IllegalStateException("feed " + slot + " of the batch is not set");
        return a;
    }

    public int offset(int slot) {
        return offsets[slot];
    }
}
