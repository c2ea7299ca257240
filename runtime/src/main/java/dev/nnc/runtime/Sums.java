package dev.nnc.runtime;

/**
 * Sums of contiguous runs of values for generated kernels: a reduction whose sum runs along the
 * innermost, contiguous dimension of a kernel's loop (a convolution's bias gradient sums each
 * channel's OH·OW values) stores its values first, in a loop that runs in lanes (the generated
 * {@code Simd} class), then sums the stored run here, with eight independent partial sums instead
 * of one chain of dependent adds.
 *
 * <p>The order of the additions is fixed by the run's length alone (partial sum j takes the
 * elements at j, j + 8, j + 16, …; the eight are combined pairwise), so a sum does not depend on
 * the thread, the machine or the vector width.
 */
public final class Sums {
    private Sums() {
    }

    /** {@code a[off] + … + a[off + len - 1]} in the fixed order above. */
    public static float run(float[] a, int off, int len) {
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
        int i = 0;
        for (; i + 8 <= len; i += 8) {
            int q = off + i;
            s0 += a[q];
            s1 += a[q + 1];
            s2 += a[q + 2];
            s3 += a[q + 3];
            s4 += a[q + 4];
            s5 += a[q + 5];
            s6 += a[q + 6];
            s7 += a[q + 7];
        }
        for (; i < len; i++) {
            s0 += a[off + i];
        }
        return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
    }

    /** {@code a[off] + … + a[off + len - 1]} in the fixed order above. */
    public static double run(double[] a, int off, int len) {
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
        int i = 0;
        for (; i + 8 <= len; i += 8) {
            int q = off + i;
            s0 += a[q];
            s1 += a[q + 1];
            s2 += a[q + 2];
            s3 += a[q + 3];
            s4 += a[q + 4];
            s5 += a[q + 5];
            s6 += a[q + 6];
            s7 += a[q + 7];
        }
        for (; i < len; i++) {
            s0 += a[off + i];
        }
        return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
    }
}
