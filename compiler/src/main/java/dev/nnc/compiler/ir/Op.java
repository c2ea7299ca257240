package dev.nnc.compiler.ir;

/**
 * The closed set of primitive ops. Layers lower to these; autodiff writes gradients with these.
 * Passes ask about an op's {@link Family}, not about lists of ops.
 *
 * <p>Where each op's pieces live: shape rule in {@link Graph} (the builder methods), vector-Jacobian
 * rule in {@code autodiff.Gradients}, code template under {@code codegen-templates/jvm/}, fusion
 * class = its family. {@code OpCoverageTest} fails when an op lacks one of them.
 */
public enum Op {
    // sources: values that come from outside the kernel schedule
    INPUT(Family.SOURCE),
    PARAM(Family.SOURCE),
    /** A scalar literal; with {@code perBatch} its value is divided by the runtime batch size n. */
    CONST(Family.SOURCE),
    /** Inverted-dropout mask: 0 with probability rate, else 1/(1-rate); fresh every training step. */
    DROPOUT_MASK(Family.SOURCE),

    // elementwise, one input
    NEG(Family.ELEMENTWISE),
    COPY(Family.ELEMENTWISE),
    RELU(Family.ELEMENTWISE),
    LEAKY_RELU(Family.ELEMENTWISE),
    SIGMOID(Family.ELEMENTWISE),
    /** log(1 + exp(x)), computed without overflow; its derivative is sigmoid. */
    SOFTPLUS(Family.ELEMENTWISE),
    TANH(Family.ELEMENTWISE),
    EXP(Family.ELEMENTWISE),
    LOG(Family.ELEMENTWISE),
    SQRT(Family.ELEMENTWISE),
    /** x > 0 ? 1 : 0 (the derivative of relu). */
    STEP(Family.ELEMENTWISE),
    /** x > 0 ? 1 : alpha (the derivative of leaky_relu). */
    LEAKY_STEP(Family.ELEMENTWISE),
    /** min(max(x, eps), 1 - eps): keeps probabilities away from 0 and 1 before a log. */
    CLAMP_PROB(Family.ELEMENTWISE),
    /** eps < x < 1 - eps ? 1 : 0 (the derivative of clamp_prob). */
    CLAMP_PROB_MASK(Family.ELEMENTWISE),

    // elementwise, two inputs, NumPy broadcasting
    ADD(Family.ELEMENTWISE),
    SUB(Family.ELEMENTWISE),
    MUL(Family.ELEMENTWISE),
    DIV(Family.ELEMENTWISE),

    // data movement
    /** Expands to a larger shape by NumPy rules (right-aligned, size-1 or missing dims repeat). */
    BROADCAST(Family.BROADCAST),
    /** Same elements, new shape: a view, never a copy. */
    RESHAPE(Family.VIEW),

    // reductions
    /** Sum over a set of axes, which are removed from the shape. */
    SUM(Family.REDUCTION),

    // contractions
    /** 2-D matrix product with optional transposition of either operand. */
    MATMUL(Family.GEMM),

    // row-wise ops over the last axis, numerically careful, kept whole
    SOFTMAX(Family.ROWWISE),
    LOG_SOFTMAX(Family.ROWWISE),
    /** mean over rows of -log softmax(logits)[label]; labels are i32. */
    CROSS_ENTROPY(Family.ROWWISE),
    /** dy * (softmax(logits) - onehot(label)) / n. */
    CROSS_ENTROPY_GRAD(Family.ROWWISE),
    /**
     * [a, b] -> [b, a] of a tensor without the batch dimension; kept whole like the row-wise ops (it
     * reads rows and writes columns). Simplify folds it into a matmul operand wherever it feeds one.
     */
    TRANSPOSE(Family.ROWWISE);

    /** Fusion classes (TVM's op patterns, roughly): what a fusion pass may do with an op. */
    public enum Family {
        SOURCE, ELEMENTWISE, BROADCAST, VIEW, REDUCTION, GEMM, ROWWISE
    }

    private final Family family;

    Op(Family family) {
        this.family = family;
    }

    public Family family() {
        return family;
    }

    /** Lower-case name used in dumps and template keys. */
    public String key() {
        return name().toLowerCase();
    }
}
