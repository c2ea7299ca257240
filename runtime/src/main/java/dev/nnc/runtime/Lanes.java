package dev.nnc.runtime;

/**
 * Whether generated kernels run their loops on the JDK Vector API. A generated model keeps the
 * lane-parallel form of each elementwise loop it can vectorize in a nested class {@code Simd}; a
 * kernel calls it for the whole vectors of its innermost loop when {@link #ON} and runs its scalar
 * loop for the rest (or, without the module, for everything). The two give the same bits: only
 * correctly rounded operations (add, subtract, multiply, divide, square root, compare, select), and
 * {@link FloatMath}'s exp, sigmoid and tanh, which are built from them, get a lane-parallel form.
 *
 * <p>This class does not touch the Vector API, so generated code may read {@link #ON} in a JVM
 * without {@code jdk.incubator.vector}; the {@code Simd} classes and {@link VectorLanes} are then
 * never loaded.
 */
public final class Lanes {
    private Lanes() {
    }

    /**
     * True when the JVM has {@code jdk.incubator.vector} ({@code --add-modules jdk.incubator.vector})
     * and {@code -Dnnc.vector=false} was not given (the same condition as the GEMM's vector kernel),
     * and its vectors hold at least two doubles ({@link VectorLanes#usable}; read only when the module
     * is there, so this class loads without it).
     */
    public static final boolean ON = Gemm.vectorAvailable() && VectorLanes.usable();
}
