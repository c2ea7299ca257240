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
    JAVA
}
