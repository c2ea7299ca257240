package dev.nnc.samples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nnc.runtime.Batch;
import dev.nnc.runtime.CompiledModel;
import dev.nnc.runtime.DType;
import dev.nnc.runtime.TensorInfo;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The classes generated from the three reference programs: their shape, and that they learn. */
class SamplesTest {

    private static final int BATCH = 64;

    private static List<String> names(List<TensorInfo> tensors) {
        return tensors.stream().map(TensorInfo::name).toList();
    }

    private static void print(CompiledModel m) {
        System.out.println(m.name() + " " + m.dtype());
        m.feeds().forEach(t -> System.out.println("  " + t));
        m.outputs().forEach(t -> System.out.println("  " + t));
        m.parameters().forEach(t -> System.out.println("  " + t + " at " + t.offset()));
    }

    private static void assertShape(TensorInfo t, int... shape) {
        assertArrayEquals(shape, t.shape(), t.name() + " has shape " + t.shapeText());
    }

    /** Parameters tile the flat buffer in order, without gaps. */
    private static void assertContiguous(List<TensorInfo> params) {
        int offset = 0;
        for (TensorInfo p : params) {
            assertEquals(TensorInfo.Role.PARAM, p.role());
            assertEquals(offset, p.offset(), p.name());
            offset += p.rowSize();
        }
    }

    @Test
    void logistic() {
        CompiledModel m = new Logistic(BATCH, 1L);
        print(m);
        assertEquals("Logistic", m.name());
        assertEquals(DType.F32, m.dtype());
        assertEquals(BATCH, m.maxBatch());
        assertEquals(List.of("x", "y"), names(m.feeds()));
        assertShape(m.feeds().get(0), -1, 784);
        assertShape(m.feeds().get(1), -1, 1);
        assertEquals(DType.F32, m.feeds().get(1).dtype());
        assertEquals(List.of("p"), names(m.outputs()));
        assertEquals(List.of("w", "b"), names(m.parameters()));
        assertShape(m.parameters().get(0), 784, 1);
        assertShape(m.parameters().get(1), 1);
        assertContiguous(m.parameters());
        assertTrue(java.util.Arrays.stream(m.parameter("b")).allMatch(v -> v == 0), "b = zeros");
    }

    @Test
    void fashionMlp() {
        CompiledModel m = new FashionMlp(BATCH, 1L);
        print(m);
        assertEquals("FashionMlp", m.name());
        assertEquals(List.of("x", "y"), names(m.feeds()));
        assertEquals(DType.I32, m.feeds().get(1).dtype());
        assertShape(m.feeds().get(1), -1);
        assertEquals(List.of("logits"), names(m.outputs()));
        assertShape(m.outputs().get(0), -1, 10);
        assertEquals(List.of("dense_1.weight", "dense_1.bias", "classifier.weight", "classifier.bias"),
                names(m.parameters()));
        assertShape(m.parameters().get(0), 784, 256);
        assertShape(m.parameters().get(1), 256);
        assertShape(m.parameters().get(2), 256, 10);
        assertShape(m.parameters().get(3), 10);
        assertContiguous(m.parameters());
    }

    @Test
    void deepMlp() {
        CompiledModel m = new DeepMlp(BATCH, 1L);
        print(m);
        assertEquals("DeepMlp", m.name());
        assertEquals(List.of("x", "y"), names(m.feeds()));
        assertEquals(1, m.outputs().size());
        assertShape(m.outputs().get(0), -1, 10);
        List<TensorInfo> params = m.parameters();
        assertEquals(8, params.size(), names(params).toString());
        // each Hidden call has its own scope: three distinct prefixes, then the final dense layer
        int[] widths = {784, 128, 64, 32, 10};
        for (int layer = 0; layer < 4; layer++) {
            TensorInfo weight = params.get(2 * layer);
            TensorInfo bias = params.get(2 * layer + 1);
            assertTrue(weight.name().endsWith(".weight") && bias.name().endsWith(".bias"), weight + ", " + bias);
            assertShape(weight, widths[layer], widths[layer + 1]);
            assertShape(bias, widths[layer + 1]);
            if (layer < 3) {
                assertTrue(weight.name().startsWith("Hidden_" + (layer + 1) + "."), weight.name());
            }
        }
        assertEquals("Hidden_1.dense_1.weight", params.get(0).name());
        assertEquals(8, names(params).stream().distinct().count());
        assertContiguous(params);
    }

    @Test
    void sameSeedSameInitialParameters() {
        assertArrayEquals(new FashionMlp(8, 7L).parameter("dense_1.weight"),
                new FashionMlp(8, 7L).parameter("dense_1.weight"));
    }

    @Test
    void unknownModelIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> TrainSample.create("Nope", 8, 1L));
        assertEquals("DeepMlp", TrainSample.create("DeepMlp", 8, 1L).name());
    }

    @Test
    void logisticLearns() {
        assertLossFalls(new Logistic(BATCH, 3L), 60);
    }

    @Test
    void fashionMlpLearns() {
        assertLossFalls(new FashionMlp(BATCH, 3L), 40);
    }

    @Test
    void deepMlpLearns() {
        assertLossFalls(new DeepMlp(BATCH, 3L), 60);
    }

    /**
     * A small learnable task shaped like Fashion-MNIST: each of ten classes has a fixed random
     * 784-pixel prototype, each row is its class's prototype plus noise. Binary models (a target of
     * one float per row) learn "class < 5".
     */
    static final class Synthetic {
        final float[] x;
        final int[] labels;
        final float[] binary;
        final int rows;

        Synthetic(int rows, long seed) {
            this.rows = rows;
            Random r = new Random(seed);
            float[][] prototypes = new float[10][784];
            for (float[] p : prototypes) {
                for (int i = 0; i < p.length; i++) {
                    p[i] = r.nextFloat();
                }
            }
            x = new float[rows * 784];
            labels = new int[rows];
            binary = new float[rows];
            for (int row = 0; row < rows; row++) {
                int c = r.nextInt(10);
                labels[row] = c;
                binary[row] = c < 5 ? 1f : 0f;
                for (int i = 0; i < 784; i++) {
                    x[row * 784 + i] = 0.5f * prototypes[c][i] + 0.5f * r.nextFloat();
                }
            }
        }

        /** Rows {@code [start, start + size)} into {@code batch}, the target chosen to match the model. */
        Batch fill(CompiledModel model, Batch batch, int start, int size) {
            TensorInfo target = model.feeds().get(1);
            Object y = target.dtype() == DType.I32 ? labels : binary;
            return batch.set(0, x, start * 784).set(1, y, start).size(size);
        }
    }

    private static void assertLossFalls(CompiledModel model, int steps) {
        Synthetic data = new Synthetic(BATCH * 8, 11L);
        Batch batch = model.newBatch();
        double[] losses = new double[steps];
        for (int step = 0; step < steps; step++) {
            int start = (step % 8) * BATCH;
            losses[step] = model.trainStep(data.fill(model, batch, start, BATCH));
            assertTrue(Double.isFinite(losses[step]), "step " + step + ": loss " + losses[step]);
        }
        assertEquals(steps, model.steps());
        double first = mean(losses, 0, 8);
        double last = mean(losses, steps - 8, steps);
        System.out.printf("%s: mean loss of the first 8 steps %.4f, of the last 8 %.4f%n", model.name(), first, last);
        assertTrue(last < 0.8 * first, model.name() + ": loss did not fall: " + first + " -> " + last);
    }

    private static double mean(double[] values, int from, int to) {
        double sum = 0;
        for (int i = from; i < to; i++) {
            sum += values[i];
        }
        return sum / (to - from);
    }
}
