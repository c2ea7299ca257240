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
 * the input gradient and the weight gradient, each over the whole batch, on all cores, with the
 * activations, gradients and scratch in one array as in a generated model's arena. Scores are µs
 * per batch.
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
    /** Activations, gradients and scratch in one array, as in a generated model's arena. */
    private float[] arena;
    private int x;
    private int y;
    private int g;
    private int dx;
    private int work;
    private float[] w;
    private float[] dw;

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
        int input = BATCH * c * h * h;
        int output = BATCH * o * oh * oh;
        x = 0;
        y = x + input;
        g = y + output;
        dx = g + output;
        work = dx + input;
        arena = new float[work + (int) (BATCH * Conv.workPerSample(c, 5, 5, o, oh, oh, true))];
        fill(arena, x, input, r);
        fill(arena, g, output, r);
        w = new float[o * c * 25];
        fill(w, 0, w.length, r);
        dw = new float[w.length];
    }

    private static void fill(float[] v, int from, int count, Random r) {
        for (int i = from; i < from + count; i++) v[i] = r.nextFloat() - 0.5f;
    }

    @Benchmark
    public float[] forward() {
        conv.forward(BATCH, arena, x, w, 0, arena, y, arena, work);
        return arena;
    }

    @Benchmark
    public float[] inputGrad() {
        conv.inputGrad(BATCH, arena, g, w, 0, arena, dx, arena, work);
        return arena;
    }

    @Benchmark
    public float[] weightGrad() {
        conv.weightGrad(BATCH, arena, x, arena, g, dw, 0, arena, work);
        return dw;
    }
}
