package dev.nnc.runtime;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The base of models generated in double precision ({@code --dtype f64}): the flat parameter and gradient
 * buffers, the activation arenas, and what reads and writes them by name. The generated class
 * says where each output lives ({@link #outputArray}, {@link #outputOffset}).
 */
public abstract class DoubleModel extends ModelBase {
    /** All parameters, flat; {@link #parameters()} gives names and offsets. */
    protected final double[] params;
    /** Gradients, laid out like {@code params}; empty for a model compiled for inference. */
    protected final double[] grads;
    /** Activations that scale with the batch: {@code arenaPerRow · maxBatch} values. */
    protected final double[] arena;
    /** Constants and batch-independent temporaries. */
    protected final double[] fixed;

    protected DoubleModel(String name, List<TensorInfo> feeds, List<TensorInfo> outputs, List<TensorInfo> parameters,
            boolean trainable, int maxBatch, long seed, int paramCount, int arenaPerRow, int fixedSize) {
        super(name, DType.F64, feeds, outputs, parameters, trainable, maxBatch, seed, arenaPerRow);
        this.params = new double[paramCount];
        this.grads = new double[trainable ? paramCount : 0];
        this.arena = new double[arenaPerRow * maxBatch];
        this.fixed = new double[fixedSize];
    }

    /** The array output {@code index} lives in ({@code arena} or {@code fixed}). */
    protected abstract double[] outputArray(int index);

    /** Where output {@code index} starts in its array. */
    protected abstract int outputOffset(int index);

    @Override
    public final void copyOutput(int index, float[] dst, int dstOffset) {
        double[] src = outputArray(index);
        int start = outputOffset(index);
        int count = outputs().get(index).size(n);
        for (int i = 0; i < count; i++) dst[dstOffset + i] = (float) src[start + i];
    }

    @Override
    public final void copyOutput(int index, double[] dst, int dstOffset) {
        double[] src = outputArray(index);
        int start = outputOffset(index);
        int count = outputs().get(index).size(n);
        for (int i = 0; i < count; i++) dst[dstOffset + i] = src[start + i];
    }

    @Override
    public final double[] parameter(String name) {
        return Params.read(params, Params.find(parameters(), name));
    }

    @Override
    public final void setParameter(String name, double[] values) {
        Params.write(values, Params.find(parameters(), name), params);
    }

    @Override
    public final double[] gradient(String name) {
        requireTrainable();
        return Params.read(grads, Params.find(parameters(), name));
    }

    @Override
    public final void saveWeights(Path path) throws IOException {
        SafeTensors.save(path, parameters(), params);
    }

    @Override
    public final void loadWeights(Path path) throws IOException {
        SafeTensors.load(path, parameters(), params);
    }
}
