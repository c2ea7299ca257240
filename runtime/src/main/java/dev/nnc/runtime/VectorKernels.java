package dev.nnc.runtime;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * The GEMM micro-kernels on the JDK Vector API (module
 * {@code jdk.incubator.vector}): {@link Gemm} calls it only when that module is in the boot layer,
 * so this class is never loaded without it.
 *
 * <p>Register blocking: a tile of 4 rows × 2 vectors of C (8 accumulators; 32 columns with
 * AVX-512) stays in registers for the whole k-slice; each step broadcasts 4 elements of A and loads
 * 2 vectors of the packed B panel, then 8 fused multiply-adds. C is read and written once per
 * slice instead of once per 4 steps of k. Columns past the last whole tile run 4 rows × one
 * masked vector at a time; rows past the last group of 4 go to the plain kernel. The double-precision kernel is the same with half as many
 * elements per vector.
 */
final class VectorKernels {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    private static final int LD = D.length();

    private VectorKernels() {
    }

    static String description() {
        return F.vectorBitSize() + "-bit vectors, " + L + " floats";
    }

    /**
     * {@code C[mr × w] += A[mr × kc] · B[kc × w]}, the same contract as the plain kernel: A(i, p) at
     * {@code a[aOff + i * ri + p * pc]}, B packed with row stride {@code ldb}, C with row stride
     * {@code ldc}.
     */
    static void kernelF32(float[] a, int aOff, int ri, int pc, float[] b, int ldb,
                          float[] c, int cOff, int ldc, int mr, int w, int kc) {
        int wv = w - w % (2 * L);
        int mv = mr - mr % 4;
        for (int i = 0; i < mv; i += 4) {
            int r0 = aOff + i * ri;
            int c0 = cOff + i * ldc;
            for (int j = 0; j < wv; j += 2 * L) {
                tile(a, r0, ri, pc, b, j, ldb, c, c0 + j, ldc, kc);
            }
        }
        for (int i = 0; i < mv; i += 4) {
            for (int j = wv; j < w; j += L) {
                narrowTile(a, aOff + i * ri, ri, pc, b, j, w, ldb, c, cOff + i * ldc + j, ldc, kc);
            }
        }
        if (mv < mr) {
            Gemm.kernelF32(a, aOff + mv * ri, ri, pc, b, 0, ldb, c, cOff + mv * ldc, ldc, mr - mv, w, kc);
        }
    }

    /** C[4 × 2L] at {@code ci} += A[4 × kc] from row {@code r0} · B[kc × 2L] from column {@code j}. */
    private static void tile(float[] a, int r0, int ri, int pc, float[] b, int j, int ldb,
                             float[] c, int ci, int ldc, int kc) {
        FloatVector c00 = FloatVector.zero(F), c01 = FloatVector.zero(F);
        FloatVector c10 = FloatVector.zero(F), c11 = FloatVector.zero(F);
        FloatVector c20 = FloatVector.zero(F), c21 = FloatVector.zero(F);
        FloatVector c30 = FloatVector.zero(F), c31 = FloatVector.zero(F);
        int r1 = r0 + ri;
        int r2 = r1 + ri;
        int r3 = r2 + ri;
        for (int p = 0; p < kc; p++) {
            int q = p * ldb + j;
            FloatVector b0 = FloatVector.fromArray(F, b, q);
            FloatVector b1 = FloatVector.fromArray(F, b, q + L);
            int e = p * pc;
            FloatVector x = FloatVector.broadcast(F, a[r0 + e]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(F, a[r1 + e]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(F, a[r2 + e]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(F, a[r3 + e]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
        }
        add(c, ci, c00, c01);
        add(c, ci + ldc, c10, c11);
        add(c, ci + 2 * ldc, c20, c21);
        add(c, ci + 3 * ldc, c30, c31);
    }

    private static void add(float[] c, int at, FloatVector v0, FloatVector v1) {
        FloatVector.fromArray(F, c, at).add(v0).intoArray(c, at);
        FloatVector.fromArray(F, c, at + L).add(v1).intoArray(c, at + L);
    }

    /**
     * The columns past the last whole tile: 4 rows × one vector from column {@code j}, masked to
     * the panel's width {@code w} (a layer of 10 outputs is one masked vector).
     */
    private static void narrowTile(float[] a, int r0, int ri, int pc, float[] b, int j, int w, int ldb,
                                   float[] c, int ci, int ldc, int kc) {
        VectorMask<Float> mask = F.indexInRange(j, w);
        FloatVector c0 = FloatVector.zero(F), c1 = FloatVector.zero(F);
        FloatVector c2 = FloatVector.zero(F), c3 = FloatVector.zero(F);
        int r1 = r0 + ri;
        int r2 = r1 + ri;
        int r3 = r2 + ri;
        for (int p = 0; p < kc; p++) {
            FloatVector bv = FloatVector.fromArray(F, b, p * ldb + j, mask);
            int e = p * pc;
            c0 = FloatVector.broadcast(F, a[r0 + e]).fma(bv, c0);
            c1 = FloatVector.broadcast(F, a[r1 + e]).fma(bv, c1);
            c2 = FloatVector.broadcast(F, a[r2 + e]).fma(bv, c2);
            c3 = FloatVector.broadcast(F, a[r3 + e]).fma(bv, c3);
        }
        FloatVector.fromArray(F, c, ci, mask).add(c0).intoArray(c, ci, mask);
        FloatVector.fromArray(F, c, ci + ldc, mask).add(c1).intoArray(c, ci + ldc, mask);
        FloatVector.fromArray(F, c, ci + 2 * ldc, mask).add(c2).intoArray(c, ci + 2 * ldc, mask);
        FloatVector.fromArray(F, c, ci + 3 * ldc, mask).add(c3).intoArray(c, ci + 3 * ldc, mask);
    }

    /** {@link #kernelF32} in double precision (vectors of half as many elements). */
    static void kernelF64(double[] a, int aOff, int ri, int pc, double[] b, int ldb,
                          double[] c, int cOff, int ldc, int mr, int w, int kc) {
        int wv = w - w % (2 * LD);
        int mv = mr - mr % 4;
        for (int i = 0; i < mv; i += 4) {
            int r0 = aOff + i * ri;
            int c0 = cOff + i * ldc;
            for (int j = 0; j < wv; j += 2 * LD) {
                tileD(a, r0, ri, pc, b, j, ldb, c, c0 + j, ldc, kc);
            }
        }
        for (int i = 0; i < mv; i += 4) {
            for (int j = wv; j < w; j += LD) {
                narrowTileD(a, aOff + i * ri, ri, pc, b, j, w, ldb, c, cOff + i * ldc + j, ldc, kc);
            }
        }
        if (mv < mr) {
            Gemm.kernelF64(a, aOff + mv * ri, ri, pc, b, 0, ldb, c, cOff + mv * ldc, ldc, mr - mv, w, kc);
        }
    }

    private static void tileD(double[] a, int r0, int ri, int pc, double[] b, int j, int ldb,
                              double[] c, int ci, int ldc, int kc) {
        DoubleVector c00 = DoubleVector.zero(D), c01 = DoubleVector.zero(D);
        DoubleVector c10 = DoubleVector.zero(D), c11 = DoubleVector.zero(D);
        DoubleVector c20 = DoubleVector.zero(D), c21 = DoubleVector.zero(D);
        DoubleVector c30 = DoubleVector.zero(D), c31 = DoubleVector.zero(D);
        int r1 = r0 + ri;
        int r2 = r1 + ri;
        int r3 = r2 + ri;
        for (int p = 0; p < kc; p++) {
            int q = p * ldb + j;
            DoubleVector b0 = DoubleVector.fromArray(D, b, q);
            DoubleVector b1 = DoubleVector.fromArray(D, b, q + LD);
            int e = p * pc;
            DoubleVector x = DoubleVector.broadcast(D, a[r0 + e]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = DoubleVector.broadcast(D, a[r1 + e]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = DoubleVector.broadcast(D, a[r2 + e]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = DoubleVector.broadcast(D, a[r3 + e]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
        }
        addD(c, ci, c00, c01);
        addD(c, ci + ldc, c10, c11);
        addD(c, ci + 2 * ldc, c20, c21);
        addD(c, ci + 3 * ldc, c30, c31);
    }

    private static void addD(double[] c, int at, DoubleVector v0, DoubleVector v1) {
        DoubleVector.fromArray(D, c, at).add(v0).intoArray(c, at);
        DoubleVector.fromArray(D, c, at + LD).add(v1).intoArray(c, at + LD);
    }

    private static void narrowTileD(double[] a, int r0, int ri, int pc, double[] b, int j, int w, int ldb,
                                    double[] c, int ci, int ldc, int kc) {
        VectorMask<Double> mask = D.indexInRange(j, w);
        DoubleVector c0 = DoubleVector.zero(D), c1 = DoubleVector.zero(D);
        DoubleVector c2 = DoubleVector.zero(D), c3 = DoubleVector.zero(D);
        int r1 = r0 + ri;
        int r2 = r1 + ri;
        int r3 = r2 + ri;
        for (int p = 0; p < kc; p++) {
            DoubleVector bv = DoubleVector.fromArray(D, b, p * ldb + j, mask);
            int e = p * pc;
            c0 = DoubleVector.broadcast(D, a[r0 + e]).fma(bv, c0);
            c1 = DoubleVector.broadcast(D, a[r1 + e]).fma(bv, c1);
            c2 = DoubleVector.broadcast(D, a[r2 + e]).fma(bv, c2);
            c3 = DoubleVector.broadcast(D, a[r3 + e]).fma(bv, c3);
        }
        DoubleVector.fromArray(D, c, ci, mask).add(c0).intoArray(c, ci, mask);
        DoubleVector.fromArray(D, c, ci + ldc, mask).add(c1).intoArray(c, ci + ldc, mask);
        DoubleVector.fromArray(D, c, ci + 2 * ldc, mask).add(c2).intoArray(c, ci + 2 * ldc, mask);
        DoubleVector.fromArray(D, c, ci + 3 * ldc, mask).add(c3).intoArray(c, ci + 3 * ldc, mask);
    }
}
