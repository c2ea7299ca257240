package dev.nnc.bench.jmh;

import dev.nnc.runtime.Conv;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * JMH micro-benchmark of {@link Conv} on LeNet5's two convolutions at batch 128: the forward pass,
 * the input gradient and the weight gradient, each over the whole batch (im2col into scratch, the
 * packed GEMM, col2im or the per-sample weight-gradient sum), on all cores. Scores are µs per
 * batch.
 *
 * <p>Run: {@code bench/jmh ConvBench}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class ConvBench {
    private static final int BATCH = 128;

    /** LeNet5's conv1 (1→6, 5×5, pad 2, 28×28) and conv2 (6→16, 5×5, 14×14 → 10×10). */
    @Param({"conv1", "conv2"})
    public String layer;

    private Conv conv;
    private float[] x;
    private float[] w;
    private float[] y;
    private float[] g;
    private float[] dx;
    private float[] dw;
    private float[] work;

    @Setup
    public void setUp() {
        int c, h, o, pad, oh;
        if (layer.equals("conv1")) {
            c = 1; h = 28; o = 6; pad = 2; oh = 28;
        } else {
            c = 6; h = 14; o = 16; pad = 0; oh = 10;
        }
        conv = new Conv(c, h, h, o, 5, 5, 1, 1, pad, pad, 1, 1, oh, oh);
        Random r = new Random(1);
        x = fill(new float[BATCH * c * h * h], r);
        w = fill(new float[o * c * 25], r);
        y = new float[BATCH * o * oh * oh];
        g = fill(new float[BATCH * o * oh * oh], r);
        dx = new float[x.length];
        dw = new float[w.length];
        work = new float[(int) (BATCH * Conv.workPerSample(c, 5, 5, o, oh, oh, true))];
    }

    private static float[] fill(float[] v, Random r) {
        for (int i = 0; i < v.length; i++) v[i] = r.nextFloat() - 0.5f;
        return v;
    }

    @Benchmark
    public float[] forward() {
        conv.forward(BATCH, x, 0, w, 0, y, 0, work, 0);
        return y;
    }

    @Benchmark
    public float[] inputGrad() {
        conv.inputGrad(BATCH, g, 0, w, 0, dx, 0, work, 0);
        return dx;
    }

    @Benchmark
    public float[] weightGrad() {
        conv.weightGrad(BATCH, x, 0, g, 0, dw, 0, work, 0);
        return dw;
    }
}
