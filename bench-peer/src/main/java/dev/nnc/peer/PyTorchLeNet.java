package dev.nnc.peer;

import ai.djl.Model;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Blocks;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.Trainer;
import ai.djl.training.initializer.XavierInitializer;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;

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
        PeerTraining.Run run = PeerTraining.start(args, 10);
        int batch = 128;
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
                PeerTraining.fit(trainer, run.data(), run.epochs(), run.seed(), batch, 1, 28, 28);
            }
        }
    }
}
