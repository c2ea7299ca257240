package dev.nnc.bench;

import dev.nnc.runtime.Gemm;
import dev.nnc.runtime.Parallel;
import java.util.Locale;
import java.util.Random;

/**
 * GFLOP/s of {@link Gemm} on the products the sample models run (batch 128), with the Vector API
 * micro-kernel and with the plain-Java one, in the same process, rounds interleaved, and as a
 * fraction of the machine's FMA peak measured first in the same run ({@link FmaPeak}).
 *
 * <p>Usage: {@code GemmSpeed [rounds=5]}; run with {@code --add-modules jdk.incubator.vector}
 * ({@code bench/run} does) or only the plain kernel is measured.
 */
public final class GemmSpeed {
    private GemmSpeed() {
    }

    /** m, n, k, transA, transB: forward, data gradient and weight gradient of fashion_mlp's layers. */
    private static final int[][] SHAPES = {
        {128, 256, 784, 0, 0}, {784, 256, 128, 1, 0}, {128, 10, 256, 0, 0}, {128, 256, 10, 0, 1},
        {256, 10, 128, 1, 0}, {128, 128, 784, 0, 0}, {512, 512, 512, 0, 0}, {1024, 1024, 1024, 0, 0},
        // LeNet5's per-sample convolutions: forward of conv1 and conv2 (filters × im2col columns)
        {6, 784, 25, 0, 0}, {16, 100, 150, 0, 0}};

    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        boolean vector = Gemm.vectorAvailable();
        System.out.printf(Locale.ROOT, "threads %d, Vector API %s%n", Parallel.threads(),
                vector ? "available (" + Gemm.vectorDescription() + ")" : "not available (plain only)");
        double peak = vector ? FmaPeak.gflops(3) : 0;
        if (vector) {
            System.out.printf(Locale.ROOT, "FMA peak (%s vectors, 12 chains per thread, %d threads): %.1f GFLOP/s%n",
                    FmaPeak.width(), Parallel.threads(), peak);
        }
        System.out.println("| m×n×k | transA | transB | plain GFLOP/s | vector GFLOP/s | vector / plain | vector / FMA peak |");
        System.out.println("|---|---|---|---|---|---|---|");
        // every vector figure first, then the plain ones: once the plain kernel has run, C2
        // recompiles the shared block code for both paths and the vector figures drop (1024³:
        // 285 against 420 GFLOP/s measured alone, 2026-11-29)
        double[][] best = new double[SHAPES.length][2];
        for (int v = vector ? 1 : 0; v >= 0; v--) {
            Gemm.useVectorApi(v == 1);
            Random r = new Random(1);
            for (int si = 0; si < SHAPES.length; si++) {
                int[] s = SHAPES[si];
                int m = s[0], n = s[1], k = s[2];
                boolean ta = s[3] == 1, tb = s[4] == 1;
                float[] a = new float[m * k];
                float[] b = new float[k * n];
                float[] c = new float[m * n];
                for (int i = 0; i < a.length; i++) a[i] = r.nextFloat();
                for (int i = 0; i < b.length; i++) b[i] = r.nextFloat();
                double flop = 2.0 * m * n * k;
                // about 100 ms per round at 350 GFLOP/s (at least 3 products), so the JIT has finished
                int reps = (int) Math.max(3, 3.5e10 / flop);
                for (int round = 0; round < rounds + 1; round++) {
                    long t0 = System.nanoTime();
                    for (int i = 0; i < reps; i++) Gemm.matmul(a, 0, ta, b, 0, tb, c, 0, m, n, k, false);
                    double g = flop * reps / (System.nanoTime() - t0);
                    if (round > 0) best[si][v] = Math.max(best[si][v], g); // round 0 warms up
                }
            }
        }
        Gemm.useVectorApi(vector);
        for (int si = 0; si < SHAPES.length; si++) {
            int[] s = SHAPES[si];
            System.out.printf(Locale.ROOT, "| %d×%d×%d | %s | %s | %.1f | %s | %s | %s |%n", s[0], s[1], s[2], s[3] == 1,
                    s[4] == 1, best[si][0],
                    vector ? String.format(Locale.ROOT, "%.1f", best[si][1]) : "—",
                    vector ? String.format(Locale.ROOT, "%.2f", best[si][1] / best[si][0]) : "—",
                    vector ? String.format(Locale.ROOT, "%.2f", best[si][1] / peak) : "—");
        }
    }
}
