package dev.nnc.runtime;

/**
 * Row-wise loops of generated float kernels (softmax, the cross-entropy gradient) in vector lanes,
 * behind signatures of arrays and numbers only: a generated class names this class without naming
 * a Vector API type, and calls it only when {@link Lanes#ON}, so it loads only then. Each method
 * runs the whole vectors of a row and returns where the kernel's scalar loop goes on; lane for lane
 * it computes the scalar loop's bits ({@link FloatMath} and {@link VectorLanes}).
 */
public final class RowLanes {
    private RowLanes() {
    }

    /**
     * {@code y[yOff + j] = FloatMath.exp(x[xOff + j] - shift)} for the whole vectors of
     * {@code [0, n)}; returns the first {@code j} not done.
     */
    public static int expShifted(float[] x, int xOff, float shift, float[] y, int yOff, int n) {
        return VectorRows.expShifted(x, xOff, shift, y, yOff, n);
    }
}
