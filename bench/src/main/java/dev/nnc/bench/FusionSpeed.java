package dev.nnc.bench;

import dev.nnc.compiler.api.CompileOptions;
import dev.nnc.compiler.api.CompileResult;
import dev.nnc.compiler.api.InMemoryJavac;
import dev.nnc.compiler.api.Nnc;
import dev.nnc.compiler.api.SourceFile;
import dev.nnc.runtime.Batch;
import dev.nnc.runtime.CompiledModel;
import dev.nnc.runtime.data.DataSplit;
import dev.nnc.runtime.data.Dataset;
import dev.nnc.runtime.data.FashionMnist;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Training speed of one model compiled three ways — fused and planned (the default), planned but
 * unfused, neither — in the same process on the same data, rounds interleaved so that JIT warm-up
 * and machine noise hit all variants alike. Prints samples/s per round and the median ratios.
 *
 * <p>Usage: {@code FusionSpeed FILE.nn [rounds=7] [steps per round=150] [batch=128]}
 */
public final class FusionSpeed {
    private FusionSpeed() {
    }

    public static void main(String[] args) throws Exception {
        Path file = Path.of(args.length > 0 ? args[0] : "samples/src/main/nn/fashion_mlp.nn");
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 7;
        int steps = args.length > 2 ? Integer.parseInt(args[2]) : 150;
        int batch = args.length > 3 ? Integer.parseInt(args[3]) : 128;
        SourceFile src = SourceFile.read(file);
        String[] names = {"fused+planned", "unfused+planned", "unfused+naive"};
        CompileOptions base = CompileOptions.defaults().withPackage("bench");
        CompileOptions[] variants = {base, base.withFuse(false), base.withFuse(false).withPlan(false)};
        List<CompiledModel> models = new ArrayList<>();
        for (CompileOptions o : variants) {
            CompileResult r = Nnc.compile(src, o);
            if (!r.ok()) throw new IllegalStateException(r.formatDiagnostics());
            Class<?> c = InMemoryJavac.compile(r.sources(), false).get(r.sources().getFirst().qualifiedName());
            models.add((CompiledModel) c.getConstructor(int.class, long.class).newInstance(batch, 1L));
        }
        DataSplit data = FashionMnist.load();
        System.out.println("model " + models.getFirst().name() + ", batch " + batch + ", " + steps
                + " steps per round, data: " + data.description());
        Dataset train = data.train();
        double[][] rate = new double[variants.length][rounds + 1];
        for (int round = 0; round <= rounds; round++) { // round 0 warms the JIT up and is not counted
            for (int v = 0; v < variants.length; v++) {
                rate[v][round] = run(models.get(v), train, batch, steps, round * steps);
            }
            if (round > 0) {
                StringBuilder line = new StringBuilder("round " + round + ":");
                for (int v = 0; v < variants.length; v++) {
                    line.append(String.format(Locale.ROOT, "  %s %.0f samples/s", names[v], rate[v][round]));
                }
                System.out.println(line);
            }
        }
        double fused = median(rate[0]);
        System.out.println(String.format(Locale.ROOT, "median samples/s: %s %.0f, %s %.0f, %s %.0f", names[0], fused,
                names[1], median(rate[1]), names[2], median(rate[2])));
        System.out.println(String.format(Locale.ROOT, "speed-up of fusion: %.2fx over unfused+planned, %.2fx over "
                + "unfused+naive", fused / median(rate[1]), fused / median(rate[2])));
    }

    /** Trains {@code steps} batches taken in order from the data; returns samples per second. */
    private static double run(CompiledModel m, Dataset d, int batch, int steps, int firstStep) {
        Batch b = m.newBatch();
        int[] labels = d.labels();
        int features = d.featureSize();
        long start = System.nanoTime();
        for (int s = 0; s < steps; s++) {
            int row = ((firstStep + s) * batch) % (d.count() - batch);
            b.set(0, d.features(), row * features).set(1, labels, row).size(batch);
            m.trainStep(b);
        }
        return (double) steps * batch / ((System.nanoTime() - start) / 1e9);
    }

    private static double median(double[] perRound) {
        double[] v = Arrays.copyOfRange(perRound, 1, perRound.length);
        Arrays.sort(v);
        return v[v.length / 2];
    }
}
