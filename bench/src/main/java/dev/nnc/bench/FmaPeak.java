package dev.nnc.bench;

import dev.nnc.runtime.Parallel;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The machine's single-precision FMA peak as the JVM reaches it: on every pool thread, twelve
 * independent accumulators of the preferred vector width, each updated by a fused multiply-add per
 * step (enough independent chains to cover the FMA latency on two FMA ports). Nothing is loaded
 * in the loop, so this is the ceiling for a GEMM kernel, not a kernel. Benchmarks report their
 * speed as a fraction of it, measured in the same run.
 */
final class FmaPeak {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int STEPS = 20_000_000;
    /** Where the chains' results go (read by nobody; a volatile write the JIT cannot drop). */
    private static volatile float sink;

    private FmaPeak() {
    }

    /** Vector width, e.g. "512-bit". */
    static String width() {
        return S.vectorBitSize() + "-bit";
    }

    /** GFLOP/s of the FMA loop on all pool threads, best of {@code rounds} (after one warm-up). */
    static double gflops(int rounds) {
        int threads = Parallel.threads();
        float[] lanes = new float[threads];
        double best = 0;
        for (int r = 0; r <= rounds; r++) {
            long t0 = System.nanoTime();
            Parallel.forRange(threads, 1, (lo, hi) -> {
                for (int t = lo; t < hi; t++) lanes[t] += chains(STEPS, t);
            });
            double g = 2.0 * S.length() * 12 * STEPS * threads / (System.nanoTime() - t0);
            if (r > 0) best = Math.max(best, g);
        }
        for (float v : lanes) sink += v; // the chains' results are used, so the JIT keeps the loops
        return best;
    }

    private static float chains(int steps, int seed) {
        FloatVector m = FloatVector.broadcast(S, 0.999999f);
        FloatVector d = FloatVector.broadcast(S, 1e-7f * (seed + 1));
        FloatVector a0 = FloatVector.broadcast(S, 1f), a1 = a0.add(d), a2 = a1.add(d), a3 = a2.add(d);
        FloatVector a4 = a3.add(d), a5 = a4.add(d), a6 = a5.add(d), a7 = a6.add(d);
        FloatVector a8 = a7.add(d), a9 = a8.add(d), a10 = a9.add(d), a11 = a10.add(d);
        for (int i = 0; i < steps; i++) {
            a0 = a0.fma(m, d);
            a1 = a1.fma(m, d);
            a2 = a2.fma(m, d);
            a3 = a3.fma(m, d);
            a4 = a4.fma(m, d);
            a5 = a5.fma(m, d);
            a6 = a6.fma(m, d);
            a7 = a7.fma(m, d);
            a8 = a8.fma(m, d);
            a9 = a9.fma(m, d);
            a10 = a10.fma(m, d);
            a11 = a11.fma(m, d);
        }
        FloatVector s = a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).add(a8).add(a9).add(a10).add(a11);
        return s.reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
    }
}
