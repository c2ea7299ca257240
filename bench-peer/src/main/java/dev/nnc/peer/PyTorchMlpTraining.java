package dev.nnc.peer;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.Dropout;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.Trainer;
import ai.djl.training.initializer.XavierInitializer;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import java.util.Random;

/**
 * The recipe of samples/src/main/nn/fashion_mlp.nn on PyTorch's CPU build (through DJL): dense 256
 * with He-normal weights, relu, dropout 0.2, dense 10 with Xavier-uniform weights, zero biases,
 * cross-entropy, Adam (learning rate 1e-3) with an L2 term of 5e-4 added to the gradients (DJL's
 * weight decay; it also decays the biases, which nnc's {@code l2} leaves alone), batch 128, the full
 * Fashion-MNIST scaled to [0, 1], shuffled every epoch. Prints one line per epoch in the format of
 * {@code nnc train}.
 *
 * <p>Run: {@code bench/peer PyTorchMlpTraining [epochs=3] [seed]}.
 */
public final class PyTorchMlpTraining {
    private PyTorchMlpTraining() {
    }

    public static void main(String[] args) throws Exception {
        PeerTraining.Run run = PeerTraining.start(args, 3);
        int batch = 128;
        SequentialBlock net = new SequentialBlock()
                .add(Linear.builder().setUnits(256).build())
                .add(Activation::relu)
                .add(Dropout.builder().optRate(0.2f).build())
                .add(Linear.builder().setUnits(10).build());
        try (Model model = Model.newInstance("fashion_mlp", "PyTorch")) {
            model.setBlock(net);
            DefaultTrainingConfig config = new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                    .optInitializer(new XavierInitializer(XavierInitializer.RandomType.UNIFORM,
                            XavierInitializer.FactorType.AVG, 6), ai.djl.nn.Parameter.Type.WEIGHT)
                    .optOptimizer(Optimizer.adam().optLearningRateTracker(Tracker.fixed(1e-3f))
                            .optWeightDecays(5e-4f).build());
            try (Trainer trainer = model.newTrainer(config)) {
                trainer.initialize(new Shape(batch, 784));
                heNormal(net.getChildren().get(0).getValue(), 784, run.seed());
                PeerTraining.fit(trainer, run.data(), run.epochs(), run.seed(), batch, 784);
            }
        }
    }

    /** He-normal weights (standard deviation sqrt(2 / fan_in)) for the first layer, as fashion_mlp.nn asks. */
    private static void heNormal(Block dense, int fanIn, long seed) {
        NDArray w = dense.getParameters().get("weight").getArray();
        Random r = new Random(seed);
        float[] v = new float[Math.toIntExact(w.size())];
        double std = Math.sqrt(2.0 / fanIn);
        for (int i = 0; i < v.length; i++) v[i] = (float) (r.nextGaussian() * std);
        w.set(v);
    }
}
