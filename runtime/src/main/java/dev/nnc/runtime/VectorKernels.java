package dev.nnc.runtime;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * The GEMM micro-kernels on the JDK Vector API (module {@code jdk.incubator.vector}): {@link Gemm}
 * calls them only when that module is in the boot layer, so this class is never loaded without it.
 *
 * <p>Register blocking: a tile of 4 rows × 2 vectors of C (8 accumulators; 32 floats with AVX-512)
 * stays in registers for the whole k-slice; each step broadcasts 4 elements of A and loads 2
 * vectors of the packed B panel, then 8 fused multiply-adds. C is read and written once per slice
 * instead of once per 4 steps of k. Columns past the last whole tile run 4 rows × one masked vector
 * at a time; rows past the last group of 4 go to the plain kernel. The double-precision kernels
 * are the float ones with the type changed (a test keeps the twins in step).
 */
final class VectorKernels {
    private static final VectorSpecies<Float> FS = FloatVector.SPECIES_PREFERRED;
    private static final int FL = FS.length();
    private static final VectorSpecies<Double> DS = DoubleVector.SPECIES_PREFERRED;
    private static final int DL = DS.length();

    private VectorKernels() {
    }

    static String description() {
        return FS.vectorBitSize() + "-bit vectors, " + FL + " floats";
    }

    // ---------------------------------------------------------------- float

    /**
     * {@code C[mr × w] += A[mr × kc] · B[kc × w]} in single precision, the same contract as the plain
     * kernel: A(i, p) at {@code a[aOff + i * ri + p * pc]}, B(p, j) at {@code b[bOff + p * ldb + j]}, C
     * with row stride {@code ldc}.
     */
    static void kernelF32(float[] a, int aOff, int ri, int pc, float[] b, int bOff, int ldb,
                          float[] c, int cOff, int ldc, int mr, int w, int kc) {
        int wv = w - w % (2 * FL);
        int mv = mr - mr % 4;
        for (int i = 0; i < mv; i += 4) {
            int r0 = aOff + i * ri;
            int c0 = cOff + i * ldc;
            for (int j = 0; j < wv; j += 2 * FL) {
                tileF32(a, r0, ri, pc, b, bOff + j, ldb, c, c0 + j, ldc, kc);
            }
            for (int j = wv; j < w; j += FL) {
                narrowTileF32(a, r0, ri, pc, b, bOff, j, w, ldb, c, c0 + j, ldc, kc);
            }
        }
        if (mv < mr) {
            Gemm.kernelF32(a, aOff + mv * ri, ri, pc, b, bOff, ldb, c, cOff + mv * ldc, ldc, mr - mv, w, kc);
        }
    }

    /** C[4 × 2 vectors] at {@code ci} += A[4 × kc] from row {@code r0} · B[kc × 2 vectors] from column j. */
    private static void tileF32(float[] a, int r0, int ri, int pc, float[] b, int j, int ldb,
                                float[] c, int ci, int ldc, int kc) {
        FloatVector c00 = FloatVector.zero(FS), c01 = FloatVector.zero(FS);
        FloatVector c10 = FloatVector.zero(FS), c11 = FloatVector.zero(FS);
        FloatVector c20 = FloatVector.zero(FS), c21 = FloatVector.zero(FS);
        FloatVector c30 = FloatVector.zero(FS), c31 = FloatVector.zero(FS);
        int r1 = r0 + ri;
        int r2 = r1 + ri;
        int r3 = r2 + ri;
        for (int p = 0; p < kc; p++) {
            int q = p * ldb + j;
            FloatVector b0 = FloatVector.fromArray(FS, b, q);
            FloatVector b1 = FloatVector.fromArray(FS, b, q + FL);
            int e = p * pc;
            FloatVector x = FloatVector.broadcast(FS, a[r0 + e]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(FS, a[r1 + e]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(FS, a[r2 + e]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(FS, a[r3 + e]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
        }
        addF32(c, ci, c00, c01);
        addF32(c, ci + ldc, c10, c11);
        addF32(c, ci + 2 * ldc, c20, c21);
        addF32(c, ci + 3 * ldc, c30, c31);
    }

    private static void addF32(float[] c, int at, FloatVector v0, FloatVector v1) {
        FloatVector.fromArray(FS, c, at).add(v0).intoArray(c, at);
        FloatVector.fromArray(FS, c, at + FL).add(v1).intoArray(c, at + FL);
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
                          double[] c, int cOff, int ldc, int mr, int w, int kc) {
        int wv = w - w % (2 * DL);
        int mv = mr - mr % 4;
        for (int i = 0; i < mv; i += 4) {
            int r0 = aOff + i * ri;
            int c0 = cOff + i * ldc;
            for (int j = 0; j < wv; j += 2 * DL) {
                tileF64(a, r0, ri, pc, b, bOff + j, ldb, c, c0 + j, ldc, kc);
            }
            for (int j = wv; j < w; j += DL) {
                narrowTileF64(a, r0, ri, pc, b, bOff, j, w, ldb, c, c0 + j, ldc, kc);
            }
        }
        if (mv < mr) {
            Gemm.kernelF64(a, aOff + mv * ri, ri, pc, b, bOff, ldb, c, cOff + mv * ldc, ldc, mr - mv, w, kc);
        }
    }

    /** C[4 × 2 vectors] at {@code ci} += A[4 × kc] from row {@code r0} · B[kc × 2 vectors] from column j. */
    private static void tileF64(double[] a, int r0, int ri, int pc, double[] b, int j, int ldb,
                                double[] c, int ci, int ldc, int kc) {
        DoubleVector c00 = DoubleVector.zero(DS), c01 = DoubleVector.zero(DS);
        DoubleVector c10 = DoubleVector.zero(DS), c11 = DoubleVector.zero(DS);
        DoubleVector c20 = DoubleVector.zero(DS), c21 = DoubleVector.zero(DS);
        DoubleVector c30 = DoubleVector.zero(DS), c31 = DoubleVector.zero(DS);
        int r1 = r0 + ri;
        int r2 = r1 + ri;
        int r3 = r2 + ri;
        for (int p = 0; p < kc; p++) {
            int q = p * ldb + j;
            DoubleVector b0 = DoubleVector.fromArray(DS, b, q);
            DoubleVector b1 = DoubleVector.fromArray(DS, b, q + DL);
            int e = p * pc;
            DoubleVector x = DoubleVector.broadcast(DS, a[r0 + e]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = DoubleVector.broadcast(DS, a[r1 + e]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = DoubleVector.broadcast(DS, a[r2 + e]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = DoubleVector.broadcast(DS, a[r3 + e]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
        }
        addF64(c, ci, c00, c01);
        addF64(c, ci + ldc, c10, c11);
        addF64(c, ci + 2 * ldc, c20, c21);
        addF64(c, ci + 3 * ldc, c30, c31);
    }

    private static void addF64(double[] c, int at, DoubleVector v0, DoubleVector v1) {
        DoubleVector.fromArray(DS, c, at).add(v0).intoArray(c, at);
        DoubleVector.fromArray(DS, c, at + DL).add(v1).intoArray(c, at + DL);
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
