package dev.nnc.compiler.ir;

/** A shape rule was violated; the lowering turns it into a positioned diagnostic. */
public final class ShapeException extends RuntimeException {
    public ShapeException(String message) {
        super(message, null, false, false);
    }
}
