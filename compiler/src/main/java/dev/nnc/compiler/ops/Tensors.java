package dev.nnc.compiler.ops;

import dev.nnc.compiler.ir.Shape;

/** Plain helpers for the reference implementations: sizes, strides and broadcasting in f64. */
public final class Tensors {
    private Tensors() {
    }

    /** The dimensions of {@code s} with N replaced by {@code batch}. */
    public static int[] dims(Shape s, int batch) {
        int[] d = s.dims();
        for (int i = 0; i < d.length; i++) if (d[i] == Shape.BATCH) d[i] = batch;
        return d;
    }

    public static int size(Shape s, int batch) {
        int v = 1;
        for (int d : dims(s, batch)) v *= d;
        return v;
    }

    /** Row-major strides of concrete dimensions. */
    public static int[] strides(int[] dims) {
        int[] st = new int[dims.length];
        int s = 1;
        for (int i = dims.length - 1; i >= 0; i--) {
            st[i] = s;
            s *= dims[i];
        }
        return st;
    }

    /** {@code x} of shape {@code from} repeated to shape {@code to} by NumPy's rules. */
    public static double[] broadcast(double[] x, Shape from, Shape to, int batch) {
        int[] out = dims(to, batch);
        int[] in = dims(from, batch);
        int[] inStrides = strides(in);
        int lead = out.length - in.length;
        int n = 1;
        for (int d : out) n *= d;
        double[] r = new double[n];
        int[] idx = new int[out.length];
        for (int i = 0; i < n; i++) {
            int src = 0;
            for (int d = lead; d < out.length; d++) {
                if (in[d - lead] != 1) src += idx[d] * inStrides[d - lead];
            }
            r[i] = x[src];
            for (int d = out.length - 1; d >= 0; d--) { // next index, row-major
                if (++idx[d] < out[d]) break;
                idx[d] = 0;
            }
        }
        return r;
    }
}
