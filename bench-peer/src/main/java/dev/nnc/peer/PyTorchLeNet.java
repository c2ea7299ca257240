package dev.nnc.peer;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Blocks;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.initializer.XavierInitializer;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import dev.nnc.runtime.data.DataSplit;
import dev.nnc.runtime.data.Dataset;
import dev.nnc.runtime.data.FashionMnist;
import java.util.Random;

/**
 * The LeNet5 recipe of samples/src/main/nn/lenet5.nn on PyTorch's CPU build (through DJL): the
 * same layers, Xavier-uniform weights and zero biases (nnc's defaults), SGD with learning rate
 * 0.05 and momentum 0.9, batch 128, cross-entropy, the full Fashion-MNIST scaled to [0, 1],
 * shuffled every epoch. Prints the test accuracy after every epoch, as {@code nnc train} does.
 *
 * <p>Run: {@code bench/peer PyTorchLeNet [epochs] [seed]}.
 */
public final class PyTorchLeNet {
    private PyTorchLeNet() {
    }

    public static void main(String[] args) throws Exception {
        int epochs = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        long seed = args.length > 1 ? Long.parseLong(args[1]) : 42;
        int batch = 128;
        DataSplit data = FashionMnist.load();
        System.out.println("data: " + data.description());
        ai.djl.engine.Engine.getEngine("PyTorch").setRandomSeed((int) seed);
        SequentialBlock net = new SequentialBlock()
                .add(Conv2d.builder().setKernelShape(new Shape(5, 5)).optPadding(new Shape(2, 2)).setFilters(6).build())
                .add(Activation::relu)
                .add(Pool.maxPool2dBlock(new Shape(2, 2), new Shape(2, 2)))
                .add(Conv2d.builder().setKernelShape(new Shape(5, 5)).setFilters(16).build())
                .add(Activation::relu)
                .add(Pool.maxPool2dBlock(new Shape(2, 2), new Shape(2, 2)))
                .add(Blocks.batchFlattenBlock())
                .add(Linear.builder().setUnits(120).build())
                .add(Activation::relu)
                .add(Linear.builder().setUnits(84).build())
                .add(Activation::relu)
                .add(Linear.builder().setUnits(10).build());
        try (Model model = Model.newInstance("lenet5", "PyTorch")) {
            model.setBlock(net);
            DefaultTrainingConfig config = new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                    .optInitializer(new XavierInitializer(XavierInitializer.RandomType.UNIFORM,
                            XavierInitializer.FactorType.AVG, 6), ai.djl.nn.Parameter.Type.WEIGHT)
                    .optOptimizer(Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.05f)).optMomentum(0.9f).build());
            try (Trainer trainer = model.newTrainer(config)) {
                trainer.initialize(new Shape(batch, 1, 28, 28));
                NDManager manager = trainer.getManager();
                Dataset train = data.train();
                int n = train.count();
                int[] order = new int[n];
                for (int i = 0; i < n; i++) order[i] = i;
                Random rnd = new Random(seed);
                float[] x = new float[batch * 784];
                float[] y = new float[batch];
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
                            System.arraycopy(train.features(), order[b + r] * 784, x, r * 784, 784);
                            y[r] = train.labels()[order[b + r]];
                        }
                        try (NDManager step = manager.newSubManager()) {
                            NDArray xs = step.create(x, new Shape(batch, 1, 28, 28));
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
                    double accuracy = accuracy(trainer, manager, data.test());
                    System.out.printf(java.util.Locale.ROOT,
                            "epoch=%d train_loss=%.4f test_accuracy=%.4f samples_per_s=%.0f%n", epoch, lossSum / steps,
                            accuracy, steps * batch / seconds);
                }
            }
        }
    }

    private static double accuracy(Trainer trainer, NDManager manager, Dataset test) {
        int correct = 0;
        int batch = 500;
        for (int b = 0; b < test.count(); b += batch) {
            int rows = Math.min(batch, test.count() - b);
            float[] x = new float[rows * 784];
            System.arraycopy(test.features(), b * 784, x, 0, rows * 784);
            try (NDManager step = manager.newSubManager()) {
                NDArray logits = trainer.evaluate(new NDList(step.create(x, new Shape(rows, 1, 28, 28)))).singletonOrThrow();
                long[] predicted = logits.argMax(1).toType(ai.djl.ndarray.types.DataType.INT64, false).toLongArray();
                for (int r = 0; r < rows; r++) if (predicted[r] == test.labels()[b + r]) correct++;
            }
        }
        return (double) correct / test.count();
    }
}
