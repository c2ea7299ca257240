package dev.nnc.compiler.ops;

import dev.nnc.compiler.ir.Node;

/**
 * What an op's reference implementation ({@link OpDef#reference}) may ask of the evaluation it
 * runs in: the batch size, the values of feeds and parameters, and which dropout-mask elements are
 * kept (the runtime draws them from a counter-based hash; the compiler does not depend on the
 * runtime, so the caller supplies the rule).
 */
public interface Reference {
    /** Rows in the batch (the value of N). */
    int batch();

    /** The values of an INPUT node, every row. */
    double[] input(Node input);

    /** The values of a PARAM node. */
    double[] param(Node param);

    /** Whether element {@code element} of a DROPOUT_MASK node is kept in this evaluation. */
    boolean keep(Node mask, long element);
}
