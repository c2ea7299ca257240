package dev.nnc.compiler.ir;

import java.util.Arrays;

/**
 * A static shape, except that dimension 0 may be the symbolic batch size {@link #BATCH} (printed N).
 */
public record Shape(int[] dims) {
    public static final int BATCH = -1;
    public static final Shape SCALAR = new Shape(new int[0]);

    public Shape {
        dims = dims.clone();
    }

    public static Shape of(int... dims) {
        return new Shape(dims);
    }

    @Override
    public int[] dims() {
        return dims.clone();
    }

    public int rank() {
        return dims.length;
    }

    public int dim(int i) {
        return dims[i];
    }

    public boolean batched() {
        for (int d : dims) {
            if (d == BATCH) return true;
        }
        return false;
    }

    /** Whether the first dimension is the batch: the tensor is one slice per sample, samples first. */
    public boolean batchFirst() {
        return dims.length >= 1 && dims[0] == BATCH;
    }

    /** Product of the static dimensions (the batch dimension counts 1). */
    public int staticSize() {
        int s = 1;
        for (int d : dims) {
            if (d != BATCH) s *= d;
        }
        return s;
    }

    /** Java expression for the element count, using {@code n} for the batch size. */
    public String sizeExpr(String n) {
        int s = staticSize();
        if (!batched()) return Integer.toString(s);
        return s == 1 ? n : n + " * " + s;
    }

    /** Row-major strides; the batch dimension's extent counts as 1 only when it is the last dim. */
    public int[] strides() {
        int[] st = new int[dims.length];
        int s = 1;
        for (int i = dims.length - 1; i >= 0; i--) {
            st[i] = s;
            s *= dims[i] == BATCH ? 1 : dims[i];
        }
        return st;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Shape s && Arrays.equals(dims, s.dims);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(dims);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < dims.length; i++) {
            if (i > 0) sb.append(", ");
            sb.append(dims[i] == BATCH ? "N" : Integer.toString(dims[i]));
        }
        return sb.append(']').toString();
    }
}
