package dev.nnc.peer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import dev.nnc.runtime.data.DataSplit;
import dev.nnc.runtime.data.Dataset;
import java.util.Locale;
import java.util.Random;

/**
 * The training loop the PyTorch peers share, written as {@code nnc train} runs its own: the full
 * training set shuffled every epoch (Fisher-Yates with {@code java.util.Random(seed)}), whole
 * batches only, the rows copied into one input array per step (as an application would), then one
 * line per epoch in {@code nnc train}'s format with the test accuracy.
 */
final class PeerTraining {
    private PeerTraining() {
    }

    /** A peer's run: its epochs and seed from the command line, the data it trains on. */
    record Run(int epochs, long seed, DataSplit data) {
    }

    /**
     * {@code [epochs] [seed]} from {@code args} (default epochs, seed 42); loads Fashion-MNIST, says
     * which, and seeds PyTorch's generator.
     */
    static Run start(String[] args, int defaultEpochs) throws java.io.IOException {
        int epochs = args.length > 0 ? Integer.parseInt(args[0]) : defaultEpochs;
        long seed = args.length > 1 ? Long.parseLong(args[1]) : 42;
        DataSplit data = dev.nnc.runtime.data.FashionMnist.load();
        System.out.println("data: " + data.description());
        ai.djl.engine.Engine.getEngine("PyTorch").setRandomSeed((int) seed);
        return new Run(epochs, seed, data);
    }

    /**
     * Trains {@code trainer}'s model for {@code epochs} epochs; each example is reshaped to
     * {@code example} (e.g. {@code 784} or {@code 1, 28, 28}).
     */
    static void fit(Trainer trainer, DataSplit data, int epochs, long seed, int batch, long... example) {
        NDManager manager = trainer.getManager();
        Dataset train = data.train();
        int n = train.count();
        int fs = train.featureSize();
        int[] order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        Random rnd = new Random(seed);
        float[] x = new float[batch * fs];
        float[] y = new float[batch];
        Shape shape = batchShape(batch, example);
        for (int epoch = 1; epoch <= epochs; epoch++) {
            for (int i = n - 1; i > 0; i--) {
                int j = rnd.nextInt(i + 1);
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
            long start = System.nanoTime();
            double lossSum = 0;
            int steps = 0;
            for (int b = 0; b + batch <= n; b += batch) {
                for (int r = 0; r < batch; r++) {
                    System.arraycopy(train.features(), order[b + r] * fs, x, r * fs, fs);
                    y[r] = train.labels()[order[b + r]];
                }
                try (NDManager step = manager.newSubManager()) {
                    NDArray xs = step.create(x, shape);
                    NDArray ys = step.create(y, new Shape(batch));
                    try (GradientCollector gc = trainer.newGradientCollector()) {
                        NDList out = trainer.forward(new NDList(xs));
                        NDArray loss = trainer.getLoss().evaluate(new NDList(ys), out);
                        gc.backward(loss);
                        lossSum += loss.getFloat();
                    }
                    trainer.step();
                    steps++;
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            double accuracy = accuracy(trainer, data.test(), example);
            System.out.printf(Locale.ROOT, "epoch=%d train_loss=%.4f test_accuracy=%.4f samples_per_s=%.0f%n", epoch,
                    lossSum / steps, accuracy, steps * batch / seconds);
        }
    }

    /** The fraction of {@code test} whose largest logit is its label, in batches of 500. */
    static double accuracy(Trainer trainer, Dataset test, long... example) {
        NDManager manager = trainer.getManager();
        int fs = test.featureSize();
        int correct = 0;
        int batch = 500;
        for (int b = 0; b < test.count(); b += batch) {
            int rows = Math.min(batch, test.count() - b);
            float[] x = new float[rows * fs];
            System.arraycopy(test.features(), b * fs, x, 0, rows * fs);
            try (NDManager step = manager.newSubManager()) {
                NDArray logits = trainer.evaluate(new NDList(step.create(x, batchShape(rows, example)))).singletonOrThrow();
                long[] predicted = logits.argMax(1).toType(DataType.INT64, false).toLongArray();
                for (int r = 0; r < rows; r++) if (predicted[r] == test.labels()[b + r]) correct++;
            }
        }
        return (double) correct / test.count();
    }

    private static Shape batchShape(int rows, long... example) {
        long[] dims = new long[example.length + 1];
        dims[0] = rows;
        System.arraycopy(example, 0, dims, 1, example.length);
        return new Shape(dims);
    }
}
