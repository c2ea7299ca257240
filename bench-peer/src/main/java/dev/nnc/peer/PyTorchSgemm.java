package dev.nnc.peer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Locale;
import java.util.Random;

/**
 * PyTorch's SGEMM (its CPU build through DJL, {@code NDArray.matMul}) on the square and MLP shapes
 * that {@code bench/run GemmSpeed} measures for nnc, timed the same way: repetitions sized to about
 * 4 GFLOP per round, the best round after one warm-up round. The product stays inside PyTorch (no copy
 * out), so this is its kernel's speed plus DJL's per-call cost, which is negligible at these sizes.
 *
 * <p>Run: {@code bench/peer PyTorchSgemm [rounds=5]}.
 */
public final class PyTorchSgemm {
    private PyTorchSgemm() {
    }

    /** m, n, k of the products, as in GemmSpeed (all untransposed). */
    private static final int[][] SHAPES = {{1024, 1024, 1024}, {512, 512, 512}, {128, 256, 784}, {128, 128, 784}};

    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        Random r = new Random(1);
        System.out.println("| m×n×k | PyTorch GFLOP/s |");
        System.out.println("|---|---|");
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            for (int[] s : SHAPES) {
                int m = s[0], n = s[1], k = s[2];
                float[] a = new float[m * k];
                float[] b = new float[k * n];
                for (int i = 0; i < a.length; i++) a[i] = r.nextFloat();
                for (int i = 0; i < b.length; i++) b[i] = r.nextFloat();
                NDArray x = manager.create(a, new Shape(m, k));
                NDArray y = manager.create(b, new Shape(k, n));
                double flop = 2.0 * m * n * k;
                int reps = (int) Math.max(20, 4e9 / flop / rounds);
                double best = 0;
                for (int round = 0; round < rounds + 1; round++) {
                    long t0 = System.nanoTime();
                    for (int i = 0; i < reps; i++) {
                        try (NDManager step = manager.newSubManager()) {
                            NDArray c = x.matMul(y);
                            c.attach(step);
                        }
                    }
                    double g = flop * reps / (System.nanoTime() - t0);
                    if (round > 0) best = Math.max(best, g); // round 0 warms up
                }
                System.out.printf(Locale.ROOT, "| %d×%d×%d | %.1f |%n", m, n, k, best);
            }
        }
    }
}
