package dev.nnc.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class GemmTest {

    private static final int[] SIZES = {0, 1, 7, 33, 65, 130};
    /** Junk around every matrix, to check that nothing outside it is read into C or written. */
    private static final int PAD = 5;
    private static final float JUNK = 1e30f;

    private int saved;

    @BeforeEach
    void save() {
        saved = Parallel.threads();
    }

    @AfterEach
    void restore() {
        Parallel.setThreads(saved);
        Gemm.useVectorApi(true);
    }

    @Test
    void theVectorApiIsAvailableToTheTests() {
        // surefire starts the JVM with --add-modules jdk.incubator.vector, so both kernels are tested
        assertTrue(Gemm.vectorAvailable(), "the Vector API module is missing: the vector kernel goes untested");
    }

    /** The obvious triple loop, in double, over the stored layouts. */
    private static double[] reference(double[] a, int aOff, boolean transA, double[] b, int bOff, boolean transB,
                                      double[] c0, int cOff, int m, int n, int k, boolean accumulate) {
        double[] c = new double[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = accumulate ? c0[cOff + i * n + j] : 0;
                for (int p = 0; p < k; p++) {
                    double x = transA ? a[aOff + p * m + i] : a[aOff + i * k + p];
                    double y = transB ? b[bOff + j * k + p] : b[bOff + p * n + j];
                    s += x * y;
                }
                c[i * n + j] = s;
            }
        }
        return c;
    }

    private static double[] random(Random r, int size) {
        double[] v = new double[size + 2 * PAD];
        for (int i = 0; i < v.length; i++) {
            v[i] = (i < PAD || i >= PAD + size) ? JUNK : r.nextDouble() * 2 - 1;
        }
        return v;
    }

    private static float[] toFloat(double[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            f[i] = (float) v[i];
        }
        return f;
    }

    private static void checkOne(Random r, int m, int n, int k, boolean transA, boolean transB, boolean accumulate) {
        double[] a = random(r, m * k);
        double[] b = random(r, k * n);
        double[] c = random(r, m * n);
        double[] expected = reference(a, PAD, transA, b, PAD, transB, c, PAD, m, n, k, accumulate);
        String what = "m=" + m + " n=" + n + " k=" + k + " transA=" + transA + " transB=" + transB + " acc=" + accumulate;

        float[] af = toFloat(a);
        float[] bf = toFloat(b);
        float[] cf = toFloat(c);
        Gemm.matmul(af, PAD, transA, bf, PAD, transB, cf, PAD, m, n, k, accumulate);
        double[] cd = c.clone();
        Gemm.matmul(a, PAD, transA, b, PAD, transB, cd, PAD, m, n, k, accumulate);
        for (int i = 0; i < m * n; i++) {
            double tolF = 1e-5 * (k + 1);
            double tolD = 1e-13 * (k + 1);
            if (Math.abs(cf[PAD + i] - expected[i]) > tolF) {
                fail("f32 " + what + ": C[" + i + "] = " + cf[PAD + i] + ", expected " + expected[i]);
            }
            if (Math.abs(cd[PAD + i] - expected[i]) > tolD) {
                fail("f64 " + what + ": C[" + i + "] = " + cd[PAD + i] + ", expected " + expected[i]);
            }
        }
        for (int i = 0; i < PAD; i++) {
            assertEquals(JUNK, cf[i], what);
            assertEquals(JUNK, cf[PAD + m * n + i], what);
            assertEquals(JUNK, cd[i], what);
            assertEquals(JUNK, cd[PAD + m * n + i], what);
        }
    }

    private static void checkAllSizes(Random r) {
        for (int m : SIZES) {
            for (int n : SIZES) {
                for (int k : SIZES) {
                    for (int t = 0; t < 4; t++) {
                        checkOne(r, m, n, k, (t & 1) != 0, (t & 2) != 0, false);
                        checkOne(r, m, n, k, (t & 1) != 0, (t & 2) != 0, true);
                    }
                }
            }
        }
    }

    @ParameterizedTest(name = "vector API {0}")
    @ValueSource(booleans = {true, false})
    void matchesTheReferenceAtAwkwardSizesSerial(boolean vector) {
        Gemm.useVectorApi(vector);
        Parallel.setThreads(1);
        checkAllSizes(new Random(1));
    }

    @ParameterizedTest(name = "vector API {0}")
    @ValueSource(booleans = {true, false})
    void matchesTheReferenceAtAwkwardSizesParallel(boolean vector) {
        Gemm.useVectorApi(vector);
        Parallel.setThreads(3);
        checkAllSizes(new Random(2));
    }

    /**
     * The same product on 1, 2, 3 and 4 threads is bitwise the same: every row of C is computed by
     * the same tile whatever rows a thread gets (8-row tiles with AVX-512, 5-row tiles otherwise, a
     * last group of 4, then single rows), and every column by the same column path; also when C is
     * accumulated onto. The build runs this class a second time with {@code -Dnnc.tallTiles=false}
     * (runtime/pom.xml), so the 5-row tiles and their row unit of 20 are checked on AVX-512 too.
     */
    @ParameterizedTest(name = "vector API {0}")
    @ValueSource(booleans = {true, false})
    void resultsDoNotDependOnTheNumberOfThreads(boolean vector) {
        Gemm.useVectorApi(vector);
        Random r = new Random(21);
        // the last three have fewer rows than a row unit: split by columns, one block per thread (pinned)
        int[][] shapes = {{140, 300, 520}, {133, 64, 300}, {12, 700, 400}, {20, 2000, 130}, {300, 40, 40},
            {1, 1000, 300}, {3, 333, 500}, {7, 130, 1100},
            // and two narrow outputs with a long k (vector dot products when B is transposed)
            {150, 6, 784}, {129, 13, 300}};
        for (int[] s : shapes) {
            int m = s[0], n = s[1], k = s[2];
            float[] a = new float[m * k];
            float[] b = new float[k * n];
            for (int i = 0; i < a.length; i++) a[i] = r.nextFloat() - 0.5f;
            for (int i = 0; i < b.length; i++) b[i] = r.nextFloat() - 0.5f;
            float[] c0 = new float[m * n];
            for (int i = 0; i < c0.length; i++) c0[i] = r.nextFloat();
            for (int t = 0; t < 8; t++) {
                boolean ta = (t & 1) != 0, tb = (t & 2) != 0, acc = (t & 4) != 0;
                float[] first = null;
                for (int threads = 1; threads <= 4; threads++) {
                    Parallel.setThreads(threads);
                    float[] c = acc ? c0.clone() : new float[m * n];
                    Gemm.matmul(a, 0, ta, b, 0, tb, c, 0, m, n, k, acc);
                    if (first == null) {
                        first = c;
                    } else {
                        assertArrayEquals(first, c, m + "x" + n + "x" + k + " transA " + ta + " transB " + tb
                                + " accumulate " + acc + ": " + threads + " threads against 1");
                    }
                }
            }
        }
    }

    @ParameterizedTest(name = "vector API {0}")
    @ValueSource(booleans = {true, false})
    void largeProductsSplitByRowsAndByColumns(boolean vector) {
        Gemm.useVectorApi(vector);
        Parallel.setThreads(4);
        Random r = new Random(3);
        int[][] shapes = {
            {300, 270, 260}, // rows, several k and n panels
            {2, 2000, 300},  // too few rows: split by columns
            {1, 1030, 513},  // one row, dot products when B is transposed
            {517, 3, 600},   // narrow C
            {25, 6, 784},    // transB: vector dot products (a conv1 weight gradient), odd rows, 2×3 groups
            {7, 31, 257},    // transB: dot products at the widest narrow output, k one past a multiple of 16
        };
        for (int[] s : shapes) {
            for (int t = 0; t < 4; t++) {
                checkOne(r, s[0], s[1], s[2], (t & 1) != 0, (t & 2) != 0, t % 2 == 0);
            }
        }
    }

    @Test
    void zeroKClearsOrKeepsC() {
        float[] c = {1, 2, 3, 4};
        Gemm.matmul(new float[0], 0, false, new float[0], 0, false, c, 0, 2, 2, 0, true);
        assertEquals(4f, c[3]);
        Gemm.matmul(new float[0], 0, false, new float[0], 0, false, c, 0, 2, 2, 0, false);
        assertEquals(0f, c[3]);
    }

    @Test
    void aAndCMayShareAnArray() {
        // the generated code keeps activations in one arena: A and C at different offsets
        double[] arena = new double[2 * 3 + 2 * 2];
        double[] a = {1, 2, 3, 4, 5, 6}; // [2, 3]
        System.arraycopy(a, 0, arena, 0, 6);
        double[] b = {1, 0, 0, 1, 1, 1}; // [3, 2]
        Gemm.matmul(arena, 0, false, b, 0, false, arena, 6, 2, 2, 3, false);
        assertEquals(4, arena[6]);
        assertEquals(5, arena[7]);
        assertEquals(10, arena[8]);
        assertEquals(11, arena[9]);
    }

    @Test
    void rejectsBadArguments() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Gemm.matmul(new float[5], 0, false, new float[6], 0, false, new float[4], 0, 2, 2, 3, false));
        assertTrue(e.getMessage().contains("A needs 6 elements from offset 0, but the array holds 5"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Gemm.matmul(new double[6], 0, false, new double[6], 0, false, new double[4], 1, 2, 2, 3, false));
        assertTrue(e.getMessage().contains("C needs 4 elements from offset 1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Gemm.matmul(new float[6], 0, false, new float[6], 0, false, new float[4], 0, -2, 2, 3, false));
        assertTrue(e.getMessage().contains("m=-2"), e.getMessage());
    }

    /**
     * The double-precision code of {@code file} (between the "double" and {@code endMark} section
     * marks) is its float code (between "float" and "double") with {@code replace}'s pairs applied:
     * the twins are kept by hand, and this catches a fix applied to only one of them.
     */
    static void assertTwins(String file, String endMark, String... replace) throws IOException {
        String src = Files.readString(Path.of("src/main/java/dev/nnc/runtime", file));
        String rule = "// ---------------------------------------------------------------- ";
        String f32 = src.substring(src.indexOf(rule + "float"), src.indexOf(rule + "double")).strip();
        String f64 = src.substring(src.indexOf(rule + "double"), src.indexOf(rule + endMark)).strip();
        String derived = f32;
        for (int i = 0; i < replace.length; i += 2) derived = derived.replace(replace[i], replace[i + 1]);
        assertEquals(derived, f64, file);
    }

    @Test
    void doublePathIsTheFloatPathWithTheTypeChanged() throws IOException {
        assertTwins("Gemm.java", "shared", "float", "double", "F32", "F64", "task.f32", "task.f64", "0f)", "0.0)", "Float.BYTES", "Double.BYTES",
                "single precision", "double precision");
    }

    @Test
    void vectorDoubleKernelsAreTheFloatOnesWithTheTypeChanged() throws IOException {
        assertTwins("VectorKernels.java", "end", "float", "double", "Float", "Double", "F32", "F64", "FS", "DS",
                "FL", "DL", "single precision", "double precision");
    }

    /**
     * The epilogue sees every element of C exactly once, after the element is final, from the
     * thread that computed it; with wholeColumns every block spans all rows.
     */
    @Test
    void epilogueCoversEveryFinishedBlockOnce() {
        Random r = new Random(11);
        for (int threads : new int[] {1, 2, 4}) {
            Parallel.setThreads(threads);
            for (int[] mnk : new int[][] {{3, 5, 4}, {130, 256, 784}, {128, 256, 10}, {784, 256, 128}, {64, 64, 0}}) {
                int m = mnk[0], n = mnk[1], k = mnk[2];
                for (boolean transB : new boolean[] {false, true}) {
                    for (boolean whole : new boolean[] {false, true}) {
                        float[] a = new float[m * k];
                        float[] b = new float[k * n];
                        for (int i = 0; i < a.length; i++) a[i] = r.nextFloat() - 0.5f;
                        for (int i = 0; i < b.length; i++) b[i] = r.nextFloat() - 0.5f;
                        float[] expected = new float[m * n];
                        Gemm.matmul(a, 0, false, b, 0, transB, expected, 0, m, n, k, false);
                        float[] c = new float[m * n];
                        float[] seen = new float[m * n];
                        int[] visits = new int[m * n];
                        String where = threads + " threads, " + m + "x" + n + "x" + k + " transB " + transB
                                + " whole " + whole;
                        Gemm.matmul(a, 0, false, b, 0, transB, c, 0, m, n, k, false, (i0, i1, j0, j1) -> {
                            if (whole && (i0 != 0 || i1 != m)) fail("a block of some rows only: " + where);
                            for (int i = i0; i < i1; i++) {
                                for (int j = j0; j < j1; j++) {
                                    synchronized (visits) {
                                        visits[i * n + j]++;
                                    }
                                    seen[i * n + j] = c[i * n + j];
                                }
                            }
                        }, whole);
                        for (int i = 0; i < m * n; i++) {
                            assertEquals(1, visits[i], "element " + i + " visited, " + where);
                            assertEquals(expected[i], seen[i], 0f, "element " + i + " final when seen, " + where);
                        }
                    }
                }
            }
        }
    }
}
