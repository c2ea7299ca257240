package dev.nnc.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link Conv} against a direct six-loop convolution written here, for the forward pass and both
 * gradients, in float and double, over geometries with strides, asymmetric padding, dilation and
 * 1×1 kernels; the weight gradient is the same to the bit on 1 and 3 threads.
 */
class ConvTest {
    /** c, h, w, o, kh, kw, sh, sw, pt, pb, pl, pr, dh, dw */
    private static final int[][] GEOMETRIES = {
        {1, 28, 28, 6, 5, 5, 1, 1, 2, 2, 2, 2, 1, 1},
        {6, 14, 14, 16, 5, 5, 1, 1, 0, 0, 0, 0, 1, 1},
        {3, 7, 6, 4, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1},
        {2, 6, 5, 3, 2, 3, 2, 1, 1, 0, 0, 1, 1, 2},
        // 1×1, stride 1, no padding: the products read the tensors in place (pointwise)
        {4, 5, 5, 2, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1},
        {16, 6, 7, 24, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1},
        // 1×1 that still needs im2col: a stride, padding
        {5, 7, 7, 4, 1, 1, 2, 2, 0, 0, 0, 0, 1, 1},
        {3, 4, 4, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1},
        // one input channel, stride and dilation 1: the direct kernel (VectorConv) with 3 and 5 filters
        {1, 9, 7, 3, 3, 2, 1, 1, 1, 0, 0, 1, 1, 1},
        {1, 6, 20, 5, 2, 3, 1, 1, 0, 1, 1, 1, 1, 1},
        // a float vector's worth of filters or more (16 with AVX-512, 8 with AVX2): the window products
        // (VectorConv) where their buffers fit: padding; fewer output positions than a tile (one row at
        // a time); 40 filters (an odd number of vectors; its weight gradient fits with AVX2 only);
        // strides and dilation (the weight gradient of the first: im2col; of the second: windows with
        // AVX2 only); 20 filters (the weight gradient's rows are wider than O: compacted)
        {8, 7, 7, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1},
        {4, 4, 4, 16, 3, 3, 1, 1, 0, 0, 0, 0, 1, 1},
        {8, 9, 11, 40, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1},
        {12, 6, 5, 20, 3, 3, 1, 2, 1, 1, 0, 1, 2, 1},
        {9, 11, 10, 24, 3, 3, 2, 1, 2, 0, 1, 2, 1, 2},
        {16, 12, 12, 20, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1},
        // fewer filters than a vector, rows of 16 or more output columns: the weight gradient's
        // column kernel, with a last chunk overlapping the one before (19, 34 and 38 columns), a
        // vertical stride and dilation, partial tiles (27 taps, 7 and 5 filters) and fewer filters
        // than a tile (2: one tap and filter at a time)
        {3, 9, 20, 7, 3, 3, 2, 1, 1, 1, 0, 1, 1, 1},
        {3, 5, 37, 2, 2, 2, 1, 1, 0, 0, 0, 0, 2, 3},
        {4, 6, 40, 5, 2, 3, 1, 1, 0, 0, 1, 1, 1, 2},
        // one input channel, 17 filters: the direct kernel's groups of six, the last one rerun in part
        {1, 16, 16, 17, 5, 5, 1, 1, 2, 2, 2, 2, 1, 1},
        // 16 filters with strides and dilation on both axes: both window products on either width
        {8, 13, 13, 16, 3, 3, 2, 2, 1, 1, 1, 1, 2, 2},
    };

    /** Geometries whose weight gradient runs the column kernel with 8- and 16-float vectors. */
    private static final int[][] COLUMNS = {GEOMETRIES[0], GEOMETRIES[16], GEOMETRIES[17], GEOMETRIES[18]};

    /** Geometries whose forward pass and weight gradient run the window products with 8- and 16-float vectors. */
    private static final int[][] WINDOWED = {GEOMETRIES[1], GEOMETRIES[10], GEOMETRIES[11], GEOMETRIES[15], GEOMETRIES[20]};

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

    private static int out(int in, int k, int s, int p0, int p1, int d) {
        return (in + p0 + p1 - d * (k - 1) - 1) / s + 1;
    }

    /** The direct convolution in double: y, dx (from g) and dw (from x and g). */
    private static double[][] direct(int[] g, int n, double[] x, double[] w, double[] dy) {
        int c = g[0], h = g[1], wd = g[2], o = g[3], kh = g[4], kw = g[5], sh = g[6], sw = g[7], pt = g[8], pl = g[10];
        int dh = g[12], dw = g[13];
        int oh = out(h, kh, sh, g[8], g[9], dh);
        int ow = out(wd, kw, sw, g[10], g[11], dw);
        double[] y = new double[n * o * oh * ow];
        double[] dx = new double[n * c * h * wd];
        double[] dW = new double[o * c * kh * kw];
        for (int s = 0; s < n; s++) {
            for (int oc = 0; oc < o; oc++) {
                for (int i = 0; i < oh; i++) {
                    for (int j = 0; j < ow; j++) {
                        int yi = ((s * o + oc) * oh + i) * ow + j;
                        for (int ci = 0; ci < c; ci++) {
                            for (int p = 0; p < kh; p++) {
                                for (int q = 0; q < kw; q++) {
                                    int r = i * sh - pt + p * dh;
                                    int col = j * sw - pl + q * dw;
                                    if (r < 0 || r >= h || col < 0 || col >= wd) continue;
                                    int xi = ((s * c + ci) * h + r) * wd + col;
                                    int wi = ((oc * c + ci) * kh + p) * kw + q;
                                    y[yi] += x[xi] * w[wi];
                                    dx[xi] += dy[yi] * w[wi];
                                    dW[wi] += dy[yi] * x[xi];
                                }
                            }
                        }
                    }
                }
            }
        }
        return new double[][] {y, dx, dW};
    }

    private static double[] random(Random r, int size) {
        double[] a = new double[size];
        for (int i = 0; i < a.length; i++) a[i] = r.nextGaussian();
        return a;
    }

    private static float[] f32(double[] a) {
        float[] f = new float[a.length];
        for (int i = 0; i < a.length; i++) f[i] = (float) a[i];
        return f;
    }

    private static Conv conv(int[] g) {
        int oh = out(g[1], g[4], g[6], g[8], g[9], g[12]);
        int ow = out(g[2], g[5], g[7], g[10], g[11], g[13]);
        return new Conv(g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7], g[8], g[10], g[12], g[13], oh, ow);
    }

    @Test
    void matchesTheDirectConvolutionInBothPrecisions() {
        matchesTheDirectConvolution();
    }

    /** The plain-Java passes (im2col + GEMM, col2im one element at a time), as without the module. */
    @Test
    void matchesTheDirectConvolutionWithoutTheVectorApi() {
        Gemm.useVectorApi(false);
        matchesTheDirectConvolution();
    }

    private void matchesTheDirectConvolution() {
        Random rnd = new Random(1);
        for (int[] g : GEOMETRIES) {
            for (int n : new int[] {1, 3}) {
                int oh = out(g[1], g[4], g[6], g[8], g[9], g[12]);
                int ow = out(g[2], g[5], g[7], g[10], g[11], g[13]);
                double[] x = random(rnd, n * g[0] * g[1] * g[2]);
                double[] w = random(rnd, g[3] * g[0] * g[4] * g[5]);
                double[] dy = random(rnd, n * g[3] * oh * ow);
                double[][] want = direct(g, n, x, w, dy);
                Conv conv = conv(g);
                int work = (int) Conv.workPerSample(g[0], g[4], g[5], g[3], oh, ow, true) * n;
                // offsets inside larger arrays, as in an arena
                double[] yd = new double[want[0].length + 3];
                double[] dxd = new double[want[1].length + 2];
                double[] dwd = new double[want[2].length + 1];
                // the scratch 17 elements in, so that every sample's col2im may read a vector before
                // its im2col rows (the gather; see VectorConv.gatherReach)
                double[] wk = new double[work + 17];
                conv.forward(n, x, 0, w, 0, yd, 3, wk, 17);
                conv.inputGrad(n, dy, 0, w, 0, dxd, 2, wk, 17);
                conv.weightGrad(n, x, 0, dy, 0, dwd, 1, wk, 17);
                assertClose(want[0], yd, 3, 1e-12);
                assertClose(want[1], dxd, 2, 1e-12);
                assertClose(want[2], dwd, 1, 1e-12);
                float[] yf = new float[want[0].length];
                float[] dxf = new float[want[1].length];
                float[] dwf = new float[want[2].length];
                float[] wkf = new float[work + 17];
                conv.forward(n, f32(x), 0, f32(w), 0, yf, 0, wkf, 17);
                conv.inputGrad(n, f32(dy), 0, f32(w), 0, dxf, 0, wkf, 17);
                conv.weightGrad(n, f32(x), 0, f32(dy), 0, dwf, 0, wkf, 17);
                assertClose(want[0], toDouble(yf), 0, 1e-4);
                assertClose(want[1], toDouble(dxf), 0, 1e-4);
                assertClose(want[2], toDouble(dwf), 0, 1e-4);
            }
        }
    }

    @Test
    void theWindowProductsRunWhereTheyFit() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Gemm.vectorAvailable(), "no jdk.incubator.vector");
        // the geometries were chosen for AVX2 and AVX-512 (other widths move the thresholds)
        org.junit.jupiter.api.Assumptions.assumeTrue(VectorConv.floatLanes() == 8 || VectorConv.floatLanes() == 16,
                "vectors of " + VectorConv.floatLanes() + " floats");
        for (int[] g : WINDOWED) {
            Conv conv = conv(g);
            assertTrue(conv.usesWindows(false) && conv.usesWindows(true), java.util.Arrays.toString(g));
        }
        // fewer filters than a float vector: lanes along the output columns for the weight gradient
        assertFalse(conv(GEOMETRIES[0]).usesWindows(true));
        for (int[] g : COLUMNS) {
            assertTrue(conv(g).usesColumns(), java.util.Arrays.toString(g));
        }
        // a 1×1 kernel with stride 1 and no padding reads the tensors in place (24 filters: wide enough)
        assertFalse(conv(GEOMETRIES[5]).usesWindows(false));
        assertFalse(conv(GEOMETRIES[5]).usesWindows(true));
        // -Dnnc.windowConv=false turns them off (for comparisons)
        System.setProperty("nnc.windowConv", "false");
        try {
            assertFalse(conv(GEOMETRIES[1]).usesWindows(false));
        } finally {
            System.clearProperty("nnc.windowConv");
        }
    }

    /**
     * An infinite input gives the column kernel's weight gradient the infinities and NaNs of the
     * im2col path, element for element: its chunks' repeated lanes multiply zero by zero, not zero
     * by the input (columns 14 and 22 reach the repeated lanes with 16- and 8-float vectors).
     */
    @Test
    void infiniteInputsGiveTheIm2colPathsNonFiniteWeightGradients() {
        int[] g = GEOMETRIES[0];
        int n = 2;
        Random rnd = new Random(3);
        float[] x = f32(random(rnd, n * 28 * 28));
        x[5 * 28 + 14] = Float.POSITIVE_INFINITY;
        x[28 * 28 + 9 * 28 + 22] = Float.NEGATIVE_INFINITY;
        float[] dy = f32(random(rnd, n * 6 * 28 * 28));
        float[] work = new float[(int) Conv.workPerSample(1, 5, 5, 6, 28, 28, true) * n + 40];
        float[] columns = new float[6 * 25];
        float[] im2col = new float[6 * 25];
        conv(g).weightGrad(n, x, 0, dy, 0, columns, 0, work, 20);
        System.setProperty("nnc.windowConv", "false");
        try {
            conv(g).weightGrad(n, x, 0, dy, 0, im2col, 0, work, 20);
        } finally {
            System.clearProperty("nnc.windowConv");
        }
        int nonFinite = 0;
        for (int i = 0; i < columns.length; i++) {
            if (Float.isFinite(im2col[i])) {
                assertTrue(Float.isFinite(columns[i]), "element " + i + ": " + columns[i]);
            } else {
                nonFinite++;
                assertEquals(im2col[i], columns[i], "element " + i); // the same infinity, or both NaN
            }
        }
        assertTrue(nonFinite > 0, "the infinities reach the gradient");
    }

    @Test
    void weightGradientIsTheSameOnAnyNumberOfThreads() {
        int[] g = GEOMETRIES[1];
        int n = 17;
        Random rnd = new Random(2);
        float[] x = f32(random(rnd, n * 6 * 14 * 14));
        float[] dy = f32(random(rnd, n * 16 * 10 * 10));
        Conv conv = conv(g);
        float[] work = new float[(int) Conv.workPerSample(6, 5, 5, 16, 10, 10, true) * n];
        float[][] results = new float[2][16 * 6 * 25];
        int[] threads = {1, 3};
        for (int t = 0; t < 2; t++) {
            Parallel.setThreads(threads[t]);
            conv.weightGrad(n, x, 0, dy, 0, results[t], 0, work, 0);
        }
        assertArrayEquals(results[0], results[1]);
    }

    /** The double section of VectorConv is its float one with the element type changed. */
    @Test
    void vectorConvDoubleSectionIsTheFloatOne() throws java.io.IOException {
        GemmTest.assertTwins("VectorConv.java", "end", "float", "double", "Float", "Double", "F32", "F64", "FS", "DS",
                "FL", "DL", "Ints", "Longs", "Double.intBitsToDouble(-1)", "Double.longBitsToDouble(-1L)");
    }

    /** The double section of Conv is the float one with the element type changed (kept by hand; see GemmTest). */
    @Test
    void doubleSectionIsTheFloatOne() throws java.io.IOException {
        GemmTest.assertTwins("Conv.java", "shared", "float", "double", "F32", "F64", "0f", "0d", "flt", "dbl",
                "f64 = false", "f64 = true");
    }

    private static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }

    private static void assertClose(double[] want, double[] got, int off, double tol) {
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], got[off + i], tol * Math.max(1, Math.abs(want[i])), "element " + i);
        }
    }
}
