package dev.nnc.compiler.ops;

import dev.nnc.compiler.ir.Attrs;
import dev.nnc.compiler.ir.Graph;
import dev.nnc.compiler.ir.Node;
import dev.nnc.compiler.ir.Op;
import dev.nnc.compiler.ir.Shape;
import java.util.List;

/**
 * Everything the compiler knows about one primitive op, in one class (docs/adding-an-op.md):
 * <ul>
 *   <li>{@link #family()}: its fusion class;</li>
 *   <li>{@link #attrs()}: the attribute record it carries;</li>
 *   <li>{@link #shape}: its shape rule (the builder and the verifier both ask it);</li>
 *   <li>{@link #vjp}: its vector-Jacobian rule, written with IR primitives;</li>
 *   <li>{@link #templateKeys()}: the backend templates its code comes from;</li>
 *   <li>{@link #flops}: its cost;</li>
 *   <li>{@link #reference}: a slow, obviously right f64 implementation, the oracle of the tests
 *       ({@code reference.Interpreter}).</li>
 * </ul>
 * Each {@link Op} constant holds its definition; the definitions are grouped by family in this
 * package ({@code Unary}, {@code Binary}, ...), one nested class per op. Every method is abstract, so
 * a new op without one of its pieces does not compile; {@code OpCoverageTest} checks the rest
 * (templates exist, the rule's arity, the reference against known values).
 */
public abstract class OpDef {
    private Op op;

    /** Called once by the op's enum constant. */
    public final void bind(Op o) {
        if (op != null) throw new IllegalStateException(getClass().getSimpleName() + " is bound to " + op);
        op = o;
    }

    /** The op this definition belongs to. */
    public final Op op() {
        return op;
    }

    public final String key() {
        return op.key();
    }

    /** The fusion class: what a fusion pass may do with the op. */
    public abstract Op.Family family();

    /** The record type of the op's attributes. */
    public abstract Class<? extends Attrs> attrs();

    /** The output shape for these inputs and attributes; throws ShapeException when they do not fit. */
    public abstract Shape shape(List<Node> inputs, Attrs attrs);

    /**
     * The gradient with respect to each input of {@code y = op(inputs)}, given the gradient
     * {@code g} with respect to y (null where none flows); null for ops that pass no gradient at
     * all (sources, masks, derivatives that are themselves never differentiated).
     */
    public abstract Node[] vjp(Graph b, Node y, Node g);

    /**
     * Keys of the backend templates the op's generated code comes from (a scalar expression or a
     * loop skeleton in {@code codegen-templates/<backend>/}); empty when the loop nest or the
     * runtime emits it (views, sums, products).
     */
    public abstract List<String> templateKeys();

    /**
     * The names a loop skeleton gives the op's inputs ({@code ${x}}, {@code ${logits}}, ...), in
     * input order; its output is always {@code ${out}}. Empty for ops without a skeleton.
     */
    public List<String> templateOperands() {
        return List.of();
    }

    /**
     * Values a loop skeleton needs besides its operands (a window's geometry, a row's length), as
     * template variables; empty for ops without a skeleton.
     */
    public java.util.Map<String, String> templateVars(Node n) {
        return java.util.Map.of();
    }

    /**
     * Whether the op's loop skeleton counts {@code ${rows}} in samples (the batch) rather than in
     * rows of its input's last axis: window ops and sequence steps.
     */
    public boolean rowsAreSamples() {
        return family() == Op.Family.WINDOW;
    }

    /**
     * Whether the op may run as the tail of the loop that computes its one input, chunk of samples
     * by chunk of samples: each sample's output reads that sample's input only (a forward pool).
     * Its skeleton then runs per chunk, over rows still in cache. False by default.
     */
    public boolean fusesPerSample() {
        return false;
    }

    /**
     * Whether each row of a row-wise op's output depends only on the same row of its batched inputs
     * (and on its unbatched ones, a scalar such as a loss's incoming gradient, read whole): its
     * kernel may then run in chunks of samples on the pool (softmax, log_softmax, the cross-entropy
     * gradient). False for a sum over rows (the cross-entropy loss). False by default.
     */
    public boolean rowsIndependent() {
        return false;
    }

    /**
     * Scratch elements per batch row the op's kernel needs while it runs (a convolution's im2col
     * matrix); the memory plan gives it a buffer live in that kernel only. 0 for most ops.
     */
    public long workPerRow(Node n) {
        return 0;
    }

    /** Floating-point operations of one application over a batch of {@code batch} rows. */
    public abstract long flops(Node n, int batch);

    /**
     * The op's value in f64, computed with plain loops: {@code in[i]} holds input i (every
     * element, the batch dimension being {@code ctx.batch()} rows), row-major.
     */
    public abstract double[] reference(Node n, double[][] in, Reference ctx);

    /** Elements of {@code s} for a batch of {@code batch} rows. */
    protected static long size(Shape s, int batch) {
        long v = 1;
        for (int d : s.dims()) v *= d == Shape.BATCH ? batch : d;
        return v;
    }
}
