package dev.nnc.compiler.api;

/**
 * How to compile a program.
 *
 * @param packageName Java package of the generated class ("" for the default package)
 * @param dtype       floating-point precision of the generated model
 * @param mode        TRAIN emits forward, backward and update; INFERENCE emits the forward pass only
 * @param fuse        run FuseKernels (off: one kernel per op, {@code --no-fuse})
 * @param plan        run PlanMemory (off: every tensor its own buffer, {@code --no-plan})
 */
public record CompileOptions(String packageName, Precision dtype, Mode mode, boolean fuse, boolean plan) {

    public enum Precision { F32, F64 }

    public enum Mode { TRAIN, INFERENCE }

    public static CompileOptions defaults() {
        return new CompileOptions("", Precision.F32, Mode.TRAIN, true, true);
    }

    public CompileOptions withPackage(String p) {
        return new CompileOptions(p, dtype, mode, fuse, plan);
    }

    public CompileOptions withDtype(Precision d) {
        return new CompileOptions(packageName, d, mode, fuse, plan);
    }

    public CompileOptions withMode(Mode m) {
        return new CompileOptions(packageName, dtype, m, fuse, plan);
    }

    public CompileOptions withFuse(boolean f) {
        return new CompileOptions(packageName, dtype, mode, f, plan);
    }

    public CompileOptions withPlan(boolean p) {
        return new CompileOptions(packageName, dtype, mode, fuse, p);
    }
}
