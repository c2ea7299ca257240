package dev.nnc.bench.jmh;

import dev.nnc.runtime.Gemm;
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
 * JMH micro-benchmark of {@link Gemm} on the products the sample models run: fashion_mlp's
 * forward, weight-gradient and data-gradient products at batch 128, its batch-1 inference product,
 * LeNet5's per-sample convolution products, and the square 1024³. The shape is
 * {@code m×n×k} with {@code T} marking a transposed operand ({@code TN}: A transposed).
 * Scores are µs per product; GFLOP/s = 2·m·n·k / score / 1000.
 *
 * <p>Run: {@code bench/jmh GemmBench} (all cores; {@code -p shape=1024x1024x1024:NN} for one shape).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class GemmBench {

    @Param({"128x256x784:NN", "784x256x128:TN", "128x10x256:NN", "128x256x10:NT", "256x10x128:TN",
        "1x256x784:NN", "6x784x25:NN", "16x100x150:NN", "150x100x16:TN", "150x16x100:NT", "1024x1024x1024:NN"})
    public String shape;

    private float[] a;
    private float[] b;
    private float[] c;
    private int m;
    private int n;
    private int k;
    private boolean transA;
    private boolean transB;

    @Setup
    public void setUp() {
        String[] dims = shape.split("[x:]");
        m = Integer.parseInt(dims[0]);
        n = Integer.parseInt(dims[1]);
        k = Integer.parseInt(dims[2]);
        transA = dims[3].charAt(0) == 'T';
        transB = dims[3].charAt(1) == 'T';
        Random r = new Random(1);
        a = new float[m * k];
        b = new float[k * n];
        c = new float[m * n];
        for (int i = 0; i < a.length; i++) a[i] = r.nextFloat() - 0.5f;
        for (int i = 0; i < b.length; i++) b[i] = r.nextFloat() - 0.5f;
    }

    @Benchmark
    public float[] matmul() {
        Gemm.matmul(a, 0, transA, b, 0, transB, c, 0, m, n, k, false);
        return c;
    }
}
