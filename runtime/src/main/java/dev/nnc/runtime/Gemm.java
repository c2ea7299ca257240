package dev.nnc.runtime;

import java.util.Arrays;

/**
 * Dense matrix multiply for generated code: {@code C[m×n] = (accumulate ? C : 0) + op(A)·op(B)}
 * over row-major, contiguous matrices that start at an offset inside a larger array (an arena or
 * the flat parameter buffer).
 *
 * <p>Layouts: A is stored {@code [m, k]}, or {@code [k, m]} when {@code transA}; B is stored
 * {@code [k, n]}, or {@code [n, k]} when {@code transB}; C is {@code [m, n]}. C must not overlap A
 * or B (A and B may overlap each other, and all three may live in the same array).
 *
 * <p>How it runs: C is computed in tiles of {@value #NC} columns; for each tile and each slice of
 * k ({@link #slice}: {@value #KC} steps for a wide B, up to {@value #KC_MAX} for a narrow one), the
 * micro-kernel's inner loop walks one dense row of B and one dense
 * row of C: B's own rows when B is stored {@code [k, n]} (read in place), else a transposed copy of
 * the slice in a per-thread panel. The micro-kernel is the Vector API one ({@link VectorKernels},
 * when the module is present) or a plain-Java one that updates four rows of C with four steps of k
 * per pass over the row (C2 in JDK 25 keeps that loop scalar: B and C are offsets into arrays it
 * cannot prove apart; 26–28 GFLOP/s on two cores, the scalar FMA rate). Both read A's
 * elements as broadcast scalars, so a transposed A is read in place (by strides) without a copy. A
 * product with fewer than four rows and a transposed B uses dot products along k instead, which
 * needs no copy of B either.
 *
 * <p>Products of at least {@value #PARALLEL_WORK} multiply-adds are split across {@link Parallel}:
 * by blocks of {@link #ROW_UNIT} rows of C (8 with the 8-row tiles of AVX-512, 20 with the 5-row
 * tiles, 4 for the plain kernel; a product of fewer rows than that splits its columns instead), or by blocks of {@value #NR} columns when B is transposed (each
 * thread then copies only its own part of B) or when C has too few rows to keep the pool busy.
 *
 * <p>A call allocates nothing after the first on a thread: the panels live in a thread-local
 * scratch. The float and double paths are the same code with the element type changed.
 */
public final class Gemm {

    /**
     * Columns of C per tile (the width of a packed B panel: 256 × 512 floats, 512 KB, within a
     * core's L2). Each tile re-packs its rows of A, so wider tiles pack A less often: 1024³ on 2
     * cores, AVX-512, three alternating runs: 411–415 GFLOP/s with 256 columns, 432–440 with 512,
     * 401–415 with 768, 286–289 with 1024 (the panel no longer fits L2); 512³ 238 → 422.
     */
    static final int NC = 512;
    /** Steps along k per packed panel. */
    static final int KC = 256;
    /** A block of C with more rows than this reads a dense copy of a wide B's panel (the copy is paid once per block). */
    static final int PACK_ROWS = 16;
    /** Fewer rows than this against a transposed B use dot products instead of a copy of B. */
    static final int MR = 4;
    /**
     * A product against a transposed B with at least this long a k and an output narrower than two
     * vectors runs as vector dot products (a convolution's weight gradient: 6 columns, k = 784).
     */
    static final int DOT_K = 256;
    /** Columns per parallel unit when C is split by columns. */
    static final int NR = 64;
    /** Below this many multiply-adds a product runs on the calling thread alone. */
    static final long PARALLEL_WORK = 1L << 18;
    /**
     * Below this many multiply-adds a product of fewer than {@link #ROW_UNIT} rows (batch-1
     * inference) runs on the calling thread alone; above it, its columns are split once per thread,
     * each thread always the same columns ({@link Parallel#forRangePinned}), so each core keeps its
     * part of B in its own cache from one call to the next. Measured (2 cores, AVX-512, 1 × n × k,
     * median µs, one thread / two pinned): 1×128×128 0.56 / 0.75, 1×256×256 2.28 / 2.87, 1×256×512
     * 4.60 / 4.47, 1×256×784 7.31 / 5.46, 1×512×784 22.6 / 9.7 (B no longer fits one core's L2):
     * the crossover lies near 2^17 multiply-adds. See docs/performance.md.
     */
    static final long SKINNY_PARALLEL_WORK = 1L << 17;
    /** Each parallel chunk gets at least this many multiply-adds. */
    static final long CHUNK_WORK = 1L << 17;

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /** Whether the Vector API module is in the boot layer (run with {@code --add-modules jdk.incubator.vector}). */
    private static final boolean VECTOR_AVAILABLE = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()
            && !"false".equals(System.getProperty("nnc.vector"));

    /**
     * Rows per parallel unit: a multiple of the vector kernel's row groups (8 with 512-bit vectors,
     * 20 = 4 groups of 5 otherwise), so that a row of C is computed by the same tile (and the
     * same arithmetic) however the rows are split between threads.
     */
    static final int ROW_UNIT = VECTOR_AVAILABLE ? VectorKernels.ROW_UNIT : 4;

    /** Whether single-precision products use the Vector API micro-kernel. */
    private static volatile boolean vector = VECTOR_AVAILABLE;

    /**
     * True when the JDK Vector API is available to the single-precision kernel: the JVM was started
     * with {@code --add-modules jdk.incubator.vector} and {@code -Dnnc.vector=false} was not given.
     */
    public static boolean vectorAvailable() {
        return VECTOR_AVAILABLE;
    }

    private static final java.util.concurrent.atomic.AtomicBoolean NOTED = new java.util.concurrent.atomic.AtomicBoolean();

    /**
     * Says once per JVM, as a warning through {@link System.Logger} (logger {@code dev.nnc.runtime}),
     * that the plain-Java kernels run because the Vector API module is missing (or turned off with
     * {@code -Dnnc.vector=false}); the first model created calls it. Returns whether this call logged.
     */
    static boolean noteWhenPlain() {
        if (VECTOR_AVAILABLE || !NOTED.compareAndSet(false, true)) {
            return false;
        }
        boolean present = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
        System.getLogger("dev.nnc.runtime").log(System.Logger.Level.WARNING, present
                ? "nnc: the Vector API kernels are turned off (-Dnnc.vector=false); models run the plain-Java kernels"
                : "nnc: the JDK Vector API module is not in this JVM, so models run the plain-Java kernels (about"
                        + " 10x slower on large products); start the JVM with --add-modules jdk.incubator.vector");
        return true;
    }

    /** Whether the Vector API kernels are in use now (available and not turned off by {@link #useVectorApi}). */
    static boolean vectorInUse() {
        return vector;
    }

    /** The Vector API species in use, e.g. "512-bit vectors, 16 floats"; "none" without the module. */
    public static String vectorDescription() {
        return VECTOR_AVAILABLE ? VectorKernels.description() : "none";
    }

    /**
     * Chooses the Vector API micro-kernel ({@code true}, the default when available) or the plain
     * Java one, for benchmarks and tests that compare them; ignored when the API is unavailable.
     */
    public static void useVectorApi(boolean on) {
        vector = on && VECTOR_AVAILABLE;
    }

    /**
     * Work fused into a product's epilogue: called once per finished block of C (rows
     * {@code [i0, i1)}, columns {@code [j0, j1)}, all of k summed), by the thread that computed the
     * block, right after it did, so the block is still in its cache. Blocks never overlap and
     * together cover C; several run at the same time on different threads, so an epilogue writes
     * only inside its block, or, when the product was asked for {@code wholeColumns}, into
     * per-column sums (every block then spans all rows).
     */
    @FunctionalInterface
    public interface Epilogue {
        void block(int i0, int i1, int j0, int j1);
    }

    private Gemm() {
    }

    // ---------------------------------------------------------------- float

    /**
     * {@code C[m×n] = (accumulate ? C : 0) + op(A)·op(B)} in single precision; see the class comment
     * for the layouts.
     *
     * @param a          A, stored {@code [m, k]} row-major, or {@code [k, m]} when {@code transA}
     * @param aOff       index of A's first element in {@code a}
     * @param transA     whether A is stored transposed
     * @param b          B, stored {@code [k, n]} row-major, or {@code [n, k]} when {@code transB}
     * @param bOff       index of B's first element in {@code b}
     * @param transB     whether B is stored transposed
     * @param c          C, stored {@code [m, n]} row-major; must not overlap A or B
     * @param cOff       index of C's first element in {@code c}
     * @param m          rows of C
     * @param n          columns of C
     * @param k          the shared dimension
     * @param accumulate add to C instead of overwriting it
     * @throws IllegalArgumentException when a size is negative or an array is too short
     */
    public static void matmul(float[] a, int aOff, boolean transA, float[] b, int bOff, boolean transB,
                              float[] c, int cOff, int m, int n, int k, boolean accumulate) {
        matmul(a, aOff, transA, b, bOff, transB, c, cOff, m, n, k, accumulate, null, false);
    }

    /**
     * The product, then {@code epilogue} over each finished block of C, on the thread that computed
     * the block while it is still in cache (see {@link Epilogue}).
     *
     * @param epilogue     run once per block of C; null for none
     * @param wholeColumns every block spans all rows of C (the epilogue sums down columns)
     */
    public static void matmul(float[] a, int aOff, boolean transA, float[] b, int bOff, boolean transB,
                              float[] c, int cOff, int m, int n, int k, boolean accumulate,
                              Epilogue epilogue, boolean wholeColumns) {
        checkArgs(a.length, aOff, b.length, bOff, c.length, cOff, m, n, k);
        if (m == 0 || n == 0) {
            return;
        }
        if (k == 0) {
            if (!accumulate) {
                Arrays.fill(c, cOff, cOff + m * n, 0f);
            }
            if (epilogue != null) {
                epilogue.block(0, m, 0, n);
            }
            return;
        }
        if ((long) m * n * k < (m < ROW_UNIT ? SKINNY_PARALLEL_WORK : PARALLEL_WORK) || Parallel.threads() == 1) {
            blockF32(a, aOff, transA, b, bOff, transB, c, cOff, m, n, k, accumulate, 0, m, 0, n, SCRATCH.get());
            if (epilogue != null) {
                epilogue.block(0, m, 0, n);
            }
            return;
        }
        Task task = Task.acquire();
        try {
            task.f32(a, aOff, transA, b, bOff, transB, c, cOff, m, n, k, accumulate);
            task.epilogue = epilogue;
            task.wholeColumns = wholeColumns;
            task.runSplit();
        } finally {
            task.release();
        }
    }

    /** C[i0:i1, j0:j1] of the product, using {@code s} for the packed B panel. */
    static void blockF32(float[] a, int aOff, boolean transA, float[] b, int bOff, boolean transB,
                         float[] c, int cOff, int m, int n, int k, boolean accumulate,
                         int i0, int i1, int j0, int j1, Scratch s) {
        // A(i, p) = a[aOff + i * ri + p * pc]: A's elements are broadcast scalars in the kernels,
        // so a transposed A needs no copy (four rows at one p are even adjacent then)
        int ri = transA ? 1 : k;
        int pc = transA ? m : 1;
        if (Gemm.vector && transB && !transA && k >= DOT_K && n < 2 * VectorKernels.floatLanes()) {
            // a narrow output and a long k, both operands contiguous along k: vector dot products
            VectorKernels.dotsF32(a, aOff, b, bOff, c, cOff, n, k, i0, i1, j0, j1, accumulate, s.lanesF32());
            return;
        }
        if (transB && m < MR) {
            // a few rows against B stored [n, k]: dot products along k beat a transposed copy of B
            // (decided on the whole product, so that a row's arithmetic does not depend on the split)
            for (int i = i0; i < i1; i++) {
                for (int j = j0; j < j1; j++) {
                    float dot = dotF32(a, aOff + i * ri, pc, b, bOff + j * k, k);
                    int ci = cOff + i * n + j;
                    c[ci] = accumulate ? c[ci] + dot : dot;
                }
            }
            return;
        }
        // one k-slice and nothing to add to: the vector kernel writes C without reading it (no clearing)
        int slice = slice(k, n, Float.BYTES);
        boolean fresh = Gemm.vector && !accumulate && slice == k;
        if (!accumulate && !fresh) {
            for (int i = i0; i < i1; i++) {
                Arrays.fill(c, cOff + i * n + j0, cOff + i * n + j1, 0f);
            }
        }
        float[] bp = s.bF32();
        boolean vector = Gemm.vector;
        for (int jb = j0; jb < j1; jb += NC) {
            int w = Math.min(NC, j1 - jb);
            for (int pb = 0; pb < k; pb += slice) {
                int kc = Math.min(slice, k - pb);
                // the kernel's inner loop reads one dense row of the B panel [kc × w]: B's own rows
                // when B is stored [k, n], else a transposed copy
                float[] panel = b;
                int panelOff = bOff + pb * n + jb;
                int ldb = n;
                if (transB) {
                    // eight rows of B at a time: eight sequential reads, eight adjacent writes per step
                    int j = 0;
                    for (; j + 8 <= w; j += 8) {
                        int s0 = bOff + (jb + j) * k + pb;
                        for (int p = 0; p < kc; p++) {
                            int d = p * w + j;
                            int q = s0 + p;
                            bp[d] = b[q];
                            bp[d + 1] = b[q + k];
                            bp[d + 2] = b[q + 2 * k];
                            bp[d + 3] = b[q + 3 * k];
                            bp[d + 4] = b[q + 4 * k];
                            bp[d + 5] = b[q + 5 * k];
                            bp[d + 6] = b[q + 6 * k];
                            bp[d + 7] = b[q + 7 * k];
                        }
                    }
                    for (; j < w; j++) {
                        int src = bOff + (jb + j) * k + pb;
                        for (int p = 0; p < kc; p++) {
                            bp[p * w + j] = b[src + p];
                        }
                    }
                    panel = bp;
                    panelOff = 0;
                    ldb = w;
                } else if (w < n && i1 - i0 > PACK_ROWS) {
                    // rows of B n apart (4 KB at n = 1024) alias in the cache: a dense copy of the panel
                    for (int p = 0; p < kc; p++) {
                        System.arraycopy(b, panelOff + p * n, bp, p * w, w);
                    }
                    panel = bp;
                    panelOff = 0;
                    ldb = w;
                }
                if (vector) {
                    VectorKernels.kernelF32(a, aOff + i0 * ri + pb * pc, ri, pc, panel, panelOff, ldb,
                            c, cOff + i0 * n + jb, n, i1 - i0, w, kc, s.aF32(), fresh);
                } else {
                    kernelF32(a, aOff + i0 * ri + pb * pc, ri, pc, panel, panelOff, ldb,
                            c, cOff + i0 * n + jb, n, i1 - i0, w, kc);
                }
            }
        }
    }

    /** {@code sum_p a[aOff + p * pc] * b[bOff + p]} with eight partial sums. */
    private static float dotF32(float[] a, int aOff, int pc, float[] b, int bOff, int k) {
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
        int p = 0;
        int ap = aOff;
        for (; p + 8 <= k; p += 8, ap += 8 * pc) {
            s0 += a[ap] * b[bOff + p];
            s1 += a[ap + pc] * b[bOff + p + 1];
            s2 += a[ap + 2 * pc] * b[bOff + p + 2];
            s3 += a[ap + 3 * pc] * b[bOff + p + 3];
            s4 += a[ap + 4 * pc] * b[bOff + p + 4];
            s5 += a[ap + 5 * pc] * b[bOff + p + 5];
            s6 += a[ap + 6 * pc] * b[bOff + p + 6];
            s7 += a[ap + 7 * pc] * b[bOff + p + 7];
        }
        for (; p < k; p++, ap += pc) {
            s0 += a[ap] * b[bOff + p];
        }
        return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
    }

    /**
     * The micro-kernel: {@code C[mr × w] += A[mr × kc] · B[kc × w]} with A(i, p) at
     * {@code a[aOff + i * ri + p * pc]}, B packed with row stride {@code ldb}, C with row stride
     * {@code ldc}. Four rows of C and four steps of k per pass; the inner j loop is contiguous in B
     * and C (C2 in JDK 25 still runs it scalar, see the class comment).
     */
    static void kernelF32(float[] a, int aOff, int ri, int pc, float[] b, int bOff, int ldb,
                                  float[] c, int cOff, int ldc, int mr, int w, int kc) {
        int i = 0;
        for (; i + 4 <= mr; i += 4) {
            int r0 = aOff + i * ri;
            int r1 = r0 + ri;
            int r2 = r1 + ri;
            int r3 = r2 + ri;
            int c0 = cOff + i * ldc;
            int c1 = c0 + ldc;
            int c2 = c1 + ldc;
            int c3 = c2 + ldc;
            int p = 0;
            for (; p + 4 <= kc; p += 4) {
                int e0 = p * pc;
                int e1 = e0 + pc;
                int e2 = e1 + pc;
                int e3 = e2 + pc;
                float a00 = a[r0 + e0], a01 = a[r0 + e1], a02 = a[r0 + e2], a03 = a[r0 + e3];
                float a10 = a[r1 + e0], a11 = a[r1 + e1], a12 = a[r1 + e2], a13 = a[r1 + e3];
                float a20 = a[r2 + e0], a21 = a[r2 + e1], a22 = a[r2 + e2], a23 = a[r2 + e3];
                float a30 = a[r3 + e0], a31 = a[r3 + e1], a32 = a[r3 + e2], a33 = a[r3 + e3];
                int q0 = bOff + p * ldb;
                int q1 = q0 + ldb;
                int q2 = q1 + ldb;
                int q3 = q2 + ldb;
                for (int j = 0; j < w; j++) {
                    float x0 = b[q0 + j], x1 = b[q1 + j], x2 = b[q2 + j], x3 = b[q3 + j];
                    c[c0 + j] += a00 * x0 + a01 * x1 + a02 * x2 + a03 * x3;
                    c[c1 + j] += a10 * x0 + a11 * x1 + a12 * x2 + a13 * x3;
                    c[c2 + j] += a20 * x0 + a21 * x1 + a22 * x2 + a23 * x3;
                    c[c3 + j] += a30 * x0 + a31 * x1 + a32 * x2 + a33 * x3;
                }
            }
            for (; p < kc; p++) {
                int e = p * pc;
                float a0 = a[r0 + e], a1 = a[r1 + e], a2 = a[r2 + e], a3 = a[r3 + e];
                int q = bOff + p * ldb;
                for (int j = 0; j < w; j++) {
                    float x = b[q + j];
                    c[c0 + j] += a0 * x;
                    c[c1 + j] += a1 * x;
                    c[c2 + j] += a2 * x;
                    c[c3 + j] += a3 * x;
                }
            }
        }
        for (; i < mr; i++) {
            int r = aOff + i * ri;
            int c0 = cOff + i * ldc;
            int p = 0;
            for (; p + 4 <= kc; p += 4) {
                float a0 = a[r + p * pc], a1 = a[r + (p + 1) * pc], a2 = a[r + (p + 2) * pc], a3 = a[r + (p + 3) * pc];
                int q0 = bOff + p * ldb;
                int q1 = q0 + ldb;
                int q2 = q1 + ldb;
                int q3 = q2 + ldb;
                for (int j = 0; j < w; j++) {
                    c[c0 + j] += a0 * b[q0 + j] + a1 * b[q1 + j] + a2 * b[q2 + j] + a3 * b[q3 + j];
                }
            }
            for (; p < kc; p++) {
                float a0 = a[r + p * pc];
                int q = bOff + p * ldb;
                for (int j = 0; j < w; j++) {
                    c[c0 + j] += a0 * b[q + j];
                }
            }
        }
    }

    // ---------------------------------------------------------------- double

    /**
     * {@code C[m×n] = (accumulate ? C : 0) + op(A)·op(B)} in double precision; see the class comment
     * for the layouts.
     *
     * @param a          A, stored {@code [m, k]} row-major, or {@code [k, m]} when {@code transA}
     * @param aOff       index of A's first element in {@code a}
     * @param transA     whether A is stored transposed
     * @param b          B, stored {@code [k, n]} row-major, or {@code [n, k]} when {@code transB}
     * @param bOff       index of B's first element in {@code b}
     * @param transB     whether B is stored transposed
     * @param c          C, stored {@code [m, n]} row-major; must not overlap A or B
     * @param cOff       index of C's first element in {@code c}
     * @param m          rows of C
     * @param n          columns of C
     * @param k          the shared dimension
     * @param accumulate add to C instead of overwriting it
     * @throws IllegalArgumentException when a size is negative or an array is too short
     */
    public static void matmul(double[] a, int aOff, boolean transA, double[] b, int bOff, boolean transB,
                              double[] c, int cOff, int m, int n, int k, boolean accumulate) {
        matmul(a, aOff, transA, b, bOff, transB, c, cOff, m, n, k, accumulate, null, false);
    }

    /**
     * The product, then {@code epilogue} over each finished block of C, on the thread that computed
     * the block while it is still in cache (see {@link Epilogue}).
     *
     * @param epilogue     run once per block of C; null for none
     * @param wholeColumns every block spans all rows of C (the epilogue sums down columns)
     */
    public static void matmul(double[] a, int aOff, boolean transA, double[] b, int bOff, boolean transB,
                              double[] c, int cOff, int m, int n, int k, boolean accumulate,
                              Epilogue epilogue, boolean wholeColumns) {
        checkArgs(a.length, aOff, b.length, bOff, c.length, cOff, m, n, k);
        if (m == 0 || n == 0) {
            return;
        }
        if (k == 0) {
            if (!accumulate) {
                Arrays.fill(c, cOff, cOff + m * n, 0.0);
            }
            if (epilogue != null) {
                epilogue.block(0, m, 0, n);
            }
            return;
        }
        if ((long) m * n * k < (m < ROW_UNIT ? SKINNY_PARALLEL_WORK : PARALLEL_WORK) || Parallel.threads() == 1) {
            blockF64(a, aOff, transA, b, bOff, transB, c, cOff, m, n, k, accumulate, 0, m, 0, n, SCRATCH.get());
            if (epilogue != null) {
                epilogue.block(0, m, 0, n);
            }
            return;
        }
        Task task = Task.acquire();
        try {
            task.f64(a, aOff, transA, b, bOff, transB, c, cOff, m, n, k, accumulate);
            task.epilogue = epilogue;
            task.wholeColumns = wholeColumns;
            task.runSplit();
        } finally {
            task.release();
        }
    }

    /** C[i0:i1, j0:j1] of the product, using {@code s} for the packed B panel. */
    static void blockF64(double[] a, int aOff, boolean transA, double[] b, int bOff, boolean transB,
                         double[] c, int cOff, int m, int n, int k, boolean accumulate,
                         int i0, int i1, int j0, int j1, Scratch s) {
        // A(i, p) = a[aOff + i * ri + p * pc]: A's elements are broadcast scalars in the kernels,
        // so a transposed A needs no copy (four rows at one p are even adjacent then)
        int ri = transA ? 1 : k;
        int pc = transA ? m : 1;
        if (Gemm.vector && transB && !transA && k >= DOT_K && n < 2 * VectorKernels.doubleLanes()) {
            // a narrow output and a long k, both operands contiguous along k: vector dot products
            VectorKernels.dotsF64(a, aOff, b, bOff, c, cOff, n, k, i0, i1, j0, j1, accumulate, s.lanesF64());
            return;
        }
        if (transB && m < MR) {
            // a few rows against B stored [n, k]: dot products along k beat a transposed copy of B
            // (decided on the whole product, so that a row's arithmetic does not depend on the split)
            for (int i = i0; i < i1; i++) {
                for (int j = j0; j < j1; j++) {
                    double dot = dotF64(a, aOff + i * ri, pc, b, bOff + j * k, k);
                    int ci = cOff + i * n + j;
                    c[ci] = accumulate ? c[ci] + dot : dot;
                }
            }
            return;
        }
        // one k-slice and nothing to add to: the vector kernel writes C without reading it (no clearing)
        int slice = slice(k, n, Double.BYTES);
        boolean fresh = Gemm.vector && !accumulate && slice == k;
        if (!accumulate && !fresh) {
            for (int i = i0; i < i1; i++) {
                Arrays.fill(c, cOff + i * n + j0, cOff + i * n + j1, 0.0);
            }
        }
        double[] bp = s.bF64();
        boolean vector = Gemm.vector;
        for (int jb = j0; jb < j1; jb += NC) {
            int w = Math.min(NC, j1 - jb);
            for (int pb = 0; pb < k; pb += slice) {
                int kc = Math.min(slice, k - pb);
                // the kernel's inner loop reads one dense row of the B panel [kc × w]: B's own rows
                // when B is stored [k, n], else a transposed copy
                double[] panel = b;
                int panelOff = bOff + pb * n + jb;
                int ldb = n;
                if (transB) {
                    // eight rows of B at a time: eight sequential reads, eight adjacent writes per step
                    int j = 0;
                    for (; j + 8 <= w; j += 8) {
                        int s0 = bOff + (jb + j) * k + pb;
                        for (int p = 0; p < kc; p++) {
                            int d = p * w + j;
                            int q = s0 + p;
                            bp[d] = b[q];
                            bp[d + 1] = b[q + k];
                            bp[d + 2] = b[q + 2 * k];
                            bp[d + 3] = b[q + 3 * k];
                            bp[d + 4] = b[q + 4 * k];
                            bp[d + 5] = b[q + 5 * k];
                            bp[d + 6] = b[q + 6 * k];
                            bp[d + 7] = b[q + 7 * k];
                        }
                    }
                    for (; j < w; j++) {
                        int src = bOff + (jb + j) * k + pb;
                        for (int p = 0; p < kc; p++) {
                            bp[p * w + j] = b[src + p];
                        }
                    }
                    panel = bp;
                    panelOff = 0;
                    ldb = w;
                } else if (w < n && i1 - i0 > PACK_ROWS) {
                    // rows of B n apart (4 KB at n = 1024) alias in the cache: a dense copy of the panel
                    for (int p = 0; p < kc; p++) {
                        System.arraycopy(b, panelOff + p * n, bp, p * w, w);
                    }
                    panel = bp;
                    panelOff = 0;
                    ldb = w;
                }
                if (vector) {
                    VectorKernels.kernelF64(a, aOff + i0 * ri + pb * pc, ri, pc, panel, panelOff, ldb,
                            c, cOff + i0 * n + jb, n, i1 - i0, w, kc, s.aF64(), fresh);
                } else {
                    kernelF64(a, aOff + i0 * ri + pb * pc, ri, pc, panel, panelOff, ldb,
                            c, cOff + i0 * n + jb, n, i1 - i0, w, kc);
                }
            }
        }
    }

    /** {@code sum_p a[aOff + p * pc] * b[bOff + p]} with eight partial sums. */
    private static double dotF64(double[] a, int aOff, int pc, double[] b, int bOff, int k) {
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
        int p = 0;
        int ap = aOff;
        for (; p + 8 <= k; p += 8, ap += 8 * pc) {
            s0 += a[ap] * b[bOff + p];
            s1 += a[ap + pc] * b[bOff + p + 1];
            s2 += a[ap + 2 * pc] * b[bOff + p + 2];
            s3 += a[ap + 3 * pc] * b[bOff + p + 3];
            s4 += a[ap + 4 * pc] * b[bOff + p + 4];
            s5 += a[ap + 5 * pc] * b[bOff + p + 5];
            s6 += a[ap + 6 * pc] * b[bOff + p + 6];
            s7 += a[ap + 7 * pc] * b[bOff + p + 7];
        }
        for (; p < k; p++, ap += pc) {
            s0 += a[ap] * b[bOff + p];
        }
        return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
    }

    /**
     * The micro-kernel: {@code C[mr × w] += A[mr × kc] · B[kc × w]} with A(i, p) at
     * {@code a[aOff + i * ri + p * pc]}, B packed with row stride {@code ldb}, C with row stride
     * {@code ldc}. Four rows of C and four steps of k per pass; the inner j loop is contiguous in B
     * and C (C2 in JDK 25 still runs it scalar, see the class comment).
     */
    static void kernelF64(double[] a, int aOff, int ri, int pc, double[] b, int bOff, int ldb,
                                  double[] c, int cOff, int ldc, int mr, int w, int kc) {
        int i = 0;
        for (; i + 4 <= mr; i += 4) {
            int r0 = aOff + i * ri;
            int r1 = r0 + ri;
            int r2 = r1 + ri;
            int r3 = r2 + ri;
            int c0 = cOff + i * ldc;
            int c1 = c0 + ldc;
            int c2 = c1 + ldc;
            int c3 = c2 + ldc;
            int p = 0;
            for (; p + 4 <= kc; p += 4) {
                int e0 = p * pc;
                int e1 = e0 + pc;
                int e2 = e1 + pc;
                int e3 = e2 + pc;
                double a00 = a[r0 + e0], a01 = a[r0 + e1], a02 = a[r0 + e2], a03 = a[r0 + e3];
                double a10 = a[r1 + e0], a11 = a[r1 + e1], a12 = a[r1 + e2], a13 = a[r1 + e3];
                double a20 = a[r2 + e0], a21 = a[r2 + e1], a22 = a[r2 + e2], a23 = a[r2 + e3];
                double a30 = a[r3 + e0], a31 = a[r3 + e1], a32 = a[r3 + e2], a33 = a[r3 + e3];
                int q0 = bOff + p * ldb;
                int q1 = q0 + ldb;
                int q2 = q1 + ldb;
                int q3 = q2 + ldb;
                for (int j = 0; j < w; j++) {
                    double x0 = b[q0 + j], x1 = b[q1 + j], x2 = b[q2 + j], x3 = b[q3 + j];
                    c[c0 + j] += a00 * x0 + a01 * x1 + a02 * x2 + a03 * x3;
                    c[c1 + j] += a10 * x0 + a11 * x1 + a12 * x2 + a13 * x3;
                    c[c2 + j] += a20 * x0 + a21 * x1 + a22 * x2 + a23 * x3;
                    c[c3 + j] += a30 * x0 + a31 * x1 + a32 * x2 + a33 * x3;
                }
            }
            for (; p < kc; p++) {
                int e = p * pc;
                double a0 = a[r0 + e], a1 = a[r1 + e], a2 = a[r2 + e], a3 = a[r3 + e];
                int q = bOff + p * ldb;
                for (int j = 0; j < w; j++) {
                    double x = b[q + j];
                    c[c0 + j] += a0 * x;
                    c[c1 + j] += a1 * x;
                    c[c2 + j] += a2 * x;
                    c[c3 + j] += a3 * x;
                }
            }
        }
        for (; i < mr; i++) {
            int r = aOff + i * ri;
            int c0 = cOff + i * ldc;
            int p = 0;
            for (; p + 4 <= kc; p += 4) {
                double a0 = a[r + p * pc], a1 = a[r + (p + 1) * pc], a2 = a[r + (p + 2) * pc], a3 = a[r + (p + 3) * pc];
                int q0 = bOff + p * ldb;
                int q1 = q0 + ldb;
                int q2 = q1 + ldb;
                int q3 = q2 + ldb;
                for (int j = 0; j < w; j++) {
                    c[c0 + j] += a0 * b[q0 + j] + a1 * b[q1 + j] + a2 * b[q2 + j] + a3 * b[q3 + j];
                }
            }
            for (; p < kc; p++) {
                double a0 = a[r + p * pc];
                int q = bOff + p * ldb;
                for (int j = 0; j < w; j++) {
                    c[c0 + j] += a0 * b[q + j];
                }
            }
        }
    }

    // ---------------------------------------------------------------- shared

    /**
     * Steps along k per slice: k cut into the fewest slices whose B panel ({@code slice × min(n, NC)}
     * elements of {@code bytes} each) fits {@link #PANEL_BYTES}, at least {@value #KC} and at most
     * {@value #KC_MAX} steps, all of nearly the same length (784 = 4 × 196, not 3 × 256 + 16: a
     * 16-step slice pays the tiles' loads and stores of C for a sixteenth of the work). A narrow B
     * gets long slices: fashion_mlp's 128×256×784 is one slice (its 800 KB panel stays in L2), so its
     * tiles write C once without clearing or reading it (284–384 → 365–425 GFLOP/s alternating, 2
     * cores, AVX-512; 256×256×784 298–350 → 391–429; 1024³, three slices of 342 instead of four of
     * 256, unchanged at 425–435). Depends on the product's k and n alone, so every block of a
     * product slices k alike.
     */
    static int slice(int k, int n, int bytes) {
        int w = Math.min(n, NC);
        int most = Math.max(KC, Math.min(KC_MAX, PANEL_BYTES / (w * bytes)));
        int slices = Math.max(1, (k + most - 1) / most);
        return (k + slices - 1) / slices;
    }

    /** Bytes of B one k-slice's panel may hold: within a core's 1 MB L2, beside A's packed rows. */
    static final int PANEL_BYTES = 800 << 10;
    /** The longest k-slice (the packed rows of A hold 8 × this many elements). */
    static final int KC_MAX = 1024;

    private static void checkArgs(int aLen, int aOff, int bLen, int bOff, int cLen, int cOff, int m, int n, int k) {
        if (m < 0 || n < 0 || k < 0) {
            throw new IllegalArgumentException("Gemm: sizes must be >= 0, got m=" + m + " n=" + n + " k=" + k);
        }
        checkRange("A", aLen, aOff, (long) m * k);
        checkRange("B", bLen, bOff, (long) k * n);
        checkRange("C", cLen, cOff, (long) m * n);
    }

    private static void checkRange(String what, int length, int off, long need) {
        if (off < 0 || need > length - (long) off) {
            throw new IllegalArgumentException("Gemm: " + what + " needs " + need + " elements from offset " + off
                    + ", but the array holds " + length);
        }
    }

    /** This thread's 64 float lanes of scratch (a kernel's partial sums, a vector stored on its way out). */
    static float[] threadLanesF32() {
        return SCRATCH.get().lanesF32();
    }

    /** This thread's 64 double lanes of scratch. */
    static double[] threadLanesF64() {
        return SCRATCH.get().lanesF64();
    }

    /** Per-thread packed B panels and A row groups, allocated on first use. */
    static final class Scratch {
        private float[] bF32;
        private double[] bF64;
        private float[] aF32;
        private double[] aF64;

        private float[] lanesF32;
        private double[] lanesF64;

        /** The lanes of one vector of partial sums, added in lane order by the dot-product kernel. */
        float[] lanesF32() {
            if (lanesF32 == null) {
                lanesF32 = new float[64];
            }
            return lanesF32;
        }

        double[] lanesF64() {
            if (lanesF64 == null) {
                lanesF64 = new double[64];
            }
            return lanesF64;
        }

        /** The vector kernel's copy of a group of (at most 8) rows of A for one k-slice. */
        float[] aF32() {
            if (aF32 == null) {
                aF32 = new float[8 * KC_MAX];
            }
            return aF32;
        }

        double[] aF64() {
            if (aF64 == null) {
                aF64 = new double[8 * KC_MAX];
            }
            return aF64;
        }

        float[] bF32() {
            if (bF32 == null) {
                bF32 = new float[Math.max(KC * NC, PANEL_BYTES / Float.BYTES)];
            }
            return bF32;
        }

        double[] bF64() {
            if (bF64 == null) {
                bF64 = new double[Math.max(KC * NC, PANEL_BYTES / Double.BYTES)];
            }
            return bF64;
        }
    }

    /**
     * One parallel product: the arguments, and the split of C into units (blocks of {@link #ROW_UNIT}
     * rows, or of {@value #NR} columns). Reused per calling thread so a call allocates nothing.
     */
    private static final class Task implements Parallel.RangeBody {
        private static final ThreadLocal<Task> LOCAL = ThreadLocal.withInitial(Task::new);

        private boolean inUse;
        private boolean f64;
        private float[] af;
        private float[] bf;
        private float[] cf;
        private double[] ad;
        private double[] bd;
        private double[] cd;
        private int aOff;
        private int bOff;
        private int cOff;
        private int m;
        private int n;
        private int k;
        private boolean transA;
        private boolean transB;
        private boolean accumulate;
        private boolean byRows;
        private Epilogue epilogue;
        private boolean wholeColumns;

        static Task acquire() {
            Task t = LOCAL.get();
            if (t.inUse) {
                t = new Task();
            }
            t.inUse = true;
            return t;
        }

        void release() {
            af = bf = cf = null;
            ad = bd = cd = null;
            epilogue = null;
            wholeColumns = false;
            inUse = false;
        }

        void f32(float[] a, int aOff, boolean transA, float[] b, int bOff, boolean transB,
                 float[] c, int cOff, int m, int n, int k, boolean accumulate) {
            this.f64 = false;
            this.af = a;
            this.bf = b;
            this.cf = c;
            shape(aOff, transA, bOff, transB, cOff, m, n, k, accumulate);
        }

        void f64(double[] a, int aOff, boolean transA, double[] b, int bOff, boolean transB,
                 double[] c, int cOff, int m, int n, int k, boolean accumulate) {
            this.f64 = true;
            this.ad = a;
            this.bd = b;
            this.cd = c;
            shape(aOff, transA, bOff, transB, cOff, m, n, k, accumulate);
        }

        private void shape(int aOff, boolean transA, int bOff, boolean transB, int cOff,
                           int m, int n, int k, boolean accumulate) {
            this.aOff = aOff;
            this.transA = transA;
            this.bOff = bOff;
            this.transB = transB;
            this.cOff = cOff;
            this.m = m;
            this.n = n;
            this.k = k;
            this.accumulate = accumulate;
        }

        /**
         * Splits C into blocks of rows (or of columns when B is transposed, or when rows give too
         * few chunks to occupy the pool) and runs them on {@link Parallel}.
         */
        void runSplit() {
            if (m < ROW_UNIT) {
                byRows = false;
                Parallel.forRangePinned((n + NR - 1) / NR, this);
                return;
            }
            int rowUnits = (m + ROW_UNIT - 1) / ROW_UNIT;
            long rowGrain = Math.max(1, ceilDiv(CHUNK_WORK, (long) ROW_UNIT * n * k));
            int threads = Parallel.threads();
            if (!transB && n > NC) {
                // every block of rows copies the B panels it reads (see blockF32): one block per
                // thread pays that copy once per thread instead of four times (1024³ on 2 cores,
                // AVX-512: 316–340 → 376–401 GFLOP/s)
                rowGrain = Math.max(rowGrain, ceilDiv(rowUnits, threads));
            }
            int colUnits = (n + NR - 1) / NR;
            long colGrain = Math.max(1, ceilDiv(CHUNK_WORK, (long) m * NR * k));
            long rowChunks = rowUnits / rowGrain;
            long colChunks = colUnits / colGrain;
            // a transposed B is copied per panel: splitting by columns gives each thread its own
            // panels instead of every thread copying all of B
            byRows = transB ? colChunks < Math.min(rowChunks, threads) : rowChunks >= Math.min(colChunks, threads);
            if (wholeColumns) {
                byRows = false;
            }
            if (byRows) {
                Parallel.forRange(rowUnits, (int) Math.min(rowGrain, Integer.MAX_VALUE), this);
            } else {
                Parallel.forRange(colUnits, (int) Math.min(colGrain, Integer.MAX_VALUE), this);
            }
        }

        private static long ceilDiv(long x, long y) {
            return (x + y - 1) / y;
        }

        @Override
        public void run(int lo, int hi) {
            int i0 = 0;
            int i1 = m;
            int j0 = 0;
            int j1 = n;
            if (byRows) {
                i0 = lo * ROW_UNIT;
                i1 = Math.min(m, hi * ROW_UNIT);
            } else {
                j0 = lo * NR;
                j1 = Math.min(n, hi * NR);
            }
            Scratch s = SCRATCH.get();
            if (f64) {
                blockF64(ad, aOff, transA, bd, bOff, transB, cd, cOff, m, n, k, accumulate, i0, i1, j0, j1, s);
            } else {
                blockF32(af, aOff, transA, bf, bOff, transB, cf, cOff, m, n, k, accumulate, i0, i1, j0, j1, s);
            }
            if (epilogue != null) {
                epilogue.block(i0, i1, j0, j1);
            }
        }
    }
}
