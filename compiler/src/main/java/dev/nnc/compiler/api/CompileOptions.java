package dev.nnc.compiler.api;

/**
 * How to compile a program.
 *
 * @param packageName Java package of the generated class ("" for the default package)
 * @param dtype       floating-point precision of the generated model
 * @param mode        TRAIN emits forward, backward and update; INFERENCE emits the forward pass only
 * @param fuse        run FuseKernels (off: one kernel per op, {@code --no-fuse})
 * @param plan        run PlanMemory (off: every tensor its own buffer, {@code --no-plan})
 * @param simplify    run Simplify (off: {@code --no-simplify})
 * @param vectorLoops emit the lane-parallel (JDK Vector API) forms of the elementwise loops in a nested
 *                    {@code Simd} class (off: {@code --no-vector-loops}; the source then compiles
 *                    without {@code --add-modules jdk.incubator.vector})
 */
public record CompileOptions(String packageName, Precision dtype, Mode mode, boolean fuse, boolean plan,
        boolean simplify, boolean vectorLoops) {

    public CompileOptions {
        if (!packageName.isEmpty() && !javax.lang.model.SourceVersion.isName(packageName,
                javax.lang.model.SourceVersion.latest())) {
            throw new IllegalArgumentException("'" + packageName + "' is not a Java package name");
        }
    }

    public enum Precision { F32, F64 }

    public enum Mode { TRAIN, INFERENCE }

    public static CompileOptions defaults() {
        return new CompileOptions("", Precision.F32, Mode.TRAIN, true, true, true, true);
    }

    public CompileOptions withPackage(String p) {
        return new CompileOptions(p, dtype, mode, fuse, plan, simplify, vectorLoops);
    }

    public CompileOptions withDtype(Precision d) {
        return new CompileOptions(packageName, d, mode, fuse, plan, simplify, vectorLoops);
    }

    public CompileOptions withMode(Mode m) {
        return new CompileOptions(packageName, dtype, m, fuse, plan, simplify, vectorLoops);
    }

    public CompileOptions withFuse(boolean f) {
        return new CompileOptions(packageName, dtype, mode, f, plan, simplify, vectorLoops);
    }

    public CompileOptions withSimplify(boolean s) {
        return new CompileOptions(packageName, dtype, mode, fuse, plan, s, vectorLoops);
    }

    /**
     * Only the named passes ({@code simplify}, {@code fuse}, {@code plan}); unknown names are an
     * IllegalArgumentException listing the known ones.
     */
    public CompileOptions withPasses(java.util.Collection<String> passes) {
        for (String p : passes) {
            if (!PASSES.contains(p)) {
                throw new IllegalArgumentException("unknown pass '" + p + "' (passes: " + String.join(", ", PASSES) + ")");
            }
        }
        return new CompileOptions(packageName, dtype, mode, passes.contains("fuse"), passes.contains("plan"),
                passes.contains("simplify"), vectorLoops);
    }

    /** The optional passes, in pipeline order. */
    public static final java.util.List<String> PASSES = java.util.List.of("simplify", "fuse", "plan");

    public CompileOptions withPlan(boolean p) {
        return new CompileOptions(packageName, dtype, mode, fuse, p, simplify, vectorLoops);
    }

    /** With or without the nested {@code Simd} class of Vector API loops ({@code --no-vector-loops}). */
    public CompileOptions withVectorLoops(boolean v) {
        return new CompileOptions(packageName, dtype, mode, fuse, plan, simplify, v);
    }
}
