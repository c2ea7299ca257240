package dev.nnc.runtime;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * The GEMM micro-kernels on the JDK Vector API (module {@code jdk.incubator.vector}): {@link Gemm}
 * calls them only when that module is in the boot layer, so this class is never loaded without it.
 *
 * <p>Register blocking: with 32 vector registers, groups of 8 rows run an 8-row tile (see
 * {@code tallTileF32}); otherwise groups of 5 a 5-row tile ({@link #MID}); for a last group of 4 a
 * tile of 4 rows × 2 vectors of C
 * (8 accumulators; 32 floats with AVX-512) stays in registers for the whole k-slice; each step
 * broadcasts 4 elements of A and loads 2 vectors of the packed B panel, then 8 fused
 * multiply-adds. C is read and written once per slice instead of once per 4 steps of k. Columns
 * past the last whole tile run 4 rows × one masked vector at a time; rows past the last group of
 * 4 run one row × one (masked) vector at a time. The double-precision kernels are the float ones
 * with the type changed (a test keeps the twins in step).
 */
final class VectorKernels {
    private static final VectorSpecies<Float> FS = FloatVector.SPECIES_PREFERRED;
    private static final int FL = FS.length();
    private static final VectorSpecies<Double> DS = DoubleVector.SPECIES_PREFERRED;
    private static final int DL = DS.length();
    /**
     * Whether whole groups of 8 rows run the 8-row tile: with 512-bit vectors (AVX-512) the machine
     * has 32 vector registers; with 256-bit ones (AVX2, 16 registers) 16 accumulators would spill.
     * {@code -Dnnc.tallTiles=false} turns it off (for comparisons): then the 5-row tiles run
     * ({@link #MID}), and with {@code -Dnnc.midTiles=false} too the 4-row ones.
     */
    static final boolean TALL = FS.vectorBitSize() >= 512 && !"false".equals(System.getProperty("nnc.tallTiles"));
    /**
     * Whether groups of 5 rows run the 5-row tile whenever the 8-row one is off (256-bit vectors with
     * their 16 registers, or {@code -Dnnc.tallTiles=false}): 10 accumulators, 2 loads of B and 5 broadcasts per 10 fused multiply-adds, against
     * the 4-row tile's 8 accumulators and 6 loads per 8. Measured with {@code -XX:UseAVX=2} on an
     * AVX-512 core (one tile over a packed k-slice of 256, one thread): 4 × 2 117, 5 × 2 125, 6 × 2
     * 60 GFLOP/s (12 accumulators, 2 vectors of B and a broadcast do not stay in 16 registers: C2
     * spills); 1024³ on 2 threads 179–186 → 202 GFLOP/s. {@code -Dnnc.midTiles=false} turns it off
     * (for comparisons).
     */
    static final boolean MID = !TALL && !"false".equals(System.getProperty("nnc.midTiles"));
    /**
     * The rows of C that {@link Gemm} hands out per parallel unit: a multiple of every group of rows
     * the kernels take (8; or 5 and the 4 of the plain kernel), so that a row is computed by the same
     * tile however the rows are split between threads.
     */
    static final int ROW_UNIT = TALL ? 8 : MID ? 20 : 4;

    private VectorKernels() {
    }

    /** Floats per vector: the dot-product path is for outputs narrower than two vectors. */
    static int floatLanes() {
        return FL;
    }

    /** Doubles per vector. */
    static int doubleLanes() {
        return DL;
    }

    static String description() {
        return FS.vectorBitSize() + "-bit vectors, " + FL + " floats, " + (TALL ? "8" : MID ? "5" : "4") + "-row tiles";
    }

    // ---------------------------------------------------------------- float

    /**
     * {@code C[mr × w] += A[mr × kc] · B[kc × w]} in single precision, the same contract as the plain
     * kernel: A(i, p) at {@code a[aOff + i * ri + p * pc]}, B(p, j) at {@code b[bOff + p * ldb + j]}, C
     * with row stride {@code ldc}.
     */
    static void kernelF32(float[] a, int aOff, int ri, int pc, float[] b, int bOff, int ldb,
                          float[] c, int cOff, int ldc, int mr, int w, int kc, float[] ap, boolean fresh) {
        int wv = w - w % (2 * FL);
        int i = 0;
        for (; TALL && i + 8 <= mr; i += 8) {
            int r0 = aOff + i * ri;
            int c0 = cOff + i * ldc;
            if (wv > 0) {
                packF32(a, r0, ri, pc, 8, kc, ap);
                for (int j = 0; j < wv; j += 2 * FL) {
                    if (fresh) {
                        freshTallTileF32(ap, b, bOff + j, ldb, c, c0 + j, ldc, kc);
                    } else {
                        tallTileF32(ap, b, bOff + j, ldb, c, c0 + j, ldc, kc);
                    }
                }
            }
            if (fresh && wv < w) { // the narrow tiles add to C
                for (int r = 0; r < 8; r++) {
                    java.util.Arrays.fill(c, c0 + r * ldc + wv, c0 + r * ldc + w, 0);
                }
            }
            for (int j = wv; j < w; j += FL) {
                narrowTileF32(a, r0, ri, pc, b, bOff, j, w, ldb, c, c0 + j, ldc, kc);
                narrowTileF32(a, r0 + 4 * ri, ri, pc, b, bOff, j, w, ldb, c, c0 + 4 * ldc + j, ldc, kc);
            }
        }
        for (; MID && i + 5 <= mr; i += 5) {
            int r0 = aOff + i * ri;
            int c0 = cOff + i * ldc;
            if (wv > 0) {
                packF32(a, r0, ri, pc, 5, kc, ap);
                for (int j = 0; j < wv; j += 2 * FL) {
                    midTileF32(ap, b, bOff + j, ldb, c, c0 + j, ldc, kc, fresh);
                }
            }
            if (fresh && wv < w) { // the narrow tile and row add to C
                for (int r = 0; r < 5; r++) {
                    java.util.Arrays.fill(c, c0 + r * ldc + wv, c0 + r * ldc + w, 0);
                }
            }
            for (int j = wv; j < w; j += FL) {
                narrowTileF32(a, r0, ri, pc, b, bOff, j, w, ldb, c, c0 + j, ldc, kc);
                rowF32(a, r0 + 4 * ri, pc, b, bOff, j, w, ldb, c, c0 + 4 * ldc + j, kc);
            }
        }
        if (fresh) { // the 4-row tiles and single rows add to C
            for (int r = i; r < mr; r++) {
                java.util.Arrays.fill(c, cOff + r * ldc, cOff + r * ldc + w, 0);
            }
        }
        for (; i + 4 <= mr; i += 4) {
            int r0 = aOff + i * ri;
            int c0 = cOff + i * ldc;
            if (wv > 0) {
                packF32(a, r0, ri, pc, 4, kc, ap);
                for (int j = 0; j < wv; j += 2 * FL) {
                    tileF32(ap, b, bOff + j, ldb, c, c0 + j, ldc, kc);
                }
            }
            for (int j = wv; j < w; j += FL) {
                narrowTileF32(a, r0, ri, pc, b, bOff, j, w, ldb, c, c0 + j, ldc, kc);
            }
        }
        for (; i < mr; i++) { // the last 1 to 3 rows, one at a time
            int r0 = aOff + i * ri;
            int c0 = cOff + i * ldc;
            int j = 0;
            for (; j + 8 * FL <= w; j += 8 * FL) {
                widestRowF32(a, r0, pc, b, bOff + j, ldb, c, c0 + j, kc);
            }
            for (; j + 4 * FL <= w; j += 4 * FL) {
                wideRowF32(a, r0, pc, b, bOff + j, ldb, c, c0 + j, kc);
            }
            for (; j < w; j += FL) {
                rowF32(a, r0, pc, b, bOff, j, w, ldb, c, c0 + j, kc);
            }
        }
    }

    /**
     * Copies {@code rows} rows of A (A(i, p) at {@code a[r0 + i * ri + p * pc]}) for a k-slice into
     * {@code ap}, step by step: A(i, p) at {@code ap[p * rows + i]}. The tiles then read A with constant
     * strides, which C2 turns into plain loads without per-element range checks or address arithmetic
     * (measured on one AVX-512 core at kc = 256: the 8-row tile went from 0.76 of the FMA peak to 1.0).
     * The copy is paid once per group of rows and reused by every tile across the panel's width.
     */
    private static void packF32(float[] a, int r0, int ri, int pc, int rows, int kc, float[] ap) {
        if (pc == 1 && rows == 8) { // A stored [m, k]: eight sequential reads, eight adjacent writes per step
            for (int p = 0; p < kc; p++) {
                int q = r0 + p;
                int d = p * 8;
                ap[d] = a[q];
                ap[d + 1] = a[q + ri];
                ap[d + 2] = a[q + 2 * ri];
                ap[d + 3] = a[q + 3 * ri];
                ap[d + 4] = a[q + 4 * ri];
                ap[d + 5] = a[q + 5 * ri];
                ap[d + 6] = a[q + 6 * ri];
                ap[d + 7] = a[q + 7 * ri];
            }
        } else if (pc == 1 && rows == 5) { // the 5-row tiles' rows: five sequential reads per step
            for (int p = 0; p < kc; p++) {
                int q = r0 + p;
                int d = p * 5;
                ap[d] = a[q];
                ap[d + 1] = a[q + ri];
                ap[d + 2] = a[q + 2 * ri];
                ap[d + 3] = a[q + 3 * ri];
                ap[d + 4] = a[q + 4 * ri];
            }
        } else if (pc == 1) {
            for (int p = 0; p < kc; p++) {
                int q = r0 + p;
                int d = p * rows;
                for (int i = 0; i < rows; i++) {
                    ap[d + i] = a[q + i * ri];
                }
            }
        } else if (rows == 8) { // A stored [k, m] (ri = 1): the rows at one step are adjacent
            for (int p = 0; p < kc; p++) { // eight elements: a call to arraycopy would cost more than the copy
                int q = r0 + p * pc;
                int d = p * 8;
                ap[d] = a[q];
                ap[d + 1] = a[q + 1];
                ap[d + 2] = a[q + 2];
                ap[d + 3] = a[q + 3];
                ap[d + 4] = a[q + 4];
                ap[d + 5] = a[q + 5];
                ap[d + 6] = a[q + 6];
                ap[d + 7] = a[q + 7];
            }
        } else {
            for (int p = 0; p < kc; p++) {
                int q = r0 + p * pc;
                int d = p * rows;
                for (int i = 0; i < rows; i++) {
                    ap[d + i] = a[q + i];
                }
            }
        }
    }

    /**
     * C[4 × 2 vectors] at {@code ci} += A[4 × kc], packed by {@code pack}, · B[kc × 2 vectors] from
     * column j. The accumulators start from C and are stored back (as in the taller tiles): no
     * vector leaves the method, and its size keeps C2 from inlining it into {@code kernelF32}, where
     * the caller's inlining budget could run out before the Vector API calls are intrinsified
     * (AllocationTest caught LeNet5 steps allocating 2.4 MB in one full build of four, every frame in
     * this tile when it added its sums to C through a helper taking the vectors).
     */
    private static void tileF32(float[] ap, float[] b, int j, int ldb, float[] c, int ci, int ldc, int kc) {
        FloatVector c00 = FloatVector.fromArray(FS, c, ci + 0 * ldc), c01 = FloatVector.fromArray(FS, c, ci + 0 * ldc + FL);
        FloatVector c10 = FloatVector.fromArray(FS, c, ci + 1 * ldc), c11 = FloatVector.fromArray(FS, c, ci + 1 * ldc + FL);
        FloatVector c20 = FloatVector.fromArray(FS, c, ci + 2 * ldc), c21 = FloatVector.fromArray(FS, c, ci + 2 * ldc + FL);
        FloatVector c30 = FloatVector.fromArray(FS, c, ci + 3 * ldc), c31 = FloatVector.fromArray(FS, c, ci + 3 * ldc + FL);
        for (int p = 0; p < kc; p++) {
            int q = p * ldb + j;
            FloatVector b0 = FloatVector.fromArray(FS, b, q);
            FloatVector b1 = FloatVector.fromArray(FS, b, q + FL);
            int e = p * 4;
            FloatVector x = FloatVector.broadcast(FS, ap[e + 0]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(FS, ap[e + 1]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(FS, ap[e + 2]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(FS, ap[e + 3]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
        }
        c00.intoArray(c, ci + 0 * ldc);
        c01.intoArray(c, ci + 0 * ldc + FL);
        c10.intoArray(c, ci + 1 * ldc);
        c11.intoArray(c, ci + 1 * ldc + FL);
        c20.intoArray(c, ci + 2 * ldc);
        c21.intoArray(c, ci + 2 * ldc + FL);
        c30.intoArray(c, ci + 3 * ldc);
        c31.intoArray(c, ci + 3 * ldc + FL);
    }

    /**
     * C[5 × 2 vectors] at {@code ci} (+)= A[5 × kc], packed by {@code pack}, · B[kc × 2 vectors] from
     * column j (see {@link #MID}). The accumulators start from C, or from zero when {@code fresh} (C
     * holds nothing yet and is only written).
     */
    private static void midTileF32(float[] ap, float[] b, int j, int ldb, float[] c, int ci, int ldc, int kc,
                                  boolean fresh) {
        FloatVector c00 = fresh ? FloatVector.zero(FS) : FloatVector.fromArray(FS, c, ci + 0 * ldc + 0 * FL);
        FloatVector c01 = fresh ? FloatVector.zero(FS) : FloatVector.fromArray(FS, c, ci + 0 * ldc + 1 * FL);
        FloatVector c10 = fresh ? FloatVector.zero(FS) : FloatVector.fromArray(FS, c, ci + 1 * ldc + 0 * FL);
        FloatVector c11 = fresh ? FloatVector.zero(FS) : FloatVector.fromArray(FS, c, ci + 1 * ldc + 1 * FL);
        FloatVector c20 = fresh ? FloatVector.zero(FS) : FloatVector.fromArray(FS, c, ci + 2 * ldc + 0 * FL);
        FloatVector c21 = fresh ? FloatVector.zero(FS) : FloatVector.fromArray(FS, c, ci + 2 * ldc + 1 * FL);
        FloatVector c30 = fresh ? FloatVector.zero(FS) : FloatVector.fromArray(FS, c, ci + 3 * ldc + 0 * FL);
        FloatVector c31 = fresh ? FloatVector.zero(FS) : FloatVector.fromArray(FS, c, ci + 3 * ldc + 1 * FL);
        FloatVector c40 = fresh ? FloatVector.zero(FS) : FloatVector.fromArray(FS, c, ci + 4 * ldc + 0 * FL);
        FloatVector c41 = fresh ? FloatVector.zero(FS) : FloatVector.fromArray(FS, c, ci + 4 * ldc + 1 * FL);
        FloatVector x;
        for (int p = 0; p < kc; p++) {
            int q = p * ldb + j;
            FloatVector b0 = FloatVector.fromArray(FS, b, q);
            FloatVector b1 = FloatVector.fromArray(FS, b, q + FL);
            int e = p * 5;
            x = FloatVector.broadcast(FS, ap[e + 0]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(FS, ap[e + 1]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(FS, ap[e + 2]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(FS, ap[e + 3]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(FS, ap[e + 4]);
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
        }
        c00.intoArray(c, ci + 0 * ldc);
        c01.intoArray(c, ci + 0 * ldc + FL);
        c10.intoArray(c, ci + 1 * ldc);
        c11.intoArray(c, ci + 1 * ldc + FL);
        c20.intoArray(c, ci + 2 * ldc);
        c21.intoArray(c, ci + 2 * ldc + FL);
        c30.intoArray(c, ci + 3 * ldc);
        c31.intoArray(c, ci + 3 * ldc + FL);
        c40.intoArray(c, ci + 4 * ldc);
        c41.intoArray(c, ci + 4 * ldc + FL);
    }

    /**
     * C[8 × 2 vectors] at {@code ci} += A[8 × kc] from row {@code r0} · B[kc × 2 vectors] from column
     * j, with 32 vector registers: 16 accumulators, 2 loads of B and 8 broadcasts per 16 fused
     * multiply-adds (the 4-row tile needs 6 per 8). The accumulators start from C and are stored
     * back: a separate add at the end would double the Vector API calls in the method, and past
     * C2's inlining budget the broadcasts stop being intrinsics (measured 6× slower).
     */
    private static void tallTileF32(float[] ap, float[] b, int j, int ldb, float[] c, int ci, int ldc, int kc) {
        FloatVector c00 = FloatVector.fromArray(FS, c, ci + 0 * ldc), c01 = FloatVector.fromArray(FS, c, ci + 0 * ldc + FL);
        FloatVector c10 = FloatVector.fromArray(FS, c, ci + 1 * ldc), c11 = FloatVector.fromArray(FS, c, ci + 1 * ldc + FL);
        FloatVector c20 = FloatVector.fromArray(FS, c, ci + 2 * ldc), c21 = FloatVector.fromArray(FS, c, ci + 2 * ldc + FL);
        FloatVector c30 = FloatVector.fromArray(FS, c, ci + 3 * ldc), c31 = FloatVector.fromArray(FS, c, ci + 3 * ldc + FL);
        FloatVector c40 = FloatVector.fromArray(FS, c, ci + 4 * ldc), c41 = FloatVector.fromArray(FS, c, ci + 4 * ldc + FL);
        FloatVector c50 = FloatVector.fromArray(FS, c, ci + 5 * ldc), c51 = FloatVector.fromArray(FS, c, ci + 5 * ldc + FL);
        FloatVector c60 = FloatVector.fromArray(FS, c, ci + 6 * ldc), c61 = FloatVector.fromArray(FS, c, ci + 6 * ldc + FL);
        FloatVector c70 = FloatVector.fromArray(FS, c, ci + 7 * ldc), c71 = FloatVector.fromArray(FS, c, ci + 7 * ldc + FL);
        FloatVector x;
        for (int p = 0; p < kc; p++) {
            int q = p * ldb + j;
            FloatVector b0 = FloatVector.fromArray(FS, b, q);
            FloatVector b1 = FloatVector.fromArray(FS, b, q + FL);
            int e = p * 8;
            x = FloatVector.broadcast(FS, ap[e + 0]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(FS, ap[e + 1]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(FS, ap[e + 2]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(FS, ap[e + 3]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(FS, ap[e + 4]);
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(FS, ap[e + 5]);
            c50 = x.fma(b0, c50);
            c51 = x.fma(b1, c51);
            x = FloatVector.broadcast(FS, ap[e + 6]);
            c60 = x.fma(b0, c60);
            c61 = x.fma(b1, c61);
            x = FloatVector.broadcast(FS, ap[e + 7]);
            c70 = x.fma(b0, c70);
            c71 = x.fma(b1, c71);
        }
        c00.intoArray(c, ci + 0 * ldc);
        c01.intoArray(c, ci + 0 * ldc + FL);
        c10.intoArray(c, ci + 1 * ldc);
        c11.intoArray(c, ci + 1 * ldc + FL);
        c20.intoArray(c, ci + 2 * ldc);
        c21.intoArray(c, ci + 2 * ldc + FL);
        c30.intoArray(c, ci + 3 * ldc);
        c31.intoArray(c, ci + 3 * ldc + FL);
        c40.intoArray(c, ci + 4 * ldc);
        c41.intoArray(c, ci + 4 * ldc + FL);
        c50.intoArray(c, ci + 5 * ldc);
        c51.intoArray(c, ci + 5 * ldc + FL);
        c60.intoArray(c, ci + 6 * ldc);
        c61.intoArray(c, ci + 6 * ldc + FL);
        c70.intoArray(c, ci + 7 * ldc);
        c71.intoArray(c, ci + 7 * ldc + FL);
    }

    /**
     * {@link #tallTileF32} for a C that holds nothing yet (a product's only k-slice, not
     * accumulating): the accumulators start from zero and C is only written, so the caller need not
     * clear it first and the tile does not read it. Each element's arithmetic is the same.
     */
    private static void freshTallTileF32(float[] ap, float[] b, int j, int ldb, float[] c, int ci, int ldc, int kc) {
        FloatVector c00 = FloatVector.zero(FS), c01 = FloatVector.zero(FS);
        FloatVector c10 = FloatVector.zero(FS), c11 = FloatVector.zero(FS);
        FloatVector c20 = FloatVector.zero(FS), c21 = FloatVector.zero(FS);
        FloatVector c30 = FloatVector.zero(FS), c31 = FloatVector.zero(FS);
        FloatVector c40 = FloatVector.zero(FS), c41 = FloatVector.zero(FS);
        FloatVector c50 = FloatVector.zero(FS), c51 = FloatVector.zero(FS);
        FloatVector c60 = FloatVector.zero(FS), c61 = FloatVector.zero(FS);
        FloatVector c70 = FloatVector.zero(FS), c71 = FloatVector.zero(FS);
        FloatVector x;
        for (int p = 0; p < kc; p++) {
            int q = p * ldb + j;
            FloatVector b0 = FloatVector.fromArray(FS, b, q);
            FloatVector b1 = FloatVector.fromArray(FS, b, q + FL);
            int e = p * 8;
            x = FloatVector.broadcast(FS, ap[e + 0]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(FS, ap[e + 1]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(FS, ap[e + 2]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(FS, ap[e + 3]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(FS, ap[e + 4]);
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(FS, ap[e + 5]);
            c50 = x.fma(b0, c50);
            c51 = x.fma(b1, c51);
            x = FloatVector.broadcast(FS, ap[e + 6]);
            c60 = x.fma(b0, c60);
            c61 = x.fma(b1, c61);
            x = FloatVector.broadcast(FS, ap[e + 7]);
            c70 = x.fma(b0, c70);
            c71 = x.fma(b1, c71);
        }
        c00.intoArray(c, ci + 0 * ldc);
        c01.intoArray(c, ci + 0 * ldc + FL);
        c10.intoArray(c, ci + 1 * ldc);
        c11.intoArray(c, ci + 1 * ldc + FL);
        c20.intoArray(c, ci + 2 * ldc);
        c21.intoArray(c, ci + 2 * ldc + FL);
        c30.intoArray(c, ci + 3 * ldc);
        c31.intoArray(c, ci + 3 * ldc + FL);
        c40.intoArray(c, ci + 4 * ldc);
        c41.intoArray(c, ci + 4 * ldc + FL);
        c50.intoArray(c, ci + 5 * ldc);
        c51.intoArray(c, ci + 5 * ldc + FL);
        c60.intoArray(c, ci + 6 * ldc);
        c61.intoArray(c, ci + 6 * ldc + FL);
        c70.intoArray(c, ci + 7 * ldc);
        c71.intoArray(c, ci + 7 * ldc + FL);
    }

    /**
     * One row × 8 vectors of C from column j: a product of one row (batch-1 inference) streams B,
     * and reading 8 vectors of each row of B per pass halves the passes over B of {@link #wideRowF32}.
     * Each element's arithmetic is {@link #rowF32}'s.
     */
    private static void widestRowF32(float[] a, int r0, int pc, float[] b, int j, int ldb, float[] c, int ci, int kc) {
        FloatVector c0 = FloatVector.zero(FS);
        FloatVector c1 = FloatVector.zero(FS);
        FloatVector c2 = FloatVector.zero(FS);
        FloatVector c3 = FloatVector.zero(FS);
        FloatVector c4 = FloatVector.zero(FS);
        FloatVector c5 = FloatVector.zero(FS);
        FloatVector c6 = FloatVector.zero(FS);
        FloatVector c7 = FloatVector.zero(FS);
        for (int p = 0; p < kc; p++) {
            int q = p * ldb + j;
            FloatVector x = FloatVector.broadcast(FS, a[r0 + p * pc]);
            c0 = x.fma(FloatVector.fromArray(FS, b, q + 0 * FL), c0);
            c1 = x.fma(FloatVector.fromArray(FS, b, q + 1 * FL), c1);
            c2 = x.fma(FloatVector.fromArray(FS, b, q + 2 * FL), c2);
            c3 = x.fma(FloatVector.fromArray(FS, b, q + 3 * FL), c3);
            c4 = x.fma(FloatVector.fromArray(FS, b, q + 4 * FL), c4);
            c5 = x.fma(FloatVector.fromArray(FS, b, q + 5 * FL), c5);
            c6 = x.fma(FloatVector.fromArray(FS, b, q + 6 * FL), c6);
            c7 = x.fma(FloatVector.fromArray(FS, b, q + 7 * FL), c7);
        }
        FloatVector.fromArray(FS, c, ci + 0 * FL).add(c0).intoArray(c, ci + 0 * FL);
        FloatVector.fromArray(FS, c, ci + 1 * FL).add(c1).intoArray(c, ci + 1 * FL);
        FloatVector.fromArray(FS, c, ci + 2 * FL).add(c2).intoArray(c, ci + 2 * FL);
        FloatVector.fromArray(FS, c, ci + 3 * FL).add(c3).intoArray(c, ci + 3 * FL);
        FloatVector.fromArray(FS, c, ci + 4 * FL).add(c4).intoArray(c, ci + 4 * FL);
        FloatVector.fromArray(FS, c, ci + 5 * FL).add(c5).intoArray(c, ci + 5 * FL);
        FloatVector.fromArray(FS, c, ci + 6 * FL).add(c6).intoArray(c, ci + 6 * FL);
        FloatVector.fromArray(FS, c, ci + 7 * FL).add(c7).intoArray(c, ci + 7 * FL);
    }

    /**
     * One row × 4 vectors of C from column j: four independent chains of fused multiply-adds, so
     * the FMA latency is hidden (one chain waits for its previous step; four keep both ports busy).
     * Each element's arithmetic is {@link #rowF32}'s.
     */
    private static void wideRowF32(float[] a, int r0, int pc, float[] b, int j, int ldb, float[] c, int ci, int kc) {
        FloatVector c0 = FloatVector.zero(FS), c1 = FloatVector.zero(FS);
        FloatVector c2 = FloatVector.zero(FS), c3 = FloatVector.zero(FS);
        for (int p = 0; p < kc; p++) {
            int q = p * ldb + j;
            FloatVector x = FloatVector.broadcast(FS, a[r0 + p * pc]);
            c0 = x.fma(FloatVector.fromArray(FS, b, q), c0);
            c1 = x.fma(FloatVector.fromArray(FS, b, q + FL), c1);
            c2 = x.fma(FloatVector.fromArray(FS, b, q + 2 * FL), c2);
            c3 = x.fma(FloatVector.fromArray(FS, b, q + 3 * FL), c3);
        }
        FloatVector.fromArray(FS, c, ci).add(c0).intoArray(c, ci);
        FloatVector.fromArray(FS, c, ci + FL).add(c1).intoArray(c, ci + FL);
        FloatVector.fromArray(FS, c, ci + 2 * FL).add(c2).intoArray(c, ci + 2 * FL);
        FloatVector.fromArray(FS, c, ci + 3 * FL).add(c3).intoArray(c, ci + 3 * FL);
    }

    /**
     * One row × one vector of C from column {@code j} (masked to the panel's width {@code w}): the
     * rows past the last group of 4, and the columns past the last whole tile of a 5-row group. It
     * sums the k-slice from zero, then adds it to C, where the tiles accumulate onto C: over several
     * k-slices (or with {@code accumulate}) a row's last bits depend on whether its group took it,
     * that is on its position in the product, never on the thread that ran it ({@link #ROW_UNIT}).
     */
    private static void rowF32(float[] a, int r0, int pc, float[] b, int bOff, int j, int w, int ldb,
                               float[] c, int ci, int kc) {
        VectorMask<Float> mask = FS.indexInRange(j, w);
        FloatVector acc = FloatVector.zero(FS);
        for (int p = 0; p < kc; p++) {
            acc = FloatVector.broadcast(FS, a[r0 + p * pc]).fma(FloatVector.fromArray(FS, b, bOff + p * ldb + j, mask), acc);
        }
        FloatVector.fromArray(FS, c, ci, mask).add(acc).intoArray(c, ci, mask);
    }

    /**
     * {@code C[i, j] = (accumulate ? C[i, j] : 0) + dot(A row i, B row j)} for i in [i0, i1) and j in
     * [j0, j1), with A stored [m, k] and B stored [n, k] (both rows contiguous along k): the product
     * of a narrow output and a long k (a convolution's weight gradient, dWᵀ = cols · gᵀ with 6 filters
     * and 784 positions), where tiles along the output's columns would leave most lanes empty. Rows
     * go 2 at a time against 3 columns (6 accumulators, 5 loads per 6 fused multiply-adds). Every
     * element's arithmetic is {@link #dotF32}'s: one vector of partial sums over k (the last step
     * masked), then its lanes added in lane order, whichever group computed it.
     */
    static void dotsF32(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int ldc, int k,
                        int i0, int i1, int j0, int j1, boolean accumulate, float[] lanes) {
        int i = i0;
        for (; i + 2 <= i1; i += 2) {
            int j = j0;
            for (; j + 3 <= j1; j += 3) {
                dotTileF32(a, aOff + i * k, b, bOff + j * k, k, c, cOff + i * ldc + j, ldc, accumulate, lanes);
            }
            for (; j < j1; j++) {
                dotF32(a, aOff + i * k, b, bOff + j * k, k, c, cOff + i * ldc + j, accumulate, lanes);
                dotF32(a, aOff + (i + 1) * k, b, bOff + j * k, k, c, cOff + (i + 1) * ldc + j, accumulate, lanes);
            }
        }
        for (; i < i1; i++) {
            for (int j = j0; j < j1; j++) {
                dotF32(a, aOff + i * k, b, bOff + j * k, k, c, cOff + i * ldc + j, accumulate, lanes);
            }
        }
    }

    /** Two rows of A against three rows of B: six dot products. */
    private static void dotTileF32(float[] a, int a0, float[] b, int b0, int k, float[] c, int ci, int ldc,
                                   boolean accumulate, float[] lanes) {
        FloatVector s00 = FloatVector.zero(FS), s01 = FloatVector.zero(FS), s02 = FloatVector.zero(FS);
        FloatVector s10 = FloatVector.zero(FS), s11 = FloatVector.zero(FS), s12 = FloatVector.zero(FS);
        int a1 = a0 + k;
        int b1 = b0 + k;
        int b2 = b1 + k;
        int p = 0;
        for (; p + FL <= k; p += FL) {
            FloatVector x0 = FloatVector.fromArray(FS, a, a0 + p);
            FloatVector x1 = FloatVector.fromArray(FS, a, a1 + p);
            FloatVector y = FloatVector.fromArray(FS, b, b0 + p);
            s00 = x0.fma(y, s00);
            s10 = x1.fma(y, s10);
            y = FloatVector.fromArray(FS, b, b1 + p);
            s01 = x0.fma(y, s01);
            s11 = x1.fma(y, s11);
            y = FloatVector.fromArray(FS, b, b2 + p);
            s02 = x0.fma(y, s02);
            s12 = x1.fma(y, s12);
        }
        if (p < k) {
            VectorMask<Float> m = FS.indexInRange(p, k);
            FloatVector x0 = FloatVector.fromArray(FS, a, a0 + p, m);
            FloatVector x1 = FloatVector.fromArray(FS, a, a1 + p, m);
            FloatVector y = FloatVector.fromArray(FS, b, b0 + p, m);
            s00 = x0.fma(y, s00);
            s10 = x1.fma(y, s10);
            y = FloatVector.fromArray(FS, b, b1 + p, m);
            s01 = x0.fma(y, s01);
            s11 = x1.fma(y, s11);
            y = FloatVector.fromArray(FS, b, b2 + p, m);
            s02 = x0.fma(y, s02);
            s12 = x1.fma(y, s12);
        }
        storeSumF32(s00, c, ci, accumulate, lanes);
        storeSumF32(s01, c, ci + 1, accumulate, lanes);
        storeSumF32(s02, c, ci + 2, accumulate, lanes);
        storeSumF32(s10, c, ci + ldc, accumulate, lanes);
        storeSumF32(s11, c, ci + ldc + 1, accumulate, lanes);
        storeSumF32(s12, c, ci + ldc + 2, accumulate, lanes);
    }

    /** One dot product, with {@link #dotTileF32}'s arithmetic. */
    private static void dotF32(float[] a, int a0, float[] b, int b0, int k, float[] c, int ci, boolean accumulate,
                               float[] lanes) {
        FloatVector s = FloatVector.zero(FS);
        int p = 0;
        for (; p + FL <= k; p += FL) {
            s = FloatVector.fromArray(FS, a, a0 + p).fma(FloatVector.fromArray(FS, b, b0 + p), s);
        }
        if (p < k) {
            VectorMask<Float> m = FS.indexInRange(p, k);
            s = FloatVector.fromArray(FS, a, a0 + p, m).fma(FloatVector.fromArray(FS, b, b0 + p, m), s);
        }
        storeSumF32(s, c, ci, accumulate, lanes);
    }

    /** Adds the lanes of {@code s} in lane order (a fixed order, unlike reduceLanes) into or over C. */
    private static void storeSumF32(FloatVector s, float[] c, int ci, boolean accumulate, float[] lanes) {
        s.intoArray(lanes, 0);
        float sum = 0;
        for (int l = 0; l < FL; l++) {
            sum += lanes[l];
        }
        c[ci] = accumulate ? c[ci] + sum : sum;
    }

    /**
     * The columns past the last whole tile: 4 rows × one vector from column {@code j}, masked to
     * the panel's width {@code w} (a layer of 10 outputs is one masked vector).
     */
    private static void narrowTileF32(float[] a, int r0, int ri, int pc, float[] b, int bOff, int j, int w, int ldb,
                                      float[] c, int ci, int ldc, int kc) {
        VectorMask<Float> mask = FS.indexInRange(j, w);
        FloatVector c0 = FloatVector.zero(FS), c1 = FloatVector.zero(FS);
        FloatVector c2 = FloatVector.zero(FS), c3 = FloatVector.zero(FS);
        int r1 = r0 + ri;
        int r2 = r1 + ri;
        int r3 = r2 + ri;
        for (int p = 0; p < kc; p++) {
            FloatVector bv = FloatVector.fromArray(FS, b, bOff + p * ldb + j, mask);
            int e = p * pc;
            c0 = FloatVector.broadcast(FS, a[r0 + e]).fma(bv, c0);
            c1 = FloatVector.broadcast(FS, a[r1 + e]).fma(bv, c1);
            c2 = FloatVector.broadcast(FS, a[r2 + e]).fma(bv, c2);
            c3 = FloatVector.broadcast(FS, a[r3 + e]).fma(bv, c3);
        }
        FloatVector.fromArray(FS, c, ci, mask).add(c0).intoArray(c, ci, mask);
        FloatVector.fromArray(FS, c, ci + ldc, mask).add(c1).intoArray(c, ci + ldc, mask);
        FloatVector.fromArray(FS, c, ci + 2 * ldc, mask).add(c2).intoArray(c, ci + 2 * ldc, mask);
        FloatVector.fromArray(FS, c, ci + 3 * ldc, mask).add(c3).intoArray(c, ci + 3 * ldc, mask);
    }

    // ---------------------------------------------------------------- double

    /**
     * {@code C[mr × w] += A[mr × kc] · B[kc × w]} in double precision, the same contract as the plain
     * kernel: A(i, p) at {@code a[aOff + i * ri + p * pc]}, B(p, j) at {@code b[bOff + p * ldb + j]}, C
     * with row stride {@code ldc}.
     */
    static void kernelF64(double[] a, int aOff, int ri, int pc, double[] b, int bOff, int ldb,
                          double[] c, int cOff, int ldc, int mr, int w, int kc, double[] ap, boolean fresh) {
        int wv = w - w % (2 * DL);
        int i = 0;
        for (; TALL && i + 8 <= mr; i += 8) {
            int r0 = aOff + i * ri;
            int c0 = cOff + i * ldc;
            if (wv > 0) {
                packF64(a, r0, ri, pc, 8, kc, ap);
                for (int j = 0; j < wv; j += 2 * DL) {
                    if (fresh) {
                        freshTallTileF64(ap, b, bOff + j, ldb, c, c0 + j, ldc, kc);
                    } else {
                        tallTileF64(ap, b, bOff + j, ldb, c, c0 + j, ldc, kc);
                    }
                }
            }
            if (fresh && wv < w) { // the narrow tiles add to C
                for (int r = 0; r < 8; r++) {
                    java.util.Arrays.fill(c, c0 + r * ldc + wv, c0 + r * ldc + w, 0);
                }
            }
            for (int j = wv; j < w; j += DL) {
                narrowTileF64(a, r0, ri, pc, b, bOff, j, w, ldb, c, c0 + j, ldc, kc);
                narrowTileF64(a, r0 + 4 * ri, ri, pc, b, bOff, j, w, ldb, c, c0 + 4 * ldc + j, ldc, kc);
            }
        }
        for (; MID && i + 5 <= mr; i += 5) {
            int r0 = aOff + i * ri;
            int c0 = cOff + i * ldc;
            if (wv > 0) {
                packF64(a, r0, ri, pc, 5, kc, ap);
                for (int j = 0; j < wv; j += 2 * DL) {
                    midTileF64(ap, b, bOff + j, ldb, c, c0 + j, ldc, kc, fresh);
                }
            }
            if (fresh && wv < w) { // the narrow tile and row add to C
                for (int r = 0; r < 5; r++) {
                    java.util.Arrays.fill(c, c0 + r * ldc + wv, c0 + r * ldc + w, 0);
                }
            }
            for (int j = wv; j < w; j += DL) {
                narrowTileF64(a, r0, ri, pc, b, bOff, j, w, ldb, c, c0 + j, ldc, kc);
                rowF64(a, r0 + 4 * ri, pc, b, bOff, j, w, ldb, c, c0 + 4 * ldc + j, kc);
            }
        }
        if (fresh) { // the 4-row tiles and single rows add to C
            for (int r = i; r < mr; r++) {
                java.util.Arrays.fill(c, cOff + r * ldc, cOff + r * ldc + w, 0);
            }
        }
        for (; i + 4 <= mr; i += 4) {
            int r0 = aOff + i * ri;
            int c0 = cOff + i * ldc;
            if (wv > 0) {
                packF64(a, r0, ri, pc, 4, kc, ap);
                for (int j = 0; j < wv; j += 2 * DL) {
                    tileF64(ap, b, bOff + j, ldb, c, c0 + j, ldc, kc);
                }
            }
            for (int j = wv; j < w; j += DL) {
                narrowTileF64(a, r0, ri, pc, b, bOff, j, w, ldb, c, c0 + j, ldc, kc);
            }
        }
        for (; i < mr; i++) { // the last 1 to 3 rows, one at a time
            int r0 = aOff + i * ri;
            int c0 = cOff + i * ldc;
            int j = 0;
            for (; j + 8 * DL <= w; j += 8 * DL) {
                widestRowF64(a, r0, pc, b, bOff + j, ldb, c, c0 + j, kc);
            }
            for (; j + 4 * DL <= w; j += 4 * DL) {
                wideRowF64(a, r0, pc, b, bOff + j, ldb, c, c0 + j, kc);
            }
            for (; j < w; j += DL) {
                rowF64(a, r0, pc, b, bOff, j, w, ldb, c, c0 + j, kc);
            }
        }
    }

    /**
     * Copies {@code rows} rows of A (A(i, p) at {@code a[r0 + i * ri + p * pc]}) for a k-slice into
     * {@code ap}, step by step: A(i, p) at {@code ap[p * rows + i]}. The tiles then read A with constant
     * strides, which C2 turns into plain loads without per-element range checks or address arithmetic
     * (measured on one AVX-512 core at kc = 256: the 8-row tile went from 0.76 of the FMA peak to 1.0).
     * The copy is paid once per group of rows and reused by every tile across the panel's width.
     */
    private static void packF64(double[] a, int r0, int ri, int pc, int rows, int kc, double[] ap) {
        if (pc == 1 && rows == 8) { // A stored [m, k]: eight sequential reads, eight adjacent writes per step
            for (int p = 0; p < kc; p++) {
                int q = r0 + p;
                int d = p * 8;
                ap[d] = a[q];
                ap[d + 1] = a[q + ri];
                ap[d + 2] = a[q + 2 * ri];
                ap[d + 3] = a[q + 3 * ri];
                ap[d + 4] = a[q + 4 * ri];
                ap[d + 5] = a[q + 5 * ri];
                ap[d + 6] = a[q + 6 * ri];
                ap[d + 7] = a[q + 7 * ri];
            }
        } else if (pc == 1 && rows == 5) { // the 5-row tiles' rows: five sequential reads per step
            for (int p = 0; p < kc; p++) {
                int q = r0 + p;
                int d = p * 5;
                ap[d] = a[q];
                ap[d + 1] = a[q + ri];
                ap[d + 2] = a[q + 2 * ri];
                ap[d + 3] = a[q + 3 * ri];
                ap[d + 4] = a[q + 4 * ri];
            }
        } else if (pc == 1) {
            for (int p = 0; p < kc; p++) {
                int q = r0 + p;
                int d = p * rows;
                for (int i = 0; i < rows; i++) {
                    ap[d + i] = a[q + i * ri];
                }
            }
        } else if (rows == 8) { // A stored [k, m] (ri = 1): the rows at one step are adjacent
            for (int p = 0; p < kc; p++) { // eight elements: a call to arraycopy would cost more than the copy
                int q = r0 + p * pc;
                int d = p * 8;
                ap[d] = a[q];
                ap[d + 1] = a[q + 1];
                ap[d + 2] = a[q + 2];
                ap[d + 3] = a[q + 3];
                ap[d + 4] = a[q + 4];
                ap[d + 5] = a[q + 5];
                ap[d + 6] = a[q + 6];
                ap[d + 7] = a[q + 7];
            }
        } else {
            for (int p = 0; p < kc; p++) {
                int q = r0 + p * pc;
                int d = p * rows;
                for (int i = 0; i < rows; i++) {
                    ap[d + i] = a[q + i];
                }
            }
        }
    }

    /**
     * C[4 × 2 vectors] at {@code ci} += A[4 × kc], packed by {@code pack}, · B[kc × 2 vectors] from
     * column j. The accumulators start from C and are stored back (as in the taller tiles): no
     * vector leaves the method, and its size keeps C2 from inlining it into {@code kernelF64}, where
     * the caller's inlining budget could run out before the Vector API calls are intrinsified
     * (AllocationTest caught LeNet5 steps allocating 2.4 MB in one full build of four, every frame in
     * this tile when it added its sums to C through a helper taking the vectors).
     */
    private static void tileF64(double[] ap, double[] b, int j, int ldb, double[] c, int ci, int ldc, int kc) {
        DoubleVector c00 = DoubleVector.fromArray(DS, c, ci + 0 * ldc), c01 = DoubleVector.fromArray(DS, c, ci + 0 * ldc + DL);
        DoubleVector c10 = DoubleVector.fromArray(DS, c, ci + 1 * ldc), c11 = DoubleVector.fromArray(DS, c, ci + 1 * ldc + DL);
        DoubleVector c20 = DoubleVector.fromArray(DS, c, ci + 2 * ldc), c21 = DoubleVector.fromArray(DS, c, ci + 2 * ldc + DL);
        DoubleVector c30 = DoubleVector.fromArray(DS, c, ci + 3 * ldc), c31 = DoubleVector.fromArray(DS, c, ci + 3 * ldc + DL);
        for (int p = 0; p < kc; p++) {
            int q = p * ldb + j;
            DoubleVector b0 = DoubleVector.fromArray(DS, b, q);
            DoubleVector b1 = DoubleVector.fromArray(DS, b, q + DL);
            int e = p * 4;
            DoubleVector x = DoubleVector.broadcast(DS, ap[e + 0]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = DoubleVector.broadcast(DS, ap[e + 1]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = DoubleVector.broadcast(DS, ap[e + 2]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = DoubleVector.broadcast(DS, ap[e + 3]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
        }
        c00.intoArray(c, ci + 0 * ldc);
        c01.intoArray(c, ci + 0 * ldc + DL);
        c10.intoArray(c, ci + 1 * ldc);
        c11.intoArray(c, ci + 1 * ldc + DL);
        c20.intoArray(c, ci + 2 * ldc);
        c21.intoArray(c, ci + 2 * ldc + DL);
        c30.intoArray(c, ci + 3 * ldc);
        c31.intoArray(c, ci + 3 * ldc + DL);
    }

    /**
     * C[5 × 2 vectors] at {@code ci} (+)= A[5 × kc], packed by {@code pack}, · B[kc × 2 vectors] from
     * column j (see {@link #MID}). The accumulators start from C, or from zero when {@code fresh} (C
     * holds nothing yet and is only written).
     */
    private static void midTileF64(double[] ap, double[] b, int j, int ldb, double[] c, int ci, int ldc, int kc,
                                  boolean fresh) {
        DoubleVector c00 = fresh ? DoubleVector.zero(DS) : DoubleVector.fromArray(DS, c, ci + 0 * ldc + 0 * DL);
        DoubleVector c01 = fresh ? DoubleVector.zero(DS) : DoubleVector.fromArray(DS, c, ci + 0 * ldc + 1 * DL);
        DoubleVector c10 = fresh ? DoubleVector.zero(DS) : DoubleVector.fromArray(DS, c, ci + 1 * ldc + 0 * DL);
        DoubleVector c11 = fresh ? DoubleVector.zero(DS) : DoubleVector.fromArray(DS, c, ci + 1 * ldc + 1 * DL);
        DoubleVector c20 = fresh ? DoubleVector.zero(DS) : DoubleVector.fromArray(DS, c, ci + 2 * ldc + 0 * DL);
        DoubleVector c21 = fresh ? DoubleVector.zero(DS) : DoubleVector.fromArray(DS, c, ci + 2 * ldc + 1 * DL);
        DoubleVector c30 = fresh ? DoubleVector.zero(DS) : DoubleVector.fromArray(DS, c, ci + 3 * ldc + 0 * DL);
        DoubleVector c31 = fresh ? DoubleVector.zero(DS) : DoubleVector.fromArray(DS, c, ci + 3 * ldc + 1 * DL);
        DoubleVector c40 = fresh ? DoubleVector.zero(DS) : DoubleVector.fromArray(DS, c, ci + 4 * ldc + 0 * DL);
        DoubleVector c41 = fresh ? DoubleVector.zero(DS) : DoubleVector.fromArray(DS, c, ci + 4 * ldc + 1 * DL);
        DoubleVector x;
        for (int p = 0; p < kc; p++) {
            int q = p * ldb + j;
            DoubleVector b0 = DoubleVector.fromArray(DS, b, q);
            DoubleVector b1 = DoubleVector.fromArray(DS, b, q + DL);
            int e = p * 5;
            x = DoubleVector.broadcast(DS, ap[e + 0]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = DoubleVector.broadcast(DS, ap[e + 1]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = DoubleVector.broadcast(DS, ap[e + 2]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = DoubleVector.broadcast(DS, ap[e + 3]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            x = DoubleVector.broadcast(DS, ap[e + 4]);
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
        }
        c00.intoArray(c, ci + 0 * ldc);
        c01.intoArray(c, ci + 0 * ldc + DL);
        c10.intoArray(c, ci + 1 * ldc);
        c11.intoArray(c, ci + 1 * ldc + DL);
        c20.intoArray(c, ci + 2 * ldc);
        c21.intoArray(c, ci + 2 * ldc + DL);
        c30.intoArray(c, ci + 3 * ldc);
        c31.intoArray(c, ci + 3 * ldc + DL);
        c40.intoArray(c, ci + 4 * ldc);
        c41.intoArray(c, ci + 4 * ldc + DL);
    }

    /**
     * C[8 × 2 vectors] at {@code ci} += A[8 × kc] from row {@code r0} · B[kc × 2 vectors] from column
     * j, with 32 vector registers: 16 accumulators, 2 loads of B and 8 broadcasts per 16 fused
     * multiply-adds (the 4-row tile needs 6 per 8). The accumulators start from C and are stored
     * back: a separate add at the end would double the Vector API calls in the method, and past
     * C2's inlining budget the broadcasts stop being intrinsics (measured 6× slower).
     */
    private static void tallTileF64(double[] ap, double[] b, int j, int ldb, double[] c, int ci, int ldc, int kc) {
        DoubleVector c00 = DoubleVector.fromArray(DS, c, ci + 0 * ldc), c01 = DoubleVector.fromArray(DS, c, ci + 0 * ldc + DL);
        DoubleVector c10 = DoubleVector.fromArray(DS, c, ci + 1 * ldc), c11 = DoubleVector.fromArray(DS, c, ci + 1 * ldc + DL);
        DoubleVector c20 = DoubleVector.fromArray(DS, c, ci + 2 * ldc), c21 = DoubleVector.fromArray(DS, c, ci + 2 * ldc + DL);
        DoubleVector c30 = DoubleVector.fromArray(DS, c, ci + 3 * ldc), c31 = DoubleVector.fromArray(DS, c, ci + 3 * ldc + DL);
        DoubleVector c40 = DoubleVector.fromArray(DS, c, ci + 4 * ldc), c41 = DoubleVector.fromArray(DS, c, ci + 4 * ldc + DL);
        DoubleVector c50 = DoubleVector.fromArray(DS, c, ci + 5 * ldc), c51 = DoubleVector.fromArray(DS, c, ci + 5 * ldc + DL);
        DoubleVector c60 = DoubleVector.fromArray(DS, c, ci + 6 * ldc), c61 = DoubleVector.fromArray(DS, c, ci + 6 * ldc + DL);
        DoubleVector c70 = DoubleVector.fromArray(DS, c, ci + 7 * ldc), c71 = DoubleVector.fromArray(DS, c, ci + 7 * ldc + DL);
        DoubleVector x;
        for (int p = 0; p < kc; p++) {
            int q = p * ldb + j;
            DoubleVector b0 = DoubleVector.fromArray(DS, b, q);
            DoubleVector b1 = DoubleVector.fromArray(DS, b, q + DL);
            int e = p * 8;
            x = DoubleVector.broadcast(DS, ap[e + 0]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = DoubleVector.broadcast(DS, ap[e + 1]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = DoubleVector.broadcast(DS, ap[e + 2]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = DoubleVector.broadcast(DS, ap[e + 3]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            x = DoubleVector.broadcast(DS, ap[e + 4]);
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
            x = DoubleVector.broadcast(DS, ap[e + 5]);
            c50 = x.fma(b0, c50);
            c51 = x.fma(b1, c51);
            x = DoubleVector.broadcast(DS, ap[e + 6]);
            c60 = x.fma(b0, c60);
            c61 = x.fma(b1, c61);
            x = DoubleVector.broadcast(DS, ap[e + 7]);
            c70 = x.fma(b0, c70);
            c71 = x.fma(b1, c71);
        }
        c00.intoArray(c, ci + 0 * ldc);
        c01.intoArray(c, ci + 0 * ldc + DL);
        c10.intoArray(c, ci + 1 * ldc);
        c11.intoArray(c, ci + 1 * ldc + DL);
        c20.intoArray(c, ci + 2 * ldc);
        c21.intoArray(c, ci + 2 * ldc + DL);
        c30.intoArray(c, ci + 3 * ldc);
        c31.intoArray(c, ci + 3 * ldc + DL);
        c40.intoArray(c, ci + 4 * ldc);
        c41.intoArray(c, ci + 4 * ldc + DL);
        c50.intoArray(c, ci + 5 * ldc);
        c51.intoArray(c, ci + 5 * ldc + DL);
        c60.intoArray(c, ci + 6 * ldc);
        c61.intoArray(c, ci + 6 * ldc + DL);
        c70.intoArray(c, ci + 7 * ldc);
        c71.intoArray(c, ci + 7 * ldc + DL);
    }

    /**
     * {@link #tallTileF64} for a C that holds nothing yet (a product's only k-slice, not
     * accumulating): the accumulators start from zero and C is only written, so the caller need not
     * clear it first and the tile does not read it. Each element's arithmetic is the same.
     */
    private static void freshTallTileF64(double[] ap, double[] b, int j, int ldb, double[] c, int ci, int ldc, int kc) {
        DoubleVector c00 = DoubleVector.zero(DS), c01 = DoubleVector.zero(DS);
        DoubleVector c10 = DoubleVector.zero(DS), c11 = DoubleVector.zero(DS);
        DoubleVector c20 = DoubleVector.zero(DS), c21 = DoubleVector.zero(DS);
        DoubleVector c30 = DoubleVector.zero(DS), c31 = DoubleVector.zero(DS);
        DoubleVector c40 = DoubleVector.zero(DS), c41 = DoubleVector.zero(DS);
        DoubleVector c50 = DoubleVector.zero(DS), c51 = DoubleVector.zero(DS);
        DoubleVector c60 = DoubleVector.zero(DS), c61 = DoubleVector.zero(DS);
        DoubleVector c70 = DoubleVector.zero(DS), c71 = DoubleVector.zero(DS);
        DoubleVector x;
        for (int p = 0; p < kc; p++) {
            int q = p * ldb + j;
            DoubleVector b0 = DoubleVector.fromArray(DS, b, q);
            DoubleVector b1 = DoubleVector.fromArray(DS, b, q + DL);
            int e = p * 8;
            x = DoubleVector.broadcast(DS, ap[e + 0]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = DoubleVector.broadcast(DS, ap[e + 1]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = DoubleVector.broadcast(DS, ap[e + 2]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = DoubleVector.broadcast(DS, ap[e + 3]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            x = DoubleVector.broadcast(DS, ap[e + 4]);
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
            x = DoubleVector.broadcast(DS, ap[e + 5]);
            c50 = x.fma(b0, c50);
            c51 = x.fma(b1, c51);
            x = DoubleVector.broadcast(DS, ap[e + 6]);
            c60 = x.fma(b0, c60);
            c61 = x.fma(b1, c61);
            x = DoubleVector.broadcast(DS, ap[e + 7]);
            c70 = x.fma(b0, c70);
            c71 = x.fma(b1, c71);
        }
        c00.intoArray(c, ci + 0 * ldc);
        c01.intoArray(c, ci + 0 * ldc + DL);
        c10.intoArray(c, ci + 1 * ldc);
        c11.intoArray(c, ci + 1 * ldc + DL);
        c20.intoArray(c, ci + 2 * ldc);
        c21.intoArray(c, ci + 2 * ldc + DL);
        c30.intoArray(c, ci + 3 * ldc);
        c31.intoArray(c, ci + 3 * ldc + DL);
        c40.intoArray(c, ci + 4 * ldc);
        c41.intoArray(c, ci + 4 * ldc + DL);
        c50.intoArray(c, ci + 5 * ldc);
        c51.intoArray(c, ci + 5 * ldc + DL);
        c60.intoArray(c, ci + 6 * ldc);
        c61.intoArray(c, ci + 6 * ldc + DL);
        c70.intoArray(c, ci + 7 * ldc);
        c71.intoArray(c, ci + 7 * ldc + DL);
    }

    /**
     * One row × 8 vectors of C from column j: a product of one row (batch-1 inference) streams B,
     * and reading 8 vectors of each row of B per pass halves the passes over B of {@link #wideRowF64}.
     * Each element's arithmetic is {@link #rowF64}'s.
     */
    private static void widestRowF64(double[] a, int r0, int pc, double[] b, int j, int ldb, double[] c, int ci, int kc) {
        DoubleVector c0 = DoubleVector.zero(DS);
        DoubleVector c1 = DoubleVector.zero(DS);
        DoubleVector c2 = DoubleVector.zero(DS);
        DoubleVector c3 = DoubleVector.zero(DS);
        DoubleVector c4 = DoubleVector.zero(DS);
        DoubleVector c5 = DoubleVector.zero(DS);
        DoubleVector c6 = DoubleVector.zero(DS);
        DoubleVector c7 = DoubleVector.zero(DS);
        for (int p = 0; p < kc; p++) {
            int q = p * ldb + j;
            DoubleVector x = DoubleVector.broadcast(DS, a[r0 + p * pc]);
            c0 = x.fma(DoubleVector.fromArray(DS, b, q + 0 * DL), c0);
            c1 = x.fma(DoubleVector.fromArray(DS, b, q + 1 * DL), c1);
            c2 = x.fma(DoubleVector.fromArray(DS, b, q + 2 * DL), c2);
            c3 = x.fma(DoubleVector.fromArray(DS, b, q + 3 * DL), c3);
            c4 = x.fma(DoubleVector.fromArray(DS, b, q + 4 * DL), c4);
            c5 = x.fma(DoubleVector.fromArray(DS, b, q + 5 * DL), c5);
            c6 = x.fma(DoubleVector.fromArray(DS, b, q + 6 * DL), c6);
            c7 = x.fma(DoubleVector.fromArray(DS, b, q + 7 * DL), c7);
        }
        DoubleVector.fromArray(DS, c, ci + 0 * DL).add(c0).intoArray(c, ci + 0 * DL);
        DoubleVector.fromArray(DS, c, ci + 1 * DL).add(c1).intoArray(c, ci + 1 * DL);
        DoubleVector.fromArray(DS, c, ci + 2 * DL).add(c2).intoArray(c, ci + 2 * DL);
        DoubleVector.fromArray(DS, c, ci + 3 * DL).add(c3).intoArray(c, ci + 3 * DL);
        DoubleVector.fromArray(DS, c, ci + 4 * DL).add(c4).intoArray(c, ci + 4 * DL);
        DoubleVector.fromArray(DS, c, ci + 5 * DL).add(c5).intoArray(c, ci + 5 * DL);
        DoubleVector.fromArray(DS, c, ci + 6 * DL).add(c6).intoArray(c, ci + 6 * DL);
        DoubleVector.fromArray(DS, c, ci + 7 * DL).add(c7).intoArray(c, ci + 7 * DL);
    }

    /**
     * One row × 4 vectors of C from column j: four independent chains of fused multiply-adds, so
     * the FMA latency is hidden (one chain waits for its previous step; four keep both ports busy).
     * Each element's arithmetic is {@link #rowF64}'s.
     */
    private static void wideRowF64(double[] a, int r0, int pc, double[] b, int j, int ldb, double[] c, int ci, int kc) {
        DoubleVector c0 = DoubleVector.zero(DS), c1 = DoubleVector.zero(DS);
        DoubleVector c2 = DoubleVector.zero(DS), c3 = DoubleVector.zero(DS);
        for (int p = 0; p < kc; p++) {
            int q = p * ldb + j;
            DoubleVector x = DoubleVector.broadcast(DS, a[r0 + p * pc]);
            c0 = x.fma(DoubleVector.fromArray(DS, b, q), c0);
            c1 = x.fma(DoubleVector.fromArray(DS, b, q + DL), c1);
            c2 = x.fma(DoubleVector.fromArray(DS, b, q + 2 * DL), c2);
            c3 = x.fma(DoubleVector.fromArray(DS, b, q + 3 * DL), c3);
        }
        DoubleVector.fromArray(DS, c, ci).add(c0).intoArray(c, ci);
        DoubleVector.fromArray(DS, c, ci + DL).add(c1).intoArray(c, ci + DL);
        DoubleVector.fromArray(DS, c, ci + 2 * DL).add(c2).intoArray(c, ci + 2 * DL);
        DoubleVector.fromArray(DS, c, ci + 3 * DL).add(c3).intoArray(c, ci + 3 * DL);
    }

    /**
     * One row × one vector of C from column {@code j} (masked to the panel's width {@code w}): the
     * rows past the last group of 4, and the columns past the last whole tile of a 5-row group. It
     * sums the k-slice from zero, then adds it to C, where the tiles accumulate onto C: over several
     * k-slices (or with {@code accumulate}) a row's last bits depend on whether its group took it,
     * that is on its position in the product, never on the thread that ran it ({@link #ROW_UNIT}).
     */
    private static void rowF64(double[] a, int r0, int pc, double[] b, int bOff, int j, int w, int ldb,
                               double[] c, int ci, int kc) {
        VectorMask<Double> mask = DS.indexInRange(j, w);
        DoubleVector acc = DoubleVector.zero(DS);
        for (int p = 0; p < kc; p++) {
            acc = DoubleVector.broadcast(DS, a[r0 + p * pc]).fma(DoubleVector.fromArray(DS, b, bOff + p * ldb + j, mask), acc);
        }
        DoubleVector.fromArray(DS, c, ci, mask).add(acc).intoArray(c, ci, mask);
    }

    /**
     * {@code C[i, j] = (accumulate ? C[i, j] : 0) + dot(A row i, B row j)} for i in [i0, i1) and j in
     * [j0, j1), with A stored [m, k] and B stored [n, k] (both rows contiguous along k): the product
     * of a narrow output and a long k (a convolution's weight gradient, dWᵀ = cols · gᵀ with 6 filters
     * and 784 positions), where tiles along the output's columns would leave most lanes empty. Rows
     * go 2 at a time against 3 columns (6 accumulators, 5 loads per 6 fused multiply-adds). Every
     * element's arithmetic is {@link #dotF64}'s: one vector of partial sums over k (the last step
     * masked), then its lanes added in lane order, whichever group computed it.
     */
    static void dotsF64(double[] a, int aOff, double[] b, int bOff, double[] c, int cOff, int ldc, int k,
                        int i0, int i1, int j0, int j1, boolean accumulate, double[] lanes) {
        int i = i0;
        for (; i + 2 <= i1; i += 2) {
            int j = j0;
            for (; j + 3 <= j1; j += 3) {
                dotTileF64(a, aOff + i * k, b, bOff + j * k, k, c, cOff + i * ldc + j, ldc, accumulate, lanes);
            }
            for (; j < j1; j++) {
                dotF64(a, aOff + i * k, b, bOff + j * k, k, c, cOff + i * ldc + j, accumulate, lanes);
                dotF64(a, aOff + (i + 1) * k, b, bOff + j * k, k, c, cOff + (i + 1) * ldc + j, accumulate, lanes);
            }
        }
        for (; i < i1; i++) {
            for (int j = j0; j < j1; j++) {
                dotF64(a, aOff + i * k, b, bOff + j * k, k, c, cOff + i * ldc + j, accumulate, lanes);
            }
        }
    }

    /** Two rows of A against three rows of B: six dot products. */
    private static void dotTileF64(double[] a, int a0, double[] b, int b0, int k, double[] c, int ci, int ldc,
                                   boolean accumulate, double[] lanes) {
        DoubleVector s00 = DoubleVector.zero(DS), s01 = DoubleVector.zero(DS), s02 = DoubleVector.zero(DS);
        DoubleVector s10 = DoubleVector.zero(DS), s11 = DoubleVector.zero(DS), s12 = DoubleVector.zero(DS);
        int a1 = a0 + k;
        int b1 = b0 + k;
        int b2 = b1 + k;
        int p = 0;
        for (; p + DL <= k; p += DL) {
            DoubleVector x0 = DoubleVector.fromArray(DS, a, a0 + p);
            DoubleVector x1 = DoubleVector.fromArray(DS, a, a1 + p);
            DoubleVector y = DoubleVector.fromArray(DS, b, b0 + p);
            s00 = x0.fma(y, s00);
            s10 = x1.fma(y, s10);
            y = DoubleVector.fromArray(DS, b, b1 + p);
            s01 = x0.fma(y, s01);
            s11 = x1.fma(y, s11);
            y = DoubleVector.fromArray(DS, b, b2 + p);
            s02 = x0.fma(y, s02);
            s12 = x1.fma(y, s12);
        }
        if (p < k) {
            VectorMask<Double> m = DS.indexInRange(p, k);
            DoubleVector x0 = DoubleVector.fromArray(DS, a, a0 + p, m);
            DoubleVector x1 = DoubleVector.fromArray(DS, a, a1 + p, m);
            DoubleVector y = DoubleVector.fromArray(DS, b, b0 + p, m);
            s00 = x0.fma(y, s00);
            s10 = x1.fma(y, s10);
            y = DoubleVector.fromArray(DS, b, b1 + p, m);
            s01 = x0.fma(y, s01);
            s11 = x1.fma(y, s11);
            y = DoubleVector.fromArray(DS, b, b2 + p, m);
            s02 = x0.fma(y, s02);
            s12 = x1.fma(y, s12);
        }
        storeSumF64(s00, c, ci, accumulate, lanes);
        storeSumF64(s01, c, ci + 1, accumulate, lanes);
        storeSumF64(s02, c, ci + 2, accumulate, lanes);
        storeSumF64(s10, c, ci + ldc, accumulate, lanes);
        storeSumF64(s11, c, ci + ldc + 1, accumulate, lanes);
        storeSumF64(s12, c, ci + ldc + 2, accumulate, lanes);
    }

    /** One dot product, with {@link #dotTileF64}'s arithmetic. */
    private static void dotF64(double[] a, int a0, double[] b, int b0, int k, double[] c, int ci, boolean accumulate,
                               double[] lanes) {
        DoubleVector s = DoubleVector.zero(DS);
        int p = 0;
        for (; p + DL <= k; p += DL) {
            s = DoubleVector.fromArray(DS, a, a0 + p).fma(DoubleVector.fromArray(DS, b, b0 + p), s);
        }
        if (p < k) {
            VectorMask<Double> m = DS.indexInRange(p, k);
            s = DoubleVector.fromArray(DS, a, a0 + p, m).fma(DoubleVector.fromArray(DS, b, b0 + p, m), s);
        }
        storeSumF64(s, c, ci, accumulate, lanes);
    }

    /** Adds the lanes of {@code s} in lane order (a fixed order, unlike reduceLanes) into or over C. */
    private static void storeSumF64(DoubleVector s, double[] c, int ci, boolean accumulate, double[] lanes) {
        s.intoArray(lanes, 0);
        double sum = 0;
        for (int l = 0; l < DL; l++) {
            sum += lanes[l];
        }
        c[ci] = accumulate ? c[ci] + sum : sum;
    }

    /**
     * The columns past the last whole tile: 4 rows × one vector from column {@code j}, masked to
     * the panel's width {@code w} (a layer of 10 outputs is one masked vector).
     */
    private static void narrowTileF64(double[] a, int r0, int ri, int pc, double[] b, int bOff, int j, int w, int ldb,
                                      double[] c, int ci, int ldc, int kc) {
        VectorMask<Double> mask = DS.indexInRange(j, w);
        DoubleVector c0 = DoubleVector.zero(DS), c1 = DoubleVector.zero(DS);
        DoubleVector c2 = DoubleVector.zero(DS), c3 = DoubleVector.zero(DS);
        int r1 = r0 + ri;
        int r2 = r1 + ri;
        int r3 = r2 + ri;
        for (int p = 0; p < kc; p++) {
            DoubleVector bv = DoubleVector.fromArray(DS, b, bOff + p * ldb + j, mask);
            int e = p * pc;
            c0 = DoubleVector.broadcast(DS, a[r0 + e]).fma(bv, c0);
            c1 = DoubleVector.broadcast(DS, a[r1 + e]).fma(bv, c1);
            c2 = DoubleVector.broadcast(DS, a[r2 + e]).fma(bv, c2);
            c3 = DoubleVector.broadcast(DS, a[r3 + e]).fma(bv, c3);
        }
        DoubleVector.fromArray(DS, c, ci, mask).add(c0).intoArray(c, ci, mask);
        DoubleVector.fromArray(DS, c, ci + ldc, mask).add(c1).intoArray(c, ci + ldc, mask);
        DoubleVector.fromArray(DS, c, ci + 2 * ldc, mask).add(c2).intoArray(c, ci + 2 * ldc, mask);
        DoubleVector.fromArray(DS, c, ci + 3 * ldc, mask).add(c3).intoArray(c, ci + 3 * ldc, mask);
    }

    // ---------------------------------------------------------------- end
}
