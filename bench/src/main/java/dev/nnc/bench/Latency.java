package dev.nnc.bench;

import dev.nnc.compiler.api.CompileOptions;
import dev.nnc.compiler.api.CompileResult;
import dev.nnc.compiler.api.InMemoryJavac;
import dev.nnc.compiler.api.Nnc;
import dev.nnc.compiler.api.SourceFile;
import dev.nnc.runtime.Batch;
import dev.nnc.runtime.CompiledModel;
import dev.nnc.runtime.Gemm;
import dev.nnc.runtime.Parallel;
import dev.nnc.runtime.data.Dataset;
import dev.nnc.runtime.data.FashionMnist;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/**
 * Inference of one model: the latency of {@code predict} on one sample (median of many calls) and
 * the throughput at batch 256, on one thread and on all of them, with the Vector API kernel and
 * with the plain one, in the same process, rounds interleaved. The one-thread row against the
 * all-threads row shows where handing work to the pool stops paying.
 *
 * <p>Usage: {@code Latency FILE.nn [rounds=5]}
 */
public final class Latency {
    private Latency() {
    }

    public static void main(String[] args) throws Exception {
        Path file = Path.of(args.length > 0 ? args[0] : "samples/src/main/nn/fashion_mlp.nn");
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        CompileResult r = Nnc.compile(SourceFile.read(file), CompileOptions.defaults().withPackage("bench"));
        if (!r.ok()) throw new IllegalStateException(r.formatDiagnostics());
        Class<?> c = InMemoryJavac.compile(r.sources(), false).get(r.sources().getFirst().qualifiedName());
        CompiledModel m = (CompiledModel) c.getConstructor(int.class, long.class).newInstance(256, 1L);
        Dataset test = FashionMnist.load().test();
        int threads = Parallel.threads();
        boolean vector = Gemm.vectorAvailable();
        System.out.printf(Locale.ROOT, "model %s, %d threads available, Vector API %s%n", m.name(), threads,
                Gemm.vectorDescription());
        System.out.println("| kernel | threads | batch 1: median µs per predict | batch 256: samples/s |");
        System.out.println("|---|---|---|---|");
        double[][] lat = new double[4][rounds];
        double[][] thr = new double[4][rounds];
        for (int round = 0; round <= rounds; round++) { // round 0 warms up
            for (int v = 0; v < 4; v++) {
                Gemm.useVectorApi(v < 2 && vector);
                Parallel.setThreads(v % 2 == 0 ? 1 : threads);
                double l = latency(m, test);
                double t = throughput(m, test);
                if (round > 0) {
                    lat[v][round - 1] = l;
                    thr[v][round - 1] = t;
                }
            }
        }
        for (int v = 0; v < 4; v++) {
            if (v < 2 && !vector) continue;
            System.out.printf(Locale.ROOT, "| %s | %d | %.1f | %.0f |%n", v < 2 ? "vector" : "plain",
                    v % 2 == 0 ? 1 : threads, median(lat[v]), median(thr[v]));
        }
        Gemm.useVectorApi(vector);
        Parallel.setThreads(threads);
    }

    /**
     * Median µs of one predict on one sample and the copy of its logits out (as an application
     * reads them, and as the PyTorch peer does), over 2,000 calls on successive test images.
     */
    private static double latency(CompiledModel m, Dataset d) {
        Batch b = m.newBatch();
        float[] logits = new float[m.outputs().getFirst().rowSize()]; // one sample's first output
        int features = d.featureSize();
        long[] t = new long[2000];
        for (int i = 0; i < t.length; i++) {
            b.set(0, d.features(), (i % d.count()) * features).size(1);
            long t0 = System.nanoTime();
            m.predict(b);
            m.copyOutput(0, logits, 0);
            t[i] = System.nanoTime() - t0;
        }
        Arrays.sort(t);
        return t[t.length / 2] / 1e3;
    }

    /** Samples/s of predict at batch 256 over 40 batches. */
    private static double throughput(CompiledModel m, Dataset d) {
        Batch b = m.newBatch();
        int features = d.featureSize();
        int steps = 40;
        long t0 = System.nanoTime();
        for (int s = 0; s < steps; s++) {
            int row = (s * 256) % (d.count() - 256);
            b.set(0, d.features(), row * features).size(256);
            m.predict(b);
        }
        return steps * 256 / ((System.nanoTime() - t0) / 1e9);
    }

    private static double median(double[] x) {
        double[] s = x.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}
