package dev.nnc.runtime.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nnc.runtime.Rng;
import dev.nnc.runtime.data.DataSplit;
import dev.nnc.runtime.data.Dataset;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainerTest {

    private static final int FEATURES = 20;

    /** Ten classes, class c around 3·e_c in 20 dimensions with N(0, 0.5) noise: linearly separable enough. */
    static Dataset synthetic(String name, int count, long seed) {
        Rng rng = new Rng(seed);
        float[] x = new float[count * FEATURES];
        int[] y = new int[count];
        for (int i = 0; i < count; i++) {
            int c = rng.nextInt(10);
            y[i] = c;
            for (int d = 0; d < FEATURES; d++) {
                x[i * FEATURES + d] = (float) ((d == c ? 3 : 0) + 0.5 * rng.nextGaussian());
            }
        }
        return new Dataset(name, x, y, count, new int[] {FEATURES});
    }

    static DataSplit split() {
        return new DataSplit(synthetic("synthetic train", 2000, 1), synthetic("synthetic test", 501, 2),
                "synthetic blobs");
    }

    private static PrintStream capture(ByteArrayOutputStream bytes) {
        return new PrintStream(bytes, true, StandardCharsets.UTF_8);
    }

    private static void checkLearns(SoftmaxRegression.Target target, double minAccuracy) {
        SoftmaxRegression model = new SoftmaxRegression(FEATURES, 10, target, 64, 0.5, 7);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        List<EpochStats> stats = Trainer.fit(model, split(), new TrainConfig(4, 32, 3, false), capture(out), null);
        assertEquals(4, stats.size());
        for (int i = 0; i < 4; i++) {
            assertEquals(i + 1, stats.get(i).epoch());
        }
        assertTrue(stats.get(3).trainLoss() < stats.get(0).trainLoss() * 0.8,
                target + ": train loss did not fall: " + stats);
        assertTrue(stats.get(3).testLoss() < stats.get(0).testLoss(), target + ": test loss did not fall: " + stats);
        assertTrue(stats.get(3).testAccuracy() >= minAccuracy, target + ": accuracy " + stats.get(3).testAccuracy());
        assertTrue(stats.get(3).samplesPerSecond() > 0);
        assertEquals(4 * ((2000 + 31) / 32), model.steps());
        String[] lines = out.toString(StandardCharsets.UTF_8).split("\n");
        assertEquals(4, lines.length);
        for (int i = 0; i < 4; i++) {
            assertEquals(stats.get(i).line(), lines[i]);
            assertTrue(lines[i].matches("epoch=" + (i + 1)
                    + " train_loss=\\d+\\.\\d{4} test_loss=\\d+\\.\\d{4} test_accuracy=\\d\\.\\d{4} samples_per_s=\\d+"),
                    lines[i]);
        }
    }

    @Test
    void learnsWithClassIndices() {
        checkLearns(SoftmaxRegression.Target.LABELS, 0.9);
    }

    @Test
    void learnsWithOneHotTargets() {
        checkLearns(SoftmaxRegression.Target.ONE_HOT, 0.9);
    }

    @Test
    void learnsTheBinaryFootwearTask() {
        // classes 5, 7 and 9 against the rest: separable along dimensions 5, 7 and 9
        checkLearns(SoftmaxRegression.Target.BINARY, 0.9);
    }

    @Test
    void sameSeedsSameRun() {
        List<EpochStats> a = Trainer.fit(new SoftmaxRegression(FEATURES, 10, SoftmaxRegression.Target.LABELS, 50, 0.3, 1),
                split(), new TrainConfig(2, 50, 9, false), null, null);
        List<EpochStats> b = Trainer.fit(new SoftmaxRegression(FEATURES, 10, SoftmaxRegression.Target.LABELS, 50, 0.3, 1),
                split(), new TrainConfig(2, 50, 9, false), null, null);
        for (int i = 0; i < 2; i++) {
            assertEquals(a.get(i).trainLoss(), b.get(i).trainLoss());
            assertEquals(a.get(i).testLoss(), b.get(i).testLoss());
        }
        List<EpochStats> c = Trainer.fit(new SoftmaxRegression(FEATURES, 10, SoftmaxRegression.Target.LABELS, 50, 0.3, 1),
                split(), new TrainConfig(2, 50, 10, false), null, null);
        assertTrue(c.get(0).trainLoss() != a.get(0).trainLoss(), "a different shuffle seed changes the run");
    }

    @Test
    void batchesAreCappedAtMaxBatch() {
        SoftmaxRegression model = new SoftmaxRegression(FEATURES, 10, SoftmaxRegression.Target.LABELS, 16, 0.1, 1);
        Trainer.fit(model, split(), new TrainConfig(1, 1000, 1, false), null, null);
        assertEquals(16, model.largestBatch);
        assertEquals((2000 + 15) / 16, model.steps());
    }

    @Test
    void drawsAProgressBar() {
        SoftmaxRegression model = new SoftmaxRegression(FEATURES, 10, SoftmaxRegression.Target.LABELS, 64, 0.1, 1);
        ByteArrayOutputStream bar = new ByteArrayOutputStream();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Trainer.fit(model, split(), new TrainConfig(2, 64, 1, true), capture(out), capture(bar));
        String text = bar.toString(StandardCharsets.UTF_8);
        assertTrue(text.startsWith("\repoch 1/2 ["), text);
        assertTrue(text.contains("] 32/32 loss "), text);
        assertTrue(text.contains("\repoch 2/2 ["), text);
        assertTrue(text.contains(" samples/s"), text);
        assertTrue(text.endsWith("\r"), "the bar is erased at the end of the epoch");
        assertTrue(!text.contains("\n"));
        assertEquals(2, out.toString(StandardCharsets.UTF_8).split("\n").length);
        // no bar when progress is off
        ByteArrayOutputStream none = new ByteArrayOutputStream();
        Trainer.fit(model, split(), new TrainConfig(1, 64, 1, false), null, capture(none));
        assertEquals(0, none.size());
    }

    @Test
    void evaluateWeighsBatchesByRows() {
        SoftmaxRegression model = new SoftmaxRegression(FEATURES, 10, SoftmaxRegression.Target.LABELS, 1000, 0.5, 1);
        Trainer.fit(model, split(), new TrainConfig(1, 100, 1, false), null, null);
        Dataset test = split().test();
        Evaluation whole = Trainer.evaluate(model, test, 1000);
        Evaluation pieces = Trainer.evaluate(model, test, 7); // 501 = 71 * 7 + 4
        assertEquals(whole.loss(), pieces.loss(), 1e-5);
        assertEquals(whole.accuracy(), pieces.accuracy(), 1e-12);
        assertTrue(whole.accuracy() > 0.85, "accuracy " + whole.accuracy());
        Evaluation empty = Trainer.evaluate(model, new Dataset("none", new float[0], new int[0], 0, new int[] {FEATURES}), 10);
        assertTrue(Double.isNaN(empty.loss()));
        assertThrows(IllegalArgumentException.class, () -> Trainer.evaluate(model, test, 0));
    }

    @Test
    void rejectsDataOfTheWrongSize() {
        SoftmaxRegression model = new SoftmaxRegression(FEATURES, 10, SoftmaxRegression.Target.LABELS, 10, 0.1, 1);
        Dataset wrong = new Dataset("pictures", new float[4 * 28 * 28], new int[4], 4, new int[] {1, 28, 28});
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Trainer.fit(model, new DataSplit(wrong, wrong, "pictures"), new TrainConfig(1, 2, 1, false), null, null));
        assertEquals("input 'x' [N, 20] of model 'SoftmaxRegression' takes 20 values per example, but data set"
                + " 'pictures' has 784 [1, 28, 28]", e.getMessage());
    }

    @Test
    void rejectsAnUnusableTarget() {
        SoftmaxRegression model = new SoftmaxRegression(FEATURES, 3, SoftmaxRegression.Target.ONE_HOT, 10, 0.1, 1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Trainer.fit(model, split(), new TrainConfig(1, 2, 1, false), null, null));
        assertTrue(e.getMessage().startsWith("target 'y' f32[N, 3] of model 'SoftmaxRegression' has 3 values per row"),
                e.getMessage());
    }

    @Test
    void epochStatsLine() {
        assertEquals("epoch=3 train_loss=0.3012 test_loss=0.3321 test_accuracy=0.8817 samples_per_s=41234",
                new EpochStats(3, 0.30123, 0.33214, 0.88171, 41234.4).line());
        assertEquals("epoch=1 train_loss=2.0000 test_loss=NaN test_accuracy=1.0000 samples_per_s=2",
                new EpochStats(1, 2, Double.NaN, 1, 1.5).line());
    }

    @Test
    void trainConfigIsChecked() {
        assertThrows(IllegalArgumentException.class, () -> new TrainConfig(-1, 10, 1, false));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new TrainConfig(1, 0, 1, false));
        assertEquals("the batch size must be positive, got 0", e.getMessage());
    }

    @TempDir
    Path dir;

    @Test
    void weightsSurviveASaveAndLoad() throws IOException {
        SoftmaxRegression a = new SoftmaxRegression(FEATURES, 10, SoftmaxRegression.Target.LABELS, 64, 0.5, 1);
        Trainer.fit(a, split(), new TrainConfig(1, 64, 1, false), null, null);
        Path file = dir.resolve("a.safetensors");
        a.saveWeights(file);
        SoftmaxRegression b = new SoftmaxRegression(FEATURES, 10, SoftmaxRegression.Target.LABELS, 64, 0.5, 99);
        b.loadWeights(file);
        assertArrayEquals(a.parameter("w"), b.parameter("w"));
        assertEquals(Trainer.evaluate(a, split().test(), 64), Trainer.evaluate(b, split().test(), 64));
    }
}
