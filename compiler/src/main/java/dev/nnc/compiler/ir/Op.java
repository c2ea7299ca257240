package dev.nnc.compiler.ir;

import dev.nnc.compiler.ops.Binary;
import dev.nnc.compiler.ops.Contractions;
import dev.nnc.compiler.ops.Loops;
import dev.nnc.compiler.ops.Convolutions;
import dev.nnc.compiler.ops.Movement;
import dev.nnc.compiler.ops.OpDef;
import dev.nnc.compiler.ops.Pooling;
import dev.nnc.compiler.ops.Reductions;
import dev.nnc.compiler.ops.RowOps;
import dev.nnc.compiler.ops.Sources;
import dev.nnc.compiler.ops.Unary;

/**
 * The closed set of primitive ops. Layers lower to these; autodiff writes gradients with these.
 * Passes ask about an op's {@link Family}, not about lists of ops.
 *
 * <p>Each constant holds its definition ({@link OpDef}, in {@code dev.nnc.compiler.ops}): fusion
 * class, attribute record, shape rule, vector-Jacobian rule, template keys, cost and reference
 * implementation, all in one class per op. {@code OpCoverageTest} checks every op's pieces.
 */
public enum Op {
    // sources: values that come from outside the kernel schedule
    INPUT(new Sources.Declared()),
    PARAM(new Sources.Declared()),
    CONST(new Sources.Const()),
    DROPOUT_MASK(new Sources.DropoutMask()),

    // elementwise, one input
    NEG(new Unary.Neg()),
    COPY(new Unary.Copy()),
    RELU(new Unary.Relu()),
    LEAKY_RELU(new Unary.LeakyRelu()),
    SIGMOID(new Unary.Sigmoid()),
    SOFTPLUS(new Unary.Softplus()),
    TANH(new Unary.Tanh()),
    EXP(new Unary.Exp()),
    LOG(new Unary.Log()),
    SQRT(new Unary.Sqrt()),
    STEP(new Unary.Step()),
    LEAKY_STEP(new Unary.LeakyStep()),
    CLAMP_PROB(new Unary.ClampProb()),
    CLAMP_PROB_MASK(new Unary.ClampProbMask()),

    // elementwise, two inputs, NumPy broadcasting
    ADD(new Binary.Add()),
    SUB(new Binary.Sub()),
    MUL(new Binary.Mul()),
    DIV(new Binary.Div()),

    // data movement
    BROADCAST(new Movement.Broadcast()),
    RESHAPE(new Movement.Reshape()),

    // reductions
    SUM(new Reductions.Sum()),

    // contractions
    MATMUL(new Contractions.Matmul()),
    CONV2D(new Convolutions.Conv2d()),
    CONV2D_INPUT_GRAD(new Convolutions.Conv2dInputGrad()),
    CONV2D_WEIGHT_GRAD(new Convolutions.Conv2dWeightGrad()),

    // windows over the spatial axes of NCHW tensors, kept whole
    MAX_POOL(new Pooling.MaxPool()),
    MAX_POOL_GRAD(new Pooling.MaxPoolGrad()),
    AVG_POOL(new Pooling.AvgPool()),
    AVG_POOL_GRAD(new Pooling.AvgPoolGrad()),

    // recurrence along the sequence axis (axis 1): one Java loop over t, never unrolled
    LOOP(new Loops.Loop()),
    LOOP_GRAD(new Loops.LoopGrad()),
    LOOP_OUT(new Loops.LoopOut()),
    TAKE_STEP(new Loops.TakeStep()),
    PUT_STEP(new Loops.PutStep()),

    // row-wise ops over the last axis, kept whole
    SOFTMAX(new RowOps.Softmax()),
    LOG_SOFTMAX(new RowOps.LogSoftmax()),
    CROSS_ENTROPY(new RowOps.CrossEntropy()),
    CROSS_ENTROPY_GRAD(new RowOps.CrossEntropyGrad()),
    TRANSPOSE(new Movement.Transpose());

    /** Fusion classes (TVM's op patterns, roughly): what a fusion pass may do with an op. */
    public enum Family {
        SOURCE, ELEMENTWISE, BROADCAST, VIEW, REDUCTION, GEMM, ROWWISE, WINDOW, LOOP
    }

    private final OpDef def;

    Op(OpDef def) {
        this.def = def;
        def.bind(this);
    }

    /** Everything the compiler knows about this op. */
    public OpDef def() {
        return def;
    }

    public Family family() {
        return def.family();
    }

    /** Lower-case name used in dumps and template keys. */
    public String key() {
        return name().toLowerCase();
    }
}
