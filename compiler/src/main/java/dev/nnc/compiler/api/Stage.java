package dev.nnc.compiler.api;

/** What {@code nnc inspect --stage} can show. */
public enum Stage {
    /** The parsed syntax tree, with positions. */
    AST,
    /** The forward IR graph of primitive ops with shapes. */
    IR,
    /** The IR after autodiff: forward, backward and optimizer update. */
    GRAD,
    /** The generated Java source. */
    JAVA,
    /** The fused kernels of the training step (or of predict in inference mode), with costs. */
    FUSED,
    /** The memory plan: buffers, offsets, live intervals, arena against naive sum and peak. */
    MEMORY,
    /** The pipeline: every pass in order with its reason, and what each changed in each model and entry point. */
    PASSES
}
