package dev.nnc.runtime.train;

import dev.nnc.runtime.Batch;
import dev.nnc.runtime.CompiledModel;
import dev.nnc.runtime.DType;
import dev.nnc.runtime.Feeds;
import dev.nnc.runtime.Gemm;
import dev.nnc.runtime.Init;
import dev.nnc.runtime.Params;
import dev.nnc.runtime.Rng;
import dev.nnc.runtime.SafeTensors;
import dev.nnc.runtime.TensorInfo;
import dev.nnc.runtime.TensorInfo.Role;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * A hand-written stand-in for a generated model: softmax regression {@code p = softmax(x·W + b)}
 * with cross-entropy and plain SGD, or, for a binary target, logistic regression with one sigmoid
 * output. Written the way generated code is (flat parameter and gradient buffers, buffers sized for
 * maxBatch, runtime helpers for feeds, GEMM, init and weights).
 */
final class SoftmaxRegression implements CompiledModel {

    /** The form of the target feed. */
    enum Target { LABELS, ONE_HOT, BINARY }

    private final int features;
    private final int classes;
    private final int maxBatch;
    private final Target targetKind;
    private final double lr;
    private final List<TensorInfo> feeds;
    private final List<TensorInfo> outputs;
    private final List<TensorInfo> parameters;
    private final float[] params;
    private final float[] grads;
    private final float[] x;
    private final int[] labels;
    private final float[] targets;
    private final float[] probs;
    private final float[] dLogits;
    private int lastBatch;
    private long steps;
    /** The largest batch seen, for tests. */
    int largestBatch;

    SoftmaxRegression(int features, int classes, Target target, int maxBatch, double lr, long seed) {
        this.features = features;
        this.targetKind = target;
        this.classes = target == Target.BINARY ? 1 : classes;
        this.maxBatch = maxBatch;
        this.lr = lr;
        TensorInfo xInfo = new TensorInfo("x", Role.INPUT, DType.F32, new int[] {-1, features}, -1);
        TensorInfo yInfo = switch (target) {
            case LABELS -> new TensorInfo("y", Role.TARGET, DType.I32, new int[] {-1}, -1);
            case ONE_HOT -> new TensorInfo("y", Role.TARGET, DType.F32, new int[] {-1, classes}, -1);
            case BINARY -> new TensorInfo("y", Role.TARGET, DType.F32, new int[] {-1, 1}, -1);
        };
        feeds = List.of(xInfo, yInfo);
        outputs = List.of(new TensorInfo("probs", Role.OUTPUT, DType.F32, new int[] {-1, this.classes}, -1));
        parameters = List.of(
                new TensorInfo("w", Role.PARAM, DType.F32, new int[] {features, this.classes}, 0),
                new TensorInfo("b", Role.PARAM, DType.F32, new int[] {this.classes}, features * this.classes));
        params = new float[features * this.classes + this.classes];
        grads = new float[params.length];
        Init.xavierUniform(new Rng(seed), params, 0, features * this.classes, features, this.classes);
        x = new float[maxBatch * features];
        labels = new int[maxBatch];
        targets = new float[maxBatch * this.classes];
        probs = new float[maxBatch * this.classes];
        dLogits = new float[maxBatch * this.classes];
    }

    @Override
    public String name() {
        return "SoftmaxRegression";
    }

    @Override
    public DType dtype() {
        return DType.F32;
    }

    @Override
    public int maxBatch() {
        return maxBatch;
    }

    @Override
    public List<TensorInfo> feeds() {
        return feeds;
    }

    @Override
    public List<TensorInfo> outputs() {
        return outputs;
    }

    @Override
    public List<TensorInfo> parameters() {
        return parameters;
    }

    private int load(Batch batch, boolean withTargets) {
        int n = batch.size();
        largestBatch = Math.max(largestBatch, n);
        Feeds.toFloat(batch, 0, "x", x, 0, n * features);
        if (withTargets) {
            if (targetKind == Target.LABELS) {
                Feeds.toInt(batch, 1, "y", labels, 0, n);
            } else {
                Feeds.toFloat(batch, 1, "y", targets, 0, n * classes);
            }
        }
        return n;
    }

    /** probs = softmax(x·W + b) (or sigmoid for one class); returns the mean loss when targets are loaded. */
    private double forward(int n, boolean withTargets) {
        lastBatch = n;
        Gemm.matmul(x, 0, false, params, 0, false, probs, 0, n, classes, features, false);
        int bOff = features * classes;
        double loss = 0;
        for (int r = 0; r < n; r++) {
            int o = r * classes;
            if (classes == 1) {
                double z = probs[o] + params[bOff];
                double p = 1 / (1 + Math.exp(-z));
                probs[o] = (float) p;
                if (withTargets) {
                    double y = targets[r];
                    loss -= y * Math.log(Math.max(p, 1e-12)) + (1 - y) * Math.log(Math.max(1 - p, 1e-12));
                }
                continue;
            }
            double max = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < classes; c++) {
                probs[o + c] += params[bOff + c];
                max = Math.max(max, probs[o + c]);
            }
            double sum = 0;
            for (int c = 0; c < classes; c++) {
                double e = Math.exp(probs[o + c] - max);
                probs[o + c] = (float) e;
                sum += e;
            }
            for (int c = 0; c < classes; c++) {
                probs[o + c] = (float) (probs[o + c] / sum);
            }
            if (withTargets) {
                int label = label(r);
                loss -= Math.log(Math.max(probs[o + label], 1e-12));
            }
        }
        return n == 0 ? 0 : loss / n;
    }

    private int label(int r) {
        if (targetKind == Target.LABELS) {
            return labels[r];
        }
        int best = 0;
        for (int c = 1; c < classes; c++) {
            if (targets[r * classes + c] > targets[r * classes + best]) {
                best = c;
            }
        }
        return best;
    }

    private void backward(int n) {
        for (int r = 0; r < n; r++) {
            for (int c = 0; c < classes; c++) {
                double y = classes == 1 ? targets[r] : (label(r) == c ? 1 : 0);
                dLogits[r * classes + c] = (float) ((probs[r * classes + c] - y) / n);
            }
        }
        Gemm.matmul(x, 0, true, dLogits, 0, false, grads, 0, features, classes, n, false);
        int bOff = features * classes;
        for (int c = 0; c < classes; c++) {
            double s = 0;
            for (int r = 0; r < n; r++) {
                s += dLogits[r * classes + c];
            }
            grads[bOff + c] = (float) s;
        }
    }

    @Override
    public double trainStep(Batch batch) {
        double loss = computeGradients(batch);
        for (int i = 0; i < params.length; i++) {
            params[i] -= (float) (lr * grads[i]);
        }
        steps++;
        return loss;
    }

    @Override
    public double computeGradients(Batch batch) {
        int n = load(batch, true);
        double loss = forward(n, true);
        backward(n);
        return loss;
    }

    @Override
    public double loss(Batch batch) {
        return forward(load(batch, true), true);
    }

    @Override
    public void predict(Batch batch) {
        forward(load(batch, false), false);
    }

    @Override
    public void copyOutput(int index, float[] dst, int dstOffset) {
        System.arraycopy(probs, 0, dst, dstOffset, lastBatch * classes);
    }

    @Override
    public void copyOutput(int index, double[] dst, int dstOffset) {
        for (int i = 0; i < lastBatch * classes; i++) {
            dst[dstOffset + i] = probs[i];
        }
    }

    @Override
    public int lastBatchSize() {
        return lastBatch;
    }

    @Override
    public double[] parameter(String name) {
        return Params.read(params, Params.find(parameters, name));
    }

    @Override
    public void setParameter(String name, double[] values) {
        Params.write(values, Params.find(parameters, name), params);
    }

    @Override
    public double[] gradient(String name) {
        return Params.read(grads, Params.find(parameters, name));
    }

    @Override
    public long steps() {
        return steps;
    }

    @Override
    public void saveWeights(Path path) throws IOException {
        SafeTensors.save(path, parameters, params);
    }

    @Override
    public void loadWeights(Path path) throws IOException {
        SafeTensors.load(path, parameters, params);
    }
}
