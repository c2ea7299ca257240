package dev.nnc.peer;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import dev.nnc.runtime.data.Dataset;
import dev.nnc.runtime.data.FashionMnist;
import java.util.Arrays;
import java.util.Locale;

/**
 * The inference side of fashion_mlp.nn (784-256-relu-10; dropout is off in inference) on PyTorch's
 * CPU build through DJL, measured as {@code bench/run Latency} measures nnc: the median µs of one
 * forward pass on one sample (2,000 calls on successive test images, the input copied in and the
 * logits copied out, as an application would), and samples/s at batch 256 over 40 batches, in
 * rounds after one warm-up round.
 *
 * <p>Run: {@code bench/peer PyTorchMlpLatency [rounds=5]}.
 */
public final class PyTorchMlpLatency {
    private PyTorchMlpLatency() {
    }

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        Dataset test = FashionMnist.load().test();
        SequentialBlock net = new SequentialBlock()
                .add(Linear.builder().setUnits(256).build())
                .add(Activation::relu)
                .add(Linear.builder().setUnits(10).build());
        try (Model model = Model.newInstance("mlp", "PyTorch")) {
            model.setBlock(net);
            try (Trainer trainer = model.newTrainer(new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss()))) {
                trainer.initialize(new Shape(1, 784));
                NDManager manager = trainer.getManager();
                double[] lat = new double[rounds];
                double[] thr = new double[rounds];
                for (int round = 0; round <= rounds; round++) {
                    double l = latency(trainer, manager, test);
                    double t = throughput(trainer, manager, test);
                    if (round > 0) {
                        lat[round - 1] = l;
                        thr[round - 1] = t;
                    }
                }
                Arrays.sort(lat);
                Arrays.sort(thr);
                System.out.printf(Locale.ROOT, "PyTorch (DJL), MLP 784-256-10: batch 1 median %.1f µs per forward; "
                        + "batch 256 %.0f samples/s%n", lat[rounds / 2], thr[rounds / 2]);
            }
        }
    }

    private static double latency(Trainer trainer, NDManager manager, Dataset d) {
        float[] x = new float[784];
        long[] t = new long[2000];
        for (int i = 0; i < t.length; i++) {
            System.arraycopy(d.features(), (i % d.count()) * 784, x, 0, 784);
            long t0 = System.nanoTime();
            try (NDManager step = manager.newSubManager()) {
                NDArray logits = trainer.evaluate(new NDList(step.create(x, new Shape(1, 784)))).singletonOrThrow();
                logits.toFloatArray();
            }
            t[i] = System.nanoTime() - t0;
        }
        Arrays.sort(t);
        return t[t.length / 2] / 1e3;
    }

    private static double throughput(Trainer trainer, NDManager manager, Dataset d) {
        float[] x = new float[256 * 784];
        int steps = 40;
        long t0 = System.nanoTime();
        for (int s = 0; s < steps; s++) {
            int row = (s * 256) % (d.count() - 256);
            System.arraycopy(d.features(), row * 784, x, 0, x.length);
            try (NDManager step = manager.newSubManager()) {
                trainer.evaluate(new NDList(step.create(x, new Shape(256, 784)))).singletonOrThrow().toFloatArray();
            }
        }
        return steps * 256 / ((System.nanoTime() - t0) / 1e9);
    }
}
