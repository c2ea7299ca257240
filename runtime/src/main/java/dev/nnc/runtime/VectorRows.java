package dev.nnc.runtime;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/** {@link RowLanes}' bodies on the Vector API (loaded only through it, when {@link Lanes#ON}). */
final class VectorRows {
    private static final VectorSpecies<Float> F = VectorLanes.F;

    private VectorRows() {
    }

    static int expShifted(float[] x, int xOff, float shift, float[] y, int yOff, int n) {
        int j = 0;
        for (; j <= n - F.length(); j += F.length()) {
            VectorLanes.exp(FloatVector.fromArray(F, x, xOff + j).sub(shift)).intoArray(y, yOff + j);
        }
        return j;
    }
}
