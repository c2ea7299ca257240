package dev.nnc.runtime;

import java.util.List;
import java.util.stream.Collectors;

/**
 * Helpers that generated parameter accessors ({@link CompiledModel#parameter},
 * {@link CompiledModel#setParameter}, {@link CompiledModel#gradient}) delegate to: look a parameter
 * up by name, and copy its slice of a flat buffer out (widened to double) or in.
 */
public final class Params {

    private Params() {
    }

    /**
     * The parameter called {@code name}.
     *
     * @throws IllegalArgumentException listing the known names when there is none
     */
    public static TensorInfo find(List<TensorInfo> params, String name) {
        for (TensorInfo p : params) {
            if (p.name().equals(name)) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown parameter '" + name + "'; the model has: "
                + (params.isEmpty() ? "no parameters" : params.stream().map(TensorInfo::name).collect(Collectors.joining(", "))));
    }

    /** A copy of parameter {@code p}'s values in {@code flat}, widened to double. */
    public static double[] read(float[] flat, TensorInfo p) {
        int off = checkSlice(p, flat.length);
        double[] values = new double[p.rowSize()];
        for (int i = 0; i < values.length; i++) {
            values[i] = flat[off + i];
        }
        return values;
    }

    /** A copy of parameter {@code p}'s values in {@code flat}. */
    public static double[] read(double[] flat, TensorInfo p) {
        int off = checkSlice(p, flat.length);
        double[] values = new double[p.rowSize()];
        System.arraycopy(flat, off, values, 0, values.length);
        return values;
    }

    /**
     * Writes {@code values} (rounded to float) into parameter {@code p}'s slice of {@code flat}.
     *
     * @throws IllegalArgumentException when the number of values differs from the parameter's size
     */
    public static void write(double[] values, TensorInfo p, float[] flat) {
        int off = checkSlice(p, flat.length);
        checkLength(values, p);
        for (int i = 0; i < values.length; i++) {
            flat[off + i] = (float) values[i];
        }
    }

    /**
     * Writes {@code values} into parameter {@code p}'s slice of {@code flat}.
     *
     * @throws IllegalArgumentException when the number of values differs from the parameter's size
     */
    public static void write(double[] values, TensorInfo p, double[] flat) {
        int off = checkSlice(p, flat.length);
        checkLength(values, p);
        System.arraycopy(values, 0, flat, off, values.length);
    }

    private static void checkLength(double[] values, TensorInfo p) {
        if (values.length != p.rowSize()) {
            throw new IllegalArgumentException("parameter '" + p.name() + "' " + p.shapeText() + " has "
                    + p.rowSize() + " elements, got " + values.length + " values");
        }
    }

    /** {@code p}'s offset, after checking that its slice lies inside a buffer of {@code length}. */
    static int checkSlice(TensorInfo p, int length) {
        if (p.batched()) {
            throw new IllegalArgumentException("'" + p.name() + "' " + p.shapeText()
                    + " has a batch dimension; it is not a parameter");
        }
        int off = p.offset();
        if (off < 0 || p.rowSize() > length - off) {
            throw new IllegalArgumentException("parameter '" + p.name() + "' " + p.shapeText() + " at offset " + off
                    + " does not fit the flat buffer of " + length + " elements");
        }
        return off;
    }
}
