package dev.nnc.runtime;

/**
 * 2-D convolution for generated code, on NCHW tensors with the weight stored {@code [O, C, KH, KW]}
 * (PyTorch's layout): the forward pass, the input gradient and the weight gradient, each through
 * {@link Gemm} on an im2col matrix that lives in scratch memory the compiler planned
 * ({@code work}, per sample, see {@link #workPerSample}); or, with the Vector API in use and where
 * their buffers fit that scratch, the forward pass and the weight gradient through
 * {@link VectorConv}'s window products and column kernel, which read a zero-padded copy of the
 * sample in place (no im2col matrix; docs/performance.md).
 *
 * <p>One instance per distinct geometry in a generated model, created once: it keeps the
 * geometry and, during a call, the operands, so that splitting the batch across {@link Parallel}
 * allocates nothing. Samples are independent in the forward pass and the input gradient; the
 * weight gradient sums one partial product per sample, added in sample order after the parallel
 * part, so the result does not depend on the number of threads. An instance is not reentrant (a
 * model is used by one thread at a time).
 *
 * <p>Per sample s: {@code cols = im2col(x_s)} is {@code [C·KH·KW, OH·OW]};
 * <ul>
 *   <li>forward: {@code y_s [O, OH·OW] = W [O, C·KH·KW] · cols};</li>
 *   <li>input gradient: {@code dcols = Wᵀ · g_s}, then {@code dx_s = col2im(dcols)} (sums where windows overlap);</li>
 *   <li>weight gradient: {@code dW = Σ_s g_s · colsᵀ}.</li>
 * </ul>
 * The float and double paths are the same code with the element type changed.
 */
public final class Conv implements Parallel.RangeBody {
    private final int c;
    private final int h;
    private final int w;
    private final int o;
    private final int kh;
    private final int kw;
    private final int sh;
    private final int sw;
    private final int pt;
    private final int pl;
    private final int dh;
    private final int dw;
    private final int oh;
    private final int ow;
    private final int ckk;
    private final int ohw;
    /**
     * A 1×1 kernel with stride 1 and no padding: a sample's im2col matrix is the sample itself
     * ({@code [C, H·W]}), so the three products read and write the tensors in place, without
     * im2col or col2im (the same values in the same layout: the same results).
     */
    private final boolean pointwise;
    /** One input channel, stride and dilation 1: the forward pass runs {@link VectorConv}'s direct kernel. */
    private final boolean oneChannel;
    /** Height and width of the zero-padded image the window products read: what the taps reach. */
    private final int padH;
    private final int padW;
    /**
     * Offsets in the padded image: of each output position's first tap ({@code [OH·OW]}, for the
     * window products), and of each tap from there ({@code [C·KH·KW]}, for them and the column
     * kernel); empty where those kernels do not run.
     */
    private final int[] posOff;
    private final int[] tapOff;
    /** Output channels rounded up to whole float and double vectors: the rows of the window products' operands. */
    private final int fltOv;
    private final int dblOv;
    /**
     * The forward pass and the weight gradient through {@link VectorConv}'s window products (no
     * im2col matrix; see {@code windowProductF32}) when the Vector API is in use and their buffers
     * fit in the sample's planned scratch.
     */
    private final boolean windowForward;
    private final boolean windowWeightGrad;
    /**
     * The weight gradient through {@link VectorConv}'s column kernel (lanes along the output
     * columns; see {@code columnWeightGradF32}) for fewer filters than a vector, stride 1 along the
     * rows and rows of at least a vector, when its buffers fit in the sample's planned scratch.
     */
    private final boolean columnWeightGrad;
    /** col2im's lane masks for rows of OW columns (see {@code VectorConv.inRangeF32}); null without the Vector API or with a horizontal stride. */
    private final float[] fltInRange;
    private final double[] dblInRange;
    /** The column kernel's chunk masks (see {@code VectorConv.columnKeepF32}); null where it does not run. */
    private final float[] fltKeep;
    private final double[] dblKeep;
    /** The weight transposed, {@code [C·KH·KW, ov]} with zero columns past O: the window forward pass's right operand. */
    private float[] fltWeightsT;
    private double[] dblWeightsT;

    /** What the parallel part of the running call does. */
    private enum Pass { FORWARD, INPUT_GRAD, WEIGHT_GRAD, WEIGHT_GRAD_SUM }

    private Pass pass;
    private boolean f64;
    /** Whether the running call uses the Vector API kernels (decided once per call). */
    private boolean vec;
    private float[] fltA;
    private float[] fltB;
    private float[] fltOut;
    private float[] fltWork;
    private double[] dblA;
    private double[] dblB;
    private double[] dblOut;
    private double[] dblWork;
    private int aOff;
    private int bOff;
    private int outOff;
    private int workOff;
    /** Samples of the running weight gradient (for its final sum), or of the running chunked forward pass. */
    private int samples;
    /** The output's epilogue of the running chunked forward pass ({@link #forward(int, float[], int, float[], int, float[], int, float[], int, Parallel.RangeBody)}), else null. */
    private Parallel.RangeBody epilogue;

    /** Samples per chunk of a forward pass with an epilogue: the generated kernels' chunks of rows. */
    public static final int CHUNK = 16;

    /**
     * @param c  input channels
     * @param h  input height
     * @param w  input width
     * @param o  output channels
     * @param kh kernel height
     * @param kw kernel width
     * @param sh vertical stride
     * @param sw horizontal stride
     * @param pt zero rows above the input
     * @param pl zero columns left of the input
     * @param dh vertical dilation
     * @param dw horizontal dilation
     * @param oh output height
     * @param ow output width
     */
    public Conv(int c, int h, int w, int o, int kh, int kw, int sh, int sw, int pt, int pl, int dh, int dw, int oh,
            int ow) {
        if (c < 1 || h < 1 || w < 1 || o < 1 || kh < 1 || kw < 1 || sh < 1 || sw < 1 || pt < 0 || pl < 0 || dh < 1
                || dw < 1 || oh < 1 || ow < 1) {
            throw new IllegalArgumentException("bad convolution geometry");
        }
        this.c = c;
        this.h = h;
        this.w = w;
        this.o = o;
        this.kh = kh;
        this.kw = kw;
        this.sh = sh;
        this.sw = sw;
        this.pt = pt;
        this.pl = pl;
        this.dh = dh;
        this.dw = dw;
        this.oh = oh;
        this.ow = ow;
        this.ckk = Math.multiplyExact(c, Math.multiplyExact(kh, kw));
        this.ohw = Math.multiplyExact(oh, ow);
        this.pointwise = kh == 1 && kw == 1 && sh == 1 && sw == 1 && pt == 0 && pl == 0 && oh == h && ow == w;
        boolean vectors = Gemm.vectorAvailable();
        // the direct kernel's padded image lives in the sample's im2col scratch, when it fits there
        this.oneChannel = c == 1 && sh == 1 && sw == 1 && dh == 1 && dw == 1 && vectors
                && VectorConv.paddedSize(o, oh, ow, kh, kw) <= (long) ckk * ohw;
        this.padH = (oh - 1) * sh + (kh - 1) * dh + 1;
        this.padW = (ow - 1) * sw + (kw - 1) * dw + 1;
        this.fltInRange = vectors && sw == 1 ? VectorConv.inRangeF32(ow) : null;
        this.dblInRange = vectors && sw == 1 ? VectorConv.inRangeF64(ow) : null;
        boolean windows = vectors && !"false".equals(System.getProperty("nnc.windowConv"));
        // lanes along the filters want at least one whole float vector of them: with fewer, most
        // lanes idle and transposing the output gradient costs what im2col did (LeNet5's conv1, 6
        // filters: weight gradient 519 µs through im2col against 748 through the window product,
        // AVX2, batch 128); then lanes along the output columns, when the rows are long enough
        boolean wide = windows && o >= VectorConv.floatLanes();
        this.fltOv = vectors ? roundUp(o, VectorConv.floatLanes()) : o;
        this.dblOv = vectors ? roundUp(o, VectorConv.doubleLanes()) : o;
        // in the sample's im2col scratch: the padded image, then the transposed output (forward) or
        // the transposed output gradient, and the sample's transposed weight gradient when its rows
        // are wider than the partial product's (O not a whole number of vectors)
        long image = (long) c * padH * padW;
        long ov = Math.max(fltOv, dblOv); // the float one: a float vector holds a whole double vector
        long cols = (long) ckk * ohw;
        this.windowForward = wide && !pointwise && !oneChannel && image + ohw * ov <= cols;
        this.windowWeightGrad = wide && !pointwise && image + ohw * ov + (ov == o ? 0 : ckk * ov) <= cols;
        this.columnWeightGrad = windows && !wide && !pointwise && sw == 1 && ow >= VectorConv.floatLanes()
                && image + VectorConv.columnsSize(o, oh, ow) <= cols;
        this.fltKeep = columnWeightGrad ? VectorConv.columnKeepF32(ow) : null;
        this.dblKeep = columnWeightGrad ? VectorConv.columnKeepF64(ow) : null;
        // the offset tables, for the kernels that read them (taps: both; positions: window products)
        boolean windowed = windowForward || windowWeightGrad;
        this.posOff = new int[windowed ? ohw : 0];
        this.tapOff = new int[windowed || columnWeightGrad ? ckk : 0];
        if (windowed) {
            for (int i = 0; i < oh; i++) {
                for (int j = 0; j < ow; j++) posOff[i * ow + j] = i * sh * padW + j * sw;
            }
        }
        if (windowed || columnWeightGrad) {
            for (int ci = 0, r = 0; ci < c; ci++) {
                for (int p = 0; p < kh; p++) {
                    for (int q = 0; q < kw; q++) tapOff[r++] = (ci * padH + p * dh) * padW + q * dw;
                }
            }
        }
    }

    /** Whether this geometry's forward pass (or weight gradient) runs the window product when vectors are in use. */
    boolean usesWindows(boolean weightGrad) {
        return weightGrad ? windowWeightGrad : windowForward;
    }

    /** Whether this geometry's weight gradient runs the column kernel when vectors are in use. */
    boolean usesColumns() {
        return columnWeightGrad;
    }

    private static int roundUp(int n, int unit) {
        return Math.multiplyExact((n + unit - 1) / unit, unit);
    }

    /** Scratch elements per sample: an im2col matrix, and for the weight gradient its partial product. */
    public static long workPerSample(int c, int kh, int kw, int o, int oh, int ow, boolean weightGrad) {
        long cols = (long) c * kh * kw * oh * ow;
        return weightGrad ? cols + (long) o * c * kh * kw : cols;
    }

    // ---------------------------------------------------------------- float

    /** {@code y = conv(x, wt)} for {@code n} samples; {@code work} holds {@code n · workPerSample} elements. */
    public void forward(int n, float[] x, int xOff, float[] wt, int wOff, float[] y, int yOff, float[] work, int wkOff) {
        setF32(Pass.FORWARD, x, xOff, wt, wOff, y, yOff, work, wkOff);
        Parallel.forRange(n, 1, this);
        clear();
    }

    /**
     * {@code y = conv(x, wt)} with the output's epilogue (bias, activation, pool) run chunk by
     * chunk: the samples of chunk c (the {@value #CHUNK} from c · {@value #CHUNK}) are convolved,
     * then {@code epilogue.run(c, c + 1)} runs on the same thread while their outputs are still in
     * cache. The chunks are split across the pool; each sample's arithmetic is {@link #forward}'s.
     */
    public void forward(int n, float[] x, int xOff, float[] wt, int wOff, float[] y, int yOff, float[] work, int wkOff,
            Parallel.RangeBody epilogue) {
        java.util.Objects.requireNonNull(epilogue, "epilogue");
        setF32(Pass.FORWARD, x, xOff, wt, wOff, y, yOff, work, wkOff);
        runChunks(n, epilogue);
    }

    /** {@code dx} (overwritten) from the output gradient {@code g} and the weight. */
    public void inputGrad(int n, float[] g, int gOff, float[] wt, int wOff, float[] dx, int dxOff, float[] work,
            int wkOff) {
        setF32(Pass.INPUT_GRAD, g, gOff, wt, wOff, dx, dxOff, work, wkOff);
        Parallel.forRange(n, 1, this);
        clear();
    }

    /** {@code dW} (overwritten) from the input {@code x} and the output gradient {@code g}. */
    public void weightGrad(int n, float[] x, int xOff, float[] g, int gOff, float[] dW, int dwOff, float[] work,
            int wkOff) {
        setF32(Pass.WEIGHT_GRAD, x, xOff, g, gOff, dW, dwOff, work, wkOff);
        Parallel.forRange(n, 1, this);
        // the samples' partial products summed per weight element, in sample order (the same sum on
        // any number of threads), the elements split across the pool
        pass = Pass.WEIGHT_GRAD_SUM;
        samples = n;
        Parallel.forRange(ckk, Math.max(1, (1 << 14) / Math.max(1, o * n)), this);
        clear();
    }

    /** dW[oi, ci] for ci in [lo, hi): the sum over the samples of their dWᵀ [ckk, o] partials. */
    private void weightGradSumF32(int lo, int hi) {
        int per = perSample(Pass.WEIGHT_GRAD);
        int first = workOff + ckk * ohw;
        for (int ci = lo; ci < hi; ci++) {
            for (int oi = 0; oi < o; oi++) {
                float sum = 0;
                for (int s = 0, at = first + ci * o + oi; s < samples; s++, at += per) {
                    sum += fltWork[at];
                }
                fltOut[outOff + oi * ckk + ci] = sum;
            }
        }
    }

    private void setF32(Pass p, float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, float[] work,
            int workOff) {
        this.pass = p;
        this.f64 = false;
        this.fltA = a;
        this.aOff = aOff;
        this.fltB = b;
        this.bOff = bOff;
        this.fltOut = out;
        this.outOff = outOff;
        this.fltWork = work;
        this.workOff = workOff;
        this.vec = Gemm.vectorInUse();
        if (p == Pass.FORWARD && windowForward && vec) {
            transposeWeightsF32();
        }
    }

    /** {@code fltWeightsT [ckk, ov] = Wᵀ}, the array made on the first call (its columns past O stay zero). */
    private void transposeWeightsF32() {
        if (fltWeightsT == null) {
            fltWeightsT = new float[ckk * fltOv];
        }
        for (int oi = 0; oi < o; oi++) {
            for (int r = 0; r < ckk; r++) fltWeightsT[r * fltOv + oi] = fltB[bOff + oi * ckk + r];
        }
    }

    /**
     * {@code y_s} through the window product: x_s padded into the scratch, then
     * {@code yᵀ [ohw, ov] = windows · Wᵀ}, then its first O columns transposed into {@code y_s}.
     */
    private void windowForwardF32(int s, int work) {
        int yT = work + padImageF32(fltA, aOff + s * c * h * w, fltWork, work);
        VectorConv.windowProductF32(fltWork, work, posOff, ohw, tapOff, ckk, fltWeightsT, 0, fltOv, fltWork, yT);
        int y = outOff + s * o * ohw;
        for (int oi = 0; oi < o; oi++) {
            for (int pq = 0; pq < ohw; pq++) fltOut[y + oi * ohw + pq] = fltWork[yT + pq * fltOv + oi];
        }
    }

    /**
     * The sample's weight-gradient partial {@code dWᵀ [ckk, o]} through the window product: x_s
     * padded into the scratch, {@code g_sᵀ [ohw, ov]} beside it (zero columns past O), then
     * {@code dWᵀ [ckk, ov] = windowsᵀ · g_sᵀ}, whose first O columns go where the sum reads them
     * (written there directly when O is a whole number of vectors).
     */
    private void windowWeightGradF32(int s, int work) {
        int gT = work + padImageF32(fltA, aOff + s * c * h * w, fltWork, work);
        int g = bOff + s * o * ohw;
        for (int pq = 0; pq < ohw; pq++) {
            int row = gT + pq * fltOv;
            for (int oi = 0; oi < o; oi++) fltWork[row + oi] = fltB[g + oi * ohw + pq];
            for (int oi = o; oi < fltOv; oi++) fltWork[row + oi] = 0f;
        }
        int partial = work + ckk * ohw;
        if (fltOv == o) { // rows of whole vectors: the product writes the partial itself
            VectorConv.windowProductF32(fltWork, work, tapOff, ckk, posOff, ohw, fltWork, gT, o, fltWork, partial);
            return;
        }
        int dWT = gT + ohw * fltOv;
        VectorConv.windowProductF32(fltWork, work, tapOff, ckk, posOff, ohw, fltWork, gT, fltOv, fltWork, dWT);
        for (int r = 0; r < ckk; r++) System.arraycopy(fltWork, dWT + r * fltOv, fltWork, partial + r * o, o);
    }

    /**
     * The sample's weight-gradient partial {@code dWᵀ [ckk, o]} through the column kernel: x_s
     * padded into the scratch, g_s in column chunks beside it, then the kernel (its lanes after them).
     */
    private void columnWeightGradF32(int s, int work) {
        int gv = work + padImageF32(fltA, aOff + s * c * h * w, fltWork, work);
        int lanes = gv + VectorConv.columnsF32(fltB, bOff + s * o * ohw, o, oh, ow, fltKeep, fltWork, gv);
        VectorConv.columnWeightGradF32(fltWork, work, tapOff, ckk, sh * padW, fltWork, gv, o, oh, ow, fltWork, work + ckk * ohw,
                fltWork, lanes);
    }

    /** Copies {@code x[xOff…]} into {@code xp[at…]} with its zero border ({@code [C, padH, padW]}); returns its size. */
    private int padImageF32(float[] x, int xOff, float[] xp, int at) {
        int plane = padH * padW;
        java.util.Arrays.fill(xp, at, at + c * plane, 0f);
        int rows = Math.min(h, padH - pt);
        int cols = Math.min(w, padW - pl);
        for (int ci = 0; ci < c && cols > 0; ci++) {
            for (int y = 0; y < rows; y++) {
                System.arraycopy(x, xOff + (ci * h + y) * w, xp, at + ci * plane + (y + pt) * padW + pl, cols);
            }
        }
        return c * plane;
    }

    private void sampleF32(int s) {
        int cols = workOff + s * perSample(pass);
        switch (pass) {
            case FORWARD -> {
                if (oneChannel && vec) { // no im2col matrix: the taps run on the padded image
                    VectorConv.oneChannelF32(fltA, aOff + s * h * w, h, w, fltB, bOff, o, kh, kw, pt, pl, fltOut,
                            outOff + s * o * ohw, oh, ow, fltWork, cols);
                    return;
                }
                if (pointwise) { // the sample is its own im2col matrix
                    Gemm.matmul(fltB, bOff, false, fltA, aOff + s * c * h * w, false, fltOut, outOff + s * o * ohw, o, ohw,
                            ckk, false);
                    return;
                }
                if (windowForward && vec) { // no im2col matrix: the product reads the padded image
                    windowForwardF32(s, cols);
                    return;
                }
                im2colF32(fltA, aOff + s * c * h * w, fltWork, cols);
                Gemm.matmul(fltB, bOff, false, fltWork, cols, false, fltOut, outOff + s * o * ohw, o, ohw, ckk, false);
            }
            case INPUT_GRAD -> {
                if (pointwise) { // col2im of the identity: the product is the input gradient
                    Gemm.matmul(fltB, bOff, true, fltA, aOff + s * o * ohw, false, fltOut, outOff + s * c * h * w, ckk, ohw,
                            o, false);
                    return;
                }
                Gemm.matmul(fltB, bOff, true, fltA, aOff + s * o * ohw, false, fltWork, cols, ckk, ohw, o, false);
                if (gathers(cols, fltWork.length)) {
                    VectorConv.col2imGatherF32(fltWork, cols, c, oh, ow, kh, kw, sh, dh, dw, pt, pl, fltOut,
                            outOff + s * c * h * w, h, w, fltInRange, Gemm.threadLanesF32());
                } else {
                    col2imF32(fltWork, cols, fltOut, outOff + s * c * h * w);
                }
            }
            case WEIGHT_GRAD -> {
                if (windowWeightGrad && vec) { // no im2col matrix: the product reads the padded image
                    windowWeightGradF32(s, cols);
                    return;
                }
                if (columnWeightGrad && vec) { // no im2col matrix: lanes along the output columns
                    columnWeightGradF32(s, cols);
                    return;
                }
                // dWᵀ of this sample, [ckk, o] = cols · gᵀ: the product copies g (o × ohw) into its
                // panel, not the o/ckk times larger cols (ckk × ohw) that dW = g · colsᵀ would copy
                float[] src = fltA;
                int at = aOff + s * c * h * w;
                if (!pointwise) {
                    im2colF32(fltA, at, fltWork, cols);
                    src = fltWork;
                    at = cols;
                }
                Gemm.matmul(src, at, false, fltB, bOff + s * o * ohw, true, fltWork, cols + ckk * ohw, ckk, o, ohw, false);
            }
        }
    }

    /** cols[(ci·KH + p)·KW + q][i·OW + j] = x[ci][i·sh - pt + p·dh][j·sw - pl + q·dw], 0 outside. */
    private void im2colF32(float[] x, int xOff, float[] cols, int colsOff) {
        int r = colsOff;
        for (int ci = 0; ci < c; ci++) {
            for (int p = 0; p < kh; p++) {
                for (int q = 0; q < kw; q++) {
                    int shift = q * dw - pl; // x0 = j * sw + shift
                    int j0 = firstInside(shift);
                    int j1 = Math.max(j0, endInside(shift));
                    for (int i = 0; i < oh; i++, r += ow) {
                        int y = i * sh - pt + p * dh;
                        if (y < 0 || y >= h) {
                            java.util.Arrays.fill(cols, r, r + ow, 0f);
                            continue;
                        }
                        int row = xOff + (ci * h + y) * w + shift;
                        for (int j = 0; j < j0; j++) cols[r + j] = 0f; // a few padding columns: no call
                        if (sw == 1) {
                            System.arraycopy(x, row + j0, cols, r + j0, j1 - j0);
                        } else {
                            for (int j = j0; j < j1; j++) cols[r + j] = x[row + j * sw];
                        }
                        for (int j = j1; j < ow; j++) cols[r + j] = 0f;
                    }
                }
            }
        }
    }

    /** The adjoint of im2col: dx (zeroed first) gets every column element added where it was read from. */
    private void col2imF32(float[] cols, int colsOff, float[] dx, int dxOff) {
        java.util.Arrays.fill(dx, dxOff, dxOff + c * h * w, 0f);
        int r = colsOff;
        for (int ci = 0; ci < c; ci++) {
            for (int p = 0; p < kh; p++) {
                for (int q = 0; q < kw; q++) {
                    int shift = q * dw - pl;
                    int j0 = firstInside(shift);
                    int j1 = Math.max(j0, endInside(shift));
                    for (int i = 0; i < oh; i++, r += ow) {
                        int y = i * sh - pt + p * dh;
                        if (y < 0 || y >= h) continue;
                        int row = dxOff + (ci * h + y) * w + shift;
                        for (int j = j0; j < j1; j++) dx[row + j * sw] += cols[r + j];
                    }
                }
            }
        }
    }

    // ---------------------------------------------------------------- double

    /** {@code y = conv(x, wt)} for {@code n} samples; {@code work} holds {@code n · workPerSample} elements. */
    public void forward(int n, double[] x, int xOff, double[] wt, int wOff, double[] y, int yOff, double[] work, int wkOff) {
        setF64(Pass.FORWARD, x, xOff, wt, wOff, y, yOff, work, wkOff);
        Parallel.forRange(n, 1, this);
        clear();
    }

    /**
     * {@code y = conv(x, wt)} with the output's epilogue (bias, activation, pool) run chunk by
     * chunk: the samples of chunk c (the {@value #CHUNK} from c · {@value #CHUNK}) are convolved,
     * then {@code epilogue.run(c, c + 1)} runs on the same thread while their outputs are still in
     * cache. The chunks are split across the pool; each sample's arithmetic is {@link #forward}'s.
     */
    public void forward(int n, double[] x, int xOff, double[] wt, int wOff, double[] y, int yOff, double[] work, int wkOff,
            Parallel.RangeBody epilogue) {
        java.util.Objects.requireNonNull(epilogue, "epilogue");
        setF64(Pass.FORWARD, x, xOff, wt, wOff, y, yOff, work, wkOff);
        runChunks(n, epilogue);
    }

    /** {@code dx} (overwritten) from the output gradient {@code g} and the weight. */
    public void inputGrad(int n, double[] g, int gOff, double[] wt, int wOff, double[] dx, int dxOff, double[] work,
            int wkOff) {
        setF64(Pass.INPUT_GRAD, g, gOff, wt, wOff, dx, dxOff, work, wkOff);
        Parallel.forRange(n, 1, this);
        clear();
    }

    /** {@code dW} (overwritten) from the input {@code x} and the output gradient {@code g}. */
    public void weightGrad(int n, double[] x, int xOff, double[] g, int gOff, double[] dW, int dwOff, double[] work,
            int wkOff) {
        setF64(Pass.WEIGHT_GRAD, x, xOff, g, gOff, dW, dwOff, work, wkOff);
        Parallel.forRange(n, 1, this);
        // the samples' partial products summed per weight element, in sample order (the same sum on
        // any number of threads), the elements split across the pool
        pass = Pass.WEIGHT_GRAD_SUM;
        samples = n;
        Parallel.forRange(ckk, Math.max(1, (1 << 14) / Math.max(1, o * n)), this);
        clear();
    }

    /** dW[oi, ci] for ci in [lo, hi): the sum over the samples of their dWᵀ [ckk, o] partials. */
    private void weightGradSumF64(int lo, int hi) {
        int per = perSample(Pass.WEIGHT_GRAD);
        int first = workOff + ckk * ohw;
        for (int ci = lo; ci < hi; ci++) {
            for (int oi = 0; oi < o; oi++) {
                double sum = 0;
                for (int s = 0, at = first + ci * o + oi; s < samples; s++, at += per) {
                    sum += dblWork[at];
                }
                dblOut[outOff + oi * ckk + ci] = sum;
            }
        }
    }

    private void setF64(Pass p, double[] a, int aOff, double[] b, int bOff, double[] out, int outOff, double[] work,
            int workOff) {
        this.pass = p;
        this.f64 = true;
        this.dblA = a;
        this.aOff = aOff;
        this.dblB = b;
        this.bOff = bOff;
        this.dblOut = out;
        this.outOff = outOff;
        this.dblWork = work;
        this.workOff = workOff;
        this.vec = Gemm.vectorInUse();
        if (p == Pass.FORWARD && windowForward && vec) {
            transposeWeightsF64();
        }
    }

    /** {@code dblWeightsT [ckk, ov] = Wᵀ}, the array made on the first call (its columns past O stay zero). */
    private void transposeWeightsF64() {
        if (dblWeightsT == null) {
            dblWeightsT = new double[ckk * dblOv];
        }
        for (int oi = 0; oi < o; oi++) {
            for (int r = 0; r < ckk; r++) dblWeightsT[r * dblOv + oi] = dblB[bOff + oi * ckk + r];
        }
    }

    /**
     * {@code y_s} through the window product: x_s padded into the scratch, then
     * {@code yᵀ [ohw, ov] = windows · Wᵀ}, then its first O columns transposed into {@code y_s}.
     */
    private void windowForwardF64(int s, int work) {
        int yT = work + padImageF64(dblA, aOff + s * c * h * w, dblWork, work);
        VectorConv.windowProductF64(dblWork, work, posOff, ohw, tapOff, ckk, dblWeightsT, 0, dblOv, dblWork, yT);
        int y = outOff + s * o * ohw;
        for (int oi = 0; oi < o; oi++) {
            for (int pq = 0; pq < ohw; pq++) dblOut[y + oi * ohw + pq] = dblWork[yT + pq * dblOv + oi];
        }
    }

    /**
     * The sample's weight-gradient partial {@code dWᵀ [ckk, o]} through the window product: x_s
     * padded into the scratch, {@code g_sᵀ [ohw, ov]} beside it (zero columns past O), then
     * {@code dWᵀ [ckk, ov] = windowsᵀ · g_sᵀ}, whose first O columns go where the sum reads them
     * (written there directly when O is a whole number of vectors).
     */
    private void windowWeightGradF64(int s, int work) {
        int gT = work + padImageF64(dblA, aOff + s * c * h * w, dblWork, work);
        int g = bOff + s * o * ohw;
        for (int pq = 0; pq < ohw; pq++) {
            int row = gT + pq * dblOv;
            for (int oi = 0; oi < o; oi++) dblWork[row + oi] = dblB[g + oi * ohw + pq];
            for (int oi = o; oi < dblOv; oi++) dblWork[row + oi] = 0d;
        }
        int partial = work + ckk * ohw;
        if (dblOv == o) { // rows of whole vectors: the product writes the partial itself
            VectorConv.windowProductF64(dblWork, work, tapOff, ckk, posOff, ohw, dblWork, gT, o, dblWork, partial);
            return;
        }
        int dWT = gT + ohw * dblOv;
        VectorConv.windowProductF64(dblWork, work, tapOff, ckk, posOff, ohw, dblWork, gT, dblOv, dblWork, dWT);
        for (int r = 0; r < ckk; r++) System.arraycopy(dblWork, dWT + r * dblOv, dblWork, partial + r * o, o);
    }

    /**
     * The sample's weight-gradient partial {@code dWᵀ [ckk, o]} through the column kernel: x_s
     * padded into the scratch, g_s in column chunks beside it, then the kernel (its lanes after them).
     */
    private void columnWeightGradF64(int s, int work) {
        int gv = work + padImageF64(dblA, aOff + s * c * h * w, dblWork, work);
        int lanes = gv + VectorConv.columnsF64(dblB, bOff + s * o * ohw, o, oh, ow, dblKeep, dblWork, gv);
        VectorConv.columnWeightGradF64(dblWork, work, tapOff, ckk, sh * padW, dblWork, gv, o, oh, ow, dblWork, work + ckk * ohw,
                dblWork, lanes);
    }

    /** Copies {@code x[xOff…]} into {@code xp[at…]} with its zero border ({@code [C, padH, padW]}); returns its size. */
    private int padImageF64(double[] x, int xOff, double[] xp, int at) {
        int plane = padH * padW;
        java.util.Arrays.fill(xp, at, at + c * plane, 0d);
        int rows = Math.min(h, padH - pt);
        int cols = Math.min(w, padW - pl);
        for (int ci = 0; ci < c && cols > 0; ci++) {
            for (int y = 0; y < rows; y++) {
                System.arraycopy(x, xOff + (ci * h + y) * w, xp, at + ci * plane + (y + pt) * padW + pl, cols);
            }
        }
        return c * plane;
    }

    private void sampleF64(int s) {
        int cols = workOff + s * perSample(pass);
        switch (pass) {
            case FORWARD -> {
                if (oneChannel && vec) { // no im2col matrix: the taps run on the padded image
                    VectorConv.oneChannelF64(dblA, aOff + s * h * w, h, w, dblB, bOff, o, kh, kw, pt, pl, dblOut,
                            outOff + s * o * ohw, oh, ow, dblWork, cols);
                    return;
                }
                if (pointwise) { // the sample is its own im2col matrix
                    Gemm.matmul(dblB, bOff, false, dblA, aOff + s * c * h * w, false, dblOut, outOff + s * o * ohw, o, ohw,
                            ckk, false);
                    return;
                }
                if (windowForward && vec) { // no im2col matrix: the product reads the padded image
                    windowForwardF64(s, cols);
                    return;
                }
                im2colF64(dblA, aOff + s * c * h * w, dblWork, cols);
                Gemm.matmul(dblB, bOff, false, dblWork, cols, false, dblOut, outOff + s * o * ohw, o, ohw, ckk, false);
            }
            case INPUT_GRAD -> {
                if (pointwise) { // col2im of the identity: the product is the input gradient
                    Gemm.matmul(dblB, bOff, true, dblA, aOff + s * o * ohw, false, dblOut, outOff + s * c * h * w, ckk, ohw,
                            o, false);
                    return;
                }
                Gemm.matmul(dblB, bOff, true, dblA, aOff + s * o * ohw, false, dblWork, cols, ckk, ohw, o, false);
                if (gathers(cols, dblWork.length)) {
                    VectorConv.col2imGatherF64(dblWork, cols, c, oh, ow, kh, kw, sh, dh, dw, pt, pl, dblOut,
                            outOff + s * c * h * w, h, w, dblInRange, Gemm.threadLanesF64());
                } else {
                    col2imF64(dblWork, cols, dblOut, outOff + s * c * h * w);
                }
            }
            case WEIGHT_GRAD -> {
                if (windowWeightGrad && vec) { // no im2col matrix: the product reads the padded image
                    windowWeightGradF64(s, cols);
                    return;
                }
                if (columnWeightGrad && vec) { // no im2col matrix: lanes along the output columns
                    columnWeightGradF64(s, cols);
                    return;
                }
                // dWᵀ of this sample, [ckk, o] = cols · gᵀ: the product copies g (o × ohw) into its
                // panel, not the o/ckk times larger cols (ckk × ohw) that dW = g · colsᵀ would copy
                double[] src = dblA;
                int at = aOff + s * c * h * w;
                if (!pointwise) {
                    im2colF64(dblA, at, dblWork, cols);
                    src = dblWork;
                    at = cols;
                }
                Gemm.matmul(src, at, false, dblB, bOff + s * o * ohw, true, dblWork, cols + ckk * ohw, ckk, o, ohw, false);
            }
        }
    }

    /** cols[(ci·KH + p)·KW + q][i·OW + j] = x[ci][i·sh - pt + p·dh][j·sw - pl + q·dw], 0 outside. */
    private void im2colF64(double[] x, int xOff, double[] cols, int colsOff) {
        int r = colsOff;
        for (int ci = 0; ci < c; ci++) {
            for (int p = 0; p < kh; p++) {
                for (int q = 0; q < kw; q++) {
                    int shift = q * dw - pl; // x0 = j * sw + shift
                    int j0 = firstInside(shift);
                    int j1 = Math.max(j0, endInside(shift));
                    for (int i = 0; i < oh; i++, r += ow) {
                        int y = i * sh - pt + p * dh;
                        if (y < 0 || y >= h) {
                            java.util.Arrays.fill(cols, r, r + ow, 0d);
                            continue;
                        }
                        int row = xOff + (ci * h + y) * w + shift;
                        for (int j = 0; j < j0; j++) cols[r + j] = 0d; // a few padding columns: no call
                        if (sw == 1) {
                            System.arraycopy(x, row + j0, cols, r + j0, j1 - j0);
                        } else {
                            for (int j = j0; j < j1; j++) cols[r + j] = x[row + j * sw];
                        }
                        for (int j = j1; j < ow; j++) cols[r + j] = 0d;
                    }
                }
            }
        }
    }

    /** The adjoint of im2col: dx (zeroed first) gets every column element added where it was read from. */
    private void col2imF64(double[] cols, int colsOff, double[] dx, int dxOff) {
        java.util.Arrays.fill(dx, dxOff, dxOff + c * h * w, 0d);
        int r = colsOff;
        for (int ci = 0; ci < c; ci++) {
            for (int p = 0; p < kh; p++) {
                for (int q = 0; q < kw; q++) {
                    int shift = q * dw - pl;
                    int j0 = firstInside(shift);
                    int j1 = Math.max(j0, endInside(shift));
                    for (int i = 0; i < oh; i++, r += ow) {
                        int y = i * sh - pt + p * dh;
                        if (y < 0 || y >= h) continue;
                        int row = dxOff + (ci * h + y) * w + shift;
                        for (int j = j0; j < j1; j++) dx[row + j * sw] += cols[r + j];
                    }
                }
            }
        }
    }

    // ---------------------------------------------------------------- shared

    /** The first output column j whose input column {@code j · sw + shift} is inside the image. */
    private int firstInside(int shift) {
        return shift >= 0 ? 0 : Math.min(ow, (-shift + sw - 1) / sw);
    }

    /** One past the last output column whose input column {@code j · sw + shift} is inside the image. */
    private int endInside(int shift) {
        int room = w - shift; // j · sw < room
        return room <= 0 ? 0 : Math.min(ow, (room + sw - 1) / sw);
    }

    /**
     * Whether the running input gradient's col2im runs as {@code VectorConv.col2imGather} for the
     * im2col rows at {@code cols} of a scratch array of {@code length}: stride 1 along the rows,
     * vectors in use, and the vector it may read before and after the rows inside the array.
     */
    private boolean gathers(int cols, int length) {
        return sw == 1 && vec && cols >= VectorConv.gatherReach() && cols + ckk * ohw + VectorConv.gatherReach() <= length;
    }

    /** Scratch elements one sample uses in pass {@code p}. */
    private int perSample(Pass p) {
        return p == Pass.WEIGHT_GRAD ? ckk * ohw + o * ckk : ckk * ohw;
    }

    /** The set-up forward pass over {@code n} samples in chunks, each followed by its epilogue. */
    private void runChunks(int n, Parallel.RangeBody chunkEpilogue) {
        this.epilogue = chunkEpilogue;
        this.samples = n;
        try {
            Parallel.forRange((n + CHUNK - 1) / CHUNK, 1, this);
        } finally {
            this.epilogue = null;
            clear();
        }
    }

    /**
     * Runs the samples {@code [lo, hi)} of the running call, or its chunks {@code [lo, hi)} each
     * with its epilogue, or its weight elements for the final sum (called by {@link Parallel}).
     */
    @Override
    public void run(int lo, int hi) {
        if (pass == Pass.WEIGHT_GRAD_SUM) { // weight elements, not samples
            if (f64) weightGradSumF64(lo, hi); else weightGradSumF32(lo, hi);
            return;
        }
        if (epilogue != null) { // chunks of samples, not samples
            for (int c = lo; c < hi; c++) {
                convolve(c * CHUNK, Math.min(samples, c * CHUNK + CHUNK));
                epilogue.run(c, c + 1);
            }
            return;
        }
        convolve(lo, hi);
    }

    /** Runs the samples {@code [lo, hi)} of the running pass (forward, input or weight gradient). */
    private void convolve(int lo, int hi) {
        for (int s = lo; s < hi; s++) {
            if (f64) sampleF64(s); else sampleF32(s);
        }
    }

    /** Drops the operands of the finished call, so that the instance holds none of the caller's arrays between calls. */
    private void clear() {
        fltA = fltB = fltOut = fltWork = null;
        dblA = dblB = dblOut = dblWork = null;
    }
}
