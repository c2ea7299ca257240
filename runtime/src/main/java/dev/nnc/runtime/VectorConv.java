package dev.nnc.runtime;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Convolution kernels on the JDK Vector API that read a zero-padded copy of a sample in place
 * instead of an im2col matrix (docs/performance.md): the direct kernel for one input channel
 * ({@code oneChannel}), the window products of the forward pass and the weight gradient (lanes
 * along the filters), the column kernel of the weight gradient (lanes along the output columns, for
 * fewer filters than a vector), and col2im as a gather. {@link Conv} calls them only when the Vector
 * API is in use, so this class is never loaded without the module. The double-precision kernels are
 * the float ones with the type changed (a test keeps the twins in step).
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

    /** Floats in a vector: a window product's rows are whole vectors ({@link #windowProductF32}). */
    static int floatLanes() {
        return FL;
    }

    /** Doubles in a vector: a window product's rows are whole vectors ({@link #windowProductF64}). */
    static int doubleLanes() {
        return DL;
    }

    /** Rows of a window-product tile with two vectors per row (12 accumulators: fits 16 registers). */
    private static final int PAIR_ROWS = 6;
    /** Rows of a window-product tile with one vector per row. */
    private static final int ONE_ROWS = 8;

    /** Taps and filters of a column weight-gradient tile: 12 accumulators, which fit 16 registers with the loads. */
    private static final int COLUMN_TAPS = 4;
    private static final int COLUMN_FILTERS = 3;

    /**
     * Scratch elements {@code columnWeightGrad} needs besides the padded image (the larger of the
     * float and double layouts): the output gradient in column chunks and a tile's lanes.
     */
    static long columnsSize(int o, int oh, int ow) {
        return Math.max(columnsSize(o, oh, ow, FL), columnsSize(o, oh, ow, DL));
    }

    private static long columnsSize(int o, int oh, int ow, int lanes) {
        long chunks = (ow + lanes - 1) / lanes;
        return (long) o * oh * chunks * lanes + (long) COLUMN_TAPS * COLUMN_FILTERS * lanes;
    }

    /**
     * Elements {@code col2imGather} may read before a sample's im2col rows and after their end (a
     * vector's worth, for either element type): a caller runs it only when {@code cols} has them.
     */
    static int gatherReach() {
        return Math.max(FL, DL);
    }

    // ---------------------------------------------------------------- float

    /**
     * {@code y[oi][i][j] = Σ_p Σ_q wt[oi][0][p][q] · x[i - pt + p][j - pl + q]} (0 outside the
     * image) for one sample of a one-channel convolution with stride and dilation 1. The image is
     * first copied into {@code pad} with its zero border, so that the input under each tap is a
     * plain vector load at the output column; the outputs go to whole vectors in {@code pad} too and
     * are then copied out row by row (no masked loads or stores in the kernel; see
     * {@link #paddedSize}). Nothing is copied into an im2col matrix. Output channels go four or six
     * at a time (independent chains of fused multiply-adds share each load; six where that reruns
     * fewer channels; a last partial group reruns the last whole group's channels, which gives the
     * overlap the same values); each output element sums its taps in (p, q) order from zero, as the
     * GEMM would. Measured on LeNet5's conv1 (2 cores, AVX-512, batch 128, {@code bench/run jmh
     * ConvBench}): 446 µs with im2col and the GEMM, 465 µs with one chain per output vector, 288 µs
     * with four and masked loads and stores, 327–339 µs with two groups of four (8 chains for its 6
     * filters), 258–263 µs with one group of six. The masked form was dropped: in a full build's
     * test JVM C2 left its vectors boxed (2.4 MB allocated per LeNet5 training step,
     * AllocationTest), in a JVM of its own it did not.
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
        // channels in groups of 6 where that reruns fewer of them than groups of 4 (6 filters: 6, not 8)
        int group = o >= 6 && (o + 5) / 6 * 6 < (o + 3) / 4 * 4 ? 6 : 4;
        for (int i = 0; i < oh; i++) {
            for (int j = 0; j < ow; j += FL) {
                int at = padOff + i * pw + j;
                int out = outs + i * vw + j;
                for (int oi = 0; oi < o; oi += group) {
                    int first = o >= group ? Math.min(oi, o - group) : oi;
                    if (group == 6) {
                        sixChannelsF32(pad, at, pw, wt, wOff + first * kk, kk, kh, kw, pad, out + first * plane, plane);
                    } else if (o >= 4) {
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

    /** Six output channels of one vector of output columns, whose top-left input is {@code pad[at]}. */
    private static void sixChannelsF32(float[] pad, int at, int pw, float[] wt, int taps, int kk, int kh, int kw,
                                       float[] y, int out, int plane) {
        FloatVector a0 = FloatVector.zero(FS), a1 = FloatVector.zero(FS), a2 = FloatVector.zero(FS);
        FloatVector a3 = FloatVector.zero(FS), a4 = FloatVector.zero(FS), a5 = FloatVector.zero(FS);
        for (int p = 0; p < kh; p++) {
            int row = at + p * pw;
            int tap = taps + p * kw;
            for (int q = 0; q < kw; q++) {
                FloatVector v = FloatVector.fromArray(FS, pad, row + q);
                a0 = v.fma(FloatVector.broadcast(FS, wt[tap + q]), a0);
                a1 = v.fma(FloatVector.broadcast(FS, wt[tap + kk + q]), a1);
                a2 = v.fma(FloatVector.broadcast(FS, wt[tap + 2 * kk + q]), a2);
                a3 = v.fma(FloatVector.broadcast(FS, wt[tap + 3 * kk + q]), a3);
                a4 = v.fma(FloatVector.broadcast(FS, wt[tap + 4 * kk + q]), a4);
                a5 = v.fma(FloatVector.broadcast(FS, wt[tap + 5 * kk + q]), a5);
            }
        }
        a0.intoArray(y, out);
        a1.intoArray(y, out + plane);
        a2.intoArray(y, out + 2 * plane);
        a3.intoArray(y, out + 3 * plane);
        a4.intoArray(y, out + 4 * plane);
        a5.intoArray(y, out + 5 * plane);
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

    /**
     * A product whose left operand is read from windows of an image instead of a matrix:
     * {@code c[m][v] = Σ_k xp[xpOff + rowOff[m] + colOff[k]] · b[k][v]} for the rows m in
     * {@code [0, rows)} and the {@code ov} columns (whole vectors; {@code b} and {@code c} have rows
     * of {@code ov}), each sum from zero in k order with fused multiply-adds. On {@link Conv}'s
     * zero-padded image, with rowOff the output positions and colOff the taps it is the forward
     * pass ({@code b} = the weights transposed, {@code c} = the output transposed); with rowOff the
     * taps and colOff the output positions it is the weight gradient ({@code b} = the output gradient
     * transposed, {@code c} = the gradient transposed). No im2col matrix is written, nor packed.
     *
     * <p>Tiles of {@value #PAIR_ROWS} rows × 2 vectors, and of {@value #ONE_ROWS} rows × 1 vector
     * for an odd last vector; a last partial tile reruns the last full tile's rows, and fewer rows
     * than a tile go one at a time: every element is the same chain of fused multiply-adds whatever
     * tile computes it, so the results do not depend on the tiling.
     */
    static void windowProductF32(float[] xp, int xpOff, int[] rowOff, int rows, int[] colOff, int ks, float[] b,
                                 int bOff, int ov, float[] c, int cOff) {
        for (int v = 0; v < ov; ) {
            boolean pair = v + 2 * FL <= ov;
            int tile = pair ? PAIR_ROWS : ONE_ROWS;
            int width = pair ? 2 * FL : FL;
            if (rows < tile) {
                for (int m = 0; m < rows; m++) {
                    for (int u = v; u < v + width; u += FL) {
                        windowRowF32(xp, xpOff + rowOff[m], colOff, ks, b, bOff + u, ov, c, cOff + m * ov + u);
                    }
                }
            } else {
                for (int m = 0; m < rows; m += tile) {
                    int first = Math.min(m, rows - tile);
                    if (pair) {
                        pairTileF32(xp, xpOff, rowOff, first, colOff, ks, b, bOff + v, ov, c, cOff + first * ov + v);
                    } else {
                        oneTileF32(xp, xpOff, rowOff, first, colOff, ks, b, bOff + v, ov, c, cOff + first * ov + v);
                    }
                }
            }
            v += width;
        }
    }

    /** Rows m … m + 5 of a window product, two vectors of columns from {@code b[bOff]} on. */
    private static void pairTileF32(float[] xp, int xpOff, int[] rowOff, int m, int[] colOff, int ks, float[] b,
                                    int bOff, int ov, float[] c, int out) {
        int x0 = xpOff + rowOff[m], x1 = xpOff + rowOff[m + 1], x2 = xpOff + rowOff[m + 2];
        int x3 = xpOff + rowOff[m + 3], x4 = xpOff + rowOff[m + 4], x5 = xpOff + rowOff[m + 5];
        FloatVector s00 = FloatVector.zero(FS), s01 = FloatVector.zero(FS), s10 = FloatVector.zero(FS);
        FloatVector s11 = FloatVector.zero(FS), s20 = FloatVector.zero(FS), s21 = FloatVector.zero(FS);
        FloatVector s30 = FloatVector.zero(FS), s31 = FloatVector.zero(FS), s40 = FloatVector.zero(FS);
        FloatVector s41 = FloatVector.zero(FS), s50 = FloatVector.zero(FS), s51 = FloatVector.zero(FS);
        for (int k = 0, bk = bOff; k < ks; k++, bk += ov) {
            int d = colOff[k];
            FloatVector u = FloatVector.fromArray(FS, b, bk);
            FloatVector t = FloatVector.fromArray(FS, b, bk + FL);
            FloatVector x = FloatVector.broadcast(FS, xp[x0 + d]);
            s00 = x.fma(u, s00);
            s01 = x.fma(t, s01);
            x = FloatVector.broadcast(FS, xp[x1 + d]);
            s10 = x.fma(u, s10);
            s11 = x.fma(t, s11);
            x = FloatVector.broadcast(FS, xp[x2 + d]);
            s20 = x.fma(u, s20);
            s21 = x.fma(t, s21);
            x = FloatVector.broadcast(FS, xp[x3 + d]);
            s30 = x.fma(u, s30);
            s31 = x.fma(t, s31);
            x = FloatVector.broadcast(FS, xp[x4 + d]);
            s40 = x.fma(u, s40);
            s41 = x.fma(t, s41);
            x = FloatVector.broadcast(FS, xp[x5 + d]);
            s50 = x.fma(u, s50);
            s51 = x.fma(t, s51);
        }
        s00.intoArray(c, out);
        s01.intoArray(c, out + FL);
        s10.intoArray(c, out + ov);
        s11.intoArray(c, out + ov + FL);
        s20.intoArray(c, out + 2 * ov);
        s21.intoArray(c, out + 2 * ov + FL);
        s30.intoArray(c, out + 3 * ov);
        s31.intoArray(c, out + 3 * ov + FL);
        s40.intoArray(c, out + 4 * ov);
        s41.intoArray(c, out + 4 * ov + FL);
        s50.intoArray(c, out + 5 * ov);
        s51.intoArray(c, out + 5 * ov + FL);
    }

    /** Rows m … m + 7 of a window product, one vector of columns from {@code b[bOff]} on. */
    private static void oneTileF32(float[] xp, int xpOff, int[] rowOff, int m, int[] colOff, int ks, float[] b,
                                   int bOff, int ov, float[] c, int out) {
        int x0 = xpOff + rowOff[m], x1 = xpOff + rowOff[m + 1], x2 = xpOff + rowOff[m + 2];
        int x3 = xpOff + rowOff[m + 3], x4 = xpOff + rowOff[m + 4], x5 = xpOff + rowOff[m + 5];
        int x6 = xpOff + rowOff[m + 6], x7 = xpOff + rowOff[m + 7];
        FloatVector s0 = FloatVector.zero(FS), s1 = FloatVector.zero(FS), s2 = FloatVector.zero(FS);
        FloatVector s3 = FloatVector.zero(FS), s4 = FloatVector.zero(FS), s5 = FloatVector.zero(FS);
        FloatVector s6 = FloatVector.zero(FS), s7 = FloatVector.zero(FS);
        for (int k = 0, bk = bOff; k < ks; k++, bk += ov) {
            int d = colOff[k];
            FloatVector u = FloatVector.fromArray(FS, b, bk);
            s0 = FloatVector.broadcast(FS, xp[x0 + d]).fma(u, s0);
            s1 = FloatVector.broadcast(FS, xp[x1 + d]).fma(u, s1);
            s2 = FloatVector.broadcast(FS, xp[x2 + d]).fma(u, s2);
            s3 = FloatVector.broadcast(FS, xp[x3 + d]).fma(u, s3);
            s4 = FloatVector.broadcast(FS, xp[x4 + d]).fma(u, s4);
            s5 = FloatVector.broadcast(FS, xp[x5 + d]).fma(u, s5);
            s6 = FloatVector.broadcast(FS, xp[x6 + d]).fma(u, s6);
            s7 = FloatVector.broadcast(FS, xp[x7 + d]).fma(u, s7);
        }
        s0.intoArray(c, out);
        s1.intoArray(c, out + ov);
        s2.intoArray(c, out + 2 * ov);
        s3.intoArray(c, out + 3 * ov);
        s4.intoArray(c, out + 4 * ov);
        s5.intoArray(c, out + 5 * ov);
        s6.intoArray(c, out + 6 * ov);
        s7.intoArray(c, out + 7 * ov);
    }

    /** One row of a window product, one vector of columns, whose windows start at {@code xp[at]}. */
    private static void windowRowF32(float[] xp, int at, int[] colOff, int ks, float[] b, int bOff, int ov, float[] c,
                                     int out) {
        FloatVector s = FloatVector.zero(FS);
        for (int k = 0, bk = bOff; k < ks; k++, bk += ov) {
            s = FloatVector.broadcast(FS, xp[at + colOff[k]]).fma(FloatVector.fromArray(FS, b, bk), s);
        }
        s.intoArray(c, out);
    }

    /**
     * Lays out one sample's output gradient {@code g [o, oh, ow]} for {@link #columnWeightGradF32}:
     * {@code gv [o, oh, chunks · L]}, chunk k holding the columns from {@code min(k · L, ow - L)} on,
     * ANDed with {@code keep} ({@code columnKeep}: zero in the lanes an earlier chunk already holds,
     * so every lane stands for a real output column, and each column is counted once). Needs
     * {@code ow >= L}; returns the elements written.
     */
    static int columnsF32(float[] g, int gOff, int o, int oh, int ow, float[] keep, float[] gv, int gvOff) {
        int chunks = (ow + FL - 1) / FL;
        for (int row = 0, at = gvOff; row < o * oh; row++) {
            int src = gOff + row * ow;
            for (int k = 0; k < chunks; k++, at += FL) {
                FloatVector v = FloatVector.fromArray(FS, g, src + Math.min(k * FL, ow - FL));
                FloatVector m = FloatVector.fromArray(FS, keep, k * FL);
                v.reinterpretAsInts().and(m.reinterpretAsInts()).reinterpretAsFloats().intoArray(gv, at);
            }
        }
        return o * oh * chunks * FL;
    }

    /**
     * The lane masks of the column chunks of {@link #columnsF32}: {@code [chunks · L]}, all bits
     * set but in the lanes of the last chunk that the chunk before already holds (zero), ANDed into
     * the output gradient's chunks.
     */
    static float[] columnKeepF32(int ow) {
        int chunks = (ow + FL - 1) / FL;
        float[] keep = new float[chunks * FL];
        java.util.Arrays.fill(keep, Float.intBitsToFloat(-1));
        int held = chunks * FL - ow; // the last chunk's first lanes, which the chunk before holds
        java.util.Arrays.fill(keep, (chunks - 1) * FL, (chunks - 1) * FL + held, 0);
        return keep;
    }

    /**
     * One sample's weight-gradient partial {@code dWᵀ [taps, o]} of a convolution with stride 1
     * along the rows, with lanes along the output columns: {@code dW[r][f] = Σ_i Σ_j gv[f][i][j] ·
     * xp[xpOff + tapOff[r] + i · rowStep + j]} (rowStep: the padded image's
     * width times the vertical stride) over the column chunks of {@link #columnsF32} (each
     * lane's products summed in (row, chunk) order, then the lanes in order). For few filters
     * (LeNet5's conv1: 6), where lanes along the filters would idle. Tiles of
     * {@value #COLUMN_TAPS} taps × {@value #COLUMN_FILTERS} filters, a last partial tile rerunning
     * the last full one (the same values); {@code lanes} holds a tile's {@code 12 · L} lanes.
     */
    static void columnWeightGradF32(float[] xp, int xpOff, int[] tapOff, int taps, int rowStep, float[] gv, int gvOff,
                                    int o, int oh, int ow, float[] dW, int dwOff, float[] lanes, int lanesOff) {
        int chunks = (ow + FL - 1) / FL;
        if (taps < COLUMN_TAPS || o < COLUMN_FILTERS) {
            for (int r = 0; r < taps; r++) {
                for (int f = 0; f < o; f++) {
                    columnOneF32(xp, xpOff + tapOff[r], rowStep, gv, gvOff + f * oh * chunks * FL, oh, ow, chunks, dW,
                            dwOff + r * o + f, lanes, lanesOff);
                }
            }
            return;
        }
        for (int r = 0; r < taps; r += COLUMN_TAPS) {
            int r0 = Math.min(r, taps - COLUMN_TAPS);
            for (int f = 0; f < o; f += COLUMN_FILTERS) {
                int f0 = Math.min(f, o - COLUMN_FILTERS);
                columnTileF32(xp, xpOff, tapOff, r0, rowStep, gv, gvOff, f0, oh, ow, chunks, dW, dwOff, o, lanes, lanesOff);
            }
        }
    }

    /** Taps r … r + 3 × filters f … f + 2 of {@link #columnWeightGradF32}. */
    private static void columnTileF32(float[] xp, int xpOff, int[] tapOff, int r, int rowStep, float[] gv, int gvOff,
                                      int f, int oh, int ow, int chunks, float[] dW, int dwOff, int o, float[] lanes,
                                      int lanesOff) {
        int t0 = xpOff + tapOff[r], t1 = xpOff + tapOff[r + 1], t2 = xpOff + tapOff[r + 2], t3 = xpOff + tapOff[r + 3];
        int plane = oh * chunks * FL; // a filter's part of gv
        int g0 = gvOff + f * plane, g1 = g0 + plane, g2 = g1 + plane;
        FloatVector s00 = FloatVector.zero(FS), s01 = FloatVector.zero(FS), s02 = FloatVector.zero(FS);
        FloatVector s10 = FloatVector.zero(FS), s11 = FloatVector.zero(FS), s12 = FloatVector.zero(FS);
        FloatVector s20 = FloatVector.zero(FS), s21 = FloatVector.zero(FS), s22 = FloatVector.zero(FS);
        FloatVector s30 = FloatVector.zero(FS), s31 = FloatVector.zero(FS), s32 = FloatVector.zero(FS);
        for (int i = 0, gi = 0; i < oh; i++) {
            for (int k = 0; k < chunks; k++, gi += FL) {
                int xi = i * rowStep + Math.min(k * FL, ow - FL);
                FloatVector u0 = FloatVector.fromArray(FS, gv, g0 + gi);
                FloatVector u1 = FloatVector.fromArray(FS, gv, g1 + gi);
                FloatVector u2 = FloatVector.fromArray(FS, gv, g2 + gi);
                FloatVector x = FloatVector.fromArray(FS, xp, t0 + xi);
                s00 = x.fma(u0, s00);
                s01 = x.fma(u1, s01);
                s02 = x.fma(u2, s02);
                x = FloatVector.fromArray(FS, xp, t1 + xi);
                s10 = x.fma(u0, s10);
                s11 = x.fma(u1, s11);
                s12 = x.fma(u2, s12);
                x = FloatVector.fromArray(FS, xp, t2 + xi);
                s20 = x.fma(u0, s20);
                s21 = x.fma(u1, s21);
                s22 = x.fma(u2, s22);
                x = FloatVector.fromArray(FS, xp, t3 + xi);
                s30 = x.fma(u0, s30);
                s31 = x.fma(u1, s31);
                s32 = x.fma(u2, s32);
            }
        }
        s00.intoArray(lanes, lanesOff);
        s01.intoArray(lanes, lanesOff + FL);
        s02.intoArray(lanes, lanesOff + 2 * FL);
        s10.intoArray(lanes, lanesOff + 3 * FL);
        s11.intoArray(lanes, lanesOff + 4 * FL);
        s12.intoArray(lanes, lanesOff + 5 * FL);
        s20.intoArray(lanes, lanesOff + 6 * FL);
        s21.intoArray(lanes, lanesOff + 7 * FL);
        s22.intoArray(lanes, lanesOff + 8 * FL);
        s30.intoArray(lanes, lanesOff + 9 * FL);
        s31.intoArray(lanes, lanesOff + 10 * FL);
        s32.intoArray(lanes, lanesOff + 11 * FL);
        for (int a = 0; a < COLUMN_TAPS; a++) {
            for (int b = 0; b < COLUMN_FILTERS; b++) {
                float v = sumLanesF32(lanes, lanesOff + (a * COLUMN_FILTERS + b) * FL);
                if (v != v) { // NaN: a repeated lane may have multiplied a zero by an infinite input
                    v = columnExactF32(xp, xpOff + tapOff[r + a], rowStep, gv, gvOff + (f + b) * plane, oh, ow, chunks);
                }
                dW[dwOff + (r + a) * o + f + b] = v;
            }
        }
    }

    /** One tap × one filter of {@link #columnWeightGradF32} (fewer taps or filters than a tile). */
    private static void columnOneF32(float[] xp, int at, int rowStep, float[] gv, int gvOff, int oh, int ow, int chunks,
                                     float[] dW, int out, float[] lanes, int lanesOff) {
        FloatVector s = FloatVector.zero(FS);
        for (int i = 0, gi = gvOff; i < oh; i++) {
            for (int k = 0; k < chunks; k++, gi += FL) {
                s = FloatVector.fromArray(FS, xp, at + i * rowStep + Math.min(k * FL, ow - FL))
                        .fma(FloatVector.fromArray(FS, gv, gi), s);
            }
        }
        s.intoArray(lanes, lanesOff);
        float v = sumLanesF32(lanes, lanesOff);
        dW[out] = v == v ? v : columnExactF32(xp, at, rowStep, gv, gvOff, oh, ow, chunks);
    }

    /**
     * One element of {@link #columnWeightGradF32} from single products, the repeated lanes
     * skipped: what a NaN from the vector form becomes. The vector form multiplies a repeated lane's
     * zero gradient by the input there, which for an infinite input is a NaN the im2col path does
     * not make; the sum of the real products is NaN or infinite in the same way in any order.
     */
    private static float columnExactF32(float[] xp, int at, int rowStep, float[] gv, int gvOff, int oh, int ow,
                                        int chunks) {
        float sum = 0;
        for (int i = 0, gi = gvOff; i < oh; i++) {
            for (int k = 0; k < chunks; k++, gi += FL) {
                int j = Math.min(k * FL, ow - FL);
                for (int l = k * FL - j; l < FL; l++) sum += gv[gi + l] * xp[at + i * rowStep + j + l];
            }
        }
        return sum;
    }

    /** The L lanes from {@code lanes[at]} summed in lane order. */
    private static float sumLanesF32(float[] lanes, int at) {
        float sum = 0;
        for (int l = 0; l < FL; l++) sum += lanes[at + l];
        return sum;
    }

    /**
     * The lane masks {@link #col2imGatherF32} reads: {@code [L zeros][ow all-ones][L zeros]}, so
     * that the vector from {@code L + j} keeps exactly the lanes l with {@code 0 <= j + l < ow}
     * (their bits ANDed, never multiplied: an infinity outside stays outside).
     */
    static float[] inRangeF32(int ow) {
        float[] m = new float[ow + 2 * FL];
        java.util.Arrays.fill(m, FL, FL + ow, Float.intBitsToFloat(-1));
        return m;
    }

    /**
     * col2im of one sample as a gather, for stride 1 along the rows: every row of {@code dx [C, H,
     * W]} (overwritten) is, a vector of columns at a time, the sum of the im2col rows that land on
     * it, {@code dx[ci][y][x] = Σ_p Σ_q cols[(ci·KH + p)·KW + q][i][x + pl - q·dw]} over
     * {@code i·sh = y + pt - p·dh} inside the output, the lanes whose im2col column lies outside
     * {@code [0, ow)} cleared through the masks of {@code inRange} (from {@code inRangeF32(ow)}).
     * Each element sums its terms in (p, q) order from zero, as the scatter form adds them, so the
     * results are the same bits; no element is read back after it is written (the scatter form
     * added rows of 10 onto dx, two thirds of LeNet5's conv2 input gradient). A row's last vector may store lanes past W, which the following rows' stores
     * overwrite; a vector that would reach past the sample's end goes through {@code tmp} (a
     * vector's worth). Loads
     * reach up to a vector before and after the sample's im2col rows: see {@link #gatherReach}.
     */
    static void col2imGatherF32(float[] cols, int colsOff, int c, int oh, int ow, int kh, int kw, int sh, int dh,
                                int dw, int pt, int pl, float[] dx, int dxOff, int h, int w, float[] inRange,
                                float[] tmp) {
        int ohw = oh * ow;
        int end = dxOff + c * h * w;
        FloatVector zero = FloatVector.zero(FS);
        for (int ci = 0; ci < c; ci++) {
            int taps = colsOff + ci * kh * kw * ohw;
            for (int y = 0; y < h; y++) {
                int row = dxOff + (ci * h + y) * w;
                for (int x0 = 0; x0 < w; x0 += FL) {
                    FloatVector acc = zero;
                    for (int p = 0; p < kh; p++) {
                        int i = y + pt - p * dh; // i · sh, the output row (no division for stride 1)
                        if (sh != 1) {
                            if (i % sh != 0) continue;
                            i /= sh;
                        }
                        if (i < 0 || i >= oh) continue;
                        int base = taps + p * kw * ohw + i * ow;
                        for (int q = 0; q < kw; q++) {
                            int j = x0 + pl - q * dw; // the im2col column under lane 0
                            if (j >= ow || j + FL <= 0) continue;
                            FloatVector v = FloatVector.fromArray(FS, cols, base + q * ohw + j);
                            FloatVector keep = FloatVector.fromArray(FS, inRange, FL + j);
                            acc = acc.add(v.reinterpretAsInts().and(keep.reinterpretAsInts()).reinterpretAsFloats());
                        }
                    }
                    if (row + x0 + FL > end) { // past the sample's end
                        acc.intoArray(tmp, 0);
                        System.arraycopy(tmp, 0, dx, row + x0, Math.min(FL, end - row - x0));
                    } else {
                        acc.intoArray(dx, row + x0);
                    }
                }
            }
        }
    }

    // ---------------------------------------------------------------- double

    /**
     * {@code y[oi][i][j] = Σ_p Σ_q wt[oi][0][p][q] · x[i - pt + p][j - pl + q]} (0 outside the
     * image) for one sample of a one-channel convolution with stride and dilation 1. The image is
     * first copied into {@code pad} with its zero border, so that the input under each tap is a
     * plain vector load at the output column; the outputs go to whole vectors in {@code pad} too and
     * are then copied out row by row (no masked loads or stores in the kernel; see
     * {@link #paddedSize}). Nothing is copied into an im2col matrix. Output channels go four or six
     * at a time (independent chains of fused multiply-adds share each load; six where that reruns
     * fewer channels; a last partial group reruns the last whole group's channels, which gives the
     * overlap the same values); each output element sums its taps in (p, q) order from zero, as the
     * GEMM would. Measured on LeNet5's conv1 (2 cores, AVX-512, batch 128, {@code bench/run jmh
     * ConvBench}): 446 µs with im2col and the GEMM, 465 µs with one chain per output vector, 288 µs
     * with four and masked loads and stores, 327–339 µs with two groups of four (8 chains for its 6
     * filters), 258–263 µs with one group of six. The masked form was dropped: in a full build's
     * test JVM C2 left its vectors boxed (2.4 MB allocated per LeNet5 training step,
     * AllocationTest), in a JVM of its own it did not.
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
        // channels in groups of 6 where that reruns fewer of them than groups of 4 (6 filters: 6, not 8)
        int group = o >= 6 && (o + 5) / 6 * 6 < (o + 3) / 4 * 4 ? 6 : 4;
        for (int i = 0; i < oh; i++) {
            for (int j = 0; j < ow; j += DL) {
                int at = padOff + i * pw + j;
                int out = outs + i * vw + j;
                for (int oi = 0; oi < o; oi += group) {
                    int first = o >= group ? Math.min(oi, o - group) : oi;
                    if (group == 6) {
                        sixChannelsF64(pad, at, pw, wt, wOff + first * kk, kk, kh, kw, pad, out + first * plane, plane);
                    } else if (o >= 4) {
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

    /** Six output channels of one vector of output columns, whose top-left input is {@code pad[at]}. */
    private static void sixChannelsF64(double[] pad, int at, int pw, double[] wt, int taps, int kk, int kh, int kw,
                                       double[] y, int out, int plane) {
        DoubleVector a0 = DoubleVector.zero(DS), a1 = DoubleVector.zero(DS), a2 = DoubleVector.zero(DS);
        DoubleVector a3 = DoubleVector.zero(DS), a4 = DoubleVector.zero(DS), a5 = DoubleVector.zero(DS);
        for (int p = 0; p < kh; p++) {
            int row = at + p * pw;
            int tap = taps + p * kw;
            for (int q = 0; q < kw; q++) {
                DoubleVector v = DoubleVector.fromArray(DS, pad, row + q);
                a0 = v.fma(DoubleVector.broadcast(DS, wt[tap + q]), a0);
                a1 = v.fma(DoubleVector.broadcast(DS, wt[tap + kk + q]), a1);
                a2 = v.fma(DoubleVector.broadcast(DS, wt[tap + 2 * kk + q]), a2);
                a3 = v.fma(DoubleVector.broadcast(DS, wt[tap + 3 * kk + q]), a3);
                a4 = v.fma(DoubleVector.broadcast(DS, wt[tap + 4 * kk + q]), a4);
                a5 = v.fma(DoubleVector.broadcast(DS, wt[tap + 5 * kk + q]), a5);
            }
        }
        a0.intoArray(y, out);
        a1.intoArray(y, out + plane);
        a2.intoArray(y, out + 2 * plane);
        a3.intoArray(y, out + 3 * plane);
        a4.intoArray(y, out + 4 * plane);
        a5.intoArray(y, out + 5 * plane);
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

    /**
     * A product whose left operand is read from windows of an image instead of a matrix:
     * {@code c[m][v] = Σ_k xp[xpOff + rowOff[m] + colOff[k]] · b[k][v]} for the rows m in
     * {@code [0, rows)} and the {@code ov} columns (whole vectors; {@code b} and {@code c} have rows
     * of {@code ov}), each sum from zero in k order with fused multiply-adds. On {@link Conv}'s
     * zero-padded image, with rowOff the output positions and colOff the taps it is the forward
     * pass ({@code b} = the weights transposed, {@code c} = the output transposed); with rowOff the
     * taps and colOff the output positions it is the weight gradient ({@code b} = the output gradient
     * transposed, {@code c} = the gradient transposed). No im2col matrix is written, nor packed.
     *
     * <p>Tiles of {@value #PAIR_ROWS} rows × 2 vectors, and of {@value #ONE_ROWS} rows × 1 vector
     * for an odd last vector; a last partial tile reruns the last full tile's rows, and fewer rows
     * than a tile go one at a time: every element is the same chain of fused multiply-adds whatever
     * tile computes it, so the results do not depend on the tiling.
     */
    static void windowProductF64(double[] xp, int xpOff, int[] rowOff, int rows, int[] colOff, int ks, double[] b,
                                 int bOff, int ov, double[] c, int cOff) {
        for (int v = 0; v < ov; ) {
            boolean pair = v + 2 * DL <= ov;
            int tile = pair ? PAIR_ROWS : ONE_ROWS;
            int width = pair ? 2 * DL : DL;
            if (rows < tile) {
                for (int m = 0; m < rows; m++) {
                    for (int u = v; u < v + width; u += DL) {
                        windowRowF64(xp, xpOff + rowOff[m], colOff, ks, b, bOff + u, ov, c, cOff + m * ov + u);
                    }
                }
            } else {
                for (int m = 0; m < rows; m += tile) {
                    int first = Math.min(m, rows - tile);
                    if (pair) {
                        pairTileF64(xp, xpOff, rowOff, first, colOff, ks, b, bOff + v, ov, c, cOff + first * ov + v);
                    } else {
                        oneTileF64(xp, xpOff, rowOff, first, colOff, ks, b, bOff + v, ov, c, cOff + first * ov + v);
                    }
                }
            }
            v += width;
        }
    }

    /** Rows m … m + 5 of a window product, two vectors of columns from {@code b[bOff]} on. */
    private static void pairTileF64(double[] xp, int xpOff, int[] rowOff, int m, int[] colOff, int ks, double[] b,
                                    int bOff, int ov, double[] c, int out) {
        int x0 = xpOff + rowOff[m], x1 = xpOff + rowOff[m + 1], x2 = xpOff + rowOff[m + 2];
        int x3 = xpOff + rowOff[m + 3], x4 = xpOff + rowOff[m + 4], x5 = xpOff + rowOff[m + 5];
        DoubleVector s00 = DoubleVector.zero(DS), s01 = DoubleVector.zero(DS), s10 = DoubleVector.zero(DS);
        DoubleVector s11 = DoubleVector.zero(DS), s20 = DoubleVector.zero(DS), s21 = DoubleVector.zero(DS);
        DoubleVector s30 = DoubleVector.zero(DS), s31 = DoubleVector.zero(DS), s40 = DoubleVector.zero(DS);
        DoubleVector s41 = DoubleVector.zero(DS), s50 = DoubleVector.zero(DS), s51 = DoubleVector.zero(DS);
        for (int k = 0, bk = bOff; k < ks; k++, bk += ov) {
            int d = colOff[k];
            DoubleVector u = DoubleVector.fromArray(DS, b, bk);
            DoubleVector t = DoubleVector.fromArray(DS, b, bk + DL);
            DoubleVector x = DoubleVector.broadcast(DS, xp[x0 + d]);
            s00 = x.fma(u, s00);
            s01 = x.fma(t, s01);
            x = DoubleVector.broadcast(DS, xp[x1 + d]);
            s10 = x.fma(u, s10);
            s11 = x.fma(t, s11);
            x = DoubleVector.broadcast(DS, xp[x2 + d]);
            s20 = x.fma(u, s20);
            s21 = x.fma(t, s21);
            x = DoubleVector.broadcast(DS, xp[x3 + d]);
            s30 = x.fma(u, s30);
            s31 = x.fma(t, s31);
            x = DoubleVector.broadcast(DS, xp[x4 + d]);
            s40 = x.fma(u, s40);
            s41 = x.fma(t, s41);
            x = DoubleVector.broadcast(DS, xp[x5 + d]);
            s50 = x.fma(u, s50);
            s51 = x.fma(t, s51);
        }
        s00.intoArray(c, out);
        s01.intoArray(c, out + DL);
        s10.intoArray(c, out + ov);
        s11.intoArray(c, out + ov + DL);
        s20.intoArray(c, out + 2 * ov);
        s21.intoArray(c, out + 2 * ov + DL);
        s30.intoArray(c, out + 3 * ov);
        s31.intoArray(c, out + 3 * ov + DL);
        s40.intoArray(c, out + 4 * ov);
        s41.intoArray(c, out + 4 * ov + DL);
        s50.intoArray(c, out + 5 * ov);
        s51.intoArray(c, out + 5 * ov + DL);
    }

    /** Rows m … m + 7 of a window product, one vector of columns from {@code b[bOff]} on. */
    private static void oneTileF64(double[] xp, int xpOff, int[] rowOff, int m, int[] colOff, int ks, double[] b,
                                   int bOff, int ov, double[] c, int out) {
        int x0 = xpOff + rowOff[m], x1 = xpOff + rowOff[m + 1], x2 = xpOff + rowOff[m + 2];
        int x3 = xpOff + rowOff[m + 3], x4 = xpOff + rowOff[m + 4], x5 = xpOff + rowOff[m + 5];
        int x6 = xpOff + rowOff[m + 6], x7 = xpOff + rowOff[m + 7];
        DoubleVector s0 = DoubleVector.zero(DS), s1 = DoubleVector.zero(DS), s2 = DoubleVector.zero(DS);
        DoubleVector s3 = DoubleVector.zero(DS), s4 = DoubleVector.zero(DS), s5 = DoubleVector.zero(DS);
        DoubleVector s6 = DoubleVector.zero(DS), s7 = DoubleVector.zero(DS);
        for (int k = 0, bk = bOff; k < ks; k++, bk += ov) {
            int d = colOff[k];
            DoubleVector u = DoubleVector.fromArray(DS, b, bk);
            s0 = DoubleVector.broadcast(DS, xp[x0 + d]).fma(u, s0);
            s1 = DoubleVector.broadcast(DS, xp[x1 + d]).fma(u, s1);
            s2 = DoubleVector.broadcast(DS, xp[x2 + d]).fma(u, s2);
            s3 = DoubleVector.broadcast(DS, xp[x3 + d]).fma(u, s3);
            s4 = DoubleVector.broadcast(DS, xp[x4 + d]).fma(u, s4);
            s5 = DoubleVector.broadcast(DS, xp[x5 + d]).fma(u, s5);
            s6 = DoubleVector.broadcast(DS, xp[x6 + d]).fma(u, s6);
            s7 = DoubleVector.broadcast(DS, xp[x7 + d]).fma(u, s7);
        }
        s0.intoArray(c, out);
        s1.intoArray(c, out + ov);
        s2.intoArray(c, out + 2 * ov);
        s3.intoArray(c, out + 3 * ov);
        s4.intoArray(c, out + 4 * ov);
        s5.intoArray(c, out + 5 * ov);
        s6.intoArray(c, out + 6 * ov);
        s7.intoArray(c, out + 7 * ov);
    }

    /** One row of a window product, one vector of columns, whose windows start at {@code xp[at]}. */
    private static void windowRowF64(double[] xp, int at, int[] colOff, int ks, double[] b, int bOff, int ov, double[] c,
                                     int out) {
        DoubleVector s = DoubleVector.zero(DS);
        for (int k = 0, bk = bOff; k < ks; k++, bk += ov) {
            s = DoubleVector.broadcast(DS, xp[at + colOff[k]]).fma(DoubleVector.fromArray(DS, b, bk), s);
        }
        s.intoArray(c, out);
    }

    /**
     * Lays out one sample's output gradient {@code g [o, oh, ow]} for {@link #columnWeightGradF64}:
     * {@code gv [o, oh, chunks · L]}, chunk k holding the columns from {@code min(k · L, ow - L)} on,
     * ANDed with {@code keep} ({@code columnKeep}: zero in the lanes an earlier chunk already holds,
     * so every lane stands for a real output column, and each column is counted once). Needs
     * {@code ow >= L}; returns the elements written.
     */
    static int columnsF64(double[] g, int gOff, int o, int oh, int ow, double[] keep, double[] gv, int gvOff) {
        int chunks = (ow + DL - 1) / DL;
        for (int row = 0, at = gvOff; row < o * oh; row++) {
            int src = gOff + row * ow;
            for (int k = 0; k < chunks; k++, at += DL) {
                DoubleVector v = DoubleVector.fromArray(DS, g, src + Math.min(k * DL, ow - DL));
                DoubleVector m = DoubleVector.fromArray(DS, keep, k * DL);
                v.reinterpretAsLongs().and(m.reinterpretAsLongs()).reinterpretAsDoubles().intoArray(gv, at);
            }
        }
        return o * oh * chunks * DL;
    }

    /**
     * The lane masks of the column chunks of {@link #columnsF64}: {@code [chunks · L]}, all bits
     * set but in the lanes of the last chunk that the chunk before already holds (zero), ANDed into
     * the output gradient's chunks.
     */
    static double[] columnKeepF64(int ow) {
        int chunks = (ow + DL - 1) / DL;
        double[] keep = new double[chunks * DL];
        java.util.Arrays.fill(keep, Double.longBitsToDouble(-1L));
        int held = chunks * DL - ow; // the last chunk's first lanes, which the chunk before holds
        java.util.Arrays.fill(keep, (chunks - 1) * DL, (chunks - 1) * DL + held, 0);
        return keep;
    }

    /**
     * One sample's weight-gradient partial {@code dWᵀ [taps, o]} of a convolution with stride 1
     * along the rows, with lanes along the output columns: {@code dW[r][f] = Σ_i Σ_j gv[f][i][j] ·
     * xp[xpOff + tapOff[r] + i · rowStep + j]} (rowStep: the padded image's
     * width times the vertical stride) over the column chunks of {@link #columnsF64} (each
     * lane's products summed in (row, chunk) order, then the lanes in order). For few filters
     * (LeNet5's conv1: 6), where lanes along the filters would idle. Tiles of
     * {@value #COLUMN_TAPS} taps × {@value #COLUMN_FILTERS} filters, a last partial tile rerunning
     * the last full one (the same values); {@code lanes} holds a tile's {@code 12 · L} lanes.
     */
    static void columnWeightGradF64(double[] xp, int xpOff, int[] tapOff, int taps, int rowStep, double[] gv, int gvOff,
                                    int o, int oh, int ow, double[] dW, int dwOff, double[] lanes, int lanesOff) {
        int chunks = (ow + DL - 1) / DL;
        if (taps < COLUMN_TAPS || o < COLUMN_FILTERS) {
            for (int r = 0; r < taps; r++) {
                for (int f = 0; f < o; f++) {
                    columnOneF64(xp, xpOff + tapOff[r], rowStep, gv, gvOff + f * oh * chunks * DL, oh, ow, chunks, dW,
                            dwOff + r * o + f, lanes, lanesOff);
                }
            }
            return;
        }
        for (int r = 0; r < taps; r += COLUMN_TAPS) {
            int r0 = Math.min(r, taps - COLUMN_TAPS);
            for (int f = 0; f < o; f += COLUMN_FILTERS) {
                int f0 = Math.min(f, o - COLUMN_FILTERS);
                columnTileF64(xp, xpOff, tapOff, r0, rowStep, gv, gvOff, f0, oh, ow, chunks, dW, dwOff, o, lanes, lanesOff);
            }
        }
    }

    /** Taps r … r + 3 × filters f … f + 2 of {@link #columnWeightGradF64}. */
    private static void columnTileF64(double[] xp, int xpOff, int[] tapOff, int r, int rowStep, double[] gv, int gvOff,
                                      int f, int oh, int ow, int chunks, double[] dW, int dwOff, int o, double[] lanes,
                                      int lanesOff) {
        int t0 = xpOff + tapOff[r], t1 = xpOff + tapOff[r + 1], t2 = xpOff + tapOff[r + 2], t3 = xpOff + tapOff[r + 3];
        int plane = oh * chunks * DL; // a filter's part of gv
        int g0 = gvOff + f * plane, g1 = g0 + plane, g2 = g1 + plane;
        DoubleVector s00 = DoubleVector.zero(DS), s01 = DoubleVector.zero(DS), s02 = DoubleVector.zero(DS);
        DoubleVector s10 = DoubleVector.zero(DS), s11 = DoubleVector.zero(DS), s12 = DoubleVector.zero(DS);
        DoubleVector s20 = DoubleVector.zero(DS), s21 = DoubleVector.zero(DS), s22 = DoubleVector.zero(DS);
        DoubleVector s30 = DoubleVector.zero(DS), s31 = DoubleVector.zero(DS), s32 = DoubleVector.zero(DS);
        for (int i = 0, gi = 0; i < oh; i++) {
            for (int k = 0; k < chunks; k++, gi += DL) {
                int xi = i * rowStep + Math.min(k * DL, ow - DL);
                DoubleVector u0 = DoubleVector.fromArray(DS, gv, g0 + gi);
                DoubleVector u1 = DoubleVector.fromArray(DS, gv, g1 + gi);
                DoubleVector u2 = DoubleVector.fromArray(DS, gv, g2 + gi);
                DoubleVector x = DoubleVector.fromArray(DS, xp, t0 + xi);
                s00 = x.fma(u0, s00);
                s01 = x.fma(u1, s01);
                s02 = x.fma(u2, s02);
                x = DoubleVector.fromArray(DS, xp, t1 + xi);
                s10 = x.fma(u0, s10);
                s11 = x.fma(u1, s11);
                s12 = x.fma(u2, s12);
                x = DoubleVector.fromArray(DS, xp, t2 + xi);
                s20 = x.fma(u0, s20);
                s21 = x.fma(u1, s21);
                s22 = x.fma(u2, s22);
                x = DoubleVector.fromArray(DS, xp, t3 + xi);
                s30 = x.fma(u0, s30);
                s31 = x.fma(u1, s31);
                s32 = x.fma(u2, s32);
            }
        }
        s00.intoArray(lanes, lanesOff);
        s01.intoArray(lanes, lanesOff + DL);
        s02.intoArray(lanes, lanesOff + 2 * DL);
        s10.intoArray(lanes, lanesOff + 3 * DL);
        s11.intoArray(lanes, lanesOff + 4 * DL);
        s12.intoArray(lanes, lanesOff + 5 * DL);
        s20.intoArray(lanes, lanesOff + 6 * DL);
        s21.intoArray(lanes, lanesOff + 7 * DL);
        s22.intoArray(lanes, lanesOff + 8 * DL);
        s30.intoArray(lanes, lanesOff + 9 * DL);
        s31.intoArray(lanes, lanesOff + 10 * DL);
        s32.intoArray(lanes, lanesOff + 11 * DL);
        for (int a = 0; a < COLUMN_TAPS; a++) {
            for (int b = 0; b < COLUMN_FILTERS; b++) {
                double v = sumLanesF64(lanes, lanesOff + (a * COLUMN_FILTERS + b) * DL);
                if (v != v) { // NaN: a repeated lane may have multiplied a zero by an infinite input
                    v = columnExactF64(xp, xpOff + tapOff[r + a], rowStep, gv, gvOff + (f + b) * plane, oh, ow, chunks);
                }
                dW[dwOff + (r + a) * o + f + b] = v;
            }
        }
    }

    /** One tap × one filter of {@link #columnWeightGradF64} (fewer taps or filters than a tile). */
    private static void columnOneF64(double[] xp, int at, int rowStep, double[] gv, int gvOff, int oh, int ow, int chunks,
                                     double[] dW, int out, double[] lanes, int lanesOff) {
        DoubleVector s = DoubleVector.zero(DS);
        for (int i = 0, gi = gvOff; i < oh; i++) {
            for (int k = 0; k < chunks; k++, gi += DL) {
                s = DoubleVector.fromArray(DS, xp, at + i * rowStep + Math.min(k * DL, ow - DL))
                        .fma(DoubleVector.fromArray(DS, gv, gi), s);
            }
        }
        s.intoArray(lanes, lanesOff);
        double v = sumLanesF64(lanes, lanesOff);
        dW[out] = v == v ? v : columnExactF64(xp, at, rowStep, gv, gvOff, oh, ow, chunks);
    }

    /**
     * One element of {@link #columnWeightGradF64} from single products, the repeated lanes
     * skipped: what a NaN from the vector form becomes. The vector form multiplies a repeated lane's
     * zero gradient by the input there, which for an infinite input is a NaN the im2col path does
     * not make; the sum of the real products is NaN or infinite in the same way in any order.
     */
    private static double columnExactF64(double[] xp, int at, int rowStep, double[] gv, int gvOff, int oh, int ow,
                                        int chunks) {
        double sum = 0;
        for (int i = 0, gi = gvOff; i < oh; i++) {
            for (int k = 0; k < chunks; k++, gi += DL) {
                int j = Math.min(k * DL, ow - DL);
                for (int l = k * DL - j; l < DL; l++) sum += gv[gi + l] * xp[at + i * rowStep + j + l];
            }
        }
        return sum;
    }

    /** The L lanes from {@code lanes[at]} summed in lane order. */
    private static double sumLanesF64(double[] lanes, int at) {
        double sum = 0;
        for (int l = 0; l < DL; l++) sum += lanes[at + l];
        return sum;
    }

    /**
     * The lane masks {@link #col2imGatherF64} reads: {@code [L zeros][ow all-ones][L zeros]}, so
     * that the vector from {@code L + j} keeps exactly the lanes l with {@code 0 <= j + l < ow}
     * (their bits ANDed, never multiplied: an infinity outside stays outside).
     */
    static double[] inRangeF64(int ow) {
        double[] m = new double[ow + 2 * DL];
        java.util.Arrays.fill(m, DL, DL + ow, Double.longBitsToDouble(-1L));
        return m;
    }

    /**
     * col2im of one sample as a gather, for stride 1 along the rows: every row of {@code dx [C, H,
     * W]} (overwritten) is, a vector of columns at a time, the sum of the im2col rows that land on
     * it, {@code dx[ci][y][x] = Σ_p Σ_q cols[(ci·KH + p)·KW + q][i][x + pl - q·dw]} over
     * {@code i·sh = y + pt - p·dh} inside the output, the lanes whose im2col column lies outside
     * {@code [0, ow)} cleared through the masks of {@code inRange} (from {@code inRangeF64(ow)}).
     * Each element sums its terms in (p, q) order from zero, as the scatter form adds them, so the
     * results are the same bits; no element is read back after it is written (the scatter form
     * added rows of 10 onto dx, two thirds of LeNet5's conv2 input gradient). A row's last vector may store lanes past W, which the following rows' stores
     * overwrite; a vector that would reach past the sample's end goes through {@code tmp} (a
     * vector's worth). Loads
     * reach up to a vector before and after the sample's im2col rows: see {@link #gatherReach}.
     */
    static void col2imGatherF64(double[] cols, int colsOff, int c, int oh, int ow, int kh, int kw, int sh, int dh,
                                int dw, int pt, int pl, double[] dx, int dxOff, int h, int w, double[] inRange,
                                double[] tmp) {
        int ohw = oh * ow;
        int end = dxOff + c * h * w;
        DoubleVector zero = DoubleVector.zero(DS);
        for (int ci = 0; ci < c; ci++) {
            int taps = colsOff + ci * kh * kw * ohw;
            for (int y = 0; y < h; y++) {
                int row = dxOff + (ci * h + y) * w;
                for (int x0 = 0; x0 < w; x0 += DL) {
                    DoubleVector acc = zero;
                    for (int p = 0; p < kh; p++) {
                        int i = y + pt - p * dh; // i · sh, the output row (no division for stride 1)
                        if (sh != 1) {
                            if (i % sh != 0) continue;
                            i /= sh;
                        }
                        if (i < 0 || i >= oh) continue;
                        int base = taps + p * kw * ohw + i * ow;
                        for (int q = 0; q < kw; q++) {
                            int j = x0 + pl - q * dw; // the im2col column under lane 0
                            if (j >= ow || j + DL <= 0) continue;
                            DoubleVector v = DoubleVector.fromArray(DS, cols, base + q * ohw + j);
                            DoubleVector keep = DoubleVector.fromArray(DS, inRange, DL + j);
                            acc = acc.add(v.reinterpretAsLongs().and(keep.reinterpretAsLongs()).reinterpretAsDoubles());
                        }
                    }
                    if (row + x0 + DL > end) { // past the sample's end
                        acc.intoArray(tmp, 0);
                        System.arraycopy(tmp, 0, dx, row + x0, Math.min(DL, end - row - x0));
                    } else {
                        acc.intoArray(dx, row + x0);
                    }
                }
            }
        }
    }

    // ---------------------------------------------------------------- end
}
