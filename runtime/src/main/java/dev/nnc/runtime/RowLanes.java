package dev.nnc.runtime;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Row-wise loops of generated float kernels (softmax, the cross-entropy gradient) in vector lanes.
 * A generated kernel calls it only when {@link Lanes#ON}, as it calls its {@code Simd} class, so
 * it is never loaded without {@code jdk.incubator.vector}. Each method runs the whole vectors of a
 * row and returns where the kernel's scalar loop goes on; lane for lane it computes the scalar
 * loop's bits ({@link FloatMath}, {@link VectorLanes}).
 */
public final class RowLanes {
    private static final VectorSpecies<Float> F = VectorLanes.F;

    private RowLanes() {
    }

    /**
     * {@code y[yOff + j] = FloatMath.exp(x[xOff + j] - shift)} for the whole vectors of
     * {@code [0, n)}; returns the first {@code j} not done.
     */
    public static int expShifted(float[] x, int xOff, float shift, float[] y, int yOff, int n) {
        int j = 0;
        for (; j <= n - F.length(); j += F.length()) {
            VectorLanes.exp(FloatVector.fromArray(F, x, xOff + j).sub(shift)).intoArray(y, yOff + j);
        }
        return j;
    }
}
