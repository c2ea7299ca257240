package dev.nnc.runtime;

import java.util.Arrays;

/**
 * Moving one step of a sequence in and out of the contiguous buffers a recurrence's body works
 * on: a sequence is stored {@code [n, steps, rest]}, a step {@code [n, rest]}.
 */
public final class Steps {
    private Steps() {
    }

    /** {@code dst[r] = seq[r, t]} for every row r. */
    public static void take(float[] seq, int seqOff, int steps, int t, int rest, int n, float[] dst, int dstOff) {
        for (int r = 0; r < n; r++) System.arraycopy(seq, seqOff + (r * steps + t) * rest, dst, dstOff + r * rest, rest);
    }

    /** {@code seq[r, t] = src[r]} for every row r. */
    public static void put(float[] src, int srcOff, int steps, int t, int rest, int n, float[] seq, int seqOff) {
        for (int r = 0; r < n; r++) System.arraycopy(src, srcOff + r * rest, seq, seqOff + (r * steps + t) * rest, rest);
    }

    /** {@code dst[i] = src[i]} for {@code count} values. */
    public static void copy(float[] src, int srcOff, int count, float[] dst, int dstOff) {
        System.arraycopy(src, srcOff, dst, dstOff, count);
    }

    /** Zeroes {@code count} values. */
    public static void zero(float[] a, int off, int count) {
        Arrays.fill(a, off, off + count, 0f);
    }

    /** {@code dst[r] = seq[r, t]} for every row r. */
    public static void take(double[] seq, int seqOff, int steps, int t, int rest, int n, double[] dst, int dstOff) {
        for (int r = 0; r < n; r++) System.arraycopy(seq, seqOff + (r * steps + t) * rest, dst, dstOff + r * rest, rest);
    }

    /** {@code seq[r, t] = src[r]} for every row r. */
    public static void put(double[] src, int srcOff, int steps, int t, int rest, int n, double[] seq, int seqOff) {
        for (int r = 0; r < n; r++) System.arraycopy(src, srcOff + r * rest, seq, seqOff + (r * steps + t) * rest, rest);
    }

    /** {@code dst[i] = src[i]} for {@code count} values. */
    public static void copy(double[] src, int srcOff, int count, double[] dst, int dstOff) {
        System.arraycopy(src, srcOff, dst, dstOff, count);
    }

    /** Zeroes {@code count} values. */
    public static void zero(double[] a, int off, int count) {
        Arrays.fill(a, off, off + count, 0d);
    }
}
