package dev.nnc.samples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nnc.runtime.CompiledModel;
import dev.nnc.runtime.data.DataSplit;
import dev.nnc.runtime.data.FashionMnist;
import dev.nnc.runtime.train.EpochStats;
import dev.nnc.runtime.train.Evaluation;
import dev.nnc.runtime.train.TrainConfig;
import dev.nnc.runtime.train.Trainer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The generated sample models, built by the real Maven plugin, trained on the real (embedded)
 * Fashion-MNIST subset: 6,000 training and 1,000 test images shipped in nnc-runtime.
 */
class EmbeddedTrainingTest {
    private static final DataSplit DATA = FashionMnist.embedded();

    @Test
    void fashionMlpLearnsFashionMnist() {
        CompiledModel m = new FashionMlp(64, 42);
        double before = Trainer.evaluate(m, DATA.test(), 64).loss();
        // 3 epochs of 6,000 images in batches of 64: 282 steps
        List<EpochStats> history = Trainer.fit(m, DATA, new TrainConfig(3, 64, 42, false), System.out, null);
        EpochStats last = history.getLast();
        assertTrue(last.testLoss() < before * 0.6, "test loss " + before + " -> " + last.testLoss());
        assertTrue(history.getFirst().trainLoss() > last.trainLoss(), "train loss falls: " + history);
        assertTrue(last.testAccuracy() > 0.70, "test accuracy " + last.testAccuracy());
        assertTrue(m.steps() >= 280);
    }

    @Test
    void deepMlpLearnsFashionMnist() {
        CompiledModel m = new DeepMlp(64, 7);
        List<EpochStats> history = Trainer.fit(m, DATA, new TrainConfig(2, 64, 7, false), System.out, null);
        assertTrue(history.getLast().testAccuracy() > 0.70, "test accuracy " + history.getLast().testAccuracy());
    }

    @Test
    void logisticLearnsFootwearVsRest() {
        CompiledModel m = new Logistic(64, 3);
        List<EpochStats> history = Trainer.fit(m, DATA, new TrainConfig(2, 64, 3, false), System.out, null);
        // 30% of Fashion-MNIST is footwear: a constant answer scores 0.70
        assertTrue(history.getLast().testAccuracy() > 0.90, "test accuracy " + history.getLast().testAccuracy());
    }

    @Test
    void weightsRoundTripThroughSafetensors(@TempDir Path dir) throws IOException {
        CompiledModel a = new FashionMlp(32, 1);
        Trainer.fit(a, DATA, new TrainConfig(1, 32, 1, false), null, null);
        Path file = dir.resolve("mlp.safetensors");
        a.saveWeights(file);
        CompiledModel b = new FashionMlp(16, 99);
        b.loadWeights(file);
        for (var p : a.parameters()) assertArrayEquals(a.parameter(p.name()), b.parameter(p.name()), p.name());
        Evaluation ea = Trainer.evaluate(a, DATA.test(), 32);
        Evaluation eb = Trainer.evaluate(b, DATA.test(), 16);
        assertEquals(ea.accuracy(), eb.accuracy(), 1e-12);
        assertEquals(ea.loss(), eb.loss(), 1e-4);
    }
}
