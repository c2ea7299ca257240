package dev.nnc.runtime;

import java.util.List;

/**
 * What every generated model shares, so that the generated class holds only what is its own
 * (its tensors, kernels, schedules and update): the description ({@link #name}, feeds, outputs,
 * parameters), the batch bookkeeping, and the entry points in terms of five hooks the generated
 * class implements: {@link #load}, {@link #forwardPredict}, {@link #forwardLoss},
 * {@link #runTraining} and {@link #update}. {@link FloatModel} and {@link DoubleModel} add the
 * buffers of each precision.
 */
public abstract class ModelBase implements CompiledModel {
    private final String name;
    private final DType dtype;
    private final List<TensorInfo> feeds;
    private final List<TensorInfo> outputs;
    private final List<TensorInfo> parameters;
    private final boolean trainable;
    /** The largest batch the buffers hold. */
    protected final int maxBatch;
    /** Seed of the parameters' initialization and of dropout. */
    protected final long seed;
    /** Rows in the current batch. */
    protected int n;
    /** Optimizer steps taken. */
    protected long steps;

    /**
     * @param trainable  compiled with a loss, optimizer and backward pass ({@code --mode train})
     * @param arenaPerRow activation values per batch row, checked against one array's capacity
     */
    protected ModelBase(String name, DType dtype, List<TensorInfo> feeds, List<TensorInfo> outputs,
            List<TensorInfo> parameters, boolean trainable, int maxBatch, long seed, int arenaPerRow) {
        if (maxBatch < 1) throw new IllegalArgumentException("maxBatch must be >= 1, got " + maxBatch);
        if ((long) arenaPerRow * maxBatch > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("maxBatch " + maxBatch + " is too large: the activations need "
                    + arenaPerRow + " values per row, more than one array holds");
        }
        Gemm.noteWhenPlain();
        this.name = name;
        this.dtype = dtype;
        this.feeds = feeds;
        this.outputs = outputs;
        this.parameters = parameters;
        this.trainable = trainable;
        this.maxBatch = maxBatch;
        this.seed = seed;
    }

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final DType dtype() {
        return dtype;
    }

    @Override
    public final int maxBatch() {
        return maxBatch;
    }

    @Override
    public final List<TensorInfo> feeds() {
        return feeds;
    }

    @Override
    public final List<TensorInfo> outputs() {
        return outputs;
    }

    @Override
    public final List<TensorInfo> parameters() {
        return parameters;
    }

    @Override
    public final int lastBatchSize() {
        return n;
    }

    @Override
    public final long steps() {
        return steps;
    }

    @Override
    public final double trainStep(Batch batch) {
        double loss = computeGradients(batch);
        update();
        steps++;
        return loss;
    }

    @Override
    public final double computeGradients(Batch batch) {
        requireTrainable();
        load(batch, true);
        return runTraining(true);
    }

    @Override
    public final double trainingLoss(Batch batch) {
        requireTrainable();
        load(batch, true);
        return runTraining(false);
    }

    @Override
    public final double loss(Batch batch) {
        load(batch, true);
        return forwardLoss();
    }

    @Override
    public final void predict(Batch batch) {
        load(batch, false);
        forwardPredict();
    }

    /** Fails unless the model was compiled for training. */
    protected final void requireTrainable() {
        if (!trainable) {
            throw new UnsupportedOperationException("model " + name + " was compiled with --mode inference or has no "
                    + "loss; it can only predict");
        }
    }

    /** Checks the batch (size within [1, maxBatch], one array per feed) and makes it the current one. */
    protected final void begin(Batch batch) {
        int rows = batch.size();
        if (rows < 1 || rows > maxBatch) {
            throw new IllegalArgumentException("batch size " + rows + " is outside [1, " + maxBatch + "]");
        }
        if (batch.feedCount() != feeds.size()) {
            throw new IllegalArgumentException("the batch has " + batch.feedCount() + " feeds; " + name + " needs "
                    + feeds.size() + " (" + String.join(", ", feeds.stream().map(TensorInfo::name).toList()) + ")");
        }
        n = rows;
    }

    /** Copies the batch's feeds (targets only {@code withTargets}) into the model's buffers; calls {@link #begin} first. */
    protected abstract void load(Batch batch, boolean withTargets);

    /** The forward pass in inference mode, outputs only. */
    protected abstract void forwardPredict();

    /** The forward pass in inference mode with the data loss; throws when the model has no loss. */
    protected abstract double forwardLoss();

    /** The training forward pass and, with {@code withGradients}, the backward pass; returns the data loss. */
    protected abstract double runTraining(boolean withGradients);

    /** One optimizer step over the flat parameter buffer. */
    protected abstract void update();
}
