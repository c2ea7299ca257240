package dev.nnc.compiler.api;

import dev.nnc.compiler.diag.Diagnostic;
import java.util.List;

/** The compiler's front door: everything the CLI, the Maven plugin and tests call. */
public final class Nnc {

    private Nnc() {
    }

    public static String version() {
        return "0.1.0";
    }

    /** Parses, resolves and shape-checks; returns every diagnostic found (empty when the program is fine). */
    public static List<Diagnostic> check(SourceFile source) {
        throw new UnsupportedOperationException("not yet");
    }

    /** Compiles every model of the file to one Java class each. */
    public static CompileResult compile(SourceFile source, CompileOptions options) {
        throw new UnsupportedOperationException("not yet");
    }

    /** A readable dump of one stage. */
    public static InspectResult inspect(SourceFile source, Stage stage, CompileOptions options) {
        throw new UnsupportedOperationException("not yet");
    }
}
