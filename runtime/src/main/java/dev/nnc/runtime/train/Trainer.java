package dev.nnc.runtime.train;

import dev.nnc.runtime.Batch;
import dev.nnc.runtime.CompiledModel;
import dev.nnc.runtime.DType;
import dev.nnc.runtime.Parallel;
import dev.nnc.runtime.Rng;
import dev.nnc.runtime.TensorInfo;
import dev.nnc.runtime.data.DataSplit;
import dev.nnc.runtime.data.Dataset;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Trains and evaluates any {@link CompiledModel} on a labelled {@link Dataset}: the loop that the
 * samples, the CLI and the benchmarks share.
 *
 * <p><b>Feeds.</b> The model must have exactly one feed of role {@code INPUT} and one of role
 * {@code TARGET} (in {@link CompiledModel#feeds()} order, any positions). The input receives the
 * examples' features; its row size must equal the data set's
 * {@link Dataset#featureSize() featureSize()}. The target receives the labels, in the form its
 * declaration asks for:
 * <ul>
 *   <li>{@code i32} with 1 value per row ({@code [N]}): the class indices;</li>
 *   <li>{@code f32}/{@code f64} with 10 values per row: one-hot rows (labels must be 0..9);</li>
 *   <li>{@code f32}/{@code f64} with 1 value per row: a binary task on Fashion-MNIST's classes,
 *       <em>footwear vs rest</em>: 1.0 for Sandal (5), Sneaker (7) and Ankle boot (9), else 0.0.</li>
 * </ul>
 * Anything else is an {@link IllegalArgumentException} naming the feed.
 *
 * <p><b>Accuracy</b> is read from output 0: when it has more than one value per row, the predicted
 * class is the row's arg-max, compared with the label; with one value per row it is a probability,
 * thresholded at 0.5 and compared with the binary (footwear) label.
 *
 * <p><b>Buffers.</b> The batch arrays are allocated once per call of {@link #fit} or
 * {@link #evaluate}; a step only copies the chosen rows into them.
 */
public final class Trainer {

    /** Row size of a one-hot target. */
    static final int ONE_HOT_CLASSES = 10;
    /** How often the progress bar is redrawn at most. */
    private static final long REDRAW_NANOS = 100_000_000L;

    private Trainer() {
    }

    /**
     * Trains {@code model} for {@code cfg.epochs()} epochs on {@code data.train()}, evaluating on
     * {@code data.test()} after each epoch. Each epoch visits the training examples in a new order
     * (Fisher–Yates shuffle from an {@link Rng} seeded with {@code cfg.seed()}), in batches of
     * {@code min(cfg.batchSize(), model.maxBatch())} rows (the last one may be smaller), one
     * {@link CompiledModel#trainStep} each.
     *
     * @param out      receives one {@link EpochStats#line()} per epoch (null: print nothing)
     * @param progress receives the progress bar, redrawn in place with {@code '\r'} at most ten times a
     *                 second, when {@code cfg.progress()} (null: no bar)
     * @return one entry per epoch
     * @throws IllegalArgumentException when the model's feeds do not fit the data (see the class comment)
     */
    public static List<EpochStats> fit(CompiledModel model, DataSplit data, TrainConfig cfg, PrintStream out,
                                       PrintStream progress) {
        Dataset train = data.train();
        Dataset test = data.test();
        if (train.count() == 0) {
            throw new IllegalArgumentException("the training set '" + train.name() + "' is empty");
        }
        Feeder feeder = new Feeder(model, Math.min(cfg.batchSize(), model.maxBatch()));
        feeder.check(train);
        feeder.check(test);
        int n = train.count();
        int batchSize = feeder.capacity;
        int steps = (n + batchSize - 1) / batchSize;
        int[] order = new int[n];
        Rng rng = new Rng(cfg.seed());
        List<EpochStats> stats = new ArrayList<>();
        for (int epoch = 1; epoch <= cfg.epochs(); epoch++) {
            for (int i = 0; i < n; i++) {
                order[i] = i;
            }
            for (int i = n - 1; i > 0; i--) {
                int j = rng.nextInt(i + 1);
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
            ProgressBar bar = cfg.progress() && progress != null
                    ? new ProgressBar(progress, epoch, cfg.epochs(), steps) : null;
            double lossSum = 0;
            long start = System.nanoTime();
            for (int s = 0; s < steps; s++) {
                int lo = s * batchSize;
                int rows = Math.min(batchSize, n - lo);
                feeder.gather(train, order, lo, rows);
                lossSum += model.trainStep(feeder.batch);
                if (bar != null) {
                    bar.update(s + 1, lossSum / (s + 1), lo + rows, System.nanoTime() - start);
                }
            }
            long nanos = Math.max(1, System.nanoTime() - start);
            if (bar != null) {
                bar.clear();
            }
            Evaluation ev = feeder.evaluate(test);
            EpochStats st = new EpochStats(epoch, lossSum / steps, ev.loss(), ev.accuracy(), n * 1e9 / nanos);
            stats.add(st);
            if (out != null) {
                out.println(st.line());
                out.flush();
            }
        }
        return stats;
    }

    /**
     * The mean loss ({@link CompiledModel#loss}, inference mode, weighted by rows) and accuracy of
     * {@code model} on {@code data}, in order, in batches of {@code min(batchSize, model.maxBatch())}.
     *
     * @throws IllegalArgumentException when the model's feeds do not fit the data, or {@code batchSize <= 0}
     */
    public static Evaluation evaluate(CompiledModel model, Dataset data, int batchSize) {
        if (batchSize <= 0) {
            throw new IllegalArgumentException("the batch size must be positive, got " + batchSize);
        }
        Feeder feeder = new Feeder(model, Math.min(batchSize, model.maxBatch()));
        feeder.check(data);
        return feeder.evaluate(data);
    }

    /** Whether a Fashion-MNIST label is footwear (Sandal 5, Sneaker 7, Ankle boot 9). */
    static boolean isFootwear(int label) {
        return label == 5 || label == 7 || label == 9;
    }

    /** How labels are written into the target feed. */
    private enum TargetKind { LABELS, ONE_HOT, BINARY }

    /** The batch buffers of one model, and the copying of data rows into them. */
    private static final class Feeder implements Parallel.RangeBody {
        final CompiledModel model;
        final Batch batch;
        final int capacity;
        private final TensorInfo input;
        private final TensorInfo target;
        private final TargetKind kind;
        private final float[] inputs;
        private final int[] labels;
        private final float[] floatTargets;
        private final int outputRowSize;
        private final float[] outputs;

        Feeder(CompiledModel model, int capacity) {
            if (capacity <= 0) {
                throw new IllegalArgumentException("model '" + model.name() + "' has a maximum batch size of "
                        + model.maxBatch() + "; it cannot take a batch");
            }
            this.model = model;
            this.capacity = capacity;
            List<TensorInfo> feeds = model.feeds();
            int inputSlot = single(model, feeds, TensorInfo.Role.INPUT, "input");
            int targetSlot = single(model, feeds, TensorInfo.Role.TARGET, "target");
            input = feeds.get(inputSlot);
            target = feeds.get(targetSlot);
            if (input.dtype() == DType.I32) {
                throw new IllegalArgumentException("input '" + input.name() + "' of model '" + model.name()
                        + "' is i32; the trainer feeds it image pixels and needs f32 or f64");
            }
            if (target.dtype() == DType.I32) {
                kind = TargetKind.LABELS;
            } else if (target.rowSize() == ONE_HOT_CLASSES) {
                kind = TargetKind.ONE_HOT;
            } else if (target.rowSize() == 1) {
                kind = TargetKind.BINARY;
            } else {
                throw new IllegalArgumentException("target '" + target.name() + "' " + target.dtype().name().toLowerCase()
                        + target.shapeText() + " of model '" + model.name() + "' has " + target.rowSize()
                        + " values per row; the trainer feeds i32 class indices, f32/f64 one-hot rows of "
                        + ONE_HOT_CLASSES + ", or f32/f64 binary labels (1 per row, footwear vs rest)");
            }
            if (kind == TargetKind.LABELS && target.rowSize() != 1) {
                throw new IllegalArgumentException("target '" + target.name() + "' i32" + target.shapeText() + " of model '"
                        + model.name() + "' takes " + target.rowSize() + " labels per example; the trainer has one"
                        + " class index per example");
            }
            inputs = new float[capacity * input.rowSize()];
            labels = kind == TargetKind.LABELS ? new int[capacity] : null;
            floatTargets = kind == TargetKind.LABELS ? null : new float[capacity * target.rowSize()];
            batch = model.newBatch();
            batch.set(inputSlot, inputs, 0);
            batch.set(targetSlot, labels != null ? labels : floatTargets, 0);
            List<TensorInfo> outs = model.outputs();
            outputRowSize = outs.isEmpty() || !outs.get(0).batched() ? 0 : outs.get(0).rowSize();
            outputs = outputRowSize > 0 ? new float[capacity * outputRowSize] : null;
        }

        private static int single(CompiledModel model, List<TensorInfo> feeds, TensorInfo.Role role, String what) {
            int slot = -1;
            List<String> names = new ArrayList<>();
            for (int i = 0; i < feeds.size(); i++) {
                if (feeds.get(i).role() == role) {
                    slot = i;
                    names.add(feeds.get(i).name());
                }
            }
            if (names.size() != 1) {
                throw new IllegalArgumentException("the trainer drives models with exactly one " + what + " feed; model '"
                        + model.name() + "' has " + (names.isEmpty() ? "none" : names.size() + " (" + String.join(", ", names) + ")"));
            }
            return slot;
        }

        /** Checks that {@code data}'s examples fit the input feed. */
        void check(Dataset data) {
            if (data.featureSize() != input.rowSize()) {
                throw new IllegalArgumentException("input '" + input.name() + "' " + input.shapeText() + " of model '"
                        + model.name() + "' takes " + input.rowSize() + " values per example, but data set '" + data.name()
                        + "' has " + data.featureSize() + " " + Arrays.toString(data.featureShape()));
            }
        }

        // the running gather's source, for the parallel copy of the features (run)
        private float[] gatherFeatures;
        private int[] gatherOrder;
        private int gatherFrom;

        /** Copies examples {@code order[from .. from+rows)} (or {@code from..} when order is null) into the batch. */
        void gather(Dataset data, int[] order, int from, int rows) {
            int[] dataLabels = data.labels();
            if (kind == TargetKind.ONE_HOT) {
                Arrays.fill(floatTargets, 0, rows * ONE_HOT_CLASSES, 0f);
            }
            // the rows are scattered over the data set (cache misses): both cores copy
            gatherFeatures = data.features();
            gatherOrder = order;
            gatherFrom = from;
            Parallel.forRange(rows, 16, this);
            gatherFeatures = null;
            gatherOrder = null;
            for (int r = 0; r < rows; r++) {
                int idx = order == null ? from + r : order[from + r];
                int label = dataLabels[idx];
                switch (kind) {
                    case LABELS -> labels[r] = label;
                    case ONE_HOT -> {
                        if (label < 0 || label >= ONE_HOT_CLASSES) {
                            throw new IllegalArgumentException("data set '" + data.name() + "': label " + label
                                    + " of example " + idx + " does not fit the one-hot target '" + target.name()
                                    + "' of " + ONE_HOT_CLASSES + " classes");
                        }
                        floatTargets[r * ONE_HOT_CLASSES + label] = 1f;
                    }
                    case BINARY -> floatTargets[r] = isFootwear(label) ? 1f : 0f;
                }
            }
            batch.size(rows);
        }

        /** Copies the features of batch rows {@code [lo, hi)} of the running gather. */
        @Override
        public void run(int lo, int hi) {
            int fs = input.rowSize();
            for (int r = lo; r < hi; r++) {
                int idx = gatherOrder == null ? gatherFrom + r : gatherOrder[gatherFrom + r];
                System.arraycopy(gatherFeatures, idx * fs, inputs, r * fs, fs);
            }
        }

        Evaluation evaluate(Dataset data) {
            int n = data.count();
            if (n == 0) {
                return new Evaluation(Double.NaN, Double.NaN);
            }
            double lossSum = 0;
            long correct = 0;
            int[] dataLabels = data.labels();
            for (int lo = 0; lo < n; lo += capacity) {
                int rows = Math.min(capacity, n - lo);
                gather(data, null, lo, rows);
                lossSum += model.loss(batch) * rows;
                if (outputs == null) {
                    continue;
                }
                model.copyOutput(0, outputs, 0);
                for (int r = 0; r < rows; r++) {
                    int label = dataLabels[lo + r];
                    if (outputRowSize == 1) {
                        boolean predicted = outputs[r] >= 0.5f;
                        if (predicted == isFootwear(label)) {
                            correct++;
                        }
                    } else if (argmax(outputs, r * outputRowSize, outputRowSize) == label) {
                        correct++;
                    }
                }
            }
            return new Evaluation(lossSum / n, outputs == null ? Double.NaN : (double) correct / n);
        }

        private static int argmax(float[] v, int off, int len) {
            int best = 0;
            for (int i = 1; i < len; i++) {
                if (v[off + i] > v[off + best]) {
                    best = i;
                }
            }
            return best;
        }
    }

    /** A one-line progress bar, redrawn in place. */
    private static final class ProgressBar {
        private static final int WIDTH = 30;
        private final PrintStream ps;
        private final int epoch;
        private final int epochs;
        private final int steps;
        private long lastDraw = Long.MIN_VALUE;
        private int lastLength;

        ProgressBar(PrintStream ps, int epoch, int epochs, int steps) {
            this.ps = ps;
            this.epoch = epoch;
            this.epochs = epochs;
            this.steps = steps;
        }

        void update(int step, double runningLoss, long samples, long nanos) {
            long now = System.nanoTime();
            if (step < steps && lastDraw != Long.MIN_VALUE && now - lastDraw < REDRAW_NANOS) {
                return;
            }
            lastDraw = now;
            int filled = (int) ((long) step * WIDTH / steps);
            StringBuilder bar = new StringBuilder(WIDTH);
            for (int i = 0; i < WIDTH; i++) {
                bar.append(i < filled ? '=' : i == filled ? '>' : ' ');
            }
            String line = String.format(Locale.ROOT, "epoch %d/%d [%s] %d/%d loss %.4f %d samples/s",
                    epoch, epochs, bar, step, steps, runningLoss, Math.round(samples * 1e9 / Math.max(1, nanos)));
            int pad = Math.max(0, lastLength - line.length());
            lastLength = line.length();
            ps.print("\r" + line + " ".repeat(pad));
            ps.flush();
        }

        /** Erases the bar so that the epoch's result line starts clean. */
        void clear() {
            ps.print("\r" + " ".repeat(lastLength) + "\r");
            ps.flush();
        }
    }
}
