package dev.nnc.runtime;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Direct convolution kernels on the JDK Vector API, for geometries where building an im2col
 * matrix costs more than the product it feeds: a first layer with one input channel (LeNet5's conv1
 * writes 25 × 784 column values per sample for 6 × 784 outputs). {@link Conv} calls them only when
 * the Vector API is in use, so this class is never loaded without the module. The double-precision
 * kernels are the float ones with the type changed (a test keeps the twins in step).
 */
final class VectorConv {
    private static final VectorSpecies<Float> FS = FloatVector.SPECIES_PREFERRED;
    private static final int FL = FS.length();
    private static final VectorSpecies<Double> DS = DoubleVector.SPECIES_PREFERRED;
    private static final int DL = DS.length();

    private VectorConv() {
    }

    /** Width of the padded image: whole vectors of output columns plus the kernel's reach. */
    private static int paddedWidth(int ow, int kw, int lanes) {
        return (ow + lanes - 1) / lanes * lanes + kw - 1;
    }

    /**
     * Scratch elements {@code oneChannel} needs for one sample of {@code o} filters (the larger of the
     * float and double layouts): the zero-padded image and the outputs in whole vectors; {@link Conv}
     * hands it part of the sample's im2col scratch.
     */
    static long paddedSize(int o, int oh, int ow, int kh, int kw) {
        return Math.max(paddedSize(o, oh, ow, kh, kw, FL), paddedSize(o, oh, ow, kh, kw, DL));
    }

    private static long paddedSize(int o, int oh, int ow, int kh, int kw, int lanes) {
        long outputs = (long) o * oh * ((ow + lanes - 1) / lanes * lanes);
        return (long) (oh + kh - 1) * paddedWidth(ow, kw, lanes) + outputs;
    }

    // ---------------------------------------------------------------- float

    /**
     * {@code y[oi][i][j] = Σ_p Σ_q wt[oi][0][p][q] · x[i - pt + p][j - pl + q]} (0 outside the
     * image) for one sample of a one-channel convolution with stride and dilation 1. The image is
     * first copied into {@code pad} with its zero border, so that the input under each tap is a
     * plain vector load at the output column; the outputs go to whole vectors in {@code pad} too and
     * are then copied out row by row (no masked loads or stores in the kernel; see
     * {@link #paddedSize}). Nothing is copied into an im2col matrix. Output channels go four at a
     * time (four independent chains of fused multiply-adds share each load; a last group of one to
     * three reruns the last four channels, which gives the overlap the same values); each output
     * element sums its taps in (p, q) order from zero, as the GEMM would. Measured on LeNet5's conv1
     * (2 cores, AVX-512, batch 128, {@code bench/run jmh ConvBench}): 446 µs with im2col and the GEMM,
     * 465 µs with one chain per output vector, 288 µs with four and masked loads and stores, 331 µs
     * as here. The masked form was dropped: in a full build's test JVM C2 left its vectors boxed
     * (2.4 MB allocated per LeNet5 training step, AllocationTest), in a JVM of its own it did not.
     */
    static void oneChannelF32(float[] x, int xOff, int h, int w, float[] wt, int wOff, int o, int kh, int kw,
                              int pt, int pl, float[] y, int yOff, int oh, int ow, float[] pad, int padOff) {
        int pw = paddedWidth(ow, kw, FL);
        int ph = oh + kh - 1;
        int vw = (ow + FL - 1) / FL * FL; // a padded output row
        int outs = padOff + ph * pw;
        java.util.Arrays.fill(pad, padOff, outs, 0);
        for (int r = 0; r < h && r + pt < ph; r++) {
            int n = Math.min(w, pw - pl);
            System.arraycopy(x, xOff + r * w, pad, padOff + (r + pt) * pw + pl, n);
        }
        int kk = kh * kw;
        int plane = oh * vw;
        for (int i = 0; i < oh; i++) {
            for (int j = 0; j < ow; j += FL) {
                int at = padOff + i * pw + j;
                int out = outs + i * vw + j;
                for (int oi = 0; oi < o; oi += 4) {
                    int first = o >= 4 ? Math.min(oi, o - 4) : oi;
                    if (o >= 4) {
                        fourChannelsF32(pad, at, pw, wt, wOff + first * kk, kk, kh, kw, pad, out + first * plane, plane);
                    } else {
                        for (int c = 0; c < o; c++) {
                            oneChainF32(pad, at, pw, wt, wOff + c * kk, kh, kw, pad, out + c * plane);
                        }
                    }
                }
            }
        }
        for (int oi = 0; oi < o; oi++) {
            for (int i = 0; i < oh; i++) {
                System.arraycopy(pad, outs + oi * plane + i * vw, y, yOff + (oi * oh + i) * ow, ow);
            }
        }
    }

    /** Four output channels of one vector of output columns, whose top-left input is {@code pad[at]}. */
    private static void fourChannelsF32(float[] pad, int at, int pw, float[] wt, int taps, int kk, int kh, int kw,
                                        float[] y, int out, int plane) {
        FloatVector a0 = FloatVector.zero(FS), a1 = FloatVector.zero(FS);
        FloatVector a2 = FloatVector.zero(FS), a3 = FloatVector.zero(FS);
        for (int p = 0; p < kh; p++) {
            int row = at + p * pw;
            int tap = taps + p * kw;
            for (int q = 0; q < kw; q++) {
                FloatVector v = FloatVector.fromArray(FS, pad, row + q);
                a0 = v.fma(FloatVector.broadcast(FS, wt[tap + q]), a0);
                a1 = v.fma(FloatVector.broadcast(FS, wt[tap + kk + q]), a1);
                a2 = v.fma(FloatVector.broadcast(FS, wt[tap + 2 * kk + q]), a2);
                a3 = v.fma(FloatVector.broadcast(FS, wt[tap + 3 * kk + q]), a3);
            }
        }
        a0.intoArray(y, out);
        a1.intoArray(y, out + plane);
        a2.intoArray(y, out + 2 * plane);
        a3.intoArray(y, out + 3 * plane);
    }

    /** One output channel of one vector of output columns (models with fewer than four filters). */
    private static void oneChainF32(float[] pad, int at, int pw, float[] wt, int taps, int kh, int kw, float[] y,
                                    int out) {
        FloatVector acc = FloatVector.zero(FS);
        for (int p = 0; p < kh; p++) {
            for (int q = 0; q < kw; q++) {
                acc = FloatVector.fromArray(FS, pad, at + p * pw + q).fma(FloatVector.broadcast(FS, wt[taps + p * kw + q]),
                        acc);
            }
        }
        acc.intoArray(y, out);
    }

    // ---------------------------------------------------------------- double

    /**
     * {@code y[oi][i][j] = Σ_p Σ_q wt[oi][0][p][q] · x[i - pt + p][j - pl + q]} (0 outside the
     * image) for one sample of a one-channel convolution with stride and dilation 1. The image is
     * first copied into {@code pad} with its zero border, so that the input under each tap is a
     * plain vector load at the output column; the outputs go to whole vectors in {@code pad} too and
     * are then copied out row by row (no masked loads or stores in the kernel; see
     * {@link #paddedSize}). Nothing is copied into an im2col matrix. Output channels go four at a
     * time (four independent chains of fused multiply-adds share each load; a last group of one to
     * three reruns the last four channels, which gives the overlap the same values); each output
     * element sums its taps in (p, q) order from zero, as the GEMM would. Measured on LeNet5's conv1
     * (2 cores, AVX-512, batch 128, {@code bench/run jmh ConvBench}): 446 µs with im2col and the GEMM,
     * 465 µs with one chain per output vector, 288 µs with four and masked loads and stores, 331 µs
     * as here. The masked form was dropped: in a full build's test JVM C2 left its vectors boxed
     * (2.4 MB allocated per LeNet5 training step, AllocationTest), in a JVM of its own it did not.
     */
    static void oneChannelF64(double[] x, int xOff, int h, int w, double[] wt, int wOff, int o, int kh, int kw,
                              int pt, int pl, double[] y, int yOff, int oh, int ow, double[] pad, int padOff) {
        int pw = paddedWidth(ow, kw, DL);
        int ph = oh + kh - 1;
        int vw = (ow + DL - 1) / DL * DL; // a padded output row
        int outs = padOff + ph * pw;
        java.util.Arrays.fill(pad, padOff, outs, 0);
        for (int r = 0; r < h && r + pt < ph; r++) {
            int n = Math.min(w, pw - pl);
            System.arraycopy(x, xOff + r * w, pad, padOff + (r + pt) * pw + pl, n);
        }
        int kk = kh * kw;
        int plane = oh * vw;
        for (int i = 0; i < oh; i++) {
            for (int j = 0; j < ow; j += DL) {
                int at = padOff + i * pw + j;
                int out = outs + i * vw + j;
                for (int oi = 0; oi < o; oi += 4) {
                    int first = o >= 4 ? Math.min(oi, o - 4) : oi;
                    if (o >= 4) {
                        fourChannelsF64(pad, at, pw, wt, wOff + first * kk, kk, kh, kw, pad, out + first * plane, plane);
                    } else {
                        for (int c = 0; c < o; c++) {
                            oneChainF64(pad, at, pw, wt, wOff + c * kk, kh, kw, pad, out + c * plane);
                        }
                    }
                }
            }
        }
        for (int oi = 0; oi < o; oi++) {
            for (int i = 0; i < oh; i++) {
                System.arraycopy(pad, outs + oi * plane + i * vw, y, yOff + (oi * oh + i) * ow, ow);
            }
        }
    }

    /** Four output channels of one vector of output columns, whose top-left input is {@code pad[at]}. */
    private static void fourChannelsF64(double[] pad, int at, int pw, double[] wt, int taps, int kk, int kh, int kw,
                                        double[] y, int out, int plane) {
        DoubleVector a0 = DoubleVector.zero(DS), a1 = DoubleVector.zero(DS);
        DoubleVector a2 = DoubleVector.zero(DS), a3 = DoubleVector.zero(DS);
        for (int p = 0; p < kh; p++) {
            int row = at + p * pw;
            int tap = taps + p * kw;
            for (int q = 0; q < kw; q++) {
                DoubleVector v = DoubleVector.fromArray(DS, pad, row + q);
                a0 = v.fma(DoubleVector.broadcast(DS, wt[tap + q]), a0);
                a1 = v.fma(DoubleVector.broadcast(DS, wt[tap + kk + q]), a1);
                a2 = v.fma(DoubleVector.broadcast(DS, wt[tap + 2 * kk + q]), a2);
                a3 = v.fma(DoubleVector.broadcast(DS, wt[tap + 3 * kk + q]), a3);
            }
        }
        a0.intoArray(y, out);
        a1.intoArray(y, out + plane);
        a2.intoArray(y, out + 2 * plane);
        a3.intoArray(y, out + 3 * plane);
    }

    /** One output channel of one vector of output columns (models with fewer than four filters). */
    private static void oneChainF64(double[] pad, int at, int pw, double[] wt, int taps, int kh, int kw, double[] y,
                                    int out) {
        DoubleVector acc = DoubleVector.zero(DS);
        for (int p = 0; p < kh; p++) {
            for (int q = 0; q < kw; q++) {
                acc = DoubleVector.fromArray(DS, pad, at + p * pw + q).fma(DoubleVector.broadcast(DS, wt[taps + p * kw + q]),
                        acc);
            }
        }
        acc.intoArray(y, out);
    }

    // ---------------------------------------------------------------- end
}
