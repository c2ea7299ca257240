package dev.nnc.compiler.api;

/**
 * How to compile a program.
 *
 * @param packageName Java package of the generated class ("" for the default package)
 * @param dtype       floating-point precision of the generated model
 * @param mode        TRAIN emits forward, backward and update; INFERENCE emits the forward pass only
 */
public record CompileOptions(String packageName, Precision dtype, Mode mode) {

    public enum Precision { F32, F64 }

    public enum Mode { TRAIN, INFERENCE }

    public static CompileOptions defaults() {
        return new CompileOptions("", Precision.F32, Mode.TRAIN);
    }

    public CompileOptions withPackage(String p) {
        return new CompileOptions(p, dtype, mode);
    }

    public CompileOptions withDtype(Precision d) {
        return new CompileOptions(packageName, d, mode);
    }

    public CompileOptions withMode(Mode m) {
        return new CompileOptions(packageName, dtype, m);
    }
}
